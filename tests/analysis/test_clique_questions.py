"""The cliques' sign test across questions: exact McNemar tails against a second path."""

import json
import math

import numpy as np
import pytest
from scipy.stats import binomtest

from tasktransfer.analysis import cliques
from tasktransfer.analysis.analyze import analyze
from tasktransfer.analysis.graphs import question_sign_tests
from tasktransfer.analysis.metrics import pgf
from tasktransfer.analysis.personas import fdr
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts import Prediction
from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units import cliques as unit


def _tail(k, n):
    """P(X >= k), X ~ Binomial(n, 1/2), by the sum of its terms."""
    return sum(math.comb(n, x) for x in range(k, n + 1)) / 2**n


def test_hand_computed_tails():
    # Target B of source A: 3 fixed, 1 broken, 2 unchanged; pooled over two runs: 4 and 1.
    correct0 = np.array([[[1, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 0]]] * 2, dtype=float)
    correct = np.zeros((2, 2, 2, 6))
    correct[:, 0, 1] = [1, 1, 1, 0, 1, 0]  # vs [0, 0, 0, 1, 1, 0]: +3, -1 per run
    correct[1, 0, 1, 5] = np.nan  # a question not asked leaves the counts alone
    correct[:, 1, 0] = [1, 1, 1, 1, 0, 0]  # no change on target A: p = 1 either way
    correct[:, 0, 0] = correct[:, 1, 1] = np.nan
    out = question_sign_tests(correct, correct0)
    assert (out["n_plus"][0, 1], out["n_minus"][0, 1], out["n_pairs"][0, 1]) == (6, 2, 11)
    assert out["positive"][0, 1] == pytest.approx(_tail(6, 8)) == pytest.approx(37 / 256)
    assert out["negative"][0, 1] == pytest.approx(_tail(2, 8)) == pytest.approx(247 / 256)
    assert out["positive"][1, 0] == out["negative"][1, 0] == 1.0
    assert np.isnan(out["positive"][0, 0])  # never asked


def test_against_scipy_binomtest_on_random_answers():
    rng = np.random.default_rng(7)
    correct = rng.integers(0, 2, (3, 4, 4, 25)).astype(float)
    correct0 = rng.integers(0, 2, (3, 4, 25)).astype(float)
    correct[rng.random(correct.shape) < 0.1] = np.nan
    out = question_sign_tests(correct, correct0)
    for i in range(4):
        for j in range(4):
            plus = minus = 0
            for r in range(3):
                for q in range(25):
                    a, b = correct[r, i, j, q], correct0[r, j, q]
                    if np.isfinite(a):
                        plus += bool(a == 1 and b == 0)
                        minus += bool(a == 0 and b == 1)
            n = plus + minus
            assert (out["n_plus"][i, j], out["n_minus"][i, j]) == (plus, minus)
            for name, k in (("positive", plus), ("negative", minus)):
                expected = binomtest(k, n, 0.5, alternative="greater").pvalue if n else 1.0
                assert out[name][i, j] == pytest.approx(expected, rel=1e-12)


def _answers(n_fixed):
    """One run, 3 tasks, 10 questions each; zero-shot gets questions 0-2 right. The finetune
    on source s fixes ``n_fixed[s][t]`` more questions of target t (3..3+n-1)."""
    correct0 = np.zeros((1, 3, 10))
    correct0[..., :3] = 1
    correct = np.repeat(correct0[:, None], 3, axis=1)
    for s in range(3):
        for t in range(3):
            correct[0, s, t, 3 : 3 + n_fixed[s][t]] = 1
    return correct, correct0


def test_cliques_carry_the_question_test_with_the_larger_direction_p():
    fixed = [[0, 6, 7], [5, 0, 7], [7, 7, 0]]
    correct, correct0 = _answers(fixed)
    acc, acc0 = correct.mean(axis=-1), correct0.mean(axis=-1)
    out = cliques(pgf(acc, acc0), ["A", "B", "C"], correct=correct, correct0=correct0)
    assert out["positive"] == [["A", "B", "C"]]
    edges = {tuple(e["tasks"]): e for e in out["edges"]["positive"]}
    # Each direction: n_plus fixed, n_minus 0, so p = 2**-n; the edge takes the larger.
    assert edges["A", "B"]["question_p"] == 2.0**-5 and edges["A", "B"]["discordant"] == [
        [6, 0],
        [5, 0],
    ]
    assert edges["A", "C"]["question_p"] == edges["B", "C"]["question_p"] == 2.0**-7
    # BH over the 3 pairs of 3 tasks, as the run-level q.
    expected_q = fdr([2.0**-5, 2.0**-7, 2.0**-7])
    assert [e["question_q"] for e in out["edges"]["positive"]] == pytest.approx(expected_q)
    assert all(e["question_significant"] for e in edges.values())
    # One run: the run-level test cannot be significant, the question one is.
    assert out["significant"]["positive"] == [False]
    assert out["question_significant"] == {"positive": [True], "negative": []}
    # Fewer fixes on one direction (2**-4 = 0.0625 > 0.05): the clique falls.
    fixed[1][0] = 4
    correct, correct0 = _answers(fixed)
    out = cliques(pgf(correct.mean(-1), correct0.mean(-1)), ["A", "B", "C"],
                  correct=correct, correct0=correct0)  # fmt: skip
    assert out["question_significant"]["positive"] == [False]


def test_without_questions_the_fields_are_absent():
    correct, correct0 = _answers([[0, 6, 7], [5, 0, 7], [7, 7, 0]])
    out = cliques(pgf(correct.mean(-1), correct0.mean(-1)), ["A", "B", "C"])
    assert "question_significant" not in out
    assert not any("question_p" in e for e in out["edges"]["positive"])
    with pytest.raises(ValueError, match="together"):
        cliques(pgf(correct.mean(-1), correct0.mean(-1)), ["A", "B", "C"], correct=correct)


TASKS = ("Counting", "Jigsaw", "Art_Style")


def _study(fixed):
    """Predictions and the ModelRuns a results table of the same answers reads into."""
    correct, correct0 = _answers(fixed)
    records = [
        Prediction("m", "seed_0", source, t, f"q{k}", "(A)", "(A)" if ok else "(B)", bool(ok))
        for source, rows in [("zero-shot", correct0[0])]
        + [(s, correct[0, k]) for k, s in enumerate(TASKS)]
        for t, oks in zip(TASKS, rows, strict=True)
        for k, ok in enumerate(oks)
    ]
    acc, acc0 = correct.mean(axis=-1), correct0.mean(axis=-1)
    model = ModelRuns("m", TASKS, ("seed_0",), pgf(acc, acc0), "t.csv", acc=acc, acc0=acc0)
    return model, records


def _entry(result):
    return Analysis.from_json(json.loads(json.dumps(result))).models["m"]


def test_the_unit_reads_predictions_and_says_which_test_ran():
    model, records = _study([[0, 6, 7], [5, 0, 7], [7, 7, 0]])
    result = analyze([model], predictions={"m": records})
    found = result["models"]["m"]["cliques"]
    assert found["question_significant"]["positive"] == [True]
    lines = unit.model_findings("m", _entry(result), None)
    assert "McNemar" in lines[0] and "1 significant across questions)" in lines[0]
    assert "significant across questions" in lines[0]
    html = unit.model_section("m", _entry(result), None, "m").html
    assert "p, questions" in html
    # Without predictions: no fields, and the summary says what the test needs.
    plain = analyze([model])
    assert "question_significant" not in plain["models"]["m"]["cliques"]
    lines = unit.model_findings("m", _entry(plain), None)
    assert "needs per-question predictions" in lines[0]
    assert "p, questions" not in unit.model_section("m", _entry(plain), None, "m").html


def test_predictions_that_do_not_match_give_no_question_test():
    model, records = _study([[0, 6, 7], [5, 0, 7], [7, 7, 0]])
    records = [
        Prediction(**{**p.to_json(), "predicted": "(A)", "correct": True}) if p.idx == "q9" else p
        for p in records
    ]
    result = analyze([model], predictions={"m": records})
    found = result["models"]["m"]["cliques"]
    assert "question_significant" not in found
    assert "do not match" in found["question_skipped"]
    assert "do not match" in unit.model_findings("m", _entry(result), None)[0]

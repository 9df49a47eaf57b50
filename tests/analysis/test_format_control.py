"""Format-controlled accuracy and PGF against hand-computed tables."""

import json

import numpy as np

from tasktransfer.analysis.analyze import analyze
from tasktransfer.analysis.format_control import (
    controlled_accuracy,
    controlled_predictions,
    letter_log_softmax,
    letter_prior,
)
from tasktransfer.analysis.metrics import pgf
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts import Prediction
from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units import format_control as unit

# Four questions of two letters; p(A) per question and the gold letters.
P_A = np.array([0.9, 0.6, 0.7, 0.2])
GOLD = ["(A)", "(B)", "(B)", "(B)"]
TASKS = ("Counting", "Jigsaw", "Art_Style")
SHIFT = 3.0  # the finetune adds this to every (B) score: a letter-prior shift only


def test_hand_worked_two_letter_example():
    # Log-odds A - B: ln 9 = 2.197, ln 1.5 = 0.405, ln 7/3 = 0.847, ln 1/4 = -1.386; their
    # mean is 0.516, so the controlled answer is A exactly where the log-odds exceed it.
    scores = np.log(np.stack([P_A, 1 - P_A], axis=-1))
    assert np.allclose(np.exp(letter_log_softmax(scores)), np.stack([P_A, 1 - P_A], -1))
    prior = letter_prior(scores)
    assert np.allclose(prior, np.log(np.stack([P_A, 1 - P_A], -1)).mean(axis=0))
    assert controlled_predictions(scores).tolist() == [0, 1, 0, 1]
    # Raw answers A, A, A, B get 2 of 4 right; the controlled ones A, B, A, B get 3.
    assert float(controlled_accuracy(scores, [0, 1, 1, 1])) == 0.75


def test_ties_go_to_the_first_letter_and_padding_is_left_out():
    scores = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    assert controlled_predictions(scores).tolist() == [0, 0, -1]
    assert float(controlled_accuracy(scores, [0, 1, -1])) == 0.5
    # A letter one question does not offer: its prior is over the questions offering it.
    partial = np.log(np.array([[0.5, 0.5, np.nan], [0.2, 0.3, 0.5]]))
    assert np.isclose(letter_prior(letter_log_softmax(partial))[2], np.log(0.5))


def test_a_letter_prior_shift_leaves_the_controlled_answers_unchanged():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(3, 50, 4))
    shifted = scores + rng.normal(size=(3, 1, 4)) * 5  # one constant per state and letter
    assert (controlled_predictions(scores) == controlled_predictions(shifted)).all()
    answer = rng.integers(0, 4, size=(3, 50))
    states = controlled_accuracy(scores, answer)
    one_by_one = [float(controlled_accuracy(scores[k], answer[k])) for k in range(3)]
    assert np.allclose(states, one_by_one)


def _records(shift=SHIFT, scored=True):
    """A zero-shot model and three finetunes whose only change is a letter-prior shift."""
    base = np.log(np.stack([P_A, 1 - P_A], axis=-1))
    records, correct = [], {}
    for source in ("zero-shot", *TASKS):
        scores = base + (0 if source == "zero-shot" else np.array([0.0, shift]))
        for target in TASKS:
            for k, (row, gold) in enumerate(zip(scores, GOLD, strict=True)):
                predicted = "(A)" if row[0] >= row[1] else "(B)"
                correct.setdefault((source, target), []).append(predicted == gold)
                found = {"(A)": float(row[0]), "(B)": float(row[1])} if scored else {}
                records.append(
                    Prediction(
                        "m", "seed_0", source, target, f"q{k}", gold, predicted,
                        predicted == gold, scores=found,
                    )
                )  # fmt: skip
    acc0 = np.array([[np.mean(correct["zero-shot", t]) for t in TASKS]])
    acc = np.array([[[np.mean(correct[s, t]) for t in TASKS] for s in TASKS]])
    model = ModelRuns("m", TASKS, ("seed_0",), pgf(acc, acc0), "t.csv", acc=acc, acc0=acc0)
    return model, records


def _entry(result):
    return Analysis.from_json(json.loads(json.dumps(result))).models["m"]


def test_a_letter_prior_shift_gets_controlled_pgf_zero_end_to_end():
    model, records = _records()
    # Raw: zero-shot 2/4 right, the shifted finetune answers B everywhere, 3/4: PGF 0.5.
    assert np.allclose(model.pgf, 0.5)
    result = analyze([model], predictions={"m": records})
    found = result["models"]["m"]
    assert found["pgf_mean_controlled"] == [[0.0] * 3] * 3
    assert found["prior_explained"] == [[0.5] * 3] * 3
    assert np.isnan(found["pgf_std_controlled"]).all()  # one run: undefined, as raw
    assert all(v == 0.0 for t in TASKS for v in found["transferability_controlled"][t].values())
    assert found["cliques"]["positive"] == [list(TASKS)]
    assert found["cliques_controlled"]["positive"] == []
    summary = found["format_control"]["summary"]
    assert summary["mean_pgf"] == 0.5 and summary["mean_pgf_controlled"] == 0.0
    assert summary["mean_abs_prior_explained"] == 0.5
    entry = _entry(result)
    assert len(unit.lost_edges(entry, 0.25)) == 6
    assert unit.lost_cliques(entry)["positive"] == [list(TASKS)]
    line, noise = unit.model_findings("m", entry, None)
    assert "Not measurable with 1 run" in noise
    assert "6 of 6 graph edges" in line and "do not survive the control" in line
    assert "{Counting, Jigsaw, Art_Style}" in line


def test_a_real_change_survives_the_control():
    # The finetunes move questions 1 and 2 of every target alone to a log-odds of -3 (not a
    # shift of a whole letter): log-odds 2.197, -3, -3, -1.386, mean -1.297, so the
    # controlled answers are A, B, B, B, all right, as are the raw ones.
    model, records = _records(shift=0.0)
    moved = [
        Prediction(**{**p.to_json(), "scores": {"(A)": -3.0, "(B)": 0.0},
                      "predicted": "(B)", "correct": True})
        if p.source != "zero-shot" and p.idx in ("q1", "q2") else p
        for p in records
    ]  # fmt: skip
    acc = model.acc.copy()
    acc[:] = 1.0
    model = ModelRuns("m", TASKS, ("seed_0",), pgf(acc, model.acc0), "t.csv", acc, model.acc0)
    result = analyze([model], predictions={"m": moved})
    found = result["models"]["m"]
    # Controlled zero-shot 3/4 (above), finetunes 4/4: PGF 1, as the raw (2/4 -> 4/4).
    assert found["pgf_mean"] == [[1.0] * 3] * 3
    assert found["pgf_mean_controlled"] == [[1.0] * 3] * 3
    assert found["prior_explained"] == [[0.0] * 3] * 3
    entry = _entry(result)
    assert unit.lost_edges(entry, 0.25) == []
    assert "Every one of the 6 graph edges survives" in unit.model_findings("m", entry, None)[0]


def test_generation_mode_and_tables_say_what_the_control_needs():
    model, records = _records(scored=False)
    result = analyze([model], predictions={"m": records})
    assert "generation mode" in result["models"]["m"]["format_control"]["skipped"]
    assert "pgf_mean_controlled" not in result["models"]["m"]
    assert "generation mode" in unit.model_findings("m", _entry(result), None)[0]
    plain = analyze([model])
    assert "format_control" not in plain["models"]["m"]
    assert "needs per-question option scores" in unit.model_findings("m", _entry(plain), None)[0]

"""Persona tests: the run-level sign-flip test and the paper's Wilcoxon, by hand and by
enumeration; ties, zero differences and the Benjamini-Hochberg q-values."""

import itertools
import math

import numpy as np
import pytest

from tasktransfer.analysis import PERSONAS, personas, pooled_personas, signed_rank_test
from tasktransfer.analysis.personas import fdr, sign_flip_test
from tasktransfer.errors import InputError


def test_all_positive_distinct_differences_give_the_exact_p():
    # Under H0 each sign is a coin flip: P(all 6 positive) = 2**-6.
    stat, p = signed_rank_test([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], alternative="greater")
    assert stat == 21.0 and p == pytest.approx(2**-6)
    assert signed_rank_test([0.1, 0.2, 0.3], alternative="less")[1] == pytest.approx(1.0)


def test_ties_in_a_small_sample_use_the_exhaustive_sign_flip_distribution():
    # Six equal differences: every one of the 2**6 sign patterns is equally likely under H0,
    # and only "all positive" reaches T+ = 21.
    stat, p = signed_rank_test([1.0] * 6, alternative="greater")
    assert stat == 21.0 and p == pytest.approx(2**-6)


def test_ties_in_a_larger_sample_use_the_tie_corrected_normal_approximation():
    stat, p = signed_rank_test([1.0] * 14, alternative="greater")
    # Ranks all 7.5: T+ = 105, E = n(n+1)/4 = 52.5,
    # Var = n(n+1)(2n+1)/24 - sum(t^3 - t)/48 = 253.75 - 2730/48.
    z = (105 - 52.5) / math.sqrt(253.75 - 2730 / 48)
    assert stat == 105.0
    assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-9)


def test_zero_differences_are_kept_and_split_which_weakens_the_evidence():
    positives = [0.1 * k for k in range(1, 11)]
    _, p_without = signed_rank_test(positives, alternative="greater")
    stat, p_with = signed_rank_test([0.0] * 4 + positives, alternative="greater")
    assert p_without == pytest.approx(2**-10)
    # Zeros take ranks 1..4 (2.5 each), half of them counted as positive: T+ = 95 + 5.
    z = (100 - 52.5) / math.sqrt(253.75 - (4**3 - 4) / 48)
    assert stat == 100.0
    assert p_with == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert p_with > p_without
    assert signed_rank_test([0.0] * 5, alternative="greater")[1] == 1.0
    assert math.isnan(signed_rank_test([np.nan], alternative="greater")[1])


def _metrics(values):
    return {metric: np.asarray(values, dtype=float) for metric, _ in PERSONAS.values()}


def test_the_paper_option_pairs_each_task_with_every_other_task_and_run():
    # 3 runs x 4 tasks; task A is the largest in every run.
    values = [[4.0, 1.0, 2.0, 3.0], [5.0, 2.0, 1.0, 3.0], [6.0, 3.0, 2.0, 1.0]]
    out = personas(_metrics(values), ["A", "B", "C", "D"], alpha=0.05, test="paper")
    # A: 9 positive differences (3, 2, 1, 3, 4, 2, 3, 4, 5), with ties -> approximation;
    # recompute the same statistic independently.
    diffs = [values[r][0] - values[r][k] for r in range(3) for k in (1, 2, 3)]
    expected = signed_rank_test(diffs, alternative="greater")
    assert out["tests"]["A"]["donor_p"] == pytest.approx(expected[1])
    assert out["tests"]["A"]["donor_stat"] == 45.0  # all 9 ranks positive: 9*10/2
    assert out["donor"] == ["A"] and out["sponge"] == ["A"]
    # "More negative" tests are the other tail: A is the least negative, never a pirate.
    assert "A" not in out["pirate"] and out["tests"]["A"]["pirate_p"] > 0.5
    for task in "ABCD":
        keys = ("stat", "p", "q", "n")
        assert set(out["tests"][task]) == {f"{p}_{k}" for p in PERSONAS for k in keys}
    # Nine differences treated as independent, from three runs.
    assert out["tests"]["A"]["donor_n"] == 9 and out["n_units"] == 3 and out["test"] == "paper"


def test_a_task_with_only_zero_metrics_among_zeros_is_no_persona():
    out = personas(_metrics(np.zeros((4, 3))), ["A", "B", "C"])
    assert out["donor"] == [] and out["tests"]["A"]["donor_p"] == 1.0


def test_pooled_personas_compare_with_the_mean_of_the_other_tasks():
    one = [[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]
    two = [[5.0, 1.0, 1.5], [2.0, 2.0, 2.0]]
    out = pooled_personas([_metrics(one), _metrics(two)], ["A", "B", "C"], alpha=0.2)
    # A minus mean(others) per (model, run): 1.5, 1.5, 3.75, 0.0
    expected = signed_rank_test([1.5, 1.5, 3.75, 0.0], alternative="greater")
    assert out["tests"]["A"]["donor_p"] == pytest.approx(expected[1])
    assert out["alpha"] == 0.2


def test_alpha_outside_the_unit_interval_is_refused():
    with pytest.raises(InputError, match=r"alpha must be a float in \(0, 1\); got 1.5"):
        personas(_metrics([[1.0, 2.0]]), ["A", "B"], alpha=1.5)


def _enumerated(values, alternative):
    """The sign-flip p-value by listing every sign pattern (a second path to the same p)."""
    d = [v for v in values if math.isfinite(v)]
    side = 1 if alternative == "greater" else -1
    observed = side * sum(d)
    patterns = list(itertools.product((1, -1), repeat=len(d)))
    hits = sum(
        side * sum(s * abs(v) for s, v in zip(signs, d, strict=True)) >= observed - 1e-12
        for signs in patterns
    )
    return hits / len(patterns)


@pytest.mark.parametrize(
    "values",
    [[0.3, -0.1, 0.25, 0.4], [1.0, 1.0, -1.0], [0.2, 0.0, -0.05, 0.0, 0.1], [-0.3, np.nan, -0.2]],
)
@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_sign_flip_p_values_equal_the_listing_of_every_sign_pattern(values, alternative):
    stat, p = sign_flip_test(values, alternative=alternative)
    assert p == pytest.approx(_enumerated(values, alternative), abs=1e-15)
    assert stat == pytest.approx(np.nanmean(values))


def test_sign_flip_by_hand_and_its_floor_of_two_to_the_minus_runs():
    # 0.3, -0.1, 0.25, 0.4 sum to 0.85; of the 16 patterns, those reaching 0.85 are the
    # observed one and (+, +, +, +) = 1.05: p = 2/16.
    assert sign_flip_test([0.3, -0.1, 0.25, 0.4], alternative="greater")[1] == 2 / 16
    # All of R runs on one side: p = 2**-R, the smallest a sign-flip test can give.
    for runs in (1, 4, 5, 8):
        assert sign_flip_test([0.1] * runs, alternative="greater")[1] == 2.0**-runs
        assert sign_flip_test([0.1] * runs, alternative="less")[1] == 1.0
    assert sign_flip_test([0.0, 0.0, 0.0, 0.0], alternative="greater") == (0.0, 1.0)
    assert all(math.isnan(x) for x in sign_flip_test([np.nan], alternative="greater"))


def test_run_level_personas_enumerate_every_sign_pattern_on_three_tasks():
    values = np.array([[3.0, 1.0, 2.0], [4.0, 2.0, 0.0], [1.0, 2.0, 3.0]])
    out = personas(_metrics(values), ["A", "B", "C"], alpha=0.2)
    # A minus the mean of B and C per run: 1.5, 3, -1.5; of the 8 patterns of (1.5, 3, 1.5),
    # the sums reaching 3 are (+ + +) 6, (+ + -) 3, (- + +) 3: p = 3/8.
    assert out["tests"]["A"]["donor_stat"] == pytest.approx(1.0)
    assert out["tests"]["A"]["donor_p"] == 3 / 8
    assert out["tests"]["A"]["donor_n"] == 3 and out["n_units"] == 3 and out["test"] == "run"
    # C: 0, -3, 1.5 (sum -1.5); the zero flips to itself, and of the patterns of (3, 1.5)
    # (-, -) -4.5 and (-, +) -1.5 reach the lower tail: 2 of 4, p = 1/2.
    assert out["tests"]["C"]["pirate_p"] == 1 / 2
    for task in "ABC":
        for persona, (_, alternative) in PERSONAS.items():
            d = [
                values[r, "ABC".index(task)] - np.delete(values[r], "ABC".index(task)).mean()
                for r in range(3)
            ]
            assert out["tests"][task][f"{persona}_p"] == _enumerated(d, alternative)


def test_four_runs_cannot_make_a_persona_where_the_paper_test_finds_one():
    # Task A is the largest in every one of 4 runs, by a wide margin.
    values = np.array([[9.0, 1.0, 2.0, 3.0]] * 4) + np.arange(4)[:, None] * 0.1
    run = personas(_metrics(values), list("ABCD"))
    paper = personas(_metrics(values), list("ABCD"), test="paper")
    assert run["tests"]["A"]["donor_p"] == 1 / 16 and run["donor"] == []
    assert paper["donor"] == ["A"] and paper["tests"]["A"]["donor_p"] < 1e-3
    assert run["n_units"] == paper["n_units"] == 4
    assert paper["tests"]["A"]["donor_n"] == 12 and run["tests"]["A"]["donor_n"] == 4
    # Five runs reach 1/32 < 0.05.
    five = np.vstack([values, values[:1]])
    assert personas(_metrics(five), list("ABCD"))["donor"] == ["A"]


def test_q_values_are_benjamini_hochberg_over_the_tasks_of_one_persona():
    # By hand, sorted p 0.01, 0.04, 0.03 -> 0.01, 0.03, 0.04 of 4 (one NaN left out, n = 3):
    # q(k) = min over j >= k of p(j) * 3 / j: 0.03, 0.045, 0.04 -> 0.03, 0.04, 0.04.
    q = fdr([0.01, 0.04, np.nan, 0.03])
    assert q[[0, 1, 3]] == pytest.approx([0.03, 0.04, 0.04]) and math.isnan(q[2])
    values = np.array([[3.0, 1.0, 2.0], [4.0, 2.0, 0.0], [1.0, 2.0, 3.0]])
    out = personas(_metrics(values), ["A", "B", "C"])
    for persona in PERSONAS:
        p = [out["tests"][t][f"{persona}_p"] for t in "ABC"]
        q = [out["tests"][t][f"{persona}_q"] for t in "ABC"]
        assert q == pytest.approx(list(fdr(p))) and all(b >= a for a, b in zip(p, q, strict=True))


def test_pooled_personas_report_their_units_and_q_values():
    one = [[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]
    out = pooled_personas([_metrics(one)] * 3, ["A", "B", "C"], alpha=0.05)
    assert out["n_units"] == 6 and out["test"] == "pooled"
    assert out["tests"]["A"]["donor_q"] == pytest.approx(
        fdr([out["tests"][t]["donor_p"] for t in "ABC"])[0]
    )


def test_an_unknown_persona_test_is_refused():
    with pytest.raises(InputError, match="persona test must be one of run, paper; got 'mixed'"):
        personas(_metrics([[1.0, 2.0]]), ["A", "B"], test="mixed")

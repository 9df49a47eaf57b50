"""Persona tests: the Wilcoxon statistic and p-values by hand, ties and zero differences."""

import math

import numpy as np
import pytest

from tasktransfer.analysis import PERSONAS, personas, pooled_personas, signed_rank_test
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


def test_per_model_personas_pair_each_task_with_every_other_task_and_run():
    # 3 runs x 4 tasks; task A is the largest in every run.
    values = [[4.0, 1.0, 2.0, 3.0], [5.0, 2.0, 1.0, 3.0], [6.0, 3.0, 2.0, 1.0]]
    out = personas(_metrics(values), ["A", "B", "C", "D"], alpha=0.05)
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
        assert set(out["tests"][task]) == {f"{p}_{k}" for p in PERSONAS for k in ("stat", "p")}


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

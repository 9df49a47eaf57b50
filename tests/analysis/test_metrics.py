"""PGF, run aggregates and transferability against values computed by hand."""

import math

import numpy as np
import pytest

from tasktransfer.analysis import UndefinedPGFWarning, mean_std, pgf, transferability


def test_pgf_is_the_share_of_the_gap_closed():
    acc = np.array([[[0.8, 0.4], [0.6, 0.9]]])
    acc0 = np.array([[0.6, 0.5]])
    # (0.8-0.6)/(1-0.6)=0.5, (0.4-0.5)/0.5=-0.2, (0.6-0.6)/0.4=0, (0.9-0.5)/0.5=0.8
    np.testing.assert_allclose(pgf(acc, acc0), [[[0.5, -0.2], [0.0, 0.8]]], atol=1e-15)


def test_pgf_uses_each_runs_own_baseline_and_the_per_task_ceiling():
    acc = np.array([[[0.7]], [[0.7]]])
    acc0 = np.array([[0.5], [0.6]])
    np.testing.assert_allclose(pgf(acc, acc0), [[[0.4]], [[0.25]]])
    np.testing.assert_allclose(pgf(acc, acc0, ceiling=[0.9]), [[[0.5]], [[1 / 3]]])


def test_pgf_at_the_ceiling_is_nan_with_a_typed_warning_and_no_epsilon():
    acc = np.array([[[1.0, 0.9], [0.95, 0.5]]])
    acc0 = np.array([[1.0, 0.4]])
    with pytest.warns(UndefinedPGFWarning, match=r"run 0, target 0"):
        out = pgf(acc, acc0)
    assert np.isnan(out[0, :, 0]).all()
    np.testing.assert_allclose(out[0, :, 1], [0.5 / 0.6, 0.1 / 0.6])


def test_mean_and_std_leave_nan_out():
    runs = np.array([[[1.0, np.nan]], [[3.0, np.nan]], [[np.nan, np.nan]]])
    mean, std = mean_std(runs)
    assert mean[0, 0] == 2.0 and np.isnan(mean[0, 1])
    assert std[0, 0] == pytest.approx(math.sqrt(2.0))  # sample std of (1, 3)
    assert np.isnan(std[0, 1])


def _breadth(values, n):
    """The DESIGN.md formula written out for a list of entries."""
    pos = [v for v in values if v > 0]
    neg = [v for v in values if v < 0]
    term = lambda xs: (1 - math.exp(-len(xs) / n)) / len(xs) * sum(xs) if xs else 0.0  # noqa: E731
    return term(pos), term(neg)


def test_transferability_by_hand_including_a_run_with_no_positive_entry():
    run0 = [[0.9, 0.4, -0.2], [0.3, 0.8, 0.1], [-0.5, np.nan, 0.7]]  # NaN: at the ceiling
    run1 = [[0.9, -0.4, -0.2], [-0.3, 0.8, -0.1], [-0.5, -0.6, 0.7]]  # no positive entry
    out = transferability(np.array([run0, run1]))
    # Off-diagonal, N = 3 - 1 = 2. Run 0, source 0: positive {0.4}, negative {-0.2}.
    e = 1 - math.exp(-1 / 2)
    assert out["delta_pos"][0, 0] == pytest.approx(e * 0.4)
    assert out["delta_neg"][0, 0] == pytest.approx(e * -0.2)
    # Run 0, source 1: two positives 0.3, 0.1.
    assert out["delta_pos"][0, 1] == pytest.approx((1 - math.exp(-1)) / 2 * 0.4)
    assert out["delta_neg"][0, 1] == 0.0
    # Run 0, source 2: the NaN is neither positive nor negative.
    assert out["delta_pos"][0, 2] == 0.0
    assert out["delta_neg"][0, 2] == pytest.approx(e * -0.5)
    # Run 1 has no positive entry at all: every plus-term is exactly 0.
    assert (out["delta_pos"][1] == 0).all() and (out["theta_pos"][1] == 0).all()
    # Theta down the columns: run 1, target 0 receives -0.3 and -0.5.
    assert out["theta_neg"][1, 0] == pytest.approx((1 - math.exp(-1)) / 2 * -0.8)
    for r, run in enumerate((run0, run1)):
        for i in range(3):
            row = [run[i][j] for j in range(3) if j != i and not math.isnan(run[i][j])]
            col = [run[j][i] for j in range(3) if j != i and not math.isnan(run[j][i])]
            assert (out["delta_pos"][r, i], out["delta_neg"][r, i]) == pytest.approx(
                _breadth(row, 2)
            )
            assert (out["theta_pos"][r, i], out["theta_neg"][r, i]) == pytest.approx(
                _breadth(col, 2)
            )


def test_transferability_can_include_the_diagonal():
    run = np.array([[[0.9, 0.4], [-0.3, 0.8]]])
    out = transferability(run, include_diagonal=True)
    # N = 2; source 0 has positives 0.9 and 0.4.
    assert out["delta_pos"][0, 0] == pytest.approx((1 - math.exp(-1)) / 2 * 1.3)
    off = transferability(run)
    assert off["delta_pos"][0, 0] == pytest.approx((1 - math.exp(-1)) * 0.4)  # N = 1


def test_a_task_never_finetuned_on_has_nan_transferability_but_a_malleability():
    run = np.full((1, 3, 3), np.nan)
    run[0, 0] = [0.5, 0.2, -0.1]
    run[0, 1] = [0.3, 0.5, 0.4]
    out = transferability(run)
    assert np.isnan(out["delta_pos"][0, 2])
    assert out["theta_pos"][0, 2] == pytest.approx((1 - math.exp(-1 / 2)) * 0.4)  # only 0.4 > 0

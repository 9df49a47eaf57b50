"""The strict number parser and mean relative accuracy, against values worked out by hand."""

import math

import pytest

from tasktransfer.scoring import MRA_THRESHOLDS, mean_relative_accuracy, parse_number

GOOD = [
    # (generated text, the number it gives)
    ("3", 3.0),
    ("  3\n", 3.0),
    ("3.", 3.0),
    ("2.45", 2.45),
    ("-2", -2.0),
    ("+4", 4.0),
    (".5", 0.5),
    ("4.", 4.0),
    ("007", 7.0),
    ("**12**", 12.0),
    ('"1.5"', 1.5),
    ("`8`.", 8.0),
]

BAD = [
    "",
    ".",
    "three",
    "3 meters",
    "2.5m",
    "about 3",
    "3 or 4",
    "3-4",
    "1,200",
    "1e3",
    "1_000",
    "inf",
    "nan",
    "-",
    "3/4",
    "4..",
    "3\n4",
    "(A)",
    "The answer is 3.",
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_reads_plain_numbers(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", BAD)
def test_anything_but_one_plain_number_is_unparsed(text):
    assert parse_number(text) is None


def test_the_thresholds_are_the_ten_of_vsi_bench():
    assert MRA_THRESHOLDS == pytest.approx([0.5 + 0.05 * i for i in range(10)])
    assert len(MRA_THRESHOLDS) == 10


# By hand: the relative error r = |pred - gt| / |gt| is compared with 1 - θ, i.e. with
# 0.50, 0.45, ..., 0.05; the score is how many of those r is below, over 10.


def _by_definition(pred, gt):
    """An independent path: the definition with floats, away from any boundary."""
    error = abs(pred - gt) / abs(gt)
    return sum(error < 1 - theta for theta in MRA_THRESHOLDS) / len(MRA_THRESHOLDS)


def test_mra_against_hand_values():
    assert mean_relative_accuracy(10, 10) == 1.0
    assert mean_relative_accuracy(11.2, 10) == pytest.approx(0.8)
    assert mean_relative_accuracy(8.8, 10) == pytest.approx(0.8)
    assert mean_relative_accuracy(10.4, 10) == 1.0
    assert mean_relative_accuracy(13, 10) == pytest.approx(0.4)
    assert mean_relative_accuracy(100, 10) == 0.0
    assert mean_relative_accuracy(-10, 10) == 0.0
    # 0.45 / 2.45 = 0.184: below 0.50, 0.45, ..., 0.20 (seven of them).
    assert mean_relative_accuracy(2.0, 2.45) == pytest.approx(0.7)
    # A negative ground truth is measured against |gt|: 0.3 / 10 = 0.03, below all ten.
    assert mean_relative_accuracy(-9.7, -10) == 1.0


def test_mra_on_exact_boundaries_is_strict():
    """Whole numbers land exactly on thresholds; ``<`` leaves the boundary out."""
    assert mean_relative_accuracy(3, 2) == 0.0  # 50 % off: not below 0.50
    assert mean_relative_accuracy(1, 2) == 0.0
    assert mean_relative_accuracy(5, 4) == pytest.approx(0.5)  # 25 %: 0.50..0.30
    assert mean_relative_accuracy(4, 5) == pytest.approx(0.6)  # 20 %: 0.50..0.25
    assert mean_relative_accuracy(21, 20) == pytest.approx(0.9)  # 5 %: all but 0.05
    # 9 / 20 = 0.45 exactly: with float thresholds 1 - 0.55 = 0.4499999999999999556
    # would count it as below; in twentieths it is on the boundary and is not.
    assert mean_relative_accuracy(29, 20) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("pred", "gt"), [(1.7, 3.1), (0.33, 0.3), (250.0, 180.0), (7.0, 6.0), (0.0, 2.2)]
)
def test_mra_agrees_with_the_definition_away_from_boundaries(pred, gt):
    assert mean_relative_accuracy(pred, gt) == pytest.approx(_by_definition(pred, gt))


def test_an_unparsed_prediction_scores_zero():
    assert mean_relative_accuracy(None, 4) == 0.0
    assert mean_relative_accuracy(math.nan, 4) == 0.0


@pytest.mark.parametrize("gt", [0, 0.0, math.inf, math.nan])
def test_a_ground_truth_without_relative_error_is_refused(gt):
    with pytest.raises(ValueError, match="non-zero ground truth"):
        mean_relative_accuracy(1.0, gt)

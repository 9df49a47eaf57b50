"""Selection rules on hand-made PGF matrices, the MILP against brute force, a published table.

Expected mixtures are worked out by hand in the comments; the optimiser is compared with an
exhaustive search that re-implements the gain model in plain Python.
"""

import csv
import itertools
import math
from collections import defaultdict

import numpy as np
import pytest

from tasktransfer.analysis import read_inputs
from tasktransfer.analysis.selection import (
    apportion,
    optimal_counts,
    predicted_gain,
    select_sources,
)
from tasktransfer.errors import InputError

TASKS = ["A", "B", "C", "D", "T"]


def matrix(column, n_runs=1, spread=0.0):
    """PGF runs where source i -> target T is ``column[i]`` (+/- spread per run), else 0."""
    runs = np.zeros((n_runs, len(TASKS), len(TASKS)))
    for r in range(n_runs):
        runs[r, :, TASKS.index("T")] = np.asarray(column) + spread * (r - (n_runs - 1) / 2)
    return runs


# --- apportion -------------------------------------------------------------------------


def test_apportion_largest_remainder_by_hand():
    # Shares 3.5, 2.1, 1.4: floors 3, 2, 1 leave 1, which goes to the largest remainder 0.5.
    assert apportion([0.5, 0.3, 0.2], 7).tolist() == [4, 2, 1]


def test_apportion_equal_remainders_go_to_the_lower_index():
    assert apportion([1, 1, 1, 1], 6).tolist() == [2, 2, 1, 1]
    assert apportion([0, 1, 1], 1).tolist() == [0, 1, 0]


def test_apportion_caps_redistribute_and_bound_the_total():
    # 9 split 2:1 is 6 and 3; the cap of 4 moves 2 to the other entry.
    assert apportion([2, 1], 9, caps=[4, 100]).tolist() == [4, 5]
    # Not enough available in total: everything available, no more.
    assert apportion([2, 1, 0], 9, caps=[4, 3, 100]).tolist() == [4, 3, 0]
    assert apportion([0, 0], 5).tolist() == [0, 0]


@pytest.mark.parametrize("seed", range(20))
def test_apportion_sums_to_the_budget_within_one_of_the_share(seed):
    rng = np.random.default_rng(seed)
    weights = rng.random(7) * (rng.random(7) > 0.3)
    budget = int(rng.integers(1, 50))
    counts = apportion(weights, budget)
    if weights.sum() == 0:
        assert counts.sum() == 0
        return
    share = budget * weights / weights.sum()
    assert counts.sum() == budget
    assert np.all(np.abs(counts - share) < 1)


# --- threshold rule ---------------------------------------------------------------------


def test_threshold_rule_shares_in_proportion_to_pgf():
    # A, B, C above 0.1; D below. Shares of 100: 50, 30, 20.
    sel = select_sources(matrix([0.5, 0.3, 0.2, 0.05, 0.9]), TASKS, ["T"], 100, threshold=0.1)
    assert sel.mixture == {"A": 50, "B": 30, "C": 20}
    assert sel.targets == ("T",)
    assert sel.scores["D"] == pytest.approx(0.05)
    assert "T" not in sel.scores  # the target's own data is not a candidate
    assert sel.predicted_gain == pytest.approx(0.5 * 0.5 + 0.3 * 0.3 + 0.2 * 0.2)
    assert sel.notes == ()


def test_target_data_only_when_asked():
    sel = select_sources(matrix([0.2, 0, 0, 0, 0.6]), TASKS, ["T"], 80, include_target=True)
    assert sel.mixture == {"A": 20, "T": 60}


def test_threshold_tie_goes_to_the_earlier_task():
    sel = select_sources(matrix([0.0, 0.4, 0.4, 0.0, 0.9]), TASKS, ["T"], 1)
    assert sel.mixture == {"B": 1}
    assert any("too small" in n and "C" in n for n in sel.notes)


def test_budget_smaller_than_the_sources_favours_the_larger_shares():
    # Shares of 2: 0.8, 0.6, 0.4, 0.2 -> floors 0; the two largest remainders get one each.
    sel = select_sources(matrix([0.4, 0.3, 0.2, 0.1, 0.0]), TASKS, ["T"], 2)
    assert sel.mixture == {"A": 1, "B": 1}
    assert sum(sel.mixture.values()) == 2
    assert any("left without: C, D" in n for n in sel.notes)


@pytest.mark.parametrize("rule", ["threshold", "topk", "optimal"])
def test_all_negative_column_recommends_nothing_and_says_so(rule):
    sel = select_sources(matrix([-0.1, -0.3, 0.0, -0.2, 0.8]), TASKS, ["T"], 50, rule=rule)
    assert sel.mixture == {}
    assert sel.evidence == ()
    assert sel.predicted_gain == 0.0
    assert any("no available source has a positive mean PGF on T" in n for n in sel.notes)
    assert any(n.startswith("nothing recommended") for n in sel.notes)


@pytest.mark.parametrize("rule", ["threshold", "topk", "optimal"])
def test_unavailable_source_is_never_chosen(rule):
    column = [0.9, 0.3, 0.2, 0.0, 0.0]
    sel = select_sources(matrix(column), TASKS, ["T"], 10, rule=rule, k=1, available={"A": 0})
    assert "A" not in sel.mixture and "A" not in sel.scores
    assert sel.mixture.keys() == ({"B"} if rule != "threshold" else {"B", "C"})


def test_limited_availability_moves_the_rest_and_reports_shortfall():
    # 10 in proportion 3:2 would be 6 and 4; B has only 2, so A takes 8... but A has 5.
    sel = select_sources(matrix([0.3, 0.2, 0, 0, 0]), TASKS, ["T"], 10, available={"A": 5, "B": 2})
    assert sel.mixture == {"A": 5, "B": 2}
    assert any("7 of the budget of 10" in n for n in sel.notes)


def test_several_targets_average_the_score():
    runs = np.zeros((1, 5, 5))
    runs[0, :, 3] = [0.6, 0.0, 0.2, 0, 0]  # target D
    runs[0, :, 4] = [-0.2, 0.4, 0.2, 0, 0]  # target T
    sel = select_sources(runs, TASKS, ["D", "T"], 30)
    # Scores: A 0.2, B 0.2, C 0.2 -> equal shares.
    assert sel.mixture == {"A": 10, "B": 10, "C": 10}
    assert [(e.source, e.target) for e in sel.evidence] == [
        (s, t) for s in "ABC" for t in ("D", "T")
    ]


# --- evidence and spread ------------------------------------------------------------------


def test_evidence_spread_and_zero_crossing_warning():
    # Three runs of A -> T: 0.1 - 0.2, 0.1, 0.1 + 0.2.
    sel = select_sources(matrix([0.1, 0, 0, 0, 0], n_runs=3, spread=0.2), TASKS, ["T"], 5)
    (e,) = sel.evidence
    assert (e.source, e.target, e.n_runs) == ("A", "T", 3)
    assert e.mean == pytest.approx(0.1)
    assert e.std == pytest.approx(0.2)  # sample std of -0.1, 0.1, 0.3
    assert (e.min, e.max) == (pytest.approx(-0.1), pytest.approx(0.3))
    assert e.crosses_zero
    assert any("PGF(A -> T)" in n and "crosses zero" in n for n in sel.notes)
    steady = select_sources(matrix([0.5, 0, 0, 0, 0], n_runs=3, spread=0.1), TASKS, ["T"], 5)
    assert not steady.evidence[0].crosses_zero
    assert not any("crosses zero" in n for n in steady.notes)


def test_missing_pgf_leaves_a_source_out():
    runs = matrix([0.5, 0.3, 0, 0, 0], n_runs=2)
    runs[:, 0, 4] = np.nan
    sel = select_sources(runs, TASKS, ["T"], 10)
    assert sel.mixture == {"B": 10}
    assert any("A" in n and "lack of a PGF" in n for n in sel.notes)


# --- top-k --------------------------------------------------------------------------------


def test_topk_equal_split_with_ties_by_task_order():
    sel = select_sources(matrix([0.2, 0.5, 0.2, 0.2, 0]), TASKS, ["T"], 9, rule="topk", k=2)
    # B first by score, A wins the tie with C and D; the odd example goes to the first-ranked.
    assert sel.mixture == {"A": 4, "B": 5}


def test_topk_budget_smaller_than_k_and_too_few_positive():
    sel = select_sources(matrix([0.4, 0.3, 0.2, 0.1, 0]), TASKS, ["T"], 2, rule="topk", k=3)
    assert sel.mixture == {"A": 1, "B": 1}
    assert any("budget is smaller than k" in n for n in sel.notes)
    few = select_sources(matrix([0.4, -0.3, 0, 0, 0]), TASKS, ["T"], 6, rule="topk", k=3)
    assert few.mixture == {"A": 6}
    assert any("1 have a positive score" in n for n in few.notes)


# --- the optimiser --------------------------------------------------------------------------


def brute_force(mean, budget, cap, upper):
    """Best gain over every integer allocation, by the model written out in plain Python."""
    n_sources, n_targets = len(mean), len(mean[0])
    best = -math.inf
    ranges = [range(int(min(cap, u)) + 1) for u in upper]
    for n in itertools.product(*ranges):
        if sum(n) > budget:
            continue
        gain = sum(
            min(1.0, sum(mean[s][t] * n[s] / cap for s in range(n_sources)))
            for t in range(n_targets)
        )
        best = max(best, gain)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_optimal_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    mean = rng.uniform(-0.5, 0.9, size=(4, 2)).round(2)
    upper = rng.choice([0, 1, 2, 3, np.inf], size=4)
    budget, cap = 6, 3
    counts = optimal_counts(mean, budget, cap=cap, upper=upper)
    assert counts.sum() <= budget
    assert np.all(counts <= np.minimum(upper, cap)) and np.all(counts >= 0)
    expected = brute_force(mean.tolist(), budget, cap, upper)
    assert predicted_gain(mean, counts, cap=cap) == pytest.approx(expected, abs=1e-9)


def test_optimal_tie_break_prefers_earlier_tasks_and_fewer_examples():
    # A and B are identical: 4 examples (the cap) of either predict 0.5 on T. Both at the
    # cap reach the ceiling of 1; the last 2 examples of the budget would add nothing.
    sel = select_sources(matrix([0.5, 0.5, 0, 0, 0]), TASKS, ["T"], 10, rule="optimal", cap=4)
    assert sel.mixture == {"A": 4, "B": 4}
    assert sel.predicted_gain == pytest.approx(1.0)
    assert any("8 of the budget of 10" in n and "predicted to add gain" in n for n in sel.notes)
    # Room for one source only: the earlier task wins the tie.
    one = select_sources(matrix([0.5, 0.5, 0, 0, 0]), TASKS, ["T"], 4, rule="optimal", cap=4)
    assert one.mixture == {"A": 4}


def test_optimal_budget_smaller_than_the_sources():
    # Each source saturates after one example (cap 1): the budget of 2 buys the two best.
    column = [0.3, 0.5, 0.1, 0.4, 0.0]
    sel = select_sources(matrix(column), TASKS, ["T"], 2, rule="optimal", cap=1)
    assert sel.mixture == {"B": 1, "D": 1}
    assert sel.predicted_gain == pytest.approx(0.9)
    assert sel.notes == ()


def test_optimal_serves_several_targets():
    runs = np.zeros((1, 5, 5))
    runs[0, :, 3] = [0.9, 0.6, 0.0, 0, 0]  # target D
    runs[0, :, 4] = [0.0, 0.6, 0.5, 0, 0]  # target T
    sel = select_sources(runs, TASKS, ["D", "T"], 4, rule="optimal", cap=2)
    # D saturates at 1 with A 1 + B 2 (0.45 + 0.6); T then gets B 2 + C 1 (0.6 + 0.25).
    assert sel.mixture == {"A": 1, "B": 2, "C": 1}
    assert sel.predicted_gain == pytest.approx(1.85)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": ["X"]}, "target(s) X not in the PGF table"),
        ({"targets": ["T", "T"]}, "listed twice"),
        ({"budget": 0}, "budget must be an integer >= 1"),
        ({"threshold": -0.1}, "threshold must be a non-negative"),
        ({"rule": "best"}, "rule must be one of threshold, topk, optimal"),
        ({"rule": "topk", "k": 0}, "k must be an integer >= 1"),
        ({"available": {"Z": 3}}, "availability given for 'Z'"),
        ({"available": {"A": -1}}, "available examples of A must be an integer >= 0"),
    ],
)
def test_bad_options_are_input_errors(kwargs, message):
    args = {"targets": ["T"], "budget": 10, **kwargs}
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select_sources(matrix([0.1] * 5), TASKS, **args)


def test_target_without_any_pgf_is_an_error():
    runs = matrix([0.1] * 5)
    runs[:, :, 4] = np.nan
    with pytest.raises(InputError, match="no PGF is defined on target T"):
        select_sources(runs, TASKS, ["T"], 10)


# --- a published table ---------------------------------------------------------------------


def test_threshold_rule_on_the_published_7b_table(reference_dir, monkeypatch):
    monkeypatch.setenv("TASKTRANSFER_REFERENCE_DIR", str(reference_dir))
    (model,) = read_inputs(["sachdeva2026:7B"])
    values = defaultdict(list)
    path = (
        reference_dir / "task_transferability_data_perfection_gap_factor_qwen-2.5vl-7B-instruct.csv"
    )
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            values[row["ft_task"], row["task"]].append(float(row["perfection_gap_factor"]))
    threshold = 0.1
    for target in model.tasks:
        expected = {
            source
            for source in model.tasks
            if source != target
            and sum(values[source, target]) / len(values[source, target]) > threshold
        }
        sel = select_sources(model.pgf, model.tasks, [target], 1000, threshold=threshold)
        assert set(sel.mixture) <= expected
        assert set(sel.scores) == set(model.tasks) - {target}
        # With 1000 examples every chosen source gets some, and the counts add up exactly.
        assert set(sel.mixture) == expected, target
        if expected:
            assert sum(sel.mixture.values()) == 1000
            assert all(
                len(values[s, target]) == e.n_runs
                for s in expected
                for e in sel.evidence
                if e.source == s
            )


@pytest.mark.parametrize(
    "targets", [["Relative_Depth"], ["Counting", "Jigsaw"], ["Art_Style", "Jigsaw", "Counting"]]
)
def test_optimal_is_never_beaten_by_the_other_rules_on_the_7b_table(reference_dir, targets):
    (model,) = read_inputs(["sachdeva2026:7B"], reference_dir=reference_dir)
    # The MILP maximises the same predicted gain the other rules are scored by.
    best = select_sources(model.pgf, model.tasks, targets, 1000, rule="optimal", cap=400)
    for rule in ("threshold", "topk"):
        other = select_sources(model.pgf, model.tasks, targets, 1000, rule=rule, cap=400)
        assert best.predicted_gain >= other.predicted_gain - 1e-12, rule

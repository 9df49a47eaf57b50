"""Cliques, the transfer graph, category means and the scale trend on small matrices."""

import numpy as np
import pytest

from tasktransfer.analysis import (
    block_means,
    category_means,
    cliques,
    parse_size,
    scale_trend,
    transfer_graph,
)

TASKS = ["A", "B", "C", "D", "E"]


def _runs():
    """Two runs; {A,B,C} help each other, {C,D,E} hurt each other."""
    runs = np.zeros((2, 5, 5))
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        runs[:, i, j] = runs[:, j, i] = 0.3
    for i, j in [(2, 3), (2, 4), (3, 4)]:
        runs[:, i, j] = runs[:, j, i] = -0.3
    runs[1, 0, 1] = -0.1  # run 1 breaks one direction of A-B; the mean (0.1) stays positive
    return runs


def test_cliques_positive_and_negative_with_run_support():
    out = cliques(_runs(), TASKS)
    assert out["positive"] == [["A", "B", "C"]]
    assert out["negative"] == [["C", "D", "E"]]
    support = {tuple(e["tasks"]): e["support"] for e in out["edges"]["positive"]}
    assert support == {("A", "B"): 0.5, ("A", "C"): 1.0, ("B", "C"): 1.0}
    assert all(e["support"] == 1.0 for e in out["edges"]["negative"])


def test_each_edge_carries_an_exact_sign_test_across_runs():
    out = cliques(_runs(), TASKS)
    by_pair = {tuple(e["tasks"]): e for e in out["edges"]["positive"]}
    # A-B held in 1 of 2 runs: P(Bin(2, 1/2) >= 1) = 3/4; the others 2 of 2: 1/4.
    assert (by_pair["A", "B"]["held"], by_pair["A", "B"]["n_runs"]) == (1, 2)
    assert by_pair["A", "B"]["p"] == 0.75 and by_pair["A", "C"]["p"] == 0.25
    # Two runs can never make an edge significant, so no clique is.
    assert out["significant"] == {"positive": [False], "negative": [False]}
    assert out["alpha"] == 0.05


def test_a_clique_is_significant_when_every_edge_is_and_q_counts_every_pair():
    runs = np.zeros((5, 5, 5))
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        runs[:, i, j] = runs[:, j, i] = 0.3
    out = cliques(runs, TASKS)
    # 5 of 5 runs: p = 2**-5 < 0.05 for each of the three edges.
    assert [e["p"] for e in out["edges"]["positive"]] == [1 / 32] * 3
    assert out["significant"]["positive"] == [True]
    # BH over the 10 pairs of 5 tasks (7 of them held in no run, p = 1): the three smallest
    # share q = (1/32) * 10 / 3, above 0.05 although each p is below it.
    assert [e["q"] for e in out["edges"]["positive"]] == pytest.approx([10 / 96] * 3)
    # One run breaking one direction of A-B leaves 4 of 5: p = 6/32, and the clique falls.
    runs[0, 0, 1] = -0.3
    out = cliques(runs, TASKS)
    assert out["positive"] == [["A", "B", "C"]] and out["significant"]["positive"] == [False]
    assert out["edges"]["positive"][0]["p"] == pytest.approx(6 / 32)


def test_tau_removes_weak_edges_and_breaks_the_clique():
    out = cliques(_runs(), TASKS, tau=0.2)
    assert out["positive"] == []  # A->B averages 0.1 < 0.2
    assert out["negative"] == [["C", "D", "E"]]


def test_transfer_graph_thresholds_the_magnitude_off_the_diagonal():
    mean = np.array([[0.9, 0.25, -0.3], [0.1, 0.9, np.nan], [-0.24, 0.5, 0.9]])
    edges = transfer_graph(mean, ["A", "B", "C"])
    assert [(e["source"], e["target"], e["pgf"]) for e in edges] == [
        ("C", "B", 0.5),
        ("A", "C", -0.3),
        ("A", "B", 0.25),
    ]
    assert transfer_graph(mean, ["A", "B", "C"], threshold=0.6) == []


def test_category_and_block_means_follow_the_registry_labels():
    tasks = ["Relative_Depth", "Relative_Reflectance", "Counting", "Art_Style"]  # low low mid high
    means = category_means({"x": [1.0, 2.0, 4.0, np.nan]}, tasks)
    assert means["low"] == {"tasks": tasks[:2], "x": 1.5}
    assert means["mid"]["x"] == 4.0 and np.isnan(means["high"]["x"])
    mean = np.arange(16.0).reshape(4, 4)
    blocks = block_means(mean, tasks)
    assert blocks["low"]["low"] == 2.5  # (1 + 4) / 2, diagonal left out
    assert blocks["low"]["mid"] == 4.0  # (2 + 6) / 2
    assert blocks["mid"]["high"] == 11.0


def test_model_sizes_are_read_from_labels():
    assert parse_size("qwen-2.5vl-3B-instruct") == 3.0
    assert parse_size("Qwen/Qwen2.5-VL-72B-Instruct") == 72.0
    assert parse_size("llava-1.5-7b-hf") == 7.0
    assert parse_size("SmolVLM-256M") == pytest.approx(0.256)
    assert parse_size("tiny") is None


def test_scale_trend_orders_by_size_and_falls_back_to_input_order():
    s = {"b-32B": {"x": 3.0}, "a-3B": {"x": 1.0}, "c-7B": {"x": 2.0}}
    out = scale_trend(s)
    assert out["order"] == ["a-3B", "c-7B", "b-32B"] and out["ordered_by"] == "size"
    assert out["metrics"]["x"] == {"values": [1.0, 2.0, 3.0], "direction": "increasing"}
    out = scale_trend({"tiny": {"x": 2.0}, "small": {"x": 1.0}})
    assert out["order"] == ["tiny", "small"] and out["ordered_by"] == "input order"
    assert out["metrics"]["x"]["direction"] == "decreasing"
    out = scale_trend({"tiny": {"x": 2.0}, "small": {"x": 1.0}}, sizes={"tiny": 0.01, "small": 1})
    assert out["order"] == ["tiny", "small"] and out["ordered_by"] == "size"

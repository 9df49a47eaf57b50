"""The three published tables of Sachdeva et al. (2026): what DESIGN.md's definitions imply.

Every expected value is recomputed here from the raw CSV rows with plain Python loops,
independently of the numpy code under test.
"""

import csv
import math
from collections import defaultdict

import pytest

from tasktransfer.analysis import analyze, read_inputs
from tasktransfer.report import write_pgf_csv

SIZES = ("3B", "7B", "32B")
PREFIX = "task_transferability_data_perfection_gap_factor_qwen-2.5vl-"


@pytest.fixture(scope="session")
def published(reference_dir):
    """size -> the published rows (run, source, target, pgf), read with the csv module."""
    out = {}
    for size in SIZES:
        with (reference_dir / f"{PREFIX}{size}-instruct.csv").open(newline="") as f:
            rows = csv.DictReader(f)
            out[size] = [
                (r["seed"], r["ft_task"], r["task"], float(r["perfection_gap_factor"]))
                for r in rows
            ]
    return out


@pytest.fixture(scope="module")
def result(reference_dir):
    models = read_inputs([f"sachdeva2026:{s}" for s in SIZES], reference_dir=reference_dir)
    return models, analyze(models)


def _breadth_pos(values, n):
    pos = [v for v in values if v > 0]
    return (1 - math.exp(-len(pos) / n)) / len(pos) * sum(pos) if pos else 0.0


@pytest.mark.parametrize("size", SIZES)
def test_mean_matrix_is_the_per_cell_mean_of_the_four_runs(result, published, size):
    _, analysis = result
    entry = analysis["models"][f"qwen-2.5vl-{size}-instruct"]
    assert entry["runs"] == ["initial", "seed_0", "seed_1", "seed_2"]
    cells = defaultdict(list)
    for _, source, target, value in published[size]:
        cells[source, target].append(value)
    index = {t: k for k, t in enumerate(entry["tasks"])}
    assert len(cells) == 169 and all(len(v) == 4 for v in cells.values())
    for (source, target), values in cells.items():
        mean = sum(values) / 4
        assert entry["pgf_mean"][index[source]][index[target]] == pytest.approx(mean, abs=1e-12)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
        assert entry["pgf_std"][index[source]][index[target]] == pytest.approx(std, abs=1e-12)


@pytest.mark.parametrize("size", SIZES)
def test_each_delta_and_theta_plus_is_the_formula_per_run_then_averaged(result, published, size):
    _, analysis = result
    entry = analysis["models"][f"qwen-2.5vl-{size}-instruct"]
    by_run = defaultdict(dict)
    for run, source, target, value in published[size]:
        by_run[run][source, target] = value
    tasks = entry["tasks"]
    for task in tasks:
        delta = [
            _breadth_pos([m[task, t] for t in tasks if t != task], 12) for m in by_run.values()
        ]
        theta = [
            _breadth_pos([m[s, task] for s in tasks if s != task], 12) for m in by_run.values()
        ]
        got = entry["transferability"][task]
        assert got["delta_pos"] == pytest.approx(sum(delta) / 4, abs=1e-12)
        assert got["theta_pos"] == pytest.approx(sum(theta) / 4, abs=1e-12)


@pytest.mark.parametrize("size", SIZES)
def test_graph_edges_are_the_off_diagonal_cells_at_the_threshold(result, published, size):
    _, analysis = result
    entry = analysis["models"][f"qwen-2.5vl-{size}-instruct"]
    cells = defaultdict(float)
    for _, source, target, value in published[size]:
        cells[source, target] += value / 4
    expected = {k for k, v in cells.items() if k[0] != k[1] and abs(v) >= 0.25}
    got = {(e["source"], e["target"]) for e in entry["graph"]["edges"]}
    assert got == expected and len(got) > 0


@pytest.mark.parametrize("size", SIZES)
def test_clique_edges_are_mutual_signs_of_the_mean(result, published, size):
    _, analysis = result
    entry = analysis["models"][f"qwen-2.5vl-{size}-instruct"]
    cells = defaultdict(float)
    for _, source, target, value in published[size]:
        cells[source, target] += value / 4
    for sign in ("positive", "negative"):
        s = 1 if sign == "positive" else -1
        for clique in entry["cliques"][sign]:
            assert len(clique) >= 3
            for a in clique:
                for b in clique:
                    assert a == b or (s * cells[a, b] > 0 and s * cells[b, a] > 0)


def test_every_task_has_every_persona_statistic_and_p_value(result):
    _, analysis = result
    for entry in analysis["models"].values():
        for task in entry["tasks"]:
            tests = entry["personas"]["tests"][task]
            assert all(0 <= tests[f"{p}_p"] <= 1 for p in ("donor", "pirate", "sponge", "sieve"))
        for persona in ("donor", "pirate", "sponge", "sieve"):
            for task in entry["personas"][persona]:
                assert entry["personas"]["tests"][task][f"{persona}_p"] < 0.05
    pooled = analysis["pooled"]["personas"]
    assert set(pooled["tests"]) == set(analysis["models"]["qwen-2.5vl-3B-instruct"]["tasks"])
    assert all(pooled["tests"][t]["donor_p"] < 0.01 for t in pooled["donor"])


# The paper's per-model lists (its Wilcoxon over 48 (task, run) pairs), most significant first.
PAPER_PERSONAS = {
    "3B": {
        "donor": [
            "Jigsaw",
            "Counting",
            "Semantic_Correspondence",
            "Visual_Similarity",
            "Art_Style",
            "Forensic_Detection",
        ],
        "pirate": [
            "Visual_Correspondence",
            "Spatial_Relation",
            "Object_Localization",
            "Multi-view_Reasoning",
            "Semantic_Correspondence",
            "Functional_Correspondence",
            "Relative_Depth",
        ],
        "sponge": ["Relative_Depth", "Relative_Reflectance", "Visual_Similarity"],
        "sieve": [
            "Spatial_Relation",
            "Art_Style",
            "Forensic_Detection",
            "Visual_Similarity",
            "Counting",
        ],
    },
    "7B": {
        "donor": [
            "Semantic_Correspondence",
            "Visual_Correspondence",
            "Art_Style",
            "Visual_Similarity",
            "Multi-view_Reasoning",
        ],
        "pirate": [
            "Object_Localization",
            "Functional_Correspondence",
            "Counting",
            "Forensic_Detection",
        ],
        "sponge": [
            "Relative_Depth",
            "Art_Style",
            "Jigsaw",
            "Visual_Similarity",
            "Spatial_Relation",
        ],
        "sieve": [
            "Visual_Correspondence",
            "Visual_Similarity",
            "Jigsaw",
            "Semantic_Correspondence",
        ],
    },
    "32B": {
        "donor": [
            "Semantic_Correspondence",
            "Counting",
            "Multi-view_Reasoning",
            "Relative_Depth",
            "Visual_Correspondence",
        ],
        "pirate": ["Jigsaw", "Visual_Similarity", "Relative_Depth", "Visual_Correspondence"],
        "sponge": ["Visual_Similarity", "Art_Style", "Visual_Correspondence", "Relative_Depth"],
        "sieve": [
            "Object_Localization",
            "Forensic_Detection",
            "Multi-view_Reasoning",
            "Semantic_Correspondence",
        ],
    },
}
POOLED = {
    "donor": ["Semantic_Correspondence"],
    "pirate": ["Functional_Correspondence"],
    "sponge": ["Visual_Similarity", "Relative_Depth", "Relative_Reflectance"],
    "sieve": ["Forensic_Detection"],
}


@pytest.mark.parametrize("size", SIZES)
def test_the_paper_option_reproduces_the_papers_per_model_personas(result, size):
    models, _ = result
    analysis = analyze(models, persona_test="paper")
    found = analysis["models"][f"qwen-2.5vl-{size}-instruct"]["personas"]
    assert found["test"] == "paper" and found["n_units"] == 4
    assert {p: found[p] for p in PAPER_PERSONAS[size]} == PAPER_PERSONAS[size]
    # 12 other tasks x 4 runs, treated as independent.
    assert found["tests"]["Counting"]["donor_n"] == 48
    assert {p: analysis["pooled"]["personas"][p] for p in POOLED} == POOLED


@pytest.mark.parametrize("size", SIZES)
def test_the_run_level_default_supports_no_per_model_persona_from_four_runs(result, size):
    _, analysis = result
    found = analysis["models"][f"qwen-2.5vl-{size}-instruct"]["personas"]
    assert found["test"] == "run" and found["n_units"] == 4
    # The smallest one-sided p of a sign-flip test over 4 runs is 2**-4 = 0.0625 > 0.05.
    assert all(found[p] == [] for p in ("donor", "pirate", "sponge", "sieve"))
    assert min(t["donor_p"] for t in found["tests"].values()) == 1 / 16
    assert all(t["donor_q"] >= t["donor_p"] for t in found["tests"].values())


def test_the_pooled_personas_stay_under_either_per_model_test(result):
    _, analysis = result
    pooled = analysis["pooled"]["personas"]
    assert {p: pooled[p] for p in POOLED} == POOLED
    assert pooled["n_units"] == 12  # 3 models x 4 runs


@pytest.mark.parametrize("size", SIZES)
def test_no_clique_edge_is_significant_from_four_runs(result, size):
    _, analysis = result
    found = analysis["models"][f"qwen-2.5vl-{size}-instruct"]["cliques"]
    for sign in ("positive", "negative"):
        assert found["significant"][sign] == [False] * len(found[sign])
        for edge in found["edges"][sign]:
            assert edge["n_runs"] == 4 and edge["support"] == edge["held"] / 4
            assert edge["p"] >= 1 / 16 and edge["q"] >= edge["p"]


def test_scale_orders_the_three_sizes(result):
    _, analysis = result
    assert list(analysis["scale"]) == [f"qwen-2.5vl-{s}-instruct" for s in SIZES]
    assert analysis["scale_trend"]["sizes"] == [3.0, 7.0, 32.0]


@pytest.mark.parametrize("size", SIZES)
def test_export_reproduces_the_published_file_byte_for_byte(result, reference_dir, tmp_path, size):
    models, _ = result
    model = next(m for m in models if size in m.model)
    out = write_pgf_csv(model, tmp_path / "pgf.csv")
    assert out.read_bytes() == (reference_dir / f"{PREFIX}{size}-instruct.csv").read_bytes()


def test_category_trend_follows_the_low_level_means_across_sizes(result):
    _, analysis = result
    low = ("Visual_Correspondence", "Relative_Depth", "Relative_Reflectance")  # the paper's
    expected = []
    for size in SIZES:
        entry = analysis["models"][f"qwen-2.5vl-{size}-instruct"]
        expected.append(sum(entry["transferability"][t]["delta_pos"] for t in low) / 3)
    got = analysis["scale_trend"]["categories"]["level"]["low"]["delta_pos"]["values"]
    assert got == pytest.approx(expected, abs=1e-12)

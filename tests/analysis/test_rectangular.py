"""Rectangular studies: sources x targets, targets beyond the sources (DESIGN.md).

The table: 2 sources (Counting, Jigsaw), 4 targets (those two, Relative_Depth and
Spatial_Relation), 2 runs, 10 questions per target, zero-shot 5 of 10 everywhere, so every
PGF is ``(acc - 0.5) / 0.5 = 2 * acc - 1``. Every expected number below is worked out by
hand from the counts, with the breadth factor written out.
"""

import dataclasses
import math

import numpy as np
import pytest

from tasktransfer.analysis import analyze, read_table, transferability
from tasktransfer.analysis.bootstrap import question_tensors
from tasktransfer.contracts import Prediction
from tasktransfer.contracts.analysis import Analysis, jsonable
from tasktransfer.units import Options
from tasktransfer.units import cliques as cliques_unit

TARGETS = ("Counting", "Jigsaw", "Relative_Depth", "Spatial_Relation")
# n_correct of 10 per run, source and target (TARGETS order).
CORRECT = {
    "seed_0": {"Counting": (9, 6, 7, 4), "Jigsaw": (5, 8, 4, 6)},
    "seed_1": {"Counting": (8, 7, 6, 5), "Jigsaw": (3, 9, 6, 8)},
}


def _grow(k: float) -> float:
    """The breadth factor 1 - exp(-k) (k = p / N)."""
    return 1 - math.exp(-k)


@pytest.fixture
def rect_csv(write_csv):
    rows = ["model,run,source,target,n_correct,n_total"]
    for run, by_source in CORRECT.items():
        rows += [f"m,{run},zero-shot,{t},5,10" for t in TARGETS]
        for source, counts in by_source.items():
            rows += [f"m,{run},{source},{t},{c},10" for t, c in zip(TARGETS, counts, strict=True)]
    return write_csv("\n".join(rows))


@pytest.fixture
def entry(rect_csv):
    (model,) = read_table(rect_csv)
    # As analysis.json holds it: NaN as None.
    return Analysis.from_json(jsonable(analyze([model]))).models["m"]


def test_the_table_names_its_sources_and_targets(rect_csv):
    (model,) = read_table(rect_csv)
    # Registry (BLINK) order: Relative_Depth, Spatial_Relation, Jigsaw, Counting.
    assert model.tasks == ("Relative_Depth", "Spatial_Relation", "Jigsaw", "Counting")
    assert model.sources == ("Jigsaw", "Counting")
    assert model.targets == model.tasks and not model.is_square
    rd, sr, jg, cn = range(4)
    # Jigsaw -> Spatial_Relation: 6/10 and 8/10 over 0.5, PGF 0.2 and 0.6.
    assert model.pgf[:, jg, sr] == pytest.approx([0.2, 0.6])
    assert np.isnan(model.pgf[:, rd]).all() and np.isnan(model.pgf[:, sr]).all()  # no rows


def test_delta_and_theta_count_the_targets_reached_and_the_sources_received(entry):
    found = entry.sections["transferability"]
    # Δ+(Counting): per run, JG/RD/SR PGF (0.2, 0.4, -0.2) then (0.4, 0.2, 0.0): two
    # positives summing 0.6 of N = 3 other targets both times.
    assert found["Counting"]["delta_pos"] == pytest.approx(_grow(2 / 3) / 2 * 0.6)
    # Δ−(Jigsaw): (CN, RD, SR) = (0.0, -0.2, 0.2) then (-0.4, 0.2, 0.6): one negative each.
    expected = (_grow(1 / 3) * -0.2 + _grow(1 / 3) * -0.4) / 2
    assert found["Jigsaw"]["delta_neg"] == pytest.approx(expected)
    # Θ+(Relative_Depth), only a target: from CN, JG (0.4, -0.2) then (0.2, 0.2); N = 2.
    expected = (_grow(1 / 2) * 0.4 + _grow(2 / 2) / 2 * 0.4) / 2
    assert found["Relative_Depth"]["theta_pos"] == pytest.approx(expected)
    # Θ+(Jigsaw), also a source: only Counting -> Jigsaw (0.2, 0.4) counts, N = 1.
    assert found["Jigsaw"]["theta_pos"] == pytest.approx(_grow(1) * 0.3)
    # Θ−(Spatial_Relation): CN -0.2 in the first run (N = 2), nothing negative in the second.
    assert found["Spatial_Relation"]["theta_neg"] == pytest.approx(_grow(1 / 2) * -0.2 / 2)
    # A task never finetuned on has no Δ.
    assert found["Spatial_Relation"]["delta_pos"] is None
    assert entry.sections["transferability_n"] == {
        "Relative_Depth": {"delta": None, "theta": 2},
        "Spatial_Relation": {"delta": None, "theta": 2},
        "Jigsaw": {"delta": 3, "theta": 1},
        "Counting": {"delta": 3, "theta": 1},
    }


def test_the_matrix_is_sources_by_targets_with_in_task_gain_where_both(entry):
    assert entry.sources == ["Jigsaw", "Counting"]
    assert entry.targets == ["Relative_Depth", "Spatial_Relation", "Jigsaw", "Counting"]
    # Columns: the targets that are sources first, then the others.
    assert [entry.tasks[j] for j in entry.columns] == [
        "Jigsaw", "Counting", "Relative_Depth", "Spatial_Relation"
    ]  # fmt: skip
    np.testing.assert_allclose(
        entry.rectangle(entry.pgf_mean), [[0.7, -0.2, 0.0, 0.4], [0.3, 0.7, 0.3, -0.1]]
    )
    # In-task: Jigsaw 0.6, 0.8 and Counting 0.8, 0.6.
    assert entry.sections["in_task_gain"] == pytest.approx({"Jigsaw": 0.7, "Counting": 0.7})
    assert entry.sections["summary"]["in_task_gain"] == pytest.approx(0.7)


def test_two_sided_units_work_on_the_square_part(entry):
    found = entry.sections["cliques"]
    assert found["tasks"] == ["Jigsaw", "Counting"]
    assert found["positive"] == [] and found["negative"] == []
    tests = entry.sections["personas"]["tests"]
    # Donors among the sources only; sponges among every target.
    assert tests["Relative_Depth"]["donor_p"] is None
    assert tests["Relative_Depth"]["sponge_p"] is not None
    edges = entry.sections["graph"]["edges"]
    assert edges and {e["source"] for e in edges} <= {"Jigsaw", "Counting"}


def test_a_square_table_keeps_n_tasks_minus_one(write_csv):
    rows = ["model,run,source,target,n_correct,n_total"]
    tasks = ("Counting", "Jigsaw", "Relative_Depth")
    for run in ("a", "b"):
        rows += [f"m,{run},zero-shot,{t},5,10" for t in tasks]
        rows += [f"m,{run},{s},{t},{3 + k},10" for k, s in enumerate(tasks) for t in tasks]
    (model,) = read_table(write_csv("\n".join(rows)))
    assert model.is_square and model.sources == model.targets == model.tasks
    entry = Analysis.from_json(analyze([model])).models["m"]
    assert entry.is_square and entry.columns == [0, 1, 2]
    assert all(n == {"delta": 2, "theta": 2} for n in entry.sections["transferability_n"].values())
    # The masks of a square table change nothing.
    plain = transferability(model.pgf)
    for metric, values in transferability(model.pgf, **model.roles).items():
        np.testing.assert_array_equal(values, plain[metric])


def _numeric(run, source, idx, score):
    """A Relative_Depth question scored by closeness (``score`` in [0, 1])."""
    return Prediction("m", run, source, "Relative_Depth", idx, "3", "3", score == 1, score=score)


def _choice(run, source, idx, right):
    """A multiple-choice Counting question, right or wrong."""
    return Prediction("m", run, source, "Counting", idx, "(A)", "(A)" if right else "(B)", right)


def test_numeric_scores_count_as_they_are_and_mcnemar_says_it_cannot(write_csv):
    # One numeric target (Relative_Depth stands in for one), one source; two questions
    # scored 0.5 and 1.0 zero-shot (n_correct 1.5), 1.0 and 1.0 after finetuning.
    csv = write_csv(
        """
        model,run,source,target,n_correct,n_total
        m,r,zero-shot,Relative_Depth,1.5,2
        m,r,zero-shot,Counting,1,2
        m,r,Counting,Relative_Depth,2.0,2
        m,r,Counting,Counting,2,2
        """
    )
    (model,) = read_table(csv)
    rd, cn = model.tasks.index("Relative_Depth"), model.tasks.index("Counting")
    assert model.pgf[0, cn, rd] == pytest.approx((1.0 - 0.75) / (1 - 0.75))
    records = [
        _numeric("r", "zero-shot", "q0", 0.5),
        _numeric("r", "zero-shot", "q1", 1.0),
        _numeric("r", "Counting", "q0", 1.0),
        _numeric("r", "Counting", "q1", 1.0),
        _choice("r", "zero-shot", "q0", True),
        _choice("r", "zero-shot", "q1", False),
        _choice("r", "Counting", "q0", True),
        _choice("r", "Counting", "q1", True),
    ]
    correct, correct0, _ = question_tensors(model, records)
    assert np.nanmean(correct0[0, rd]) == pytest.approx(0.75)  # the scores, not right/wrong
    entry = Analysis.from_json(analyze([model], predictions={"m": records}, n_resamples=50))
    found = entry.models["m"].sections
    assert "skipped" not in found["uncertainty"]  # the bootstrap resamples scores as well
    # The cliques' square part (Counting) is right or wrong: its McNemar test runs.
    assert "question_skipped" not in found["cliques"]
    # Were the numeric target a source too, its scores would stop the test, saying why.
    both = dataclasses.replace(model, sources=("Relative_Depth", "Counting"))
    tested = cliques_unit.square_cliques(
        both, both.pgf, Options(), correct=correct, correct0=correct0
    )
    assert tested["question_skipped"] == cliques_unit.SCORED

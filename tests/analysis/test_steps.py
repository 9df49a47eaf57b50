"""Training-step checkpoints in the analysis: step rows read apart, per-fraction matrices and
Δ/Θ, the pattern's rank correlation, and a final analysis that the step rows leave alone."""

import json

import numpy as np
import pytest

from tasktransfer.analysis import analyze, read_table, transferability
from tasktransfer.analysis.steps import pattern_correlation
from tasktransfer.errors import InputError
from tasktransfer.units import steps as steps_unit

HEADER = "model,run,source,target,n_correct,n_total,step"
# Two tasks, two runs; each finetune cell also has its rows at half of the steps.
FINAL = """
m,seed_0,zero-shot,Counting,5,10,
m,seed_0,zero-shot,Jigsaw,4,8,
m,seed_0,Counting,Counting,9,10,
m,seed_0,Counting,Jigsaw,2,8,
m,seed_0,Jigsaw,Counting,6,10,
m,seed_0,Jigsaw,Jigsaw,8,8,
m,seed_1,zero-shot,Counting,6,10,
m,seed_1,zero-shot,Jigsaw,4,8,
m,seed_1,Counting,Counting,8,10,
m,seed_1,Counting,Jigsaw,5,8,
m,seed_1,Jigsaw,Counting,6,10,
m,seed_1,Jigsaw,Jigsaw,7,8,
"""
HALF = """
m,seed_0,Counting,Counting,7,10,0.5
m,seed_0,Counting,Jigsaw,3,8,0.5
m,seed_0,Jigsaw,Counting,5,10,0.5
m,seed_0,Jigsaw,Jigsaw,6,8,0.5
m,seed_1,Counting,Counting,7,10,0.5
m,seed_1,Counting,Jigsaw,4,8,0.5
m,seed_1,Jigsaw,Counting,7,10,0.5
m,seed_1,Jigsaw,Jigsaw,6,8,0.5
"""


def table(*parts: str) -> str:
    """The header and the rows of ``parts``, one line each (line 2 is the first row)."""
    return "\n".join([HEADER, *(line for part in parts for line in part.strip().splitlines())])


# PGF at half of the steps, by hand; rows: source, columns: target, in (Jigsaw, Counting).
HALF_PGF = [
    [[(0.75 - 0.5) / 0.5, (0.5 - 0.5) / 0.5], [(0.375 - 0.5) / 0.5, (0.7 - 0.5) / 0.5]],
    [[(0.75 - 0.5) / 0.5, (0.7 - 0.6) / 0.4], [(0.5 - 0.5) / 0.5, (0.7 - 0.6) / 0.4]],
]


def test_step_rows_are_read_apart_from_the_final_rows(write_csv):
    (with_steps,) = read_table(write_csv(table(FINAL, HALF), "steps.csv"))
    (final_only,) = read_table(write_csv(table(FINAL), "final.csv"))
    np.testing.assert_array_equal(with_steps.pgf, final_only.pgf)
    np.testing.assert_array_equal(with_steps.acc, final_only.acc)
    assert final_only.steps is None
    assert list(with_steps.steps) == [0.5]
    np.testing.assert_allclose(with_steps.steps[0.5], HALF_PGF, atol=1e-15)


def test_a_step_of_one_is_the_final_adapter(write_csv):
    text = table(FINAL.replace("Jigsaw,Jigsaw,7,8,", "Jigsaw,Jigsaw,7,8,1.0"))
    (m,) = read_table(write_csv(text))
    assert m.steps is None and m.pgf[1, 0, 0] == pytest.approx((0.875 - 0.5) / 0.5)
    duplicate = text + "\nm,seed_1,Jigsaw,Jigsaw,6,8,"
    with pytest.raises(InputError, match="line 14: duplicate row .*first at line 13"):
        read_table(write_csv(duplicate))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "m,seed_0,Counting,Jigsaw,1,8,0.5",
            r"line 22: duplicate row .* step 0\.5 \(first at line 15\)",
        ),
        ("m,seed_0,zero-shot,Jigsaw,1,8,0.5", "line 22, column 'step': a zero-shot row"),
        ("m,seed_2,Counting,Jigsaw,1,8,0.5", "line 22: .*run 'seed_2'.* at step 0.5 is outside"),
        ("m,seed_0,Counting,Jigsaw,1,8,1.5", r"line 22, column 'step': 1\.5 is not a fraction"),
    ],
)
def test_bad_step_rows_name_their_line(write_csv, row, message):
    with pytest.raises(InputError, match=message):
        read_table(write_csv(table(FINAL, HALF, row)))


def test_pattern_correlation_against_hand_ranks():
    final = np.array([[9.0, 0.1, 0.2], [0.3, 9.0, 0.4], [0.5, 0.6, 9.0]])
    assert pattern_correlation(final, final) == pytest.approx(1.0)
    # The diagonal is left out: changing it changes nothing.
    assert pattern_correlation(final - 5 * np.eye(3), final) == pytest.approx(1.0)
    reversed_ = np.array([[0.0, 0.6, 0.5], [0.4, 0.0, 0.3], [0.2, 0.1, 0.0]])
    assert pattern_correlation(reversed_, final) == pytest.approx(-1.0)
    # Swapping two neighbours of six ranks: 1 - 6 * (1 + 1) / (6 * 35) = 33 / 35.
    swapped = np.array([[0.0, 0.2, 0.1], [0.3, 0.0, 0.4], [0.5, 0.6, 0.0]])
    assert pattern_correlation(swapped, final) == pytest.approx(33 / 35)
    # NaN pairs are left out; fewer than three left, or a constant side: NaN.
    two_pairs = np.where(np.arange(9).reshape(3, 3) < 3, final, np.nan)  # pairs (0, 1), (0, 2)
    assert np.isnan(pattern_correlation(two_pairs, final))
    assert np.isnan(pattern_correlation(np.zeros((3, 3)), final))
    with pytest.raises(ValueError, match="square"):
        pattern_correlation(np.zeros((2, 3)), np.zeros((2, 3)))


def test_the_unit_gives_each_fractions_matrices_and_metrics(write_csv):
    models = read_table(write_csv(table(FINAL, HALF)))
    result = analyze(models)
    entry = result["models"]["m"]
    steps = entry["steps"]
    assert steps["fractions"] == [0.5, 1.0]
    np.testing.assert_allclose(steps["pgf_mean"][0], np.mean(HALF_PGF, axis=0), atol=1e-15)
    assert steps["pgf_mean"][1] == entry["pgf_mean"]
    # The final fraction is the analysis every other unit shows.
    assert steps["transferability"][1] == entry["transferability"]
    assert steps["summary"][1]["delta_pos"] == entry["summary"]["delta_pos"]
    half = transferability(HALF_PGF)
    for k, task in enumerate(entry["tasks"]):
        assert steps["transferability"][0][task]["delta_pos"] == pytest.approx(
            half["delta_pos"][:, k].mean()
        )
    # Two tasks: two off-diagonal pairs, too few to rank.
    assert steps["rank_correlation"][1] is None or np.isnan(steps["rank_correlation"][1])


def test_the_final_analysis_is_the_same_with_or_without_step_rows(write_csv):
    with_steps = analyze(read_table(write_csv(table(FINAL, HALF), "steps.csv")))
    final_only = analyze(read_table(write_csv(table(FINAL), "final.csv")))
    del with_steps["models"]["m"]["steps"]
    for result in (with_steps, final_only):
        del result["models"]["m"]["origin"]
    assert json.dumps(with_steps, sort_keys=True, default=str) == json.dumps(
        final_only, sort_keys=True, default=str
    )
    assert "steps" not in final_only["models"]["m"]


def three_task_table() -> str:
    """Three tasks, one run, checkpoints at 0.25 and 0.5; the 0.5 pattern is the final one."""
    tasks = ["Counting", "Jigsaw", "Art_Style"]
    final = {("Counting", "Jigsaw"): 6, ("Counting", "Art_Style"): 7, ("Jigsaw", "Counting"): 3}
    final |= {("Jigsaw", "Art_Style"): 8, ("Art_Style", "Counting"): 4}
    final |= {("Art_Style", "Jigsaw"): 2}
    rows = [f"m,seed_0,zero-shot,{t},5,10," for t in tasks]
    for s in tasks:
        for t in tasks:
            n = final.get((s, t), 9)
            rows.append(f"m,seed_0,{s},{t},{n},10,")
            rows.append(f"m,seed_0,{s},{t},{max(n - 1, 0)},10,0.5")  # same ranks
            rows.append(f"m,seed_0,{s},{t},{10 - n},10,0.25")  # ranks reversed
    return HEADER + "\n" + "\n".join(rows)


def test_rank_correlation_with_the_final_pattern(write_csv):
    result = analyze(read_table(write_csv(three_task_table())))
    steps = result["models"]["m"]["steps"]
    assert steps["fractions"] == [0.25, 0.5, 1.0]
    assert steps["rank_correlation"] == pytest.approx([-1.0, 1.0, 1.0])
    lines = steps_unit.model_findings("m", _entry(result), None)
    assert lines and "25%, 50%, 100%" in lines[0] and "-1.00, 1.00" in lines[0]


def test_the_report_section_has_a_fraction_slider(write_csv):
    result = analyze(read_table(write_csv(three_task_table())))
    section = steps_unit.model_section("m", _entry(result), None, "m0")
    heatmap, lines = section.figures["m0-steps-heatmap"], section.figures["m0-steps-lines"]
    (slider,) = heatmap["layout"]["sliders"]
    assert [s["label"] for s in slider["steps"]] == ["25%", "50%", "100%"]
    assert [s["args"][0]["visible"] for s in slider["steps"]] == [
        [True, False, False],
        [False, True, False],
        [False, False, True],
    ]
    assert [trace["visible"] for trace in heatmap["data"]] == [False, False, True]
    assert lines["data"][-1]["y"] == pytest.approx([-1.0, 1.0, 1.0])
    # A model without checkpoints has no section and no finding.
    plain = analyze(read_table(write_csv(table(FINAL), "final.csv")))
    assert steps_unit.model_section("m", _entry(plain), None, "m0") is None
    assert steps_unit.model_findings("m", _entry(plain), None) == []


def _entry(result):
    from tasktransfer.contracts.analysis import Analysis

    return Analysis.from_json(json.loads(json.dumps(result))).models["m"]

"""Which transfer cells exceed run-to-run noise, against values worked by hand."""

import math

import numpy as np

from tasktransfer.analysis.noise import run_noise
from tasktransfer.units import format_control as unit

NAN = float("nan")
# Three runs of a 2 x 2 study: cell (0, 1) at 0.30, 0.40, 0.35, cell (1, 0) at 0.05, -0.05, 0.
RUNS = np.array(
    [
        [[NAN, 0.30], [0.05, NAN]],
        [[NAN, 0.40], [-0.05, NAN]],
        [[NAN, 0.35], [0.00, NAN]],
    ]
)
OFF = ~np.eye(2, dtype=bool)


def _t4_two_sided(t: float) -> float:
    # Student's t on 4 degrees of freedom has a closed-form CDF:
    # F(t) = 1/2 + (3/4) u (1 - u^2 / 3), u = t / sqrt(t^2 + 4).
    u = abs(t) / math.sqrt(t * t + 4)
    return 2 * (0.5 - 0.75 * u * (1 - u * u / 3))


def test_pooled_noise_and_each_cells_test_by_hand():
    # Squared deviations: (0.05^2 + 0.05^2 + 0) in each cell = 0.005; pooled variance
    # (0.005 + 0.005) / (2 cells x 2) = 0.0025, sd 0.05 on 4 df.
    noise = run_noise(RUNS, OFF)
    assert math.isclose(noise.sd, 0.05) and noise.df == 4 and noise.n_cells == 2
    t = 0.35 / (0.05 / math.sqrt(3))  # 12.12
    assert math.isclose(noise.p[0, 1], _t4_two_sided(t), rel_tol=1e-9)
    assert math.isclose(noise.p[1, 0], 1.0)
    # Benjamini-Hochberg over the two: the smaller p doubles, the larger stays 1.
    assert math.isclose(noise.q[0, 1], 2 * _t4_two_sided(t), rel_tol=1e-9)
    assert np.isnan(noise.p[0, 0]) and np.isnan(noise.q[1, 1])
    assert noise.exceeding(0.05) == [(0, 1)]


def test_no_noise_to_measure_without_two_runs_or_any_spread():
    assert run_noise(RUNS[:1], OFF) is None
    assert run_noise(np.stack([RUNS[0], RUNS[0]]), OFF) is None
    # A cell missing from one run is left out of the pool.
    gap = RUNS.copy()
    gap[2, 1, 0] = NAN
    noise = run_noise(gap, OFF)
    assert noise.n_cells == 1 and noise.df == 2 and np.isnan(noise.p[1, 0])


def test_the_finding_names_the_controlled_cells_and_the_raw_ones_that_do_not_survive():
    tasks = ["Counting", "Jigsaw"]
    raw = np.array(RUNS)
    raw[:, 1, 0] = [0.50, 0.52, 0.48]  # raw, the second cell is a steady effect too
    found = {
        "alpha": 0.05,
        "raw": unit._beyond_noise(raw, OFF, tasks, 0.05),
        "controlled": unit._beyond_noise(RUNS, OFF, tasks, 0.05),
    }
    line = unit._noise_finding(found, ["seed_0", "seed_1", "seed_2"])
    assert "1 transfer cell exceeds the noise" in line
    assert "Counting → Jigsaw 0.350" in line
    assert "Raw, 2 cells exceed it; of those, Jigsaw → Counting does not after the control" in line
    assert "pooled over 2 cells (sd 0.050, 4 df)" in line

"""The bootstrap over questions against a second path: the same draw, resampled by loops."""

import math

import numpy as np
import pytest

from tasktransfer.analysis.analyze import analyze
from tasktransfer.analysis.bootstrap import (
    STATISTICS,
    bootstrap_intervals,
    question_tensors,
    resample_counts,
    resample_indices,
)
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts import Prediction

METRICS = ("delta_pos", "delta_neg", "theta_pos", "theta_neg")


def _tiny(seed=3):
    """2 runs x 3 tasks, 5/4/6 questions; source 2 never finetuned; zero-shot nearly perfect
    on target 0, so some resamples leave its PGF undefined."""
    rng = np.random.default_rng(seed)
    sizes = np.array([5, 4, 6])
    width = sizes.max()
    asked = np.arange(width)[None, :] < sizes[:, None]
    correct = np.where(asked, rng.integers(0, 2, (2, 3, 3, width)), np.nan)
    correct[:, 2] = np.nan
    correct0 = np.where(asked, rng.integers(0, 2, (2, 3, width)), np.nan)
    correct0[:, 0, :5] = [1, 1, 1, 1, 0]
    return correct, correct0, sizes


def _loop_statistics(correct, correct0, draws, sizes, ceiling):
    """The resampled statistics by explicit loops over resamples, runs, sources, targets."""
    n_runs, n_tasks = correct.shape[:2]

    def mean(values):
        values = [v for v in values if not math.isnan(v)]
        return sum(values) / len(values) if values else math.nan

    def weighted(values, n):  # the breadth-weighted mean of DESIGN.md
        return (1 - math.exp(-len(values) / n)) / len(values) * sum(values) if values else 0.0

    out = {name: [] for name in STATISTICS}
    for b in range(len(draws)):
        picked = [list(draws[b, t, : sizes[t]]) for t in range(n_tasks)]
        pgf = np.full((n_runs, n_tasks, n_tasks), math.nan)
        for r in range(n_runs):
            for t in range(n_tasks):
                acc0 = mean([correct0[r, t, q] for q in picked[t]])
                for s in range(n_tasks):
                    acc = mean([correct[r, s, t, q] for q in picked[t]])
                    if ceiling[t] != acc0:
                        pgf[r, s, t] = (acc - acc0) / (ceiling[t] - acc0)
        run_mean = [[mean(pgf[:, s, t]) for t in range(n_tasks)] for s in range(n_tasks)]
        out["pgf"].append(run_mean)
        per_run = {m: np.full((n_runs, n_tasks), math.nan) for m in METRICS}
        for r in range(n_runs):
            for k in range(n_tasks):
                for axis, (pos, neg) in (("row", METRICS[:2]), ("column", METRICS[2:])):
                    line = [pgf[r, k, o] if axis == "row" else pgf[r, o, k] for o in range(n_tasks)]
                    line = [v for o, v in enumerate(line) if o != k and not math.isnan(v)]
                    if line:
                        per_run[pos][r, k] = weighted([v for v in line if v > 0], n_tasks - 1)
                        per_run[neg][r, k] = weighted([v for v in line if v < 0], n_tasks - 1)
        for m in METRICS:
            out[m].append([mean(per_run[m][:, k]) for k in range(n_tasks)])
        cells = [(s, t) for s in range(n_tasks) for t in range(n_tasks)]
        out["mean_pgf"].append(mean([run_mean[s][t] for s, t in cells if s != t]))
        out["in_task_gain"].append(mean([run_mean[k][k] for k in range(n_tasks)]))
    return {name: np.array(values, dtype=float) for name, values in out.items()}


def _loop_percentile(values, q):
    """Linear interpolation between the order statistics (numpy's default), by hand."""
    values = sorted(v for v in values if not math.isnan(v))
    if not values:
        return math.nan
    position = (len(values) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (position - below)


def test_intervals_equal_a_loop_bootstrap_with_the_same_draw():
    correct, correct0, sizes = _tiny()
    ceiling = np.array([1.0, 1.0, 0.9])
    n_resamples, seed, confidence = 60, 11, 0.9
    got = bootstrap_intervals(
        correct, correct0, ceiling=ceiling, n_resamples=n_resamples, confidence=confidence,
        seed=seed,
    )  # fmt: skip
    draws = resample_indices(sizes, n_resamples=n_resamples, seed=seed)
    loops = _loop_statistics(correct, correct0, draws, sizes, ceiling)
    assert np.isnan(loops["pgf"][:, 0, 0]).any(), "the tiny table exercises undefined PGF"
    for name in STATISTICS:
        samples = loops[name].reshape(n_resamples, -1)
        for k, q in enumerate((0.05, 0.95)):
            want = [_loop_percentile(samples[:, c], q) for c in range(samples.shape[1])]
            np.testing.assert_allclose(
                np.ravel(got[name][k]), want, rtol=0, atol=1e-12, err_msg=name
            )


def test_counts_are_the_drawn_indices():
    sizes = [3, 0, 5]
    draws = resample_indices(sizes, n_resamples=7, seed=1)
    counts = resample_counts(sizes, n_resamples=7, seed=1)
    for b in range(7):
        for t, n in enumerate(sizes):
            want = np.bincount(draws[b, t, :n], minlength=counts.shape[2])
            np.testing.assert_array_equal(counts[b, t], want)


def test_deterministic_for_a_seed():
    correct, correct0, _ = _tiny()
    first = bootstrap_intervals(correct, correct0, n_resamples=50, seed=4)
    again = bootstrap_intervals(correct, correct0, n_resamples=50, seed=4)
    other = bootstrap_intervals(correct, correct0, n_resamples=50, seed=5)
    for name in STATISTICS:
        np.testing.assert_array_equal(first[name][0], again[name][0])
    assert not np.array_equal(first["pgf"][0], other["pgf"][0], equal_nan=True)


def test_paired_resampling_gives_no_width_to_unchanged_answers():
    # A finetuned model that answers every question as zero-shot did has PGF 0 in every
    # resample; resampling the two states independently would spread it.
    rng = np.random.default_rng(0)
    correct0 = rng.integers(0, 2, (1, 2, 30)).astype(float)
    correct = np.broadcast_to(correct0[:, None], (1, 2, 2, 30)).copy()
    low, high = bootstrap_intervals(correct, correct0, n_resamples=200)["pgf"]
    np.testing.assert_array_equal(low, 0.0)
    np.testing.assert_array_equal(high, 0.0)


def test_options_fail_clearly():
    correct, correct0, _ = _tiny()
    with pytest.raises(ValueError, match="confidence must be a float in"):
        bootstrap_intervals(correct, correct0, confidence=1.5)
    with pytest.raises(ValueError, match="n_resamples must be a positive int"):
        bootstrap_intervals(correct, correct0, n_resamples=0)


def _records(model, tasks, answers):
    """Predictions from ``{(run, source, target): [correct, ...]}``."""
    return [
        Prediction(model, run, source, target, f"q{k}", "(A)", "(A)" if ok else "(B)", ok)
        for (run, source, target), oks in answers.items()
        for k, ok in enumerate(oks)
    ]


def _model(tasks, answers, runs=("seed_0",)):
    """The ModelRuns a results table of the same answers reads into."""
    from tasktransfer.analysis.metrics import pgf

    index = {t: k for k, t in enumerate(tasks)}
    acc = np.full((len(runs), len(tasks), len(tasks)), np.nan)
    acc0 = np.full((len(runs), len(tasks)), np.nan)
    for (run, source, target), oks in answers.items():
        if source == "zero-shot":
            acc0[:, index[target]] = np.mean(oks)
        else:
            acc[runs.index(run), index[source], index[target]] = np.mean(oks)
    return ModelRuns("m", tuple(tasks), runs, pgf(acc, acc0), "t.csv", acc=acc, acc0=acc0)


def test_analyze_adds_intervals_from_predictions():
    tasks = ("Counting", "Jigsaw")
    answers = {
        ("seed_0", "zero-shot", "Counting"): [1, 0, 0, 0, 1, 0],
        ("seed_0", "zero-shot", "Jigsaw"): [1, 1, 0, 0],
        ("seed_0", "Counting", "Counting"): [1, 1, 1, 0, 1, 0],
        ("seed_0", "Counting", "Jigsaw"): [1, 0, 0, 0],
        ("seed_0", "Jigsaw", "Counting"): [1, 0, 1, 0, 1, 0],
        ("seed_0", "Jigsaw", "Jigsaw"): [1, 1, 1, 0],
    }
    answers = {k: [bool(v) for v in oks] for k, oks in answers.items()}
    # A checkpoint's answers are not the final adapter's.
    extra = _records("m", tasks, {("seed_0", "Jigsaw", "Jigsaw"): [False] * 4})
    extra = [Prediction(**{**p.to_json(), "step": 0.5}) for p in extra]
    model = _model(tasks, answers)
    predictions = {"m": _records("m", tasks, answers) + extra, "other": []}
    result = analyze([model], predictions=predictions)
    found = result["models"]["m"]["uncertainty"]
    assert found["n_questions"] == {"Counting": 6, "Jigsaw": 4}
    low, high = np.array(found["pgf"]["ci_low"]), np.array(found["pgf"]["ci_high"])
    mean = np.array(result["models"]["m"]["pgf_mean"])
    assert (low <= mean + 1e-12).all() and (mean - 1e-12 <= high).all()
    assert found["in_task_gain"]["Jigsaw"] == {"ci_low": low[1, 1], "ci_high": high[1, 1]}
    assert set(found["transferability"]["Counting"]) == set(METRICS)
    assert result["options"]["n_resamples"] == 1000 and "predictions" not in result["options"]


def test_predictions_that_do_not_match_the_table_give_no_intervals():
    tasks = ("Counting", "Jigsaw")
    answers = {
        (run, source, target): [True, False, False]
        for run in ("seed_0",)
        for source in ("zero-shot", *tasks)
        for target in tasks
    }
    model = _model(tasks, {**answers, ("seed_0", "Jigsaw", "Jigsaw"): [True, True, False]})
    result = analyze([model], predictions={"m": _records("m", tasks, answers)})
    assert "predictions do not match the table" in result["models"]["m"]["uncertainty"]["skipped"]
    assert "uncertainty" not in analyze([model])["models"]["m"]


def test_a_run_without_its_own_baseline_borrows_the_only_one():
    tasks = ("Counting", "Jigsaw")
    answers = {("seed_0", "zero-shot", t): [True, False] for t in tasks}
    answers.update(
        {(run, s, t): [True, True] for run in ("seed_0", "seed_1") for s in tasks for t in tasks}
    )
    model = _model(tasks, answers, runs=("seed_0", "seed_1"))
    correct, correct0, sizes = question_tensors(model, _records("m", tasks, answers))
    assert sizes.tolist() == [2, 2]
    np.testing.assert_array_equal(correct0[1], correct0[0])
    with pytest.raises(ValueError, match="recorded twice"):
        question_tensors(model, _records("m", tasks, answers) * 2)

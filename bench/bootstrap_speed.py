"""How fast is the bootstrap over questions? Vectorised against one resample at a time.

A study of the paper's size: 13 tasks x 13 targets x 4 runs, ``--questions`` per target
(random answers; the speed does not depend on them). Both paths take the same draw
(:func:`tasktransfer.analysis.bootstrap.resample_indices`) and give the same intervals
(checked here, and on a tiny table against plain loops in ``tests/analysis/test_bootstrap.py``):

1. vectorised, :func:`~tasktransfer.analysis.bootstrap.bootstrap_intervals`: each resample
   is a vector of counts per question, every accuracy one matrix product per target;
2. the loop version, as one would first write it: for each resample, index the drawn
   questions, take the accuracies, compute the statistics, then the percentiles.

Each path runs ``--repeat`` times and the fastest is printed: the CPU is shared, and the
slower runs measure the neighbours.

    .venv/bin/python bench/bootstrap_speed.py [--resamples 1000] [--questions 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from tasktransfer.analysis.bootstrap import (
    STATISTICS,
    bootstrap_intervals,
    percentile_interval,
    resample_indices,
    transfer_statistics,
)


def loop_intervals(correct, correct0, *, n_resamples, confidence, seed):
    """The same intervals, one resample at a time."""
    sizes = np.isfinite(correct0).any(axis=0).sum(axis=1)
    draws = resample_indices(sizes, n_resamples=n_resamples, seed=seed)
    samples = {name: [] for name in STATISTICS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of a never-finetuned row
        for b in range(n_resamples):
            acc = np.empty(correct.shape[:3])
            acc0 = np.empty(correct0.shape[:2])
            for t, n in enumerate(sizes):
                picked = draws[b, t, :n]
                acc[..., t] = np.nanmean(correct[:, :, t, picked], axis=-1)
                acc0[:, t] = np.nanmean(correct0[:, t, picked], axis=-1)
            stats = transfer_statistics(acc[None], acc0[None])
            for name in STATISTICS:
                samples[name].append(stats[name][0])
    return {
        name: percentile_interval(np.array(values), confidence=confidence)
        for name, values in samples.items()
    }


def _fastest(repeat, function, *args, **kwargs):
    """The shortest of ``repeat`` timings of the call, and its result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--tasks", type=int, default=13)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    shape = (args.runs, args.tasks, args.tasks, args.questions)
    correct = (rng.random(shape) < 0.6).astype(float)
    correct0 = (rng.random(shape[:1] + shape[2:]) < 0.5).astype(float)
    settings = {"n_resamples": args.resamples, "confidence": 0.95, "seed": 0}

    vectorised, fast = _fastest(args.repeat, bootstrap_intervals, correct, correct0, **settings)
    looped, slow = _fastest(args.repeat, loop_intervals, correct, correct0, **settings)
    for name in STATISTICS:
        for k in range(2):
            np.testing.assert_allclose(fast[name][k], slow[name][k], rtol=0, atol=1e-12)

    print(
        f"{args.tasks}x{args.tasks}x{args.runs} study, {args.questions} questions per target, "
        f"{args.resamples} resamples (same intervals both ways)"
    )
    print(f"vectorised: {vectorised:.3f} s (fastest of {args.repeat})")
    print(f"loop:       {looped:.3f} s (fastest of {args.repeat})")
    print(f"ratio loop/vectorised: {looped / vectorised:.1f}x")


if __name__ == "__main__":
    main()

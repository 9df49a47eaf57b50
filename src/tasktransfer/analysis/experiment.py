"""The selection experiment's table: arms of training data compared on their target task.

For each target the experiment trains on several *arms*, each one or more mixture labels
of the results table (see DESIGN.md): ``direct`` (the target's own data), ``guided`` (the
PGF-guided mixture) and ``random`` (random mixtures of the guided one's size); the
``zero-shot`` arm is the un-finetuned model. :func:`compare_arms` gives each arm's
accuracy on the target and its PGF relative to zero-shot (:func:`tasktransfer.analysis.pgf`,
per run), as mean and sample std over every value of the arm (runs, times mixtures for the
random arm), and says whether guided beats the random mean and direct.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from tasktransfer.analysis.metrics import mean_std, pgf
from tasktransfer.contracts import ZERO_SHOT
from tasktransfer.errors import InputError

ARMS = ("zero-shot", "direct", "guided", "random")


def compare_arms(
    rows: Iterable[Mapping],
    arms: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    ceilings: Mapping[str, float] | None = None,
) -> list[dict]:
    """Accuracy and PGF of each arm on its target, per model, and guided's verdict.

    Parameters
    ----------
    rows : iterable of mapping
        Results-table rows: ``model``, ``run``, ``source``, ``target``, ``n_correct``,
        ``n_total`` (numbers or their text; ``n_correct`` may be a float sum of scores).
    arms : mapping of str to mapping of str to sequence of str
        Per target, arm name (``direct``, ``guided``, ``random``) -> the mixture labels
        (``source`` values) of that arm; an arm with no label is reported empty.
    ceilings : mapping of str to float or None, default=None
        Best reachable accuracy per target (1 when absent), as for the transfer matrix.

    Returns
    -------
    list of dict
        One per (model, target), in table then ``arms`` order: ``model``, ``target``,
        ``arms`` (one dict per arm of :data:`ARMS`: ``arm``, ``labels``, ``n`` values,
        ``acc_mean``, ``acc_std``, ``pgf_mean``, ``pgf_std``; NaN where undefined),
        ``guided_beats_random`` and ``guided_beats_direct`` (mean accuracy strictly higher;
        None when either side has no value) and ``verdict``, a sentence that says plainly
        where guided does not win, and when it wins over random by no more than the random
        accuracies' std.

    Raises
    ------
    InputError
        When a target has no zero-shot row in a run that has arm rows (and the model has
        no single baseline to fall back on).

    Examples
    --------
    >>> rows = [
    ...     {"model": "m", "run": "r", "source": s, "target": "T", "n_correct": c, "n_total": 4}
    ...     for s, c in [("zero-shot", 2), ("d", 3), ("g", 4), ("x", 2), ("y", 3)]
    ... ]
    >>> (out,) = compare_arms(rows, {"T": {"direct": ["d"], "guided": ["g"], "random": ["x", "y"]}})
    >>> [(a["arm"], a["acc_mean"], a["pgf_mean"]) for a in out["arms"]]
    [('zero-shot', 0.5, 0.0), ('direct', 0.75, 0.5), ('guided', 1.0, 1.0), ('random', 0.625, 0.25)]
    >>> out["guided_beats_random"], out["guided_beats_direct"]
    (True, True)
    """
    ceilings = ceilings or {}
    acc: dict[tuple[str, str, str, str], float] = {}
    for row in rows:
        key = tuple(str(row[c]) for c in ("model", "run", "source", "target"))
        acc[key] = float(row["n_correct"]) / int(row["n_total"])
    models = list(dict.fromkeys(key[0] for key in acc))
    out = []
    for model in models:
        for target, by_arm in arms.items():
            labels = {"zero-shot": [ZERO_SHOT], **{a: list(by_arm.get(a, [])) for a in ARMS[1:]}}
            wanted = {label for group in labels.values() for label in group}
            runs = list(
                dict.fromkeys(
                    r for (m, r, s, t) in acc if m == model and t == target and s in wanted
                )
            )
            if not runs:
                continue
            acc0 = _baselines(acc, model, target, runs)
            entry = {"model": model, "target": target, "arms": []}
            for arm, group in labels.items():
                values = np.array(
                    [[acc.get((model, r, s, target), np.nan) for s in group] for r in runs]
                ).reshape(len(runs), len(group))
                with warnings.catch_warnings():
                    # An undefined PGF (zero-shot at the ceiling) is NaN and left out, as in
                    # the matrix; the matrix's own analysis already warns about it.
                    warnings.simplefilter("ignore")
                    gains = pgf(values[:, :, None], acc0[:, None], ceiling=ceilings.get(target, 1))
                acc_mean, acc_std = mean_std(values.ravel())
                pgf_mean, pgf_std = mean_std(gains.ravel())
                entry["arms"].append(
                    {
                        "arm": arm,
                        "labels": group,
                        "n": int(np.isfinite(values).sum()),
                        "acc_mean": float(acc_mean),
                        "acc_std": float(acc_std),
                        "pgf_mean": float(pgf_mean),
                        "pgf_std": float(pgf_std),
                    }
                )
            out.append(entry | _verdict(entry))
    return out


def _baselines(acc, model, target, runs) -> np.ndarray:
    """Zero-shot accuracy per run; a run without one borrows the model's only baseline."""
    own = {r: v for (m, r, s, t), v in acc.items() if (m, s, t) == (model, ZERO_SHOT, target)}
    values = []
    for run in runs:
        if run in own:
            values.append(own[run])
        elif len(own) == 1:
            values.append(next(iter(own.values())))
        else:
            raise InputError(
                f"model {model!r}, run {run!r}: no zero-shot row on target {target!r}; the "
                "selection table measures every arm against it"
            )
    return np.array(values)


def _verdict(entry: dict) -> dict:
    mean = {a["arm"]: a["acc_mean"] if a["n"] else None for a in entry["arms"]}
    guided, random, direct = mean["guided"], mean["random"], mean["direct"]
    random_std = next(a["acc_std"] for a in entry["arms"] if a["arm"] == "random")

    def beats(other):
        return None if guided is None or other is None else bool(guided > other)

    vs_random, vs_direct = beats(random), beats(direct)
    target = entry["target"]
    if guided is None:
        sentence = f"{target}: no guided mixture was measured, so guided does NOT beat random."
    else:
        # Formatted only when measured: an arm without values has a mean of None.
        verb = {True: "beats", False: "does NOT beat"}
        if vs_random is None:
            random_part = "guided has no random mixtures to beat"
        else:
            random_part = f"guided {verb[vs_random]} the random mean ({guided:.3f} vs {random:.3f})"
        if vs_direct is None:
            direct_part = "direct finetuning was not measured"
        else:
            direct_part = f"it {verb[vs_direct]} direct finetuning ({direct:.3f})"
        # "Beats" compares means; say so when the margin is inside the random arm's spread.
        if vs_random and np.isfinite(random_std) and guided - random <= random_std:
            random_part += f", by less than the random mixtures' std ({random_std:.3f})"
        sentence = f"{target}: {random_part}; {direct_part}."
    return {"guided_beats_random": vs_random, "guided_beats_direct": vs_direct, "verdict": sentence}

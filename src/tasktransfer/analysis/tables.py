"""Read results tables and published PGF tables into per-model PGF arrays.

Two formats are accepted, told apart by their columns:

* the results table of ``DESIGN.md``: ``model,run,source,target,n_correct,n_total``
  (``model`` may be absent when the label is given); rows whose source is ``zero-shot``
  are the baselines of their run;
* the published PGF table: ``seed,ft_task,task,perfection_gap_factor``.

A results table may hold rows of training-step checkpoints (a ``step`` below 1): they are
kept apart from the final rows, which alone make the PGF every analysis reads, and give
:attr:`ModelRuns.steps`, the PGF of each checkpoint against the same zero-shot baselines.

This is the one entry check of the analysis: every problem with a row is an
:class:`~tasktransfer.errors.InputError` naming the file, the 1-based line and the column.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasktransfer.analysis import reference
from tasktransfer.analysis.metrics import UndefinedPGFWarning, pgf
from tasktransfer.contracts import PGF_COLUMNS, REQUIRED_COLUMNS, ZERO_SHOT, parse_row, read_csv
from tasktransfer.errors import InputError
from tasktransfer.tasks import REGISTRY, Registry, UnknownTaskError


class IncompleteTableWarning(UserWarning):
    """Some (run, source, target) cells are missing; they are NaN and left out."""


@dataclass(frozen=True, eq=False)
class ModelRuns:
    """The PGF of one model over its runs, as read from one table.

    Attributes
    ----------
    model : str
        Model label.
    tasks : tuple of str
        Task order of both axes (registry order): every source and every target.
    runs : tuple of str
        Run labels, in order of first appearance.
    pgf : ndarray of shape (n_runs, n_tasks, n_tasks)
        Rows are sources, columns targets; NaN where undefined or missing (a task that
        was never finetuned on has an all-NaN row, one never evaluated an all-NaN column).
    origin : str
        The file (or alias) it was read from.
    acc : ndarray of shape (n_runs, n_tasks, n_tasks) or None
        Finetuned accuracies, for a results table of counts.
    acc0 : ndarray of shape (n_runs, n_tasks) or None
        Zero-shot accuracies per run, for a results table of counts.
    steps : dict of float to ndarray of shape (n_runs, n_tasks, n_tasks) or None
        Checkpoint fraction of the training steps (below 1, ascending) -> the PGF of the
        checkpoints' rows, on the axes of :attr:`pgf`; None when the table has no step rows.
    sources, targets : tuple of str
        The tasks finetuned on and the tasks evaluated, in the order of :attr:`tasks`;
        empty means all of :attr:`tasks` (a square study). A rectangular study (targets
        beyond its sources) has rows only for its sources: the matrix that
        :attr:`source_mask` x :attr:`target_mask` cut out of :attr:`pgf`.
    """

    model: str
    tasks: tuple[str, ...]
    runs: tuple[str, ...]
    pgf: np.ndarray
    origin: str
    acc: np.ndarray | None = None
    acc0: np.ndarray | None = None
    steps: dict[float, np.ndarray] | None = None
    sources: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    def __post_init__(self):
        # Frozen: the defaults (every task both a source and a target) are set once here.
        for name in ("sources", "targets"):
            if not getattr(self, name):
                object.__setattr__(self, name, tuple(self.tasks))

    @property
    def source_mask(self) -> np.ndarray:
        """Per task of :attr:`tasks`, whether it is a source (a row of the matrix)."""
        return np.isin(self.tasks, self.sources)

    @property
    def target_mask(self) -> np.ndarray:
        """Per task of :attr:`tasks`, whether it is a target (a column of the matrix)."""
        return np.isin(self.tasks, self.targets)

    @property
    def roles(self) -> dict[str, np.ndarray]:
        """``sources`` and ``targets`` masks, the keywords of
        :func:`~tasktransfer.analysis.metrics.transferability`."""
        return {"sources": self.source_mask, "targets": self.target_mask}

    @property
    def is_square(self) -> bool:
        """Whether every task is both a source and a target."""
        return len(self.sources) == len(self.targets) == len(self.tasks)


def infer_label(path: str | Path) -> str:
    """A model label from a file name: the published prefix and ``pgf_`` are dropped.

    Examples
    --------
    >>> infer_label("task_transferability_data_perfection_gap_factor_qwen-2.5vl-32B-instruct.csv")
    'qwen-2.5vl-32B-instruct'
    >>> infer_label("out/pgf_tiny.csv")
    'tiny'
    """
    stem = Path(path).stem
    for prefix in (reference.FILE_PREFIX, "pgf_"):
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix) :]
    return stem


def read_inputs(
    inputs: Sequence[str | Path],
    *,
    models: Sequence[str | None] | None = None,
    registry: Registry = REGISTRY,
    ceilings: Mapping[str, float] | None = None,
    reference_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> list[ModelRuns]:
    """Read several tables (paths or ``sachdeva2026:SIZE`` aliases), one or more models each.

    Parameters
    ----------
    inputs : sequence of str or Path
    models : sequence of (str or None) or None, default=None
        A label per input: it names the model of a table without a ``model`` column, or
        renames the single model of one with it. ``None`` infers labels (the ``model``
        column, else the file name).
    registry : Registry, default=REGISTRY
        Known tasks; an unknown task name is an error.
    ceilings : mapping of str to float or None, default=None
        Per-task accuracy ceiling in (0, 1] (default 1), for results tables of counts.
    reference_dir, cache_dir : str or Path or None
        See :func:`tasktransfer.analysis.reference.resolve_alias`.

    Returns
    -------
    list of ModelRuns
        In input order; model labels are unique.
    """
    if models is not None and len(models) != len(inputs):
        raise InputError(
            f"got {len(models)} model label(s) for {len(inputs)} input(s); give one --model "
            "per input, or none to infer them"
        )
    ceilings = check_ceilings(ceilings, registry)
    out: list[ModelRuns] = []
    for k, source in enumerate(inputs):
        label = models[k] if models is not None else None
        path = Path(source)
        if reference.is_alias(str(source)):
            path = reference.resolve_alias(
                str(source), reference_dir=reference_dir, cache_dir=cache_dir
            )
        out.extend(read_table(path, model=label, registry=registry, ceilings=ceilings))
    seen: dict[str, str] = {}
    for item in out:
        if item.model in seen:
            raise InputError(
                f"model {item.model!r} appears in both {seen[item.model]} and {item.origin}; "
                "give distinct labels with --model"
            )
        seen[item.model] = item.origin
    return out


def check_ceilings(ceilings, registry: Registry = REGISTRY) -> dict[str, float]:
    """Validate per-task ceilings: known task names, values in (0, 1]."""
    out = {}
    for task, value in (ceilings or {}).items():
        registry[task]  # raises UnknownTaskError with suggestions
        value = float(value)
        if not 0 < value <= 1:
            raise InputError(f"ceiling of {task} must be a float in (0, 1]; got {value}")
        out[task] = value
    return out


def read_table(
    path: str | Path,
    *,
    model: str | None = None,
    registry: Registry = REGISTRY,
    ceilings: Mapping[str, float] | None = None,
) -> list[ModelRuns]:
    """Read one results table or published PGF table.

    Parameters
    ----------
    path : str or Path
    model : str or None, default=None
        See ``models`` in :func:`read_inputs`.
    registry : Registry, default=REGISTRY
    ceilings : mapping of str to float or None, default=None

    Returns
    -------
    list of ModelRuns
        One per model in the table, in order of first appearance.
    """
    path = Path(path)
    rows, header = read_csv(path)
    is_pgf = "perfection_gap_factor" in header
    required = PGF_COLUMNS if is_pgf else REQUIRED_COLUMNS
    if not is_pgf and (model is not None or "model" not in header):
        required = tuple(c for c in REQUIRED_COLUMNS if c != "model")
    missing = [c for c in required if c not in header]
    if missing:
        kind = "published PGF table" if is_pgf else "results table"
        raise InputError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; a {kind} needs "
            f"{','.join(required)} (a PGF table needs {','.join(PGF_COLUMNS)})"
        )
    in_column = list(dict.fromkeys((row.get("model") or "").strip() for _, row in rows))
    if model is not None and len(in_column) > 1:
        raise InputError(
            f"{path}: --model {model!r} given but the table holds {len(in_column)} models "
            f"({', '.join(in_column)}); leave --model out to use its model column"
        )
    records, step_records = _parse_rows(path, rows, is_pgf=is_pgf, registry=registry, model=model)
    labels = list(dict.fromkeys(key[0] for key in records))
    out = []
    for label in labels:
        mine = {key[1:]: value for key, value in records.items() if key[0] == label}
        if is_pgf:
            out.append(_from_pgf(path, label, mine, registry))
            continue
        steps = {
            step: {key[1:]: value for key, value in found.items() if key[0] == label}
            for step, found in sorted(step_records.items())
        }
        out.append(_from_counts(path, label, mine, registry, ceilings or {}, steps))
    return out


def _parse_rows(path, rows, *, is_pgf, registry, model):
    """The final rows ``{(model, run, source, target): (line, value)}`` and the checkpoints'
    rows ``{step: {(model, run, source, target): (line, value)}}``, every row checked."""
    default_label = infer_label(path)
    final: dict[tuple, tuple] = {}
    by_step: dict[float, dict[tuple, tuple]] = {}
    for line, row in rows:
        where = f"{path}, line {line}"
        step = None
        if is_pgf:
            key, value = _pgf_row(row, where, model or default_label)
            columns = PGF_COLUMNS[:3]
        else:
            parsed = parse_row(row, where, model=model, default_model=default_label)
            key, value = parsed.key, parsed.accuracy
            columns = REQUIRED_COLUMNS[1:4]
            step = None if parsed.step == 1.0 else parsed.step
            if step is not None and not 0 < step < 1:
                raise InputError(f"{where}, column 'step': {step} is not a fraction in (0, 1]")
            if step is not None and parsed.source == ZERO_SHOT:
                raise InputError(
                    f"{where}, column 'step': a {ZERO_SHOT} row has no training step; "
                    "leave it empty"
                )
        records = final if step is None else by_step.setdefault(step, {})
        for column, task in zip(columns[1:], key[2:], strict=True):
            if column == "source" and task == ZERO_SHOT:
                continue
            try:
                registry[task]
            except UnknownTaskError as err:
                raise InputError(f"{where}, column {column!r}: {err}") from None
        if key in records:
            run_col, source_col, target_col = columns
            at_step = "" if step is None else f", step {step:g}"
            raise InputError(
                f"{where}: duplicate row for model {key[0]!r}, {run_col} {key[1]!r}, "
                f"{source_col} {key[2]!r}, {target_col} {key[3]!r}{at_step} "
                f"(first at line {records[key][0]})"
            )
        records[key] = (line, value)
    return final, by_step


def _pgf_row(row, where, label):
    """``((model, run, source, target), PGF)`` of a published PGF table's row."""
    for column in PGF_COLUMNS[:3]:
        if not (row.get(column) or "").strip():
            raise InputError(f"{where}, column {column!r}: empty value")
    run, source, target = (row[c].strip() for c in PGF_COLUMNS[:3])
    text = row["perfection_gap_factor"]
    try:
        value = float((text or "").strip())
    except ValueError:
        raise InputError(
            f"{where}, column 'perfection_gap_factor': expected a number, got {text!r}"
        ) from None
    if math.isinf(value):
        raise InputError(f"{where}, column 'perfection_gap_factor': infinite value")
    return (label, run, source, target), value


def _axes(path, label, records, registry):
    """The runs, the tasks (both axes), the sources and the targets of ``records``."""
    runs = tuple(dict.fromkeys(run for run, source, _ in records if source != ZERO_SHOT))
    if not runs:
        raise InputError(f"{path}: model {label!r} has only zero-shot rows, nothing finetuned")
    finetuned = [(source, target) for _, source, target in records if source != ZERO_SHOT]
    sources = {source for source, _ in finetuned}
    targets = {target for _, target in finetuned}
    tasks = tuple(t for t in registry if t in sources | targets)
    return (
        runs,
        tasks,
        tuple(t for t in tasks if t in sources),
        tuple(t for t in tasks if t in targets),
    )


def _from_pgf(path, label, records, registry):
    runs, tasks, sources, targets = _axes(path, label, records, registry)
    index = {t: k for k, t in enumerate(tasks)}
    run_index = {r: k for k, r in enumerate(runs)}
    values = np.full((len(runs), len(tasks), len(tasks)), np.nan)
    for (run, source, target), (_, value) in records.items():
        values[run_index[run], index[source], index[target]] = value
    _warn_missing(path, label, len(runs), len(sources), len(targets), records)
    return ModelRuns(label, tasks, runs, values, str(path), sources=sources, targets=targets)


def _from_counts(path, label, records, registry, ceilings, steps):
    runs, tasks, sources, targets = _axes(path, label, records, registry)
    baselines = {(run, t): acc for (run, s, t), (_, acc) in records.items() if s == ZERO_SHOT}
    ceiling = np.array([ceilings.get(t, 1.0) for t in tasks])
    acc, acc0 = _accuracies(path, label, records, runs, tasks, baselines)
    values = pgf(acc, acc0, ceiling=ceiling, names=(runs, tasks))
    _warn_missing(path, label, len(runs), len(sources), len(targets), records)
    by_step = {}
    for step, found in steps.items():
        step_acc, _ = _accuracies(path, label, found, runs, tasks, baselines, step=step)
        with warnings.catch_warnings():  # the same baselines: warned about above
            warnings.simplefilter("ignore", UndefinedPGFWarning)
            by_step[step] = pgf(step_acc, acc0, ceiling=ceiling)
    return ModelRuns(
        label,
        tasks,
        runs,
        values,
        str(path),
        acc=acc,
        acc0=acc0,
        steps=by_step or None,
        sources=sources,
        targets=targets,
    )


def _accuracies(path, label, records, runs, tasks, baselines, *, step=None):
    """Finetuned accuracies of ``records`` on the axes given, and their baselines."""
    index = {t: k for k, t in enumerate(tasks)}
    run_index = {r: k for k, r in enumerate(runs)}
    baseline_runs = {run for run, _ in baselines}
    acc = np.full((len(runs), len(tasks), len(tasks)), np.nan)
    acc0 = np.full((len(runs), len(tasks)), np.nan)
    for (run, source, target), (line, value) in records.items():
        if source == ZERO_SHOT:
            continue
        if step is not None and not (run in run_index and source in index and target in index):
            raise InputError(
                f"{path}, line {line}: model {label!r}, run {run!r}, source {source!r}, target "
                f"{target!r} at step {step:g} is outside the final rows' runs and tasks; a "
                "checkpoint's rows come with their cell's final ones"
            )
        if (run, target) in baselines or len(baseline_runs) != 1:
            base_run = run
        else:  # a run without its own baseline borrows the model's only one
            (base_run,) = baseline_runs
        if (base_run, target) not in baselines:
            raise InputError(
                f"{path}, line {line}: source {source!r} of model {label!r}, run {run!r} has "
                f"no zero-shot baseline on target {target!r}; add a row with source "
                f"'{ZERO_SHOT}' for that run and target"
            )
        acc[run_index[run], index[source], index[target]] = value
        acc0[run_index[run], index[target]] = baselines[(base_run, target)]
    return acc, acc0


def _warn_missing(path, label, n_runs, n_sources, n_targets, records):
    expected = n_runs * n_sources * n_targets
    found = sum(1 for _, s, _ in records if s != ZERO_SHOT)
    if found < expected:
        warnings.warn(
            f"{path}: model {label!r} has {expected - found} of {expected} "
            "(run, source, target) cells missing; they are left out of every aggregate",
            IncompleteTableWarning,
            stacklevel=4,
        )

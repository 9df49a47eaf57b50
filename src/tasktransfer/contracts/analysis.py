"""``analysis.json`` and the analysis folder: what ``tasktransfer analyze`` writes.

The analysis folder::

    analysis.json                  the whole analysis (:class:`Analysis`)
    pgf_<slug>.csv                 every run's PGF, the published format (PGF_COLUMNS)
    pgf_mean_<slug>.csv            the run-mean PGF and its std, one row per pair (and
                                   ci_low, ci_high, pgf_mean_controlled, prior_explained
                                   from a study's predictions)
    transferability_<slug>.csv     Δ±/Θ± of every task with its persona p- and q-values
                                   (and <metric>_ci_low, <metric>_ci_high likewise)
    heatmap_<slug>.png, graph_<slug>.png
    summary.md, report.html
    study.json                     the study the analysis came from (studies only)
    selection.csv, selection.json  the selection experiment (studies with one)

``<slug>`` is the model label made a file name (:func:`tasktransfer.files.slugs`).

An :class:`Analysis` is a typed core per model (:class:`ModelEntry`: tasks, its sources and
targets, runs, the PGF matrices, abbreviations, where it came from) plus the sections of
the analysis units (:mod:`tasktransfer.units`). A unit's sections are JSON values under
keys of its own, written beside the core keys of each model
(``models[label]["personas"]``) or at the top level (``pooled``); only the unit that
writes a key reads it, through the accessors of its module. The JSON keys are those of
``DESIGN.md`` ("Outputs of tasktransfer analyze"), plus ``sources`` and ``targets`` and the
units' own (``transferability_n``, ``steps``, ``uncertainty``, ``views``,
``lora_similarity``, the ``*_controlled`` keys, ``recovery``);
``tasktransfer.units.UNITS`` lists the units.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic

ANALYSIS_JSON = "analysis.json"
SUMMARY_MD = "summary.md"
REPORT_HTML = "report.html"
STUDY_JSON = "study.json"
SELECTION_CSV, SELECTION_JSON = "selection.csv", "selection.json"

# Rows = sources, columns = targets, both in ``tasks`` order (a task that is only a target
# has a row of None; see ModelEntry.sources).
Matrix = list[list[float | None]]


@dataclass(frozen=True)
class ModelFiles:
    """The files of one model in an analysis folder.

    Examples
    --------
    >>> ModelFiles(Path("out"), "tiny").as_json()["heatmap"]
    'heatmap_tiny.png'
    """

    root: Path
    slug: str

    @property
    def pgf(self) -> Path:
        return self.root / f"pgf_{self.slug}.csv"

    @property
    def pgf_mean(self) -> Path:
        return self.root / f"pgf_mean_{self.slug}.csv"

    @property
    def transferability(self) -> Path:
        return self.root / f"transferability_{self.slug}.csv"

    @property
    def heatmap(self) -> Path:
        return self.root / f"heatmap_{self.slug}.png"

    @property
    def graph(self) -> Path:
        return self.root / f"graph_{self.slug}.png"

    def as_json(self) -> dict[str, str]:
        """The file names, as the ``files`` key of a model in ``analysis.json``."""
        names = ("pgf", "pgf_mean", "transferability", "heatmap", "graph")
        return {name: getattr(self, name).name for name in names}


@dataclass(frozen=True)
class AnalysisLayout:
    """The files of an analysis folder.

    Examples
    --------
    >>> AnalysisLayout(Path("out")).analysis_json.as_posix()
    'out/analysis.json'
    """

    root: Path

    @property
    def analysis_json(self) -> Path:
        return self.root / ANALYSIS_JSON

    @property
    def summary(self) -> Path:
        return self.root / SUMMARY_MD

    @property
    def report(self) -> Path:
        return self.root / REPORT_HTML

    @property
    def study(self) -> Path:
        return self.root / STUDY_JSON

    @property
    def selection_csv(self) -> Path:
        return self.root / SELECTION_CSV

    @property
    def selection_json(self) -> Path:
        return self.root / SELECTION_JSON

    def model(self, slug: str) -> ModelFiles:
        return ModelFiles(self.root, slug)


class Accuracy(TypedDict):
    """The accuracies behind the PGF of a results table of counts."""

    finetuned: list[Matrix]  # (n_runs, n_sources, n_targets)
    zero_shot: list[list[float | None]]  # (n_runs, n_targets)


@dataclass
class ModelEntry:
    """One model of ``analysis.json``: the core every unit reads, and the units' sections.

    Attributes
    ----------
    tasks : list of str
        Task order of both matrix axes: every source and every target.
    sources, targets : list of str
        The tasks finetuned on (the matrix's measured rows) and those evaluated (its
        columns), in ``tasks`` order. In a square study both are ``tasks``; in a
        rectangular one (targets beyond its sources) the rows of the tasks that are only
        targets are None, and :meth:`rectangle` cuts out the sources x targets matrix.
    runs : list of str
        Run labels.
    pgf_mean, pgf_std : list of list of float or None
        Mean and sample std over runs, sources as rows; None (NaN) where undefined.
    pgf_runs : list of list of list of float or None
        Every run's PGF, shape (n_runs, n_sources, n_targets); None where undefined or
        not measured.
    abbrev : list of str
        Abbreviation of each task (the task's name when it is not registered).
    origin : str or None
        The file or alias the model was read from.
    size_b : float or None
        Size in billions of parameters, when known.
    accuracy : Accuracy or None
        Finetuned and zero-shot accuracies (results tables of counts only).
    files : dict of str to str
        The model's files in the folder (:meth:`ModelFiles.as_json`).
    sections : dict of str to object
        The units' per-model sections, by JSON key.
    """

    tasks: list[str]
    sources: list[str]
    targets: list[str]
    runs: list[str]
    pgf_mean: Matrix
    pgf_std: Matrix
    pgf_runs: list[Matrix]
    abbrev: list[str]
    origin: str | None = None
    size_b: float | None = None
    accuracy: Accuracy | None = None
    files: dict[str, str] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def is_square(self) -> bool:
        """Whether every task is both a source and a target."""
        return len(self.sources) == len(self.targets) == len(self.tasks)

    @property
    def rows(self) -> list[int]:
        """The positions in :attr:`tasks` of the sources, the measured rows."""
        return [i for i, t in enumerate(self.tasks) if t in self.sources]

    @property
    def square_part(self) -> list[str]:
        """The tasks that are both a source and a target, in :attr:`tasks` order."""
        return [t for t in self.tasks if t in self.sources and t in self.targets]

    @property
    def columns(self) -> list[int]:
        """The positions in :attr:`tasks` of the targets, the measured columns: first the
        targets that are sources too (:attr:`square_part`), then those only evaluated."""
        shared = self.square_part
        only = [t for t in self.targets if t not in shared]
        return [self.tasks.index(t) for t in shared + only]

    def rectangle(self, matrix: Matrix) -> Matrix:
        """The sources x targets part of a matrix on :attr:`tasks` x :attr:`tasks`, with the
        columns of :attr:`columns` (the identity in a square study).

        Examples
        --------
        >>> entry = ModelEntry(["A", "B", "C"], ["B"], ["A", "B", "C"], ["r"],
        ...                    [], [], [], ["A", "B", "C"])
        >>> entry.rectangle([[None] * 3, [1, 2, 3], [None] * 3])
        [[2, 1, 3]]
        """
        return [[matrix[i][j] for j in self.columns] for i in self.rows]


CORE_KEYS = tuple(f.name for f in dataclasses.fields(ModelEntry) if f.name != "sections")


@dataclass
class Analysis:
    """The content of ``analysis.json``.

    Attributes
    ----------
    models : dict of str to ModelEntry
        By model label, in input order.
    options : dict of str to object
        The options the analysis ran with.
    sections : dict of str to object
        The units' top-level sections, by JSON key.
    selection : list of dict or None
        The selection experiment's entries from ``selection.json`` (studies with one);
        not part of ``analysis.json``.
    """

    models: dict[str, ModelEntry]
    options: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    selection: list[dict] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``analysis.json`` layout: core and sections side by side, options last."""
        models = {
            label: {**{k: getattr(entry, k) for k in CORE_KEYS}, **entry.sections}
            for label, entry in self.models.items()
        }
        return {"models": models, **self.sections, "options": self.options}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Analysis:
        """The inverse of :meth:`to_json`; keys that are not core become sections."""
        models = {}
        for label, raw in data["models"].items():
            core = {k: raw[k] for k in CORE_KEYS if k in raw}
            # Written before these keys existed: names as abbreviations, no per-run values.
            core.setdefault("abbrev", list(raw["tasks"]))
            core.setdefault("pgf_runs", [])
            # Written before rectangular studies: every task a source and a target.
            core.setdefault("sources", list(raw["tasks"]))
            core.setdefault("targets", list(raw["tasks"]))
            sections = {k: v for k, v in raw.items() if k not in CORE_KEYS}
            models[label] = ModelEntry(**core, sections=sections)
        sections = {k: v for k, v in data.items() if k not in ("models", "options")}
        return cls(models=models, options=dict(data.get("options", {})), sections=sections)


class AnswerRow(TypedDict):
    """One results row's answer letters, as ``study.json`` keeps them."""

    run: str
    source: str
    target: str
    answer_counts: dict[str, int]  # letter -> count; empty when the table has none
    n_unparsed: int | None
    n_total: int
    collapsed: bool  # the predictions collapsed onto one letter
    # Mean probability on the offered options' forms; None when not measured (generate mode,
    # or a study.json written before it existed: read both with .get).
    letter_mass: float | None
    format_mismatch: bool  # letter_mass below the evaluation's threshold


class Study(TypedDict):
    """``study.json``: what the page shows of the study the analysis came from."""

    config: str | None  # the text of config.yaml
    environment: dict[str, Any] | None  # environment.json
    answers: dict[str, list[AnswerRow]]  # per model label
    protocol: str | None  # one sentence (report/study.py); old study.json files lack it


def jsonable(value):
    """``value`` with NaN and infinities as ``None`` and numpy scalars as Python ones.

    Examples
    --------
    >>> jsonable({"a": [float("nan"), 1.5], 2: (3,)})
    {'a': [None, 1.5], '2': [3]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(value, path: str | Path) -> Path:
    """Write ``value`` as strict JSON (NaN becomes ``null``), atomically."""
    return write_atomic(path, json.dumps(jsonable(value), indent=1, allow_nan=False) + "\n")


def read_json(path: str | Path) -> Any:
    """A JSON file of the folder; a malformed one is an ``InputError`` naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not a JSON file ({err.__class__.__name__})") from None


def read_analysis(folder: str | Path) -> Analysis:
    """The :class:`Analysis` of an analysis folder, with its selection experiment if any.

    Raises
    ------
    InputError
        When the folder holds no ``analysis.json``, or it is not the analysis layout.
    """
    layout = AnalysisLayout(Path(folder))
    if not layout.analysis_json.is_file():
        raise InputError(f"{layout.root} holds no analysis.json; run `tasktransfer analyze` first")
    data = read_json(layout.analysis_json)
    try:
        analysis = Analysis.from_json(data)
    except (KeyError, TypeError, AttributeError) as err:
        raise InputError(f"{layout.analysis_json}: not an analysis ({err!r})") from None
    if layout.selection_json.is_file():
        analysis.selection = read_json(layout.selection_json)["targets"]
    return analysis

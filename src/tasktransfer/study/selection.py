"""The selection experiment of a study: its ``selection`` section as mixtures, and its table.

:func:`plan_selection` turns the section into labelled mixtures, per target (``<ab>`` its
abbreviation):

``direct-<ab>``
    ``budget`` examples of the target itself.
``guided-<ab>``
    The rule's recommendation from the ``pgf_from`` matrix
    (:func:`tasktransfer.analysis.selection.select_sources`, as ``tasktransfer select``),
    among the study's tasks only, so that every arm draws from the same pool.
``random-<ab>-<i>``
    As many sources as the guided mixture, drawn uniformly without replacement from the
    same pool, given the guided mixture's counts in its order (same total, same shares:
    only the choice of sources differs). Drawn by a numpy Generator seeded from the study
    name, the target and ``i``, so a re-run plans the same mixtures.

:func:`with_selection` adds them to the study's ``mixtures``, so they run, resume and are
keyed as any other mixture; :func:`write_selection` writes the comparison table
(:func:`tasktransfer.analysis.experiment.compare_arms`) as ``selection.csv`` and
``selection.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasktransfer.contracts import read_results
from tasktransfer.contracts.analysis import AnalysisLayout, write_json
from tasktransfer.data.mixture import MixtureFile, mixture_from_selection
from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic
from tasktransfer.study.config import StudyConfig

CSV_COLUMNS = (
    "model", "target", "arm", "mixtures", "n", "acc_mean", "acc_std", "pgf_mean", "pgf_std",
    "guided_beats_random", "guided_beats_direct", "verdict",
)  # fmt: skip


@dataclass(frozen=True)
class SelectionPlan:
    """The mixtures of a selection section and which arm each belongs to.

    Attributes
    ----------
    mixtures : dict of str to MixtureFile
        Label -> mixture, every target's direct, guided and random mixtures.
    arms : dict of str to dict of str to list of str
        Target -> arm (``direct``, ``guided``, ``random``) -> labels; ``guided`` and
        ``random`` are empty when the rule recommends nothing for the target.
    notes : dict of str to list of str
        Target -> the rule's warnings (see :class:`tasktransfer.analysis.selection.Selection`).
    """

    mixtures: dict[str, MixtureFile]
    arms: dict[str, dict[str, list[str]]]
    notes: dict[str, list[str]]


def plan_selection(config: StudyConfig) -> SelectionPlan:
    """The mixtures of ``config.selection`` (see the module docstring).

    Raises
    ------
    InputError
        When ``pgf_from`` cannot be read or lacks a target, or a label is already one of
        the study's mixtures.
    """
    from tasktransfer.analysis.reference import ALIAS_PREFIX, PUBLISHED, is_alias
    from tasktransfer.analysis.selection import load_pgf, select_sources

    section = config.selection
    if section is None:
        raise ValueError("the study has no selection section")
    where = f"selection.pgf_from {section.pgf_from!r}"
    if not is_alias(section.pgf_from) and not Path(section.pgf_from).exists():
        aliases = ", ".join(ALIAS_PREFIX + size for size in PUBLISHED)
        raise InputError(
            f"{where}: no such study folder or table (nor an alias: {aliases}); run the study "
            "that measures the PGF matrix first, or point pgf_from at its folder"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the PGF source's own analysis reports them
            runs = load_pgf(section.pgf_from, model=section.model, registry=config.registry)
    except (InputError, OSError) as err:
        raise InputError(f"{where}: {err}") from err
    # Sources outside the study are ruled out: guided and random draw from one pool.
    outside = {t: 0 for t in runs.tasks if t not in config.tasks}
    mixtures: dict[str, MixtureFile] = {}
    arms: dict[str, dict[str, list[str]]] = {}
    notes: dict[str, list[str]] = {}
    for target in section.targets:
        abbrev = config.registry[target].abbrev
        direct = f"direct-{abbrev}"
        mixtures[direct] = _mixture({target: section.budget}, config)
        arms[target] = {"direct": [direct], "guided": [], "random": []}
        try:
            selection = select_sources(
                runs.pgf,
                runs.tasks,
                [target],
                section.budget,
                rule=section.rule,
                threshold=section.threshold,
                k=section.k,
                cap=section.cap,
                available=outside,
                include_target=section.include_target,
            )
        except InputError as err:
            raise InputError(f"{where}: {err}") from err
        notes[target] = list(selection.notes)
        if not selection.mixture:
            continue
        guided = f"guided-{abbrev}"
        mixtures[guided] = mixture_from_selection(
            selection,
            pgf_source=section.pgf_from,
            model=runs.model,
            threshold=section.threshold,
            k=section.k,
            include_target=section.include_target,
            available=outside,
            registry=config.registry,
        )
        arms[target]["guided"] = [guided]
        pool = [t for t in config.tasks if section.include_target or t != target]
        for i in range(section.random_mixtures):
            label = f"random-{abbrev}-{i}"
            counts = random_mixture(selection.mixture, pool, seed=(config.name, target, i))
            mixtures[label] = _mixture(counts, config)
            arms[target]["random"].append(label)
    taken = sorted(set(mixtures) & set(config.mixtures))
    if taken:
        raise InputError(
            f"mixture label(s) {', '.join(taken)} are planned by the selection section; "
            "rename them in the study's mixtures"
        )
    return SelectionPlan(mixtures, arms, notes)


def _mixture(counts: dict[str, int], config: StudyConfig) -> MixtureFile:
    """A mixture of the study's tasks, checked against the study's registry."""
    return MixtureFile.model_validate({"mixture": counts}, context={"registry": config.registry})


def random_mixture(guided: dict[str, int], pool: list[str], *, seed: tuple) -> dict[str, int]:
    """As many sources of ``pool`` as ``guided`` has, drawn at random, with its counts.

    Parameters
    ----------
    guided : dict of str to int
        The mixture to match: its counts, in order, go to the drawn sources, in draw order.
    pool : list of str
        The candidate sources, at least as many as ``guided`` has.
    seed : tuple
        Hashed (SHA-256 of its ``repr``) into the numpy Generator's seed.

    Returns
    -------
    dict of str to int
        In ``pool`` order.

    Examples
    --------
    >>> mix = random_mixture({"A": 3, "B": 1}, ["A", "B", "C", "D"], seed=("s", "T", 0))
    >>> sorted(mix.values()), len(mix), set(mix) <= {"A", "B", "C", "D"}
    ([1, 3], 2, True)
    >>> mix == random_mixture({"A": 3, "B": 1}, ["A", "B", "C", "D"], seed=("s", "T", 0))
    True
    """
    digest = hashlib.sha256(repr(seed).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    drawn = rng.choice(len(pool), size=len(guided), replace=False)
    by_index = dict(zip(drawn.tolist(), guided.values(), strict=True))
    return {pool[k]: by_index[k] for k in sorted(by_index)}


def with_selection(config: StudyConfig, plan: SelectionPlan) -> StudyConfig:
    """``config`` with the plan's mixtures added to its own."""
    return config.model_copy(update={"mixtures": {**config.mixtures, **plan.mixtures}})


def plan_json(plan: SelectionPlan) -> dict:
    """The plan as JSON-ready data (``selection_plan.json`` of the study folder)."""
    return {
        "arms": plan.arms,
        "notes": plan.notes,
        "mixtures": {
            k: m.model_dump(mode="json", exclude_none=True) for k, m in plan.mixtures.items()
        },
    }


def write_selection(results: Path, plan: SelectionPlan, out_dir: Path) -> list[dict]:
    """Compare the arms on ``results`` and write ``selection.csv`` and ``selection.json``.

    Parameters
    ----------
    results : Path
        The study's ``results.csv`` (with the mixture rows).
    plan : SelectionPlan
    out_dir : Path
        The analysis folder.

    Returns
    -------
    list of dict
        :func:`tasktransfer.analysis.experiment.compare_arms`'s entries, each with the
        target's rule ``notes`` added.
    """
    from tasktransfer.analysis.experiment import compare_arms

    # The final adapters' rows: a training-step checkpoint is not another run of an arm.
    rows = [dataclasses.asdict(row) for row in read_results(results) if row.step in (None, 1.0)]
    table = compare_arms(rows, plan.arms)
    for entry in table:
        entry["notes"] = plan.notes.get(entry["target"], [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in table:
        for arm in entry["arms"]:
            writer.writerow(
                {
                    **{k: entry[k] for k in ("model", "target", "verdict")},
                    **{k: entry[k] for k in ("guided_beats_random", "guided_beats_direct")},
                    **{
                        k: arm[k]
                        for k in ("arm", "n", "acc_mean", "acc_std", "pgf_mean", "pgf_std")
                    },
                    "mixtures": " ".join(arm["labels"]),
                }
            )
    out = AnalysisLayout(out_dir)
    write_atomic(out.selection_csv, buffer.getvalue())
    write_json({"targets": table}, out.selection_json)  # strict JSON: NaN as null
    return table

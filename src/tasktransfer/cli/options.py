"""The options that several commands share: one flag, one name, one help text each.

A command declares ``model: ModelOpt = "tiny"``; its default stays in its own signature
(``--split`` reads ``train`` to finetune and ``val`` to evaluate). Options are grouped in
``--help`` by panel: the model to load, the data to read, the settings of the step.

``--set KEY=VALUE`` reaches any field of the step's settings through the study's override
parser (:func:`tasktransfer.overrides.apply_overrides`): :func:`settings` applies it over the
dedicated flags, and :func:`invalid_settings` turns pydantic's errors into one
:class:`~tasktransfer.errors.InputError` naming each bad key, as a study config does.

Imports neither torch nor the model layer: ``--help`` stays instant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

MODEL = "Model"
DATA = "Data"
SETTINGS = "Settings"

# The model to load (finetune, evaluate).
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="'tiny' (the offline model), a model folder, or a hub id.",
        rich_help_panel=MODEL,
    ),
]
DtypeOpt = Annotated[
    Literal["bfloat16", "float16", "float32"] | None,
    typer.Option(
        metavar="<dtype>",
        help="Weights dtype: bfloat16, float16 or float32 (default: bf16 on CUDA, fp32 on CPU).",
        rich_help_panel=MODEL,
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(help="cpu, cuda, cuda:1, ... (default: CUDA if present).", rich_help_panel=MODEL),
]
ImageMaxPixelsOpt = Annotated[
    int | None,
    typer.Option(
        help="Downscale each image to at most this many pixels (default: the model's preset, "
        "1003520 for hub models, none for tiny).",
        rich_help_panel=MODEL,
    ),
]
TrustRemoteCodeOpt = Annotated[
    bool,
    typer.Option(
        "--trust-remote-code",
        help="Run the hub repository's own code (only if you trust it).",
        rich_help_panel=MODEL,
    ),
]

# The examples to read (finetune, evaluate, data show|stats).
DataOpt = Annotated[
    str,
    typer.Option(
        "--data",
        "--source",
        help="'synthetic', a folder of <task>/<split>.parquet|.jsonl, or a hub dataset id "
        "such as BLINK-Benchmark/BLINK.",
        rich_help_panel=DATA,
    ),
]
SplitOpt = Annotated[
    str, typer.Option("--split", help="Split to read: train, val or test.", rich_help_panel=DATA)
]
TasksOpt = Annotated[
    str | None,
    typer.Option(
        "--tasks",
        help="Comma-separated tasks, by name or abbreviation (default: every task).",
        rich_help_panel=DATA,
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", help="At most this many examples per task.", rich_help_panel=DATA),
]
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed",
        help="Synthetic: the suite's instance; else the subsample.",
        rich_help_panel=DATA,
    ),
]
RunOpt = Annotated[
    str,
    typer.Option("--run", help="Run label of the results (one per seed); 'seed_N' sets seed N."),
]

# Any field of the step's settings (finetune, evaluate).
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Any setting, the value read as YAML as in a study's overrides; repeatable, "
        "applied last. KEY: a field of these settings (an unknown KEY lists them) or "
        "model.FIELD.",
        rich_help_panel=SETTINGS,
        show_default=False,
    ),
]

# Reading results and labels (analyze, export, select, report, tasks ls).
LabelsOpt = Annotated[
    Path | None,
    typer.Option(
        "--labels", help="YAML file overriding task labels (level, granularity) or adding tasks."
    ),
]
ReferenceDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--reference-dir",
        help="Folder holding the published tables under their published names (default: "
        "$TASKTRANSFER_REFERENCE_DIR, else download them).",
    ),
]
CeilingOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ceiling",
        metavar="TASK=VALUE",
        help="Per-task accuracy ceiling in (0, 1] (default 1); repeatable.",
        show_default=False,
    ),
]
ModelLabelOpt = Annotated[
    str | None,
    typer.Option("--model", help="The model to use when the table holds several."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace a non-empty --out.")]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="Hide the progress bar.")]


def task_list(tasks: str | None, data: str) -> list[str]:
    """``--tasks A,B`` as a list; without it, every task of ``data``."""
    if tasks:
        return [t.strip() for t in tasks.split(",") if t.strip()]
    from tasktransfer.data.loaders import default_tasks

    return default_tasks(data)


def settings(
    flags: Mapping[str, Mapping[str, Any]], overrides: Sequence[str] | None, *, section: str
) -> dict[str, dict[str, Any]]:
    """A step's settings by section: the flags that were given, then ``--set`` over them.

    Parameters
    ----------
    flags : mapping of str to mapping
        Section (``"model"``, ``"finetune"``, ``"evaluation"``) -> field -> the flag's value;
        None means the flag was not given and the field keeps its default.
    overrides : sequence of str or None
        The ``--set`` values. A key without a dot belongs to ``section``
        (``steps=50`` is ``finetune.steps=50``, as a study writes it).
    section : str
        The step's own section.

    Returns
    -------
    dict
        Section -> field -> value, not yet validated (see :func:`invalid_settings`).

    Examples
    --------
    >>> settings({"model": {"dtype": None}, "finetune": {"steps": 5}},
    ...          ["lora_rank=8", "model.dtype=float32"], section="finetune")
    {'model': {'dtype': 'float32'}, 'finetune': {'steps': 5, 'lora_rank': 8}}
    """
    from tasktransfer.errors import InputError
    from tasktransfer.overrides import apply_overrides

    data = {
        name: {k: v for k, v in fields.items() if v is not None} for name, fields in flags.items()
    }
    keyed = [o if "." in o.partition("=")[0] else f"{section}.{o}" for o in overrides or []]
    apply_overrides(data, keyed)
    unknown = [name for name in data if name not in flags]
    if unknown:
        raise InputError(
            f"--set {unknown[0]}.…: no such section; use a field name, or one of "
            f"{', '.join(f'{name}.FIELD' for name in flags)}"
        )
    return data


@contextmanager
def invalid_settings(section: str, fields: Sequence[str]) -> Iterator[None]:
    """Turn a pydantic ValidationError raised inside into an InputError naming each key.

    ``section`` prefixes each key as a study config would show it (``finetune.lrr``);
    ``fields`` are listed when a key is unknown, so the message says what to use instead.
    """
    from pydantic import ValidationError

    from tasktransfer.errors import InputError
    from tasktransfer.overrides import describe_errors

    try:
        yield
    except ValidationError as err:
        errors = err.errors()
        message = f"invalid {section} settings:\n{describe_errors(errors, prefix=section + '.')}"
        if any(e["type"] == "extra_forbidden" for e in errors):
            message += f"\n{section} settings are: {', '.join(fields)}"
        raise InputError(message) from None

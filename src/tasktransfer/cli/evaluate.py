"""``tasktransfer evaluate``: score a base model and its adapters on target tasks."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from tasktransfer.cli.options import (
    SETTINGS,
    DataOpt,
    DeviceOpt,
    DtypeOpt,
    ImageMaxPixelsOpt,
    LabelsOpt,
    LimitOpt,
    ModelOpt,
    NoProgressOpt,
    RunOpt,
    SeedOpt,
    SetOpt,
    SplitOpt,
    TasksOpt,
    TrustRemoteCodeOpt,
    invalid_settings,
    settings,
    task_list,
)
from tasktransfer.contracts import ZERO_SHOT


def _adapter(spec: str) -> tuple[str, Path]:
    """``LABEL=DIR`` or ``DIR`` (labelled by the folder name)."""
    label, sep, folder = spec.partition("=")
    if not sep:
        folder, label = spec, Path(spec).name
    if not label or not folder:
        from tasktransfer.errors import InputError

        raise InputError(f"--adapter {spec!r}: expected DIR or LABEL=DIR")
    return label, Path(folder)


def evaluate(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for predictions.jsonl, rows.csv, meta.json.", show_default=False
        ),
    ],
    tasks: TasksOpt = None,
    adapter: Annotated[
        list[str] | None,
        typer.Option(
            "--adapter",
            metavar="[LABEL=]DIR",
            help="A LoRA adapter or full-model folder, labelled by LABEL or the folder "
            "name. Repeatable; all adapters share one loaded base.",
            show_default=False,
        ),
    ] = None,
    with_base: Annotated[
        bool,
        typer.Option("--with-base", help="Also evaluate the base model (source 'zero-shot')."),
    ] = False,
    data: DataOpt = "synthetic",
    split: SplitOpt = "val",
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    run: RunOpt = "seed_0",
    labels: LabelsOpt = None,
    mode: Annotated[
        Literal["likelihood", "generate"] | None,
        typer.Option(
            help="likelihood (letter scores, the default) or generate (greedy decoding read "
            "by the strict BLINK answer parser; --set parser=lenient also reads 'A)', 'A.' "
            "and 'Answer: A').",
            rich_help_panel=SETTINGS,
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Questions per forward pass.", rich_help_panel=SETTINGS)
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(help="Generation budget (generate mode).", rich_help_panel=SETTINGS),
    ] = None,
    set_: SetOpt = None,
    model: ModelOpt = "tiny",
    dtype: DtypeOpt = None,
    device: DeviceOpt = None,
    image_max_pixels: ImageMaxPixelsOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    no_progress: NoProgressOpt = False,
) -> None:
    """Evaluate a model and its adapters on target tasks; write predictions and rows.

    Prints one row per (adapter, target): accuracy, predicted-letter counts,
    unparsed answers (generate mode) and a flag when the predictions collapse
    onto one letter. rows.csv is a results table whose source is each adapter's
    label (the base is 'zero-shot'): label adapters by the task they were
    finetuned on and `tasktransfer analyze rows.csv` reads it as it is.
    --set KEY=VALUE sets any evaluation setting (an unknown KEY lists them all),
    e.g. --set share_image_features=false.

    Examples:

      tasktransfer evaluate --tasks Counting,Relative_Depth --out eval/

      tasktransfer evaluate --adapter Counting=adapters/counting --with-base \\
          --tasks CN,RD --data synthetic --split val --out eval/

      tasktransfer evaluate --model Qwen/Qwen2.5-VL-3B-Instruct \\
          --data BLINK-Benchmark/BLINK --mode generate --out eval/qwen
    """
    from tasktransfer.data import load_examples
    from tasktransfer.model import EvalConfig, ModelConfig, prepare_models
    from tasktransfer.model import evaluate as run_evaluate
    from tasktransfer.tasks import load_registry

    registry = load_registry(labels)
    names = [registry.resolve(t).name for t in task_list(tasks, data)]
    states: dict[str, Path | None] = dict(_adapter(spec) for spec in adapter or [])
    if with_base or not states:
        states = {ZERO_SHOT: None, **states}
    given = settings(
        {
            "model": dict(
                name=model, dtype=dtype, device=device, image_max_pixels=image_max_pixels,
                trust_remote_code=trust_remote_code or None,
            ),
            "evaluation": dict(mode=mode, batch_size=batch_size, max_new_tokens=max_new_tokens),
        },
        set_,
        section="evaluation",
    )  # fmt: skip
    with invalid_settings("model", list(ModelConfig.model_fields)):
        model_config = ModelConfig(**given["model"])
    with invalid_settings("evaluation", list(EvalConfig.model_fields)):
        config = EvalConfig(**given["evaluation"])
    examples = load_examples(
        data, names, split, limit=limit, seed=seed, require_answers=True, registry=registry
    )
    prepare_models([model_config], progress=not no_progress)
    result = run_evaluate(
        model_config, examples, adapters=states, config=config, progress=not no_progress
    )
    result.meta.update(data_source=data, split=split, seed=seed, limit=limit)
    paths = result.save(out, model=model_config.name, run=run)
    rows = result.results(model=model_config.name, run=run)
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(row) for row in rows], indent=2))
        return
    _print_rows(rows)
    typer.echo(f"predictions: {paths['predictions']}\nrows: {paths['rows']}")


def _print_rows(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="evaluation")
    for key in ("source", "target"):
        # Names stay whole; the letter counts wrap instead on a narrow terminal.
        width = max(len(key), *(len(getattr(row, key)) for row in rows))
        table.add_column(key, no_wrap=True, min_width=width)
    for column in ("accuracy", "correct", "letters", "unparsed", "collapsed"):
        table.add_column(column)
    for row in rows:
        # A numeric target has no letters, and its n_correct is a float sum of scores.
        letters = " ".join(f"{k}:{v}" for k, v in (row.answer_counts or {}).items())
        table.add_row(
            row.source,
            row.target,
            f"{row.accuracy:.3f}",
            f"{row.n_correct:g}/{row.n_total}",
            letters,
            str(row.n_unparsed),
            "yes" if row.collapsed else "",
        )
    Console().print(table)

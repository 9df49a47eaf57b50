"""``tasktransfer evaluate``: score a base model and its adapters on target tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer


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
    tasks: Annotated[
        str, typer.Option("--tasks", help="Comma-separated target tasks (names or abbreviations).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for predictions.jsonl, rows.csv, meta.json.", show_default=False
        ),
    ],
    model: Annotated[
        str, typer.Option("--model", help="'tiny' (offline default), a model folder, or a hub id.")
    ] = "tiny",
    adapter: Annotated[
        list[str] | None,
        typer.Option(
            "--adapter",
            help="A LoRA adapter or full-model folder, as DIR or LABEL=DIR. Repeatable; all "
            "adapters share one loaded base.",
        ),
    ] = None,
    with_base: Annotated[
        bool, typer.Option("--with-base", help="Also evaluate the base model (label 'base').")
    ] = False,
    data: Annotated[
        str, typer.Option("--data", help="'synthetic', a local folder, or a hub dataset id.")
    ] = "synthetic",
    split: Annotated[str, typer.Option(help="Split to evaluate on.")] = "val",
    limit: Annotated[int | None, typer.Option(help="At most this many questions per task.")] = None,
    seed: Annotated[
        int, typer.Option(help="Synthetic: the suite's instance; else the subsample.")
    ] = 0,
    mode: Annotated[
        Literal["likelihood", "generate"],
        typer.Option(help="likelihood (letter scores) or generate (greedy + strict parser)."),
    ] = "likelihood",
    batch_size: Annotated[int, typer.Option(help="Questions per forward pass.")] = 16,
    max_new_tokens: Annotated[int, typer.Option(help="Generation budget (generate mode).")] = 16,
    share_image_features: Annotated[
        bool, typer.Option(help="Encode images once for adapters that leave vision untouched.")
    ] = True,
    image_max_pixels: Annotated[int | None, typer.Option(help="Per-image pixel limit.")] = None,
    dtype: Annotated[
        Literal["bfloat16", "float16", "float32"] | None, typer.Option(help="Weights dtype.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1, ...")] = None,
    trust_remote_code: Annotated[
        bool, typer.Option(help="Run the hub repository's own code (only if you trust it).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
) -> None:
    """Evaluate a model and its adapters on target tasks; write predictions and rows.

    Prints one row per (adapter, target): accuracy, predicted-letter counts, unparsed answers
    (generate mode) and a flag when the predictions collapse onto one letter.

    Example: tasktransfer evaluate --model tiny --adapter counting=adapters/counting
    --with-base --tasks Counting,Relative_Depth --data synthetic --split val --out eval/
    """
    from tasktransfer.data import load_examples
    from tasktransfer.model import EvalConfig, ModelConfig, prepare_models
    from tasktransfer.model import evaluate as run_evaluate
    from tasktransfer.tasks import get_task

    names = [get_task(t.strip()).name for t in tasks.split(",") if t.strip()]
    states: dict[str, Path | None] = dict(_adapter(spec) for spec in adapter or [])
    if with_base or not states:
        states = {"base": None, **states}
    config = EvalConfig(
        mode=mode,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        share_image_features=share_image_features,
    )
    model_config = ModelConfig(
        name=model,
        dtype=dtype,
        device=device,
        image_max_pixels=image_max_pixels,
        trust_remote_code=trust_remote_code,
    )
    examples = load_examples(data, names, split, limit=limit, seed=seed, require_answers=True)
    prepare_models([model_config])
    result = run_evaluate(model_config, examples, adapters=states, config=config, progress=progress)
    result.meta.update(data_source=data, split=split, seed=seed, limit=limit)
    paths = result.save(out)
    if as_json:
        typer.echo(json.dumps(result.rows, indent=2))
        return
    _print_rows(result.rows)
    typer.echo(f"predictions: {paths['predictions']}\nrows: {paths['rows']}")


def _print_rows(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="evaluation")
    for key in ("adapter", "target"):
        # Names stay whole; the letter counts wrap instead on a narrow terminal.
        width = max(len(key), *(len(row[key]) for row in rows))
        table.add_column(key, no_wrap=True, min_width=width)
    for column in ("accuracy", "correct", "letters", "unparsed", "collapsed"):
        table.add_column(column)
    for row in rows:
        letters = " ".join(f"{k}:{v}" for k, v in row["answer_counts"].items())
        table.add_row(
            row["adapter"],
            row["target"],
            f"{row['n_correct'] / row['n_total']:.3f}",
            f"{row['n_correct']}/{row['n_total']}",
            letters,
            str(row["n_unparsed"]),
            "yes" if row["collapsed"] else "",
        )
    Console().print(table)

"""``tasktransfer data synth|build|show|stats``: write, build, look at and summarise data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tasktransfer.cli.options import (
    DataOpt,
    JsonOpt,
    LabelsOpt,
    LimitOpt,
    NoProgressOpt,
    SeedOpt,
    SplitOpt,
    TasksOpt,
    task_list,
)

app = typer.Typer(no_args_is_help=True)

ImageSizeOpt = Annotated[int, typer.Option("--image-size", help="Synthetic image side (px).")]


@app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created if missing).")],
    train: Annotated[int, typer.Option("--train", help="Questions per task in train.")] = 500,
    val: Annotated[int, typer.Option("--val", help="Questions per task in val.")] = 200,
    test: Annotated[int, typer.Option("--test", help="Questions per task in test.")] = 200,
    tasks: TasksOpt = None,
    seed: SeedOpt = 0,
    image_size: ImageSizeOpt = 64,
    difficulty: Annotated[
        float | None,
        typer.Option(
            "--difficulty",
            help="One difficulty in [0, 1] for every task (default: each task's own default).",
        ),
    ] = None,
) -> None:
    """Write the synthetic suite as a local folder that `--data DIR` reads back.

    Each task gets <task>/<split>.parquet, and synthetic.json records the seed,
    the sizes and each task's difficulty and generator version.

    Example:

      tasktransfer data synth --out data/synth --train 500 --val 200 --test 200
    """
    from rich.progress import Progress

    from tasktransfer.data.folder import write_folder
    from tasktransfer.data.synthetic import generate, get_synthetic_task
    from tasktransfer.files import write_json_atomic

    specs = {spec.name: spec for spec in map(get_synthetic_task, task_list(tasks, "synthetic"))}
    names = list(specs)
    sizes = {"train": train, "val": val, "test": test}
    with Progress(transient=True) as progress:
        bar = progress.add_task("generating", total=len(names) * len(sizes))
        for split, n in sizes.items():
            if n <= 0:
                progress.advance(bar, len(names))
                continue
            for name in names:
                progress.update(bar, description=f"{name} {split}")
                examples = generate(
                    name, split, n, seed=seed, difficulty=difficulty, image_size=image_size
                )
                write_folder(out, split, {name: examples})
                progress.advance(bar)
    manifest = {
        "source": "synthetic",
        "seed": seed,
        "image_size": image_size,
        "sizes": sizes,
        "tasks": {
            n: {
                "difficulty": specs[n].difficulty if difficulty is None else difficulty,
                "version": specs[n].version,
            }
            for n in names
        },
    }
    write_json_atomic(out / "synthetic.json", manifest)
    typer.echo(f"wrote {len(names)} tasks x {sum(n > 0 for n in sizes.values())} splits to {out}")


@app.command("build")
def build(
    task: Annotated[str, typer.Argument(help="Task name or abbreviation, e.g. CN.")],
    source_dir: Annotated[
        Path,
        typer.Option("--from", help="The source dataset's folder (downloaded by you)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created if missing).")],
    n: Annotated[
        int | None, typer.Option("--n", help="At most this many rows (default: all usable).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sampling and drawing seed.")] = 0,
    no_progress: NoProgressOpt = False,
) -> None:
    """Build a task's training rows from its source dataset's train split.

    Writes OUT/<task>/train.parquet (BLINK schema, answer letters balanced) and
    train.manifest.json (source, split, source ids per row, builder version,
    seed, licence). Sources per task: docs/training-data.md.

    Example:

      tasktransfer data build Counting --from ~/tallyqa --out data/train --n 1000
    """
    from rich.progress import Progress

    from tasktransfer.data.builders import build as build_task
    from tasktransfer.data.builders import get_builder

    builder = get_builder(task)
    with Progress(transient=True, disable=no_progress) as progress:
        bar = progress.add_task(f"{builder.task} from {builder.source}", total=n)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        result = build_task(builder.task, source_dir, out, n=n, seed=seed, progress=advance)
    manifest = result.manifest
    counts = "  ".join(f"{k}:{v}" for k, v in manifest.answer_counts.items())
    typer.echo(
        f"wrote {len(result.examples)} {builder.task} rows to {out / builder.task} ({counts}); "
        f"left out: {manifest.skipped['balance']} for balance, "
        f"{manifest.skipped['render']} that could not be drawn"
    )
    typer.echo(f"see them with: tasktransfer data stats --data {out}")


@app.command("show")
def show(
    task: Annotated[str, typer.Argument(help="Task name or abbreviation, e.g. RD.")],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write.")],
    source: DataOpt = "synthetic",
    split: SplitOpt = "val",
    n: Annotated[int, typer.Option("--n", help="Examples on the sheet.")] = 6,
    seed: SeedOpt = 0,
    image_size: ImageSizeOpt = 64,
    labels: LabelsOpt = None,
) -> None:
    """Draw a contact sheet of a few examples with their prompt and answer.

    One row per example: its images (nearest-neighbour scaling, so the pixels a
    model sees stay visible), then its prompt and answer.

    Example:

      tasktransfer data show Jigsaw --data synthetic --out jigsaw.png
    """
    from tasktransfer.data import load_examples
    from tasktransfer.data.contact_sheet import contact_sheet
    from tasktransfer.tasks import load_registry

    registry = load_registry(labels)
    name = registry.resolve(task).name
    examples = load_examples(
        source, [name], split, limit=n, seed=seed, image_size=image_size, registry=registry
    )[name]
    out.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(examples).save(out)
    typer.echo(f"wrote {len(examples)} {name} examples to {out}")


@app.command("stats")
def stats(
    source: DataOpt = "synthetic",
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="Split to read: train, val or test (default: every split of a folder, else val).",
        ),
    ] = None,
    tasks: TasksOpt = None,
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    labels: LabelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print counts, images, choices and answer-letter balance per task.

    Answers that the split hides (BLINK's test split) count as 'hidden', numeric
    answers (video tasks) as 'number'; 'frames' is the frames per video.
    A folder's splits are all read unless --split names one, so a folder
    that `data build` wrote (train only) needs no flag.

    Example:

      tasktransfer data stats --data data/train
    """
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from tasktransfer.data import load_examples
    from tasktransfer.tasks import load_registry

    names = task_list(tasks, source)
    registry = load_registry(labels)
    rows = []
    for asked, split_name in _task_splits(source, names, split, registry):
        # Keyed by the task's full name, which an abbreviation such as CN resolves to.
        [(name, examples)] = load_examples(
            source, [asked], split_name, limit=limit, seed=seed, registry=registry
        ).items()
        letters = Counter(
            e.answer_letter or ("number" if e.answer_number is not None else "hidden")
            for e in examples
        )
        rows.append(
            {
                "task": name,
                "split": split_name,
                "n": len(examples),
                "images": sorted({len(e.images) for e in examples}),
                "frames": sorted({len(e.video.frames) for e in examples if e.video}),
                "choices": sorted({len(e.choices) for e in examples}),
                "answers": dict(sorted(letters.items())),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=source)
    for column in ("task", "split", "n", "images", "frames", "choices", "answer letters"):
        table.add_column(column)
    for row in rows:
        balance = "  ".join(f"{k}:{v}" for k, v in row["answers"].items())
        table.add_row(
            row["task"],
            row["split"],
            str(row["n"]),
            ",".join(map(str, row["images"])),
            ",".join(map(str, row["frames"])) or "-",
            ",".join(map(str, row["choices"])),
            balance,
        )
    Console().print(table)


def _task_splits(
    source: str, names: list[str], split: str | None, registry
) -> list[tuple[str, str]]:
    """(task, split) pairs to summarise: ``split`` if given, else a folder's own, else val."""
    if split is not None or not Path(source).is_dir():
        return [(name, split or "val") for name in names]
    from tasktransfer.data.folder import folder_splits
    from tasktransfer.tasks.registry import UnknownTaskError

    root = Path(source)
    pairs = []
    for name in names:
        try:  # an abbreviation names its task's folder; a folder's own task may be unregistered
            folder = registry.resolve(name).name
        except UnknownTaskError:
            folder = name
        # A task without a sub-folder (VSI-Bench's own layout) is read as before.
        found = folder_splits(root, folder) if (root / folder).is_dir() else ["val"]
        pairs += [(name, s) for s in found]
    return pairs


@app.command("dedup")
def dedup(
    folder: Annotated[Path, typer.Argument(help="A built folder (tasktransfer data build).")],
    against: Annotated[
        str,
        typer.Option("--against", help="BLINK: a hub id or a local folder in the BLINK schema."),
    ] = "BLINK-Benchmark/BLINK",
    max_distance: Annotated[
        int,
        typer.Option("--max-distance", help="Most differing bits (of 64) that still match."),
    ] = 8,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Where BLINK's hashes are kept (default: $TASKTRANSFER_CACHE/blink-phash).",
        ),
    ] = None,
    rehash: Annotated[
        bool, typer.Option("--rehash", help="Hash BLINK again even when cached.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Drop built rows with an image that matches any BLINK val or test image.

    Images match by perceptual hash (imagehash.phash, 64 bits) within
    --max-distance bits. The folder's parquet files and each task's manifest
    (its dedup report) are rewritten atomically. BLINK's hashes are cached, so
    a second dedup does not load BLINK again.

    Example:

      tasktransfer data dedup data/built --against BLINK-Benchmark/BLINK
    """
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from tasktransfer.data.dedup import dedup_folder

    reports = dedup_folder(
        folder, against, max_distance=max_distance, cache_dir=cache_dir, refresh=rehash
    )
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in reports], indent=2))
        return
    table = Table(title=f"{folder} against {against}")
    for column in ("task", "split", "kept", "dropped"):
        table.add_column(column)
    for r in reports:
        table.add_row(r.task, r.split, str(r.kept), str(r.dropped))
    Console().print(table)

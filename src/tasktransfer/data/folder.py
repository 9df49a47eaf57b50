"""A local folder in the BLINK schema: ``<task>/<split>.parquet`` or ``<task>/<split>.jsonl``.

Parquet files hold the hub's columns (``idx``, ``question``, ``sub_task``, ``image_1`` ..
``image_4``, ``choices``, ``answer``, ``prompt``, ``explanation``), images as PNG or JPEG
bytes in a ``{"bytes", "path"}`` struct (the ``datasets`` Image encoding) or plain binary.
A snapshot of the hub dataset (``<task>/<split>-00000-of-00001.parquet``) reads the same
way. JSONL files hold one row per line with ``image_k`` a path relative to the file's
folder. An optional ``meta`` column (JSON text) keeps a synthetic example's latent scene.
Video and numeric questions add ``answer_type``, ``video_frames`` (PNG bytes per frame),
``video_timestamps``, ``video_sampling`` (JSON) and ``video_source``; a file without them
holds image questions only.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tasktransfer.data.example import MAX_IMAGES, Example
from tasktransfer.data.images import decode_image, encode_png
from tasktransfer.data.validate import DataError
from tasktransfer.data.video import FrameSampling, Video
from tasktransfer.files import atomic_path

_TEXT_FIELDS = ("idx", "question", "sub_task", "answer", "prompt", "explanation")
# Task and split names become folder and file names: no separators, no leading dot.
_SAFE_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"


def _safe(kind: str, name: str) -> str:
    if not re.fullmatch(_SAFE_NAME, name):
        raise DataError(f"{kind} {name!r} cannot name a file: use letters, digits, _ . -")
    return name


def folder_tasks(root: Path) -> list[str]:
    """Task names that have a sub-folder in ``root``."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def folder_splits(root: Path, task: str) -> list[str]:
    """The splits ``task`` has a data file for under ``root``, as :func:`split_files` finds them.

    A hub snapshot's shard ``train-00000-of-00001.parquet`` belongs to split ``train``.
    """
    files = [p for p in (root / task).iterdir() if p.suffix in (".parquet", ".jsonl")]
    return sorted(
        {re.sub(r"-\d.*$", "", p.stem) if p.suffix == ".parquet" else p.stem for p in files}
    )


def split_files(root: Path, task: str, split: str) -> list[Path]:
    """The data files of one task and split, or a :class:`DataError` saying what exists."""
    _safe("split", split)
    if task not in folder_tasks(root):
        found = ", ".join(folder_tasks(root)) or "none"
        raise DataError(f"{root}: no folder for task {task!r}; the task folders are: {found}")
    folder = root / task
    for candidates in (
        [folder / f"{split}.parquet"],
        sorted(folder.glob(f"{split}-*.parquet")),
        [folder / f"{split}.jsonl"],
    ):
        found = [p for p in candidates if p.is_file()]
        if found:
            return found
    present = sorted(p.name for p in folder.iterdir() if p.suffix in (".parquet", ".jsonl"))
    raise DataError(
        f"{folder}: no file for split {split!r} (looked for {split}.parquet, "
        f"{split}-*.parquet, {split}.jsonl); found: {present or 'nothing'}"
    )


def read_folder(root: str | Path, task: str, split: str) -> list[Example]:
    """Every example of ``task`` and ``split`` under ``root``, in file order, unvalidated."""
    root = Path(root)
    examples = []
    for path in split_files(root, task, split):
        rows = read_parquet(path) if path.suffix == ".parquet" else read_jsonl(path)
        for line, row in enumerate(rows, start=1):
            examples.append(_example(row, path, line))
    return examples


def read_parquet(path: Path) -> list[dict[str, Any]]:
    """The rows of a parquet file as dicts; a :class:`DataError` naming it if unreadable."""
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as err:  # pyarrow raises several types for a broken file
        raise DataError(f"{path}: not a readable parquet file ({err})") from err


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, blank lines skipped; errors name file and line."""
    rows = []
    for line, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}, line {line}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict):
            raise DataError(f"{path}, line {line}: expected a JSON object per line")
        rows.append(row)
    return rows


def _example(row: Mapping[str, Any], path: Path, line: int) -> Example:
    at = f"{path}, row {line}, idx {row.get('idx')!r}"
    for name in ("idx", "sub_task", "choices", "answer"):
        if row.get(name) is None:
            raise DataError(f"{at}: field {name!r} is missing")
    if not isinstance(row["choices"], list | tuple):
        raise DataError(f"{at}: field 'choices' must be a list, got {row['choices']!r}")
    images = []
    for k in range(1, MAX_IMAGES + 1):
        cell = row.get(f"image_{k}")
        if cell is not None:
            images.append(_image(cell, path, f"{at}: field 'image_{k}'"))
    blink: dict[str, Any] = {name: str(row.get(name) or "") for name in _TEXT_FIELDS}
    blink["choices"] = row["choices"]
    blink.update({f"image_{k}": image for k, image in enumerate(images, start=1)})
    example = Example.from_blink_row(blink)
    if row.get("answer_type") is not None:
        example = replace(example, answer_type=str(row["answer_type"]))
    if row.get("video_frames") is not None:
        example = replace(example, video=_video(row, path, at))
    if not row.get("meta"):
        return example
    try:
        return replace(example, meta=json.loads(row["meta"]))
    except json.JSONDecodeError as err:
        raise DataError(f"{at}: field 'meta' is not valid JSON ({err.msg})") from err


def _video(row: Mapping[str, Any], path: Path, at: str) -> Video:
    """The video of a row: its frames, timestamps, sampling rule and source."""
    frames = tuple(
        _image(cell, path, f"{at}: field 'video_frames', frame {i}")
        for i, cell in enumerate(row["video_frames"], start=1)
    )
    try:
        sampling = FrameSampling(**json.loads(row.get("video_sampling") or "{}"))
        timestamps = tuple(float(t) for t in row.get("video_timestamps") or ())
        return Video(frames, sampling, timestamps, row.get("video_source"))
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise DataError(f"{at}: the video fields do not make a video ({err})") from err


def _image(cell: Any, path: Path, at: str):
    """Decode an image cell: bytes, a ``{"bytes", "path"}`` struct, or a relative path."""
    if isinstance(cell, dict):
        data, name = cell.get("bytes"), cell.get("path")
    elif isinstance(cell, bytes | bytearray):
        data, name = bytes(cell), None
    elif isinstance(cell, str):
        data, name = None, cell
    else:
        raise DataError(f"{at}: expected image bytes or a path, got {type(cell).__name__}")
    if data is None:
        if not name:
            raise DataError(f"{at}: the image has neither bytes nor a path")
        folder = path.parent.resolve()
        file = (folder / name).resolve()
        if not file.is_relative_to(folder):
            raise DataError(f"{at}: image path {name!r} leaves the folder {folder}")
        if not file.is_file():
            raise DataError(f"{at}: image file {file} does not exist")
        data = file.read_bytes()
    try:
        return decode_image(data)
    except Exception as err:  # PIL raises several types for undecodable bytes
        raise DataError(f"{at}: cannot decode the image ({err})") from err


def write_folder(root: str | Path, split: str, examples_by_task: Mapping[str, Sequence[Example]]):
    """Write ``<root>/<task>/<split>.parquet`` per task (atomically); returns the paths.

    Images are stored as canonical PNG bytes in the ``datasets`` Image struct, and
    ``meta`` as JSON text, so :func:`read_folder` gives back equal examples.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema(
        [(name, pa.string()) for name in ("idx", "question", "sub_task")]
        + [(f"image_{k}", image_type) for k in range(1, MAX_IMAGES + 1)]
        + [("choices", pa.list_(pa.string()))]
        + [(name, pa.string()) for name in ("answer", "prompt", "explanation", "meta")]
    )
    # Only a task with video or numeric questions gets the video columns, so an image
    # task's file keeps the hub's columns.
    video_schema = pa.schema(
        [*schema]
        + [("answer_type", pa.string()), ("video_frames", pa.list_(image_type))]
        + [("video_timestamps", pa.list_(pa.float64()))]
        + [("video_sampling", pa.string()), ("video_source", pa.string())]
    )
    paths = []
    for task, examples in examples_by_task.items():
        rows = [_row(example) for example in examples]
        path = Path(root) / _safe("task", task) / f"{_safe('split', split)}.parquet"
        has_video = any(e.video is not None or e.answer_type != "choice" for e in examples)
        table = pa.Table.from_pylist(rows, schema=video_schema if has_video else schema)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        paths.append(path)
    return paths


def _row(example: Example) -> dict[str, Any]:
    """One parquet row: the BLINK columns, then the video ones for a video or numeric question."""
    plain = replace(example, video=None, answer_type="choice")
    row = plain.to_blink_row()
    for k in range(1, MAX_IMAGES + 1):
        if row[f"image_{k}"] is not None:
            row[f"image_{k}"] = {"bytes": encode_png(row[f"image_{k}"]), "path": None}
    row["meta"] = json.dumps(example.meta, sort_keys=True) if example.meta else None
    row["answer_type"] = example.answer_type
    video = example.video
    if video is not None:
        row["video_frames"] = [{"bytes": encode_png(f), "path": None} for f in video.frames]
        row["video_timestamps"] = list(video.timestamps)
        row["video_sampling"] = json.dumps(dataclasses.asdict(video.sampling), sort_keys=True)
        row["video_source"] = video.source
    return row

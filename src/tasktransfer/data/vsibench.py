"""VSI-Bench (Yang et al., "Thinking in Space", 2025): its eight video tasks as examples.

The hub dataset ``nyu-visionx/VSI-Bench`` and a local copy of it share one layout::

    test.jsonl                     one row per question (older snapshots:
                                   test-00000-of-00001.parquet; also read: test.parquet)
    arkitscenes/<scene_name>.mp4   the videos, from the repository's arkitscenes.zip,
    scannet/<scene_name>.mp4       scannet.zip and scannetpp.zip, unzipped beside the rows
    scannetpp/<scene_name>.mp4

A row has ``id``, ``dataset`` (the video folder), ``scene_name``, ``question_type``,
``question``, ``options`` (``["A. chair", "B. table", ...]``, empty for a numeric question)
and ``ground_truth`` (the letter, or the number as text). The question types map to the
registry's ``VSI_*`` tasks (:data:`QUESTION_TYPES`); relative direction's three difficulty
levels make one task, as in VSI-Bench's tables.

From the hub, the rows come through ``datasets.load_dataset`` (its default config,
``full``: all 5,130 questions, with a ``pruned`` flag, kept in ``meta``, on those that
VSI-Bench-Debiased drops) and the videos are read where lmms-eval's VSI-Bench task unpacks them,
``$HF_HOME/vsibench`` (default ``~/.cache/huggingface/vsibench``); a local copy holds both.

Prompts are the suite's own (:func:`~tasktransfer.data.example.format_prompt`, or
:func:`~tasktransfer.data.example.format_number_prompt` for a numeric question), so that a
model finetuned on BLINK-style questions is asked in the form it learned.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasktransfer.data.example import Example, format_number_prompt, format_prompt
from tasktransfer.data.validate import DataError
from tasktransfer.data.video import FrameSampling, Video, sample_frames

VSIBENCH = "nyu-visionx/VSI-Bench"

# VSI-Bench's question types, by the registry task they belong to.
QUESTION_TYPES: dict[str, str] = {
    "object_counting": "VSI_Object_Count",
    "object_abs_distance": "VSI_Abs_Distance",
    "object_size_estimation": "VSI_Object_Size",
    "room_size_estimation": "VSI_Room_Size",
    "object_rel_distance": "VSI_Rel_Distance",
    "object_rel_direction_easy": "VSI_Rel_Direction",
    "object_rel_direction_medium": "VSI_Rel_Direction",
    "object_rel_direction_hard": "VSI_Rel_Direction",
    "route_planning": "VSI_Route_Plan",
    "obj_appearance_order": "VSI_Appearance_Order",
}
TASKS: tuple[str, ...] = tuple(dict.fromkeys(QUESTION_TYPES.values()))
VIDEO_FOLDERS: tuple[str, ...] = ("arkitscenes", "scannet", "scannetpp")
_FIELDS = ("id", "dataset", "scene_name", "question_type", "question", "ground_truth")
_OPTION = re.compile(r"^([A-D])\.\s*(.*)$", re.DOTALL)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def is_vsibench_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder in VSI-Bench's layout: rows files or video folders.

    A folder in the BLINK schema has task folders and no rows file at its top.
    """
    path = Path(path)
    if not path.is_dir():
        return False
    rows = [*path.glob("*.parquet"), *path.glob("*.jsonl")]
    return any((path / name).is_dir() for name in VIDEO_FOLDERS) or bool(rows)


def read_vsibench(
    source: str | Path,
    task: str,
    split: str = "test",
    *,
    sampling: FrameSampling | None = None,
) -> list[Example]:
    """Every question of one VSI-Bench task, each with its video's sampled frames.

    Parameters
    ----------
    source : str or Path
        :data:`VSIBENCH` (or another hub id with its layout) or a local folder in it.
    task : str
        A ``VSI_*`` registry name (:data:`TASKS`).
    split : str, default="test"
        VSI-Bench has one split, ``test``.
    sampling : FrameSampling, default=FrameSampling()
        How each video is sampled; a scene's video is decoded once for all its questions.

    Returns
    -------
    list of Example
        In row order, unvalidated; ``meta`` keeps the row's ``dataset``, ``scene_name``,
        ``question_type`` and ``options``.

    Raises
    ------
    DataError
        An unknown task, no rows file, a malformed row, or videos that are missing (the
        message says where they were looked for and how to get them).
    """
    if task not in TASKS:
        raise DataError(f"{source}: VSI-Bench has no task {task!r}; its tasks: {', '.join(TASKS)}")
    sampling = sampling or FrameSampling()
    if Path(source).is_dir():
        root = Path(source)
        rows = _local_rows(root, split)
    else:
        root = _hub_video_root()
        rows = _hub_rows(str(source), split)
    rows = [(n, row) for n, row in enumerate(rows, start=1) if _task_of(row, source, n) == task]
    paths = {n: _video_path(root, row, source, n) for n, row in rows}
    _require_videos(source, root, task, paths.values())
    videos: dict[Path, Video] = {}
    examples = []
    for n, row in rows:
        path = paths[n]
        if path not in videos:
            videos[path] = sample_frames(path, sampling)
        examples.append(_example(row, task, videos[path], f"{source}, row {n}"))
    return examples


def _hub_rows(dataset: str, split: str) -> list[Mapping[str, Any]]:
    import datasets

    try:
        return list(datasets.load_dataset(dataset, split=split))
    except ValueError as err:  # datasets reports an unknown split as ValueError
        raise DataError(f"{dataset}: cannot load split {split!r}: {err}") from err


def _hub_video_root() -> Path:
    # Where lmms-eval's vsibench task (dataset_kwargs cache_dir "vsibench") unpacks the zips.
    return Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "vsibench"


def _local_rows(root: Path, split: str) -> list[Mapping[str, Any]]:
    from tasktransfer.data.folder import read_jsonl, read_parquet

    if not _SAFE_NAME.match(split):
        raise DataError(f"split {split!r} cannot name a file: use letters, digits, _ . -")
    for candidates in (
        [root / f"{split}.parquet"],
        sorted(root.glob(f"{split}-*.parquet")),
        [root / f"{split}.jsonl"],
    ):
        found = [p for p in candidates if p.is_file()]
        if found:
            rows: list[Mapping[str, Any]] = []
            for path in found:
                rows += read_parquet(path) if path.suffix == ".parquet" else read_jsonl(path)
            return rows
    raise DataError(
        f"{root}: no VSI-Bench rows for split {split!r} (looked for {split}.parquet, "
        f"{split}-*.parquet and {split}.jsonl)"
    )


def _task_of(row: Mapping[str, Any], source, n: int) -> str:
    missing = [name for name in _FIELDS if row.get(name) is None]
    if missing:
        raise DataError(f"{source}, row {n}: field {missing[0]!r} is missing")
    kind = row["question_type"]
    if kind not in QUESTION_TYPES:
        raise DataError(
            f"{source}, row {n}: field 'question_type' is {kind!r}; VSI-Bench's are "
            f"{', '.join(QUESTION_TYPES)}"
        )
    return QUESTION_TYPES[kind]


def _video_path(root: Path, row: Mapping[str, Any], source, n: int) -> Path:
    # Both names come from the data file: never let one walk out of the video folders.
    for name in ("dataset", "scene_name"):
        if not _SAFE_NAME.match(str(row[name])):
            raise DataError(
                f"{source}, row {n}: field {name!r} is {row[name]!r}, which cannot name a "
                "video file"
            )
    return root / str(row["dataset"]) / f"{row['scene_name']}.mp4"


def _require_videos(source, root: Path, task: str, paths) -> None:
    missing = sorted({p for p in paths if not p.is_file()})
    if missing:
        raise DataError(
            f"{source}: {len(missing)} video(s) of {task} are missing, e.g. {missing[0]}; "
            f"VSI-Bench's videos come as {', '.join(f + '.zip' for f in VIDEO_FOLDERS)} in "
            f"the hub repository {VSIBENCH}: unzip them into {root}"
        )


def _example(row: Mapping[str, Any], task: str, video: Video, at: str) -> Example:
    question = str(row["question"])
    truth = str(row["ground_truth"]).strip()
    raw_options = list(row.get("options") or [])
    meta = {
        "dataset": row["dataset"],
        "scene_name": row["scene_name"],
        "question_type": row["question_type"],
        "options": raw_options,
        **({"pruned": bool(row["pruned"])} if row.get("pruned") is not None else {}),
    }
    common = {"idx": str(row["id"]), "sub_task": task, "question": question, "images": ()}
    if not raw_options:
        return Example(
            **common,
            choices=(),
            answer=truth,
            prompt=format_number_prompt(question),
            video=video,
            answer_type="number",
            meta=meta,
        )
    if len(raw_options) > 4:
        raise DataError(f"{at}: field 'options' has {len(raw_options)} options; expected 2 to 4")
    choices = tuple(_option_text(option, i, at) for i, option in enumerate(raw_options))
    return Example(
        **common,
        choices=choices,
        answer=f"({truth})",
        prompt=format_prompt(question, choices),
        video=video,
        answer_type="choice",
        meta=meta,
    )


def _option_text(option: Any, index: int, at: str) -> str:
    """``"chair"`` from ``"A. chair"``; the letter must be the option's position."""
    match = _OPTION.match(str(option))
    if match is None or match.group(1) != "ABCD"[index]:
        raise DataError(
            f"{at}: option {index + 1} is {option!r}; expected it to start with '{'ABCD'[index]}. '"
        )
    return match.group(2).strip()

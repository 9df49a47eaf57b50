"""Visual_Similarity from NIGHTS (DreamSim, Fu et al., NeurIPS 2023).

NIGHTS holds about 20k triplets of Stable Diffusion images: a reference and two
variations, with two-alternative forced-choice human votes on which variation looks more
like the reference. Its ``data.csv`` has one row per triplet; the columns read here are
``ref_path``, ``left_path``, ``right_path`` (relative to the folder), ``left_vote`` and
``right_vote`` (the share of raters who picked each side), ``votes`` (how many raters
agreed, when present) and ``split`` (``train``/``val``/``test``). Only ``split == train``
rows are used, and, as DreamSim's own loader does, only rows with at least 6 agreeing
votes when the ``votes`` column is there. A tie has no answer and is skipped.

BLINK's question: three images, the first the reference; which of the other two is more
similar to it? Options "the second image" / "the third image". The variation humans
picked goes to the position of the balanced answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    load_image,
    read_train_rows,
    require_files,
    source_file,
)
from tasktransfer.errors import InputError

CSV = "data.csv"
COLUMNS = ("ref_path", "left_path", "right_path", "left_vote", "right_vote", "split")
MIN_VOTES = 6
CHOICES = ("the second image", "the third image")
QUESTION = "Which image is most similar to the reference image?"
TASK_TEXT = (
    "The three images are alike, and the first one is the reference. Of the second and the "
    "third image, which one looks more similar to the reference image?"
)


def check_layout(source_dir: Path) -> None:
    """NIGHTS's ``data.csv`` must be in the folder; the images are checked when read."""
    require_files(source_dir, [CSV], source="NIGHTS")


def candidates(source_dir: Path) -> list[Candidate]:
    """One candidate per train triplet with enough agreeing votes and no tie, in file order."""
    path = source_dir / CSV
    out = []
    for line, row in read_train_rows(path, COLUMNS, source="NIGHTS data.csv"):
        at = f"{path}, line {line}"
        if "votes" in row and _number(row, "votes", at) < MIN_VOTES:
            continue
        left, right = _number(row, "left_vote", at), _number(row, "right_vote", at)
        if left == right:
            continue
        names = (row["ref_path"], row["left_path"], row["right_path"])
        files = tuple(source_file(source_dir, name, what=at) for name in names)
        record = _Triplet(at, names, files, left_wins=left > right)
        out.append(
            Candidate(key=row.get("id") or str(line), answers=(0, 1), n_choices=2, record=record)
        )
    return out


@dataclass(frozen=True)
class _Triplet:
    """One NIGHTS row: where it was read, its three image names and files, the vote."""

    at: str
    names: tuple[str, str, str]
    files: tuple[Path, Path, Path]
    left_wins: bool


def _number(row: dict, column: str, at: str) -> float:
    try:
        return float(row[column])
    except (TypeError, ValueError):
        raise InputError(f"{at}: {column} {row[column]!r} is not a number") from None


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion:
    """The reference, then the variation humans picked at position ``answer`` + 1."""
    triplet: _Triplet = candidate.record
    ref, left, right = (load_image(f, what=triplet.at)[0] for f in triplet.files)
    picked, other = (left, right) if triplet.left_wins else (right, left)
    pair = (picked, other) if answer == 0 else (other, picked)
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(ref, *pair),
        source_ids=(f"id {candidate.key}", *triplet.names),
        task_text=TASK_TEXT,
    )


BUILDER = Builder(
    task="Visual_Similarity",
    source="NIGHTS (DreamSim, Fu et al., NeurIPS 2023)",
    source_split=f"train (data.csv split == train, at least {MIN_VOTES} agreeing votes, no tie)",
    licence=(
        "NIGHTS images were generated with Stable Diffusion 2.1; DreamSim's code is MIT. "
        "Check the dataset page's terms before redistributing the images."
    ),
    layout="nights/: data.csv, ref/<nnn>/<nnn>.png, distort/<nnn>/<nnn>_{0,1}.png",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Jigsaw from any folder of photos.

BLINK's Jigsaw comes from TARA's news photos (see ``docs/training-data.md``); the question
needs nothing but a photo, so any photo folder serves (COCO train2017, as LIVR used, or
the user's own). Per photo: a square piece, a quarter of the shorter side wide by
default, is cut out at a random place and the hole painted black (``image_1``); the
candidates are that piece and a piece of the same size from another, non-overlapping
place of the same photo, so colour alone rarely tells them apart and the edges must be
compared. Options "the second image" / "the third image".
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import ImageDraw

from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    load_image,
    photo_files,
)

PIECE = 0.25  # piece side, as a share of the photo's shorter side
MIN_PIECE = 24  # px: a smaller piece shows too little to match edges
TRIES = 50
CHOICES = ("the second image", "the third image")
QUESTION = "Which image is the missing part of the first image?"
TASK_TEXT = (
    "A square piece has been cut out of the first image, leaving a black hole. Which of the "
    "second and the third image is the piece that fills the hole? Picture each one in the "
    "gap and check whether its edges continue the picture around it."
)


def check_layout(source_dir: Path) -> None:
    """At least one photo in the folder or below it."""
    photo_files(source_dir, source="photo")


def candidates(source_dir: Path) -> list[Candidate]:
    """Every photo, by its path relative to the folder."""
    return [
        Candidate(key=str(p.relative_to(source_dir)), answers=(0, 1), n_choices=2, record=p)
        for p in photo_files(source_dir, source="photo")
    ]


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """The photo with a hole, the piece and a decoy; ``None`` for a photo too small."""
    photo, _ = load_image(candidate.record, what=f"the photo folder ({candidate.key})")
    side = round(PIECE * min(photo.size))
    if side < MIN_PIECE:
        return None
    piece = _place(photo.size, side, rng)
    decoy = next(
        (
            box
            for box in (_place(photo.size, side, rng) for _ in range(TRIES))
            if not _overlap(box, piece)
        ),
        None,
    )
    if decoy is None:
        return None
    holed = photo.copy()
    ImageDraw.Draw(holed).rectangle(
        (piece[0], piece[1], piece[2] - 1, piece[3] - 1), fill=(0, 0, 0)
    )
    pair = (photo.crop(piece), photo.crop(decoy))
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(holed, *(pair if answer == 0 else pair[::-1])),
        source_ids=(candidate.key, f"piece {piece}", f"decoy {decoy}"),
        task_text=TASK_TEXT,
    )


def _place(size: tuple[int, int], side: int, rng: random.Random) -> tuple[int, int, int, int]:
    """A random ``side`` x ``side`` box inside an image of ``size``, as (x0, y0, x1, y1)."""
    x, y = rng.randrange(size[0] - side + 1), rng.randrange(size[1] - side + 1)
    return (x, y, x + side, y + side)


def _overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


BUILDER = Builder(
    task="Jigsaw",
    source="any photo folder (e.g. COCO train2017)",
    source_split="every photo in the folder (choose a train split yourself)",
    licence="The photos' own terms apply (COCO: Flickr terms per image); the toolkit ships none.",
    layout="<folder>/**/*.jpg|.jpeg|.png|.ppm",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Relative_Depth from Depth in the Wild's train/val set (BLINK took DIW test pairs).

Layout: the DIW folder holds ``DIW_Annotations/DIW_train_val.csv`` and the
``DIW_train_val/`` image folder. The CSV gives two lines per photo: the image path
(``./DIW_train_val/<sha1>.thumb``; only its file name is used, so a CSV whose paths were
rewritten as absolute ones reads the same), then ``yA,xA,yB,xB,relation,width,height``:
1-based pixel coordinates of points A and B in a ``width`` x ``height`` original, and
``<`` when A is closer (smaller depth), ``>`` when A is farther, ``=`` when the two are
at the same depth (left out: BLINK's options have no "same").

BLINK circles two points labelled A and B and asks which is closer to the camera; options
``A is closer`` / ``B is closer``. The closer point is labelled A or B by the letter the
framework asks for. Pairs whose marks would overlap or leave the image are skipped.
"""

from __future__ import annotations

import random
from pathlib import Path

from tasktransfer.data import marks
from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    load_image,
    require_files,
    source_file,
)
from tasktransfer.errors import InputError

SOURCE = "DIW (Depth in the Wild)"
ANNOTATIONS = "DIW_Annotations/DIW_train_val.csv"
IMAGES = "DIW_train_val"
CHOICES = ("A is closer", "B is closer")
QUESTION = "Which point is closer to the camera?"
TASK_TEXT = (
    "Two points in this image are circled in red, with the labels A and B beside their "
    f"circles. {QUESTION}"
)


def check_layout(source_dir: Path) -> None:
    """The folder holds DIW's train/val annotation CSV and image folder."""
    require_files(source_dir, [ANNOTATIONS, IMAGES], source=SOURCE)


def candidates(source_dir: Path):
    """Every annotated pair with a strict ordinal relation, keyed by its image."""
    path = source_dir / ANNOTATIONS
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(lines) % 2:
        raise InputError(f"{path}: {len(lines)} lines; expected an image line and a pair line each")
    for i in range(0, len(lines), 2):
        at = f"{path}, line {i + 2}"
        fields = lines[i + 1].split(",")
        if len(fields) != 7 or fields[4] not in ("<", ">", "="):
            raise InputError(
                f"{at}: expected yA,xA,yB,xB,relation,width,height with relation <, > or =; "
                f"got {lines[i + 1]!r}"
            )
        try:
            y_a, x_a, y_b, x_b, width, height = (float(fields[k]) for k in (0, 1, 2, 3, 5, 6))
        except ValueError as err:
            raise InputError(f"{at}: a coordinate or size is not a number ({err})") from err
        if width <= 0 or height <= 0:
            raise InputError(f"{at}: the image size {width:g} x {height:g} must be positive")
        if fields[4] == "=":
            continue
        name = Path(lines[i].replace("\\", "/")).name
        image = source_file(source_dir, f"{IMAGES}/{name}", what=f"{path}, line {i + 1}")
        # 1-based pixels of the original -> fractions of the image, which may be a thumbnail.
        a = ((x_a - 1) / width, (y_a - 1) / height)
        b = ((x_b - 1) / width, (y_b - 1) / height)
        near, far = (a, b) if fields[4] == "<" else (b, a)
        yield Candidate(
            key=f"{i // 2 + 1}:{name}",
            answers=(0, 1),
            n_choices=len(CHOICES),
            record=(image, near, far, at),
        )


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """The photo with the closer point labelled A (answer 0) or B (answer 1)."""
    path, near, far, at = candidate.record
    image, _ = load_image(path, what=at)
    style = marks.photo_style(image.size)
    near_px, far_px = ((x * image.width, y * image.height) for x, y in (near, far))
    if not marks.fits([near_px, far_px], image.size, style):
        return None
    points = (near_px, far_px) if answer == 0 else (far_px, near_px)
    for label, point in zip("AB", points, strict=True):
        marks.point(image, point, label, style)
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(image,),
        source_ids=(f"image:{path.name}",),
        task_text=TASK_TEXT,
    )


BUILDER = Builder(
    task="Relative_Depth",
    source=SOURCE,
    source_split="train/val (DIW_Annotations/DIW_train_val.csv)",
    licence="DIW states no licence; its photos come from Flickr and keep their owners' terms. "
    "For research use.",
    layout="DIW_Annotations/DIW_train_val.csv and the DIW_train_val/ image folder",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Visual_Correspondence from HPatches sequences, or random homographies on any photos.

BLINK built the task from HPatches (Balntas et al., CVPR 2017): 116 sequences of 6 images
of one planar scene, ``<seq>/1.ppm`` .. ``6.ppm``, under a change of viewpoint (``v_*``)
or of lighting (``i_*``), with the homographies ``H_1_2`` .. ``H_1_6`` (3x3, text) that
map a pixel of image 1 to images 2..6. Each (1, k) pair is a candidate. HPatches is tiny
and BLINK probably used much of it, so run ``tasktransfer data dedup`` on the result and
expect it to drop many rows (see ``docs/training-data.md``).

Without HPatches (a folder with no ``<seq>/1.ppm``), every photo of the folder becomes a
pair: the photo, and the photo warped by a random homography (each corner moved by up to
15 % of the image's size) with its brightness and contrast changed. The manifest says
which: each row's first source id starts with ``HPatches`` or ``random homography``, and
a warped row records where the photo's corners went.

BLINK's question: a point marked REF on the first image; four circled points A-D on the
second; which one is the same spot of the scene? Options "Point A" .. "Point D". The three
wrong points are drawn uniformly over the part of the second image that the first one
also shows, at least :data:`FAR` of its shorter side from the right one (LIVR's recipe:
far from the true location), and the renderer's spacing keeps every ring and tag apart.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from tasktransfer.data import marks
from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    load_image,
    photo_files,
    require_files,
)
from tasktransfer.errors import InputError

TARGETS = range(2, 7)  # HPatches images 2..6, each with H_1_k from image 1
JITTER = 0.15  # random homography: corner shift, as a share of width and height
FAR = 0.15  # wrong points: least distance from the right one, share of the shorter side
TRIES = 200
CHOICES = ("Point A", "Point B", "Point C", "Point D")
QUESTION = "Which point in the second image corresponds to the reference point?"
TASK_TEXT = (
    "The two images show the same scene; the second was taken after the camera moved or the "
    "lighting changed. In the first image a point is circled and labelled REF. In the second "
    "image four points are circled and labelled A, B, C and D. Which of them shows the same "
    "spot of the scene as the point labelled REF?"
)


@dataclass(frozen=True)
class _Pair:
    """An image pair: two HPatches files and their homography, or one photo to warp."""

    files: tuple[Path, ...]
    homography: np.ndarray | None


def check_layout(source_dir: Path) -> None:
    """Every HPatches sequence holds 1..6.ppm and H_1_2..H_1_6; else any photo will do."""
    sequences = _sequences(source_dir)
    for seq in sequences:
        names = [f"{k}.ppm" for k in (1, *TARGETS)] + [f"H_1_{k}" for k in TARGETS]
        require_files(seq, names, source="HPatches sequence")
    if not sequences:
        photo_files(source_dir, source="HPatches (<seq>/1.ppm ..) or photo")


def candidates(source_dir: Path) -> list[Candidate]:
    """HPatches: every (1, k) pair of every sequence; otherwise every photo."""
    sequences = _sequences(source_dir)
    if not sequences:
        return [
            Candidate(
                key=f"random homography: {p.relative_to(source_dir)}",
                answers=(0, 1, 2, 3),
                n_choices=4,
                record=_Pair((p,), None),
            )
            for p in photo_files(source_dir, source="photo")
        ]
    return [
        Candidate(
            key=f"HPatches {seq.name}: 1.ppm -> {k}.ppm",
            answers=(0, 1, 2, 3),
            n_choices=4,
            record=_Pair((seq / "1.ppm", seq / f"{k}.ppm"), _read_homography(seq / f"H_1_{k}")),
        )
        for seq in sequences
        for k in TARGETS
    ]


def _sequences(source_dir: Path) -> list[Path]:
    if not source_dir.is_dir():
        return []
    return sorted(p for p in source_dir.iterdir() if p.is_dir() and (p / "1.ppm").is_file())


def _read_homography(path: Path) -> np.ndarray:
    try:
        values = [float(v) for v in path.read_text().split()]
    except ValueError:
        values = []
    if len(values) != 9:
        raise InputError(f"{path}: expected a 3x3 homography (9 numbers)")
    return np.array(values).reshape(3, 3)


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """REF on the first image, A-D on the second with the true point at ``answer``."""
    pair: _Pair = candidate.record
    first, f1 = load_image(pair.files[0], what=candidate.key)
    warp_ids: tuple[str, ...] = ()
    if pair.homography is None:
        second, homography, moved = _warp(first, rng)
        warp_ids = ("corners to " + " ".join(_xy(xy) for xy in moved),)
    else:
        second, f2 = load_image(pair.files[1], what=candidate.key)
        # Source pixels were scaled by f1 and f2 when the images were cut to MAX_SIDE.
        homography = np.diag([f2, f2, 1.0]) @ pair.homography @ np.diag([1 / f1, 1 / f1, 1.0])
    style1, style2 = marks.photo_style(first.size), marks.photo_style(second.size)
    found = _points(first.size, second.size, homography, style1, style2, rng)
    if found is None:
        return None
    ref, right, wrong = found
    points = [*wrong[:answer], right, *wrong[answer:]]
    marks.point(first, ref, "REF", style1)
    for letter, xy in zip("ABCD", points, strict=True):
        marks.point(second, xy, letter, style2)
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(first, second),
        source_ids=(
            candidate.key,
            *warp_ids,
            f"REF {_xy(ref)}",
            *(f"{letter} {_xy(xy)}" for letter, xy in zip("ABCD", points, strict=True)),
        ),
        task_text=TASK_TEXT,
    )


def _points(size1, size2, homography, style1, style2, rng):
    """A REF point whose image lands well inside the second image, and three far points."""
    edge1 = marks.margin(style1)
    for _ in range(TRIES):
        ref = (rng.uniform(edge1, size1[0] - 1 - edge1), rng.uniform(edge1, size1[1] - 1 - edge1))
        right = project(homography, ref)
        if right is not None and marks.fits([right], size2, style2):
            break
    else:
        return None
    edge2, far = marks.margin(style2), FAR * min(size2)
    inverse = np.linalg.inv(homography)
    wrong: list[tuple[float, float]] = []
    for _ in range(TRIES):
        xy = (rng.uniform(edge2, size2[0] - 1 - edge2), rng.uniform(edge2, size2[1] - 1 - edge2))
        if (
            math.dist(xy, right) >= far
            and _shows(inverse, xy, size1)
            and marks.fits([right, *wrong, xy], size2, style2)
        ):
            wrong.append(xy)
            if len(wrong) == 3:
                return ref, right, wrong
    return None


def _shows(inverse: np.ndarray, xy, size1) -> bool:
    """Whether point ``xy`` of the second image is a spot the first image shows too.

    A wrong point off the first image would be a give-away (on a warped photo it lands on
    the black border the warp leaves).
    """
    back = project(inverse, xy)
    return back is not None and 0 <= back[0] < size1[0] and 0 <= back[1] < size1[1]


def project(homography: np.ndarray, xy) -> tuple[float, float] | None:
    """Where ``homography`` maps pixel ``xy``; ``None`` for a point sent to infinity."""
    x, y, w = homography @ np.array([xy[0], xy[1], 1.0])
    return None if abs(w) < 1e-12 else (float(x / w), float(y / w))


def _warp(image: Image.Image, rng: random.Random):
    """The image under a random homography and a brightness/contrast change, the homography,
    and where the image's corners (clockwise from the top left) went."""
    w, h = image.size
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    moved = [
        (x + rng.uniform(-JITTER, JITTER) * w, y + rng.uniform(-JITTER, JITTER) * h)
        for x, y in corners
    ]
    homography = homography_from_points(corners, moved)
    inverse = np.linalg.inv(homography)
    inverse /= inverse[2, 2]
    # PIL maps each output pixel back to the input: the inverse map's first 8 entries.
    warped = image.transform(
        image.size, Image.Transform.PERSPECTIVE, tuple(inverse.flatten()[:8]), Image.BICUBIC
    )
    warped = ImageEnhance.Brightness(warped).enhance(rng.uniform(0.7, 1.3))
    warped = ImageEnhance.Contrast(warped).enhance(rng.uniform(0.7, 1.3))
    return warped, homography, moved


def homography_from_points(src, dst) -> np.ndarray:
    """The 3x3 homography (``[2, 2] == 1``) that maps four points ``src`` onto ``dst``.

    Examples
    --------
    >>> square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    >>> h = homography_from_points(square, [(2 * x, 2 * y) for x, y in square])
    >>> np.round(h, 6).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    """
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    solution = np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float))
    return np.append(solution, 1.0).reshape(3, 3)


def _xy(xy) -> str:
    return f"({xy[0]:.1f}, {xy[1]:.1f})"


BUILDER = Builder(
    task="Visual_Correspondence",
    source="HPatches sequences (Balntas et al., CVPR 2017), or random homographies on a "
    "photo folder",
    source_split="HPatches: every sequence given (it has no train split; dedup against "
    "BLINK); photos: every photo",
    licence="HPatches: MIT (hpatches-dataset repository). Photos: their own terms.",
    layout="<seq>/1.ppm .. 6.ppm and <seq>/H_1_2 .. H_1_6 per sequence, or any photo folder",
    version=2,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Relative_Reflectance from Intrinsic Images in the Wild (BLINK's RR is built on IIW).

Layout: IIW's ``data/`` folder of ``<photo id>.png`` photos, each with ``<photo id>.json``
holding ``intrinsic_points`` (``id``, ``x`` and ``y`` as fractions of the width and
height, ``opaque``) and ``intrinsic_comparisons`` (``point1``, ``point2``, ``darker`` in
``"1"``, ``"2"``, ``"E"`` for point 1 darker, point 2 darker, about equal, and
``darker_score``, the judgement's confidence weight).

IIW has no official split. Later work is said to hold out every fifth photo for testing
(not checked against a paper here); this builder leaves out the photos whose id is a
multiple of 5 and reads the rest as the train split.

BLINK circles two points, A and B, and asks which has the darker surface colour (the
material, not its shading), or whether they are about the same; options ``A is darker``,
``B is darker``, ``About the same``. A comparison is used when its weight is at least
:data:`MIN_WEIGHT` and both points are opaque; a "1"/"2" judgement can put the darker
point under either letter, an "E" one answers "About the same", so the framework's letter
balance is also the balance of the three judgements.
"""

from __future__ import annotations

import random
from pathlib import Path

from tasktransfer.data import marks
from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    get_field,
    load_image,
    read_json,
    require_files,
)
from tasktransfer.errors import InputError

SOURCE = "IIW (Intrinsic Images in the Wild)"
DATA = "data"
CHOICES = ("A is darker", "B is darker", "About the same")
DARKER = {"1": 0, "2": 1, "E": 2}
MIN_WEIGHT = 0.5
HELD_OUT_EVERY = 5
QUESTION = "Which point has the darker surface colour, or are the two about the same?"
TASK_TEXT = (
    "Two points in this image are circled in red, with the labels A and B beside their "
    "circles. Judge the colour of the surface material itself (its reflectance), not how "
    f"bright light or shadow makes it look. {QUESTION}"
)


def check_layout(source_dir: Path) -> None:
    """The folder holds IIW's ``data/`` folder with at least one ``<id>.json``."""
    require_files(source_dir, [DATA], source=SOURCE)
    if not any((source_dir / DATA).glob("*.json")):
        raise InputError(f"{source_dir / DATA}: no <photo id>.json annotation file")


def candidates(source_dir: Path):
    """Every confident comparison of an opaque pair in a train photo."""
    for path in sorted((source_dir / DATA).glob("*.json"), key=lambda p: (len(p.stem), p.stem)):
        if not path.stem.isdigit():
            raise InputError(f"{path}: an IIW annotation is named <photo id>.json")
        if int(path.stem) % HELD_OUT_EVERY == 0:
            continue
        photo = path.with_suffix(".png")
        data = read_json(path)
        points = {}
        for i, point in enumerate(get_field(data, "intrinsic_points", list, at=str(path))):
            at = f"{path}, intrinsic_points[{i}]"
            points[get_field(point, "id", int, at=at)] = (
                get_field(point, "x", (int, float), at=at),
                get_field(point, "y", (int, float), at=at),
                bool(point.get("opaque", True)),
            )
        comparisons = get_field(data, "intrinsic_comparisons", list, at=str(path))
        for i, comparison in enumerate(comparisons):
            at = f"{path}, intrinsic_comparisons[{i}]"
            darker = get_field(comparison, "darker", str, at=at)
            weight = get_field(comparison, "darker_score", (int, float), at=at)
            ends = [get_field(comparison, k, int, at=at) for k in ("point1", "point2")]
            if darker not in DARKER:
                raise InputError(f"{at}: field 'darker' must be '1', '2' or 'E', got {darker!r}")
            missing = [p for p in ends if p not in points]
            if missing:
                raise InputError(f"{at}: point {missing[0]} is not in intrinsic_points")
            first, second = (points[p] for p in ends)
            if weight < MIN_WEIGHT or not (first[2] and second[2]):
                continue
            yield Candidate(
                key=f"{path.stem}/{i}",
                answers=(2,) if darker == "E" else (0, 1),
                n_choices=len(CHOICES),
                record=(photo, first[:2], second[:2], DARKER[darker], at),
            )


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """The photo with the darker point under the letter ``answer`` names (or either, if equal)."""
    photo, first, second, darker, at = candidate.record
    image, _ = load_image(photo, what=at)
    style = marks.photo_style(image.size)
    first_px, second_px = ((x * image.width, y * image.height) for x, y in (first, second))
    if not marks.fits([first_px, second_px], image.size, style):
        return None
    if darker == 2:
        a_is_first = rng.random() < 0.5
    else:
        # darker == 0: point 1 is darker; it is A when the answer is "A is darker".
        a_is_first = (darker == 0) == (answer == 0)
    points = (first_px, second_px) if a_is_first else (second_px, first_px)
    for label, point in zip("AB", points, strict=True):
        marks.point(image, point, label, style)
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(image,),
        source_ids=(f"photo:{photo.stem}", f"comparison:{candidate.key}"),
        task_text=TASK_TEXT,
    )


BUILDER = Builder(
    task="Relative_Reflectance",
    source=SOURCE,
    source_split="photos whose id is not a multiple of 5 (IIW has no official split)",
    licence="IIW (OpenSurfaces): check the OpenSurfaces terms; the photos are from Flickr and "
    "keep their owners' terms. For research use.",
    layout="data/<photo id>.png with data/<photo id>.json beside each",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Semantic_Correspondence from SPair-71k (Min, Lee, Ponce and Cho, 2019).

SPair-71k pairs images of one of 18 PASCAL categories. Its training pairs are
``PairAnnotation/trn/<id>-<src>-<trg>:<category>.json``; each file names the images
(``src_imname``, ``trg_imname``, found under ``JPEGImages/<category>/``) and lists the
keypoints visible in both, in the same order: ``src_kps`` and ``trg_kps`` (``[x, y]`` in
pixels) and ``kps_ids`` (which part each is). ``ImageAnnotation/`` and ``Segmentation/``
are not read.

BLINK's question: a point marked REF on the first image, four circled points A-D on the
second; which one is the same part of the object? The prompt first explains semantic
correspondence with an example (a cat's ear tip matches another cat's ear tip). Options
"Point A" .. "Point D". The right point is the REF keypoint's partner; the three wrong
ones are other annotated keypoints of the second image (LIVR's recipe), chosen so that
every ring and tag fits apart (:func:`tasktransfer.data.marks.fits`), which also keeps
them away from the right one. A pair needs at least four shared keypoints.

SPair-71k reuses its 1,800 images across the trn, val and test pairs, so a training pair
can show an image of a BLINK question: run ``tasktransfer data dedup``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
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

PAIRS = "PairAnnotation/trn"
IMAGES = "JPEGImages"
FIELDS = ("src_imname", "trg_imname", "category", "src_kps", "trg_kps")
MIN_KEYPOINTS = 4
CHOICES = ("Point A", "Point B", "Point C", "Point D")
QUESTION = "Which point in the second image corresponds to the reference point?"
TASK_TEXT = (
    "Semantic correspondence links the same part across different objects of one kind: the "
    "tip of one cat's ear matches the tip of another cat's ear, and a paw matches a paw, "
    "even when the two cats look different. The first image shows an object with a point "
    "circled and labelled REF. The second image shows another object of the same kind with "
    "four points circled and labelled A, B, C and D. Which of them is the same part as the "
    "point labelled REF?"
)


@dataclass(frozen=True)
class _Pair:
    at: str
    files: tuple[Path, Path]
    src_kps: tuple[tuple[float, float], ...]
    trg_kps: tuple[tuple[float, float], ...]
    kps_ids: tuple[str, ...]


def check_layout(source_dir: Path) -> None:
    """SPair-71k's training pair annotations and its image folder."""
    require_files(source_dir, [PAIRS, IMAGES], source="SPair-71k")


def candidates(source_dir: Path) -> list[Candidate]:
    """Every training pair with at least four shared keypoints, in file-name order."""
    out = []
    for path in sorted((source_dir / PAIRS).glob("*.json")):
        pair = _read_pair(source_dir, path)
        if len(pair.src_kps) >= MIN_KEYPOINTS:
            out.append(Candidate(key=path.stem, answers=(0, 1, 2, 3), n_choices=4, record=pair))
    return out


def _read_pair(source_dir: Path, path: Path) -> _Pair:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err.msg})") from err
    missing = [f for f in FIELDS if f not in data]
    if missing:
        raise InputError(f"{path}: field {missing[0]!r} is missing (SPair-71k pair annotation)")
    src, trg = _points(data["src_kps"], path, "src_kps"), _points(data["trg_kps"], path, "trg_kps")
    if len(src) != len(trg):
        raise InputError(f"{path}: src_kps has {len(src)} points but trg_kps has {len(trg)}")
    ids = tuple(str(i) for i in data.get("kps_ids", range(len(src))))
    category = str(data["category"])
    files = tuple(
        source_file(source_dir, f"{IMAGES}/{category}/{data[name]}", what=str(path))
        for name in ("src_imname", "trg_imname")
    )
    return _Pair(str(path), files, src, trg, ids)


def _points(value, path: Path, field: str) -> tuple[tuple[float, float], ...]:
    try:
        return tuple((float(x), float(y)) for x, y in value)
    except (TypeError, ValueError):
        raise InputError(f"{path}: field {field!r} must be a list of [x, y] points") from None


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """REF on the source image, four keypoints of the target with the partner at ``answer``."""
    pair: _Pair = candidate.record
    source, f1 = load_image(pair.files[0], what=pair.at)
    target, f2 = load_image(pair.files[1], what=pair.at)
    style1, style2 = marks.photo_style(source.size), marks.photo_style(target.size)
    src = [(x * f1, y * f1) for x, y in pair.src_kps]
    trg = [(x * f2, y * f2) for x, y in pair.trg_kps]
    order = list(range(len(src)))
    rng.shuffle(order)
    for ref in order:
        if not (
            marks.fits([src[ref]], source.size, style1)
            and marks.fits([trg[ref]], target.size, style2)
        ):
            continue
        wrong: list[int] = []
        for other in order:
            if other != ref and marks.fits(
                [trg[i] for i in (ref, *wrong, other)], target.size, style2
            ):
                wrong.append(other)
                if len(wrong) == 3:
                    break
        if len(wrong) == 3:
            break
    else:
        return None
    shown = [*wrong[:answer], ref, *wrong[answer:]]
    marks.point(source, src[ref], "REF", style1)
    for letter, i in zip("ABCD", shown, strict=True):
        marks.point(target, trg[i], letter, style2)
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=(source, target),
        source_ids=(
            candidate.key,
            f"REF keypoint {pair.kps_ids[ref]}",
            *(
                f"{letter} keypoint {pair.kps_ids[i]}"
                for letter, i in zip("ABCD", shown, strict=True)
            ),
        ),
        task_text=TASK_TEXT,
    )


BUILDER = Builder(
    task="Semantic_Correspondence",
    source="SPair-71k (Min et al., 2019)",
    source_split="trn pairs (PairAnnotation/trn); the images are shared with val and test pairs",
    licence=(
        "SPair-71k states no licence; its images come from PASCAL VOC and Flickr under their "
        "own terms. Research use; do not redistribute the images."
    ),
    layout="PairAnnotation/trn/<id>-<src>-<trg>:<category>.json, JPEGImages/<category>/<name>.jpg",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

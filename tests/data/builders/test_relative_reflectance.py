"""Relative_Reflectance from an IIW fixture.

The fixture follows IIW's per-photo JSON (Bell, Bala, Snavely 2014; the format read by
the authors' ``whdr.py``): ``data/<id>.json`` with ``intrinsic_points`` (``id``, ``x``,
``y`` as fractions of the image, ``opaque``) and ``intrinsic_comparisons`` (``id``,
``point1``, ``point2``, ``darker`` in "1", "2", "E", ``darker_score``, ``darker_method``),
next to ``data/<id>.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.relative_reflectance import BUILDER
from tasktransfer.data.marks import MARKER, WHITE, tag_size
from tasktransfer.errors import InputError

SIZE = (240, 180)
# photo id -> points {id: (x, y, opaque)} and comparisons [(point1, point2, darker, score)]
PHOTOS = {
    101: (
        {1: (0.25, 0.3, True), 2: (0.7, 0.6, True), 3: (0.5, 0.8, True), 4: (0.52, 0.8, True)},
        [(1, 2, "1", 0.9), (2, 3, "2", 0.8), (1, 3, "E", 0.95), (3, 4, "1", 0.9)],
    ),
    102: (
        {5: (0.2, 0.7, True), 6: (0.8, 0.3, True), 7: (0.45, 0.4, False)},
        [(5, 6, "2", 0.7), (6, 5, "E", 0.6), (5, 7, "1", 0.9), (6, 5, "1", 0.2)],
    ),
    103: (
        {8: (0.3, 0.5, True), 9: (0.75, 0.45, True)},
        [(8, 9, "1", 1.0), (9, 8, "1", 0.8), (8, 9, "E", 0.7)],
    ),
    105: (  # a multiple of 5: held out as IIW's usual test photos
        {10: (0.3, 0.5, True), 11: (0.7, 0.5, True)},
        [(10, 11, "1", 1.0)],
    ),
}
# Used: 101 #0 #1 #2 (#3: points 5 px apart), 102 #0 #1 (#2 not opaque, #3 weight 0.2),
# 103 #0 #1 #2. Judgements: "1" x3, "2" x2, "E" x3.


def write_iiw(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    for photo, (points, comparisons) in PHOTOS.items():
        Image.new("RGB", SIZE, (90, 110, 150)).save(root / "data" / f"{photo}.png")
        data = {
            "photo": photo,
            "intrinsic_points": [
                {"id": k, "x": x, "y": y, "opaque": opaque, "sRGB": "5a6e96"}
                for k, (x, y, opaque) in points.items()
            ],
            "intrinsic_comparisons": [
                {
                    "id": 1000 * photo + i,
                    "point1": p1,
                    "point2": p2,
                    "darker": darker,
                    "darker_score": score,
                    "darker_method": "median",
                }
                for i, (p1, p2, darker, score) in enumerate(comparisons)
            ],
        }
        (root / "data" / f"{photo}.json").write_text(json.dumps(data))
    return root


def _close(pixel, colour) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(pixel, colour, strict=True))


def _label_at(image: Image.Image, point: tuple[float, float]) -> str:
    """Which letter tags the ring around ``point`` (scale 1: radius 5, tag 7 x 9 px)."""
    r, k = 5, 1
    _, h = tag_size("A", k)
    x, y = round(point[0]), round(point[1])
    assert _close(image.getpixel((x - r, y)), MARKER), "no ring at the point"
    glyph = image.getpixel((x + r - k + k, y - r - h + 2 * k + k))  # blank in A, ink in B
    return "B" if _close(glyph, WHITE) else "A"


def test_iiw_fixture_puts_the_darker_point_under_the_answer(tmp_path, check_build):
    result = check_build(BUILDER, write_iiw(tmp_path / "iiw"))
    assert sorted(r.source_ids[1] for r in result.manifest.rows) == [
        "comparison:101/0",
        "comparison:101/1",
        "comparison:101/2",
        "comparison:102/0",
        "comparison:102/1",
        "comparison:103/0",
        "comparison:103/1",
        "comparison:103/2",
    ]
    # The 3 "E" comparisons answer (C); the 5 usable strict ones split 3 / 2 between A and B.
    counts = result.manifest.answer_counts
    assert counts["C"] == 3 and sorted([counts["A"], counts["B"]]) == [2, 3]
    assert result.manifest.skipped["render"] == 1
    for example, row in zip(result.examples, result.manifest.rows, strict=True):
        photo, index = row.source_ids[1].removeprefix("comparison:").split("/")
        points, comparisons = PHOTOS[int(photo)]
        p1, p2, darker, _ = comparisons[int(index)]
        first = (points[p1][0] * SIZE[0], points[p1][1] * SIZE[1])
        second = (points[p2][0] * SIZE[0], points[p2][1] * SIZE[1])
        (image,) = example.images
        assert {_label_at(image, first), _label_at(image, second)} == {"A", "B"}
        expected = {
            "1": f"({_label_at(image, first)})",
            "2": f"({_label_at(image, second)})",
            "E": "(C)",
        }[darker]
        assert example.answer == expected
        assert example.choices == ("A is darker", "B is darker", "About the same")


def test_a_folder_without_annotations_is_named(tmp_path):
    (tmp_path / "iiw" / "data").mkdir(parents=True)
    with pytest.raises(InputError, match=r"iiw/data: no <photo id>.json"):
        build_examples(BUILDER, tmp_path / "iiw")
    with pytest.raises(InputError, match=r"nowhere: no such folder"):
        build_examples(BUILDER, tmp_path / "nowhere")


def test_a_comparison_with_an_unknown_point_is_named(tmp_path):
    source = write_iiw(tmp_path / "iiw")
    path = source / "data" / "102.json"
    data = json.loads(path.read_text())
    data["intrinsic_comparisons"][1]["point2"] = 77
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"102.json, intrinsic_comparisons\[1\]: point 77"):
        build_examples(BUILDER, source)


def test_a_bad_judgement_is_named(tmp_path):
    source = write_iiw(tmp_path / "iiw")
    path = source / "data" / "103.json"
    data = json.loads(path.read_text())
    data["intrinsic_comparisons"][0]["darker"] = "3"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"field 'darker' must be '1', '2' or 'E'"):
        build_examples(BUILDER, source)

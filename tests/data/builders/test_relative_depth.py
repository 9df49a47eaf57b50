"""Relative_Depth from a DIW fixture.

The fixture follows DIW's published annotation CSV (``DIW_Annotations/DIW_train_val.csv``,
read by the authors' ``relative_depth`` code): two lines per photo, the image path
``./DIW_train_val/<sha1>.thumb``, then ``yA,xA,yB,xB,relation,width,height`` with 1-based
pixel coordinates in the original and ``<`` when A is closer, ``>`` when it is farther.
The images are thumbnails at half the original size, as the point coordinates must be
scaled.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.relative_depth import BUILDER
from tasktransfer.data.marks import MARKER, WHITE, tag_size
from tasktransfer.errors import InputError

ORIGINAL = (400, 300)
THUMB = (200, 150)
BACKGROUND = (40, 90, 160)
# sha -> (yA, xA, yB, xB, relation): 1-based pixels of the 400 x 300 original.
PAIRS = {
    f"{i:040x}": pair
    for i, pair in enumerate(
        [
            (121, 101, 201, 301, "<"),
            (121, 101, 201, 301, ">"),
            (61, 81, 221, 261, "<"),
            (221, 261, 61, 81, ">"),
            (101, 301, 181, 121, "<"),
            (181, 121, 101, 301, ">"),
            (151, 201, 151, 281, "<"),
            (151, 281, 151, 201, ">"),
            (121, 101, 121, 111, "<"),  # 5 px apart in the thumbnail: marks would meet
            (121, 101, 201, 301, "="),  # same depth: BLINK has no such option
        ],
        start=1,
    )
}


def write_diw(root: Path, pairs=PAIRS) -> Path:
    (root / "DIW_Annotations").mkdir(parents=True)
    (root / "DIW_train_val").mkdir()
    lines = []
    for sha, (y_a, x_a, y_b, x_b, relation) in pairs.items():
        Image.new("RGB", THUMB, BACKGROUND).save(root / "DIW_train_val" / f"{sha}.thumb", "JPEG")
        lines += [f"./DIW_train_val/{sha}.thumb", f"{y_a},{x_a},{y_b},{x_b},{relation},400,300"]
    (root / "DIW_Annotations" / "DIW_train_val.csv").write_text("\n".join(lines) + "\n")
    return root


def _in_thumbnail(x: int, y: int) -> tuple[int, int]:
    return round((x - 1) * THUMB[0] / ORIGINAL[0]), round((y - 1) * THUMB[1] / ORIGINAL[1])


def _close(pixel, colour, tolerance=60) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_diw_fixture_labels_the_closer_point_by_the_answer(tmp_path, check_build):
    result = check_build(BUILDER, write_diw(tmp_path / "diw"))
    assert len(result.examples) == 8
    assert result.manifest.skipped == {"balance": 0, "render": 1}
    # Thumbnails of 150 px: scale 1, ring radius 5, tag 7 x 9 px above-right of the ring.
    r, k = 5, 1
    _, h = tag_size("A", k)
    for example, row in zip(result.examples, result.manifest.rows, strict=True):
        sha = row.source_ids[0].removeprefix("image:").removesuffix(".thumb")
        y_a, x_a, y_b, x_b, relation = PAIRS[sha]
        near = _in_thumbnail(x_a, y_a) if relation == "<" else _in_thumbnail(x_b, y_b)
        (image,) = example.images
        assert _close(image.getpixel((near[0] - r, near[1])), MARKER)
        # The first glyph pixel (row 0, column 0): blank in "A", ink in "B".
        glyph = image.getpixel((near[0] + r - k + k, near[1] - r - h + 2 * k + k))
        labelled = "B" if _close(glyph, WHITE) else "A"
        assert _close(glyph, WHITE) or _close(glyph, MARKER)
        assert example.choices == ("A is closer", "B is closer")
        assert example.answer == f"({labelled})", f"{sha}: the closer point is {labelled}"
        assert example.prompt.splitlines()[0].endswith("Which point is closer to the camera?")


def test_a_missing_annotation_file_is_named(tmp_path):
    (tmp_path / "diw" / "DIW_train_val").mkdir(parents=True)
    with pytest.raises(InputError, match=r"DIW_Annotations/DIW_train_val.csv: missing"):
        build_examples(BUILDER, tmp_path / "diw")


def test_a_bad_relation_is_named(tmp_path):
    source = write_diw(tmp_path / "diw")
    csv = source / "DIW_Annotations" / "DIW_train_val.csv"
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].replace(">", "?")
    csv.write_text("\n".join(lines))
    with pytest.raises(InputError, match=r"DIW_train_val.csv, line 4: expected yA,xA,yB,xB"):
        build_examples(BUILDER, source)

import re

import numpy as np
import pytest
from PIL import Image

from tasktransfer.data import marks
from tasktransfer.data.builders import get_builder
from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.visual_correspondence import BUILDER
from tasktransfer.errors import InputError

POINT = re.compile(r"^(REF|[ABCD]) \((-?[\d.]+), (-?[\d.]+)\)$")


def _affine(k):
    """A known homography from image 1 to image k: a zoom and a shift growing with k."""
    zoom = 1 + 0.05 * k
    return np.array([[zoom, 0.02 * k, -4.0 * k], [-0.01 * k, zoom, -3.0 * k], [0.0, 0.0, 1.0]])


def write_hpatches(root, photo, names=("i_fixture", "v_fixture")):
    """HPatches sequences: <seq>/1.ppm .. 6.ppm and H_1_2 .. H_1_6, each homography as
    three lines of three numbers mapping image 1's pixels to image k's (the layout of
    hpatches-sequences-release)."""
    for s, name in enumerate(names):
        seq = root / name
        seq.mkdir(parents=True)
        first = photo(50 + s, (320, 240))
        first.save(seq / "1.ppm")
        for k in range(2, 7):
            h = _affine(k)
            inverse = np.linalg.inv(h)
            inverse /= inverse[2, 2]
            warped = first.transform(
                first.size, Image.Transform.PERSPECTIVE, tuple(inverse.flatten()[:8])
            )
            warped.save(seq / f"{k}.ppm")
            (seq / f"H_1_{k}").write_text(
                "\n".join(" ".join(f"{v:.8e}" for v in row) for row in h) + "\n"
            )
    return root


def points(row):
    found = {}
    for source_id in row.source_ids:
        match = POINT.match(source_id)
        if match:
            found[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return found


def project(h, xy):
    x, y, w = h @ np.array([xy[0], xy[1], 1.0])
    return np.array([x / w, y / w])


def dlt(src, dst):
    """Homography from 4+ correspondences by the SVD of the DLT system (a second method)."""
    rows = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    h = np.linalg.svd(np.array(rows, dtype=float))[2][-1].reshape(3, 3)
    return h / h[2, 2]


def assert_ring_at(image, xy):
    """The renderer's ring crosses the row of ``xy`` at its left edge (1 px slack for the
    0.1 px rounding of the recorded point)."""
    style = marks.photo_style(image.size)
    x, y = round(xy[0]), round(xy[1])
    left = image.crop((x - style.radius - 1, y - 1, x - style.radius + style.ring_width + 1, y + 2))
    assert marks.MARKER in {colour for _, colour in left.getcolors()}


def test_build_from_hpatches_sequences(tmp_path, photo, check_build):
    root = write_hpatches(tmp_path / "hpatches-sequences-release", photo)
    build = check_build(BUILDER, root)
    assert len(build.examples) == 10  # 2 sequences x pairs (1, 2) .. (1, 6)
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        assert row.source_ids[0].startswith("HPatches ")
        k = int(re.search(r"-> (\d)\.ppm", row.source_ids[0]).group(1))
        found = points(row)
        right = found[example.answer_letter]
        assert np.allclose(right, project(_affine(k), found["REF"]), atol=0.1)
        for letter in "ABCD":
            if letter != example.answer_letter:
                assert np.linalg.norm(np.subtract(found[letter], right)) >= 0.15 * 240
            assert_ring_at(example.images[1], found[letter])
        assert_ring_at(example.images[0], found["REF"])
        assert example.choices == ("Point A", "Point B", "Point C", "Point D")


def test_without_hpatches_photos_are_warped_by_random_homographies(tmp_path, photo, check_build):
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(6):
        photo(i, (320, 240)).save(root / f"{i}.jpg", quality=95)
    build = check_build(BUILDER, root)
    assert len(build.examples) == 6
    corners = [(0, 0), (320, 0), (320, 240), (0, 240)]
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        assert row.source_ids[0].startswith("random homography: ")
        moved = [
            tuple(map(float, m))
            for m in re.findall(r"\((-?[\d.]+), (-?[\d.]+)\)", row.source_ids[1])
        ]
        found = points(row)
        # Corners are recorded to 0.1 px, so the projection agrees to about that.
        homography = dlt(corners, moved)
        expected = project(homography, found["REF"])
        assert np.allclose(found[example.answer_letter], expected, atol=0.5)
        assert_ring_at(example.images[1], found[example.answer_letter])
        # Every option is on the warped photo, none on the black border the warp leaves.
        for letter in "ABCD":
            x, y = project(np.linalg.inv(homography), found[letter])
            assert 0 <= x < 320 and 0 <= y < 240


def test_the_registry_finds_the_builder():
    assert get_builder("VC") is BUILDER


def test_a_sequence_missing_a_file_or_a_bad_homography_is_named(tmp_path, photo):
    root = write_hpatches(tmp_path / "hp", photo)
    (root / "v_fixture" / "H_1_4").write_text("1 0 0\n0 1\n")
    with pytest.raises(InputError, match=r"v_fixture/H_1_4: expected a 3x3 homography"):
        build_examples(BUILDER, root)
    (root / "i_fixture" / "5.ppm").unlink()
    with pytest.raises(InputError, match=r"i_fixture/5\.ppm: missing"):
        build_examples(BUILDER, root)

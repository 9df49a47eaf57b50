import numpy as np
import pytest
from PIL import Image

from tasktransfer.data.builders import get_builder
from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.jigsaw import BUILDER
from tasktransfer.errors import InputError


@pytest.fixture
def photos(tmp_path, photo):
    """Any photo folder (COCO-like: JPEGs, here PNGs so pixels compare exactly), nested."""
    root = tmp_path / "photos"
    (root / "more").mkdir(parents=True)
    for i in range(6):
        photo(i, (160, 120)).save(root / ("more" if i % 2 else ".") / f"{i:012d}.png")
    photo(99, (80, 60)).save(root / "tiny.png")  # a 15 px piece: too small, skipped
    return root


def test_build_from_a_photo_folder(photos, check_build):
    build = check_build(BUILDER, photos)
    assert len(build.examples) == 6
    assert build.manifest.skipped["render"] == 1
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        with Image.open(photos / row.source_ids[0]) as opened:
            original = np.asarray(opened.convert("RGB"))
        holed = np.asarray(example.images[0])
        # Find the hole from the pixels alone: where the holed image differs from the photo.
        ys, xs = np.nonzero((holed != original).any(axis=2))
        hole = original[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        assert (holed[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] == 0).all()
        assert hole.shape[:2] == (30, 30)  # a quarter of the shorter side
        right = np.asarray(example.images[1 + "AB".index(example.answer_letter)])
        wrong = np.asarray(example.images[2 - "AB".index(example.answer_letter)])
        assert np.array_equal(right, hole)
        assert wrong.shape == hole.shape and not np.array_equal(wrong, hole)


def test_the_registry_finds_the_builder():
    assert get_builder("JG") is BUILDER


def test_a_folder_without_photos_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no photos")
    with pytest.raises(InputError, match="no photo"):
        build_examples(BUILDER, tmp_path / "empty")

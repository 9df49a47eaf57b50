import csv

import numpy as np
import pytest

from tasktransfer.data.builders import get_builder
from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.visual_similarity import BUILDER
from tasktransfer.errors import InputError

# NIGHTS's data.csv as DreamSim's dataset/dataset.py reads it: id first, left_vote third,
# ref/left/right paths fifth to seventh, then split and is_imagenet; images under
# ref/<nnn>/<nnn>.png and distort/<nnn>/<nnn>_{0,1}.png (NIGHTS's dataset/README.md).
HEADER = ["id", "votes", "left_vote", "right_vote", "ref_path", "left_path", "right_path"]
HEADER += ["split", "is_imagenet"]


def write_nights(root, photo, rows):
    """``rows``: (id, votes, left_vote, split); image seeds follow the id."""
    lines = []
    for triplet_id, votes, left_vote, split in rows:
        names = (
            f"ref/000/{triplet_id:03d}.png",
            f"distort/000/{triplet_id:03d}_0.png",
            f"distort/000/{triplet_id:03d}_1.png",
        )
        for k, name in enumerate(names):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            photo(10 * triplet_id + k).save(root / name)
        lines.append([triplet_id, votes, left_vote, 1 - left_vote, *names, split, "False"])
    with (root / "data.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(lines)
    return root


@pytest.fixture
def nights(tmp_path, photo):
    rows = [(i, 7, 1.0 if i % 3 else 0.0, "train") for i in range(8)]
    rows += [
        (20, 5, 1.0, "train"),
        (21, 8, 0.5, "train"),
        (22, 8, 1.0, "val"),
        (23, 8, 0.0, "test"),
    ]
    return write_nights(tmp_path / "nights", photo, rows)


def test_build_from_nights_train_triplets(nights, check_build, photo):
    build = check_build(BUILDER, nights)
    # Few votes (20), a tie (21) and other splits (22, 23) are left out.
    assert sorted(int(r.source_ids[0].split()[1]) for r in build.manifest.rows) == list(range(8))
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        triplet_id = int(row.source_ids[0].split()[1])
        picked = photo(10 * triplet_id + (1 if triplet_id % 3 else 2))
        answer_image = example.images[1 + "AB".index(example.answer_letter)]
        assert np.array_equal(np.asarray(answer_image), np.asarray(picked))
        assert np.array_equal(np.asarray(example.images[0]), np.asarray(photo(10 * triplet_id)))
        assert example.choices == ("the second image", "the third image")
        assert "Select from the following choices." in example.prompt


def test_the_registry_finds_the_builder():
    assert get_builder("VS") is BUILDER


def test_a_missing_csv_or_column_is_named(tmp_path, nights):
    with pytest.raises(InputError, match="absent: no such folder"):
        build_examples(BUILDER, tmp_path / "absent")
    (tmp_path / "no_csv").mkdir()
    with pytest.raises(InputError, match=r"no_csv/data\.csv: missing"):
        build_examples(BUILDER, tmp_path / "no_csv")
    text = (nights / "data.csv").read_text().replace("right_vote", "rightvote")
    (nights / "data.csv").write_text(text)
    with pytest.raises(InputError, match="column 'right_vote' is missing"):
        build_examples(BUILDER, nights)


def test_a_missing_image_or_a_path_out_of_the_folder_is_named(nights):
    (nights / "distort/000/001_1.png").unlink()
    with pytest.raises(InputError, match=r"001_1\.png: image file missing"):
        build_examples(BUILDER, nights)
    text = (nights / "data.csv").read_text().replace("ref/000/002.png", "../../etc/x.png")
    (nights / "data.csv").write_text(text)
    with pytest.raises(InputError, match="leaves the source folder"):
        build_examples(BUILDER, nights)

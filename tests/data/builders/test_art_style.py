import csv
import shutil

import numpy as np
import pytest
from PIL import Image

from tasktransfer.data.builders import get_builder
from tasktransfer.data.builders.art_style import ARTBENCH_IMAGES, BUILDER
from tasktransfer.data.builders.base import build_examples
from tasktransfer.errors import InputError

STYLES = ("impressionism", "realism", "surrealism")


def write_artbench(root, photo):
    """ArtBench-10's 256x256 ImageFolder release and its metadata CSV (the columns of
    ArtBench-10.csv that matter here: name, artist, label, split; url and
    is_public_domain as in the release). Three train paintings per style, two artists
    each, and one test painting that must not be used."""
    rows = []
    for s, style in enumerate(STYLES):
        for i in range(4):
            artist = f"artist-{s}-{i % 2}"
            name = f"{artist}_painting-{i}.jpg"
            split = "test" if i == 3 else "train"
            folder = root / "artbench-10-imagefolder-split" / split / style
            folder.mkdir(parents=True, exist_ok=True)
            photo(100 * s + i, (64, 64)).save(folder / name, quality=95)
            rows.append([name, artist, f"https://example.org/{name}", "True", style, split])
    with (root / "ArtBench-10.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "artist", "url", "is_public_domain", "label", "split"])
        writer.writerows(rows)
    return root


def style_of(source_id):
    return source_id.split(": ")[0]


def test_build_from_artbench_train_paintings(tmp_path, photo, check_build):
    root = write_artbench(tmp_path / "artbench", photo)
    build = check_build(BUILDER, root)
    assert len(build.examples) == 9  # every train painting is a reference once
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        ref, second, third = row.source_ids
        same, other = (second, third) if example.answer_letter == "A" else (third, second)
        assert style_of(same) == style_of(ref) != style_of(other)
        assert "test/" not in " ".join(row.source_ids)
        # The images are the files the manifest names, in that order.
        for image, source_id in zip(example.images, row.source_ids, strict=True):
            name = source_id.split(": ")[1]
            with Image.open(root / name) as opened:
                assert np.array_equal(np.asarray(image), np.asarray(opened.convert("RGB")))
        assert example.choices == ("the second image", "the third image")


def test_wikiart_folders_prefer_another_artist_of_the_style(tmp_path, photo, check_build):
    root = tmp_path / "wikiart"
    for s, style in enumerate(("Cubism", "Pop_Art")):
        (root / style).mkdir(parents=True)
        for i in range(4):
            photo(10 * s + i, (48, 48)).save(root / style / f"painter-{i % 2}_work-{i}.png")
    build = check_build(BUILDER, root)
    assert len(build.examples) == 8
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        ref, *pair = (source_id.split(": ")[1] for source_id in row.source_ids)
        same = pair["AB".index(example.answer_letter)]
        assert same.split("/")[0] == ref.split("/")[0]
        assert same.split("/")[1].split("_")[0] != ref.split("/")[1].split("_")[0]


def test_the_registry_finds_the_builder():
    assert get_builder("AS") is BUILDER


def test_bad_layouts_are_named(tmp_path, photo):
    (tmp_path / "one_style" / "Cubism").mkdir(parents=True)
    photo(1, (32, 32)).save(tmp_path / "one_style" / "Cubism" / "a_b.png")
    with pytest.raises(InputError, match="at least two styles"):
        build_examples(BUILDER, tmp_path / "one_style")
    root = write_artbench(tmp_path / "artbench", photo)
    (root / "ArtBench-10.csv").write_text("name,artist,split\nx.jpg,y,train\n")
    with pytest.raises(InputError, match="column 'label' is missing"):
        build_examples(BUILDER, root)
    (root / "ArtBench-10.csv").write_text(
        "name,artist,label,split\n../../../../../x.jpg,y,realism,train\n"
    )
    with pytest.raises(InputError, match="leaves the source folder"):
        build_examples(BUILDER, root)
    shutil.rmtree(root / ARTBENCH_IMAGES)
    with pytest.raises(InputError, match=f"{ARTBENCH_IMAGES}: missing"):
        build_examples(BUILDER, root)

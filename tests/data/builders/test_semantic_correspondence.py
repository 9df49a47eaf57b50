import json
import re

import pytest

from tasktransfer.data import marks
from tasktransfer.data.builders import get_builder
from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.semantic_correspondence import BUILDER
from tasktransfer.errors import InputError

KEYPOINT = re.compile(r"^(REF|[ABCD]) keypoint (\d+)$")


def _keypoints(n, shift):
    return [[40.0 + 45 * i + shift, 50.0 + 60 * (i % 3) + shift] for i in range(n)]


def write_spair(root, photo):
    """SPair-71k's layout: PairAnnotation/<split>/<id>-<src>-<trg>:<category>.json with
    src_imname, trg_imname, category, src_kps, trg_kps (shared keypoints, same order),
    kps_ids, src_imsize/trg_imsize ([w, h, 3]) and bounding boxes; images under
    JPEGImages/<category>/. Returns the train pairs' annotations by file stem."""
    pairs = {}
    for c, category in enumerate(("cat", "dog")):
        (root / "JPEGImages" / category).mkdir(parents=True)
        for i in range(3):
            photo(10 * c + i, (320, 240)).save(root / "JPEGImages" / category / f"2008_{c}{i}.jpg")
        for p, (s, t, n) in enumerate(((0, 1, 6), (1, 2, 5), (0, 2, 3))):
            data = {
                "pair_id": 10 * c + p,
                "src_imname": f"2008_{c}{s}.jpg",
                "trg_imname": f"2008_{c}{t}.jpg",
                "src_imsize": [320, 240, 3],
                "trg_imsize": [320, 240, 3],
                "src_bndbox": [10, 10, 300, 220],
                "trg_bndbox": [12, 8, 290, 230],
                "category": category,
                "src_kps": _keypoints(n, 0),
                "trg_kps": _keypoints(n, 7),
                "kps_ids": [str(3 * k + 1) for k in range(n)],
                "mirror": 0,
                "vp_var": 1,
            }
            stem = f"{10 * c + p:06d}-2008_{c}{s}-2008_{c}{t}:{category}"
            folder = root / "PairAnnotation" / "trn"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{stem}.json").write_text(json.dumps(data))
            pairs[stem] = data
    val = root / "PairAnnotation" / "val"
    val.mkdir(parents=True, exist_ok=True)
    (val / "000099-2008_00-2008_01:cat.json").write_text(json.dumps(pairs[next(iter(pairs))]))
    return pairs


def assert_ring_at(image, xy):
    style = marks.photo_style(image.size)
    x, y = round(xy[0]), round(xy[1])
    left = image.crop((x - style.radius - 1, y - 1, x - style.radius + style.ring_width + 1, y + 2))
    assert marks.MARKER in {colour for _, colour in left.getcolors()}


def test_build_from_spair_training_pairs(tmp_path, photo, check_build):
    root = tmp_path / "SPair-71k"
    pairs = write_spair(root, photo)
    build = check_build(BUILDER, root)
    # The 3-keypoint pairs are left out; the val pair is not read.
    assert sorted(r.source_ids[0] for r in build.manifest.rows) == sorted(
        stem for stem, data in pairs.items() if len(data["src_kps"]) >= 4
    )
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        data = pairs[row.source_ids[0]]
        shown = dict(KEYPOINT.match(s).groups() for s in row.source_ids[1:])
        assert set(shown) == {"REF", "A", "B", "C", "D"}
        assert shown[example.answer_letter] == shown["REF"]
        assert len(set(shown.values())) == 4  # the wrong points are other keypoints
        index = {kp_id: k for k, kp_id in enumerate(data["kps_ids"])}
        assert_ring_at(example.images[0], data["src_kps"][index[shown["REF"]]])
        for letter in "ABCD":
            assert_ring_at(example.images[1], data["trg_kps"][index[shown[letter]]])
        assert example.choices == ("Point A", "Point B", "Point C", "Point D")


def test_the_registry_finds_the_builder():
    assert get_builder("SC") is BUILDER


def test_bad_annotations_are_named(tmp_path, photo):
    root = tmp_path / "SPair-71k"
    pairs = write_spair(root, photo)
    stem = next(iter(pairs))
    path = root / "PairAnnotation" / "trn" / f"{stem}.json"
    path.write_text(json.dumps({**pairs[stem], "trg_kps": pairs[stem]["trg_kps"][:-1]}))
    with pytest.raises(InputError, match="src_kps has 6 points but trg_kps has 5"):
        build_examples(BUILDER, root)
    path.write_text(json.dumps({k: v for k, v in pairs[stem].items() if k != "trg_imname"}))
    with pytest.raises(InputError, match=f"{stem}.json: field 'trg_imname' is missing"):
        build_examples(BUILDER, root)
    path.write_text(json.dumps({**pairs[stem], "src_imname": "../../../../etc/x.jpg"}))
    with pytest.raises(InputError, match="leaves the source folder"):
        build_examples(BUILDER, root)


def test_a_missing_folder_is_named(tmp_path):
    (tmp_path / "spair" / "PairAnnotation" / "trn").mkdir(parents=True)
    with pytest.raises(InputError, match="JPEGImages: missing"):
        build_examples(BUILDER, tmp_path / "spair")

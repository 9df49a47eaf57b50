"""Object_Localization from a COCO fixture.

The fixture follows COCO's instances format (cocodataset.org, "Data format", object
detection): ``annotations/instances_train2017.json`` with ``images`` (``id``,
``file_name``, ``width``, ``height``), ``annotations`` (``id``, ``image_id``,
``category_id``, ``bbox`` = ``[x, y, w, h]``, ``area``, ``iscrowd``, ``segmentation``)
and ``categories`` (``id``, ``name``, ``supercategory``); images in ``train2017/``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.object_localization import BUILDER, DECOY_IOU, decoy_box, iou
from tasktransfer.data.marks import MARKER
from tasktransfer.errors import InputError

SIZE = (200, 160)
BACKGROUND = (60, 140, 90)
CATEGORIES = {1: "person", 3: "car", 18: "dog", 62: "chair"}
# annotation id -> (image id, category id, bbox [x, y, w, h], area, iscrowd)
ANNOTATIONS = {
    10: (1, 18, [40, 40, 80, 60], 4000, 0),
    11: (2, 3, [50, 30, 90, 70], 5000, 0),
    12: (3, 1, [30, 50, 70, 80], 4500, 0),
    13: (4, 62, [60, 40, 100, 60], 5000, 0),
    14: (5, 18, [45, 35, 90, 55], 4000, 0),
    15: (6, 3, [35, 45, 75, 75], 4500, 0),
    16: (7, 1, [50, 30, 60, 90], 4000, 0),
    17: (8, 62, [40, 50, 110, 50], 4500, 0),
    20: (9, 18, [40, 40, 80, 60], 4000, 1),  # a crowd
    21: (10, 3, [40, 40, 80, 60], 4000, 0),  # two cars in image 10: "the car" is ambiguous
    22: (10, 3, [120, 20, 40, 30], 1000, 0),
    23: (11, 1, [10, 10, 20, 20], 300, 0),  # covers 1 % of the photo
    24: (12, 62, [5, 5, 190, 150], 20000, 0),  # covers 89 %
    25: (13, 18, [40, 40, 80, 60], 1000, 0),  # its mask fills 21 % of its box
}
USABLE = {10, 11, 12, 13, 14, 15, 16, 17}


def write_coco(root: Path) -> Path:
    (root / "annotations").mkdir(parents=True)
    (root / "train2017").mkdir()
    images = []
    for image_id in sorted({a[0] for a in ANNOTATIONS.values()}):
        name = f"{image_id:012d}.jpg"
        Image.new("RGB", SIZE, BACKGROUND).save(root / "train2017" / name)
        images.append({"id": image_id, "file_name": name, "width": SIZE[0], "height": SIZE[1]})
    annotations = [
        {
            "id": ann_id,
            "image_id": image_id,
            "category_id": category,
            "bbox": bbox,
            "area": area,
            "iscrowd": crowd,
            "segmentation": [[bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1], bbox[0], bbox[3]]],
        }
        for ann_id, (image_id, category, bbox, area, crowd) in ANNOTATIONS.items()
    ]
    categories = [{"id": k, "name": v, "supercategory": "thing"} for k, v in CATEGORIES.items()]
    (root / "annotations" / "instances_train2017.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    return root


def _red(pixel) -> bool:
    return all(abs(a - b) <= 60 for a, b in zip(pixel, MARKER, strict=True))


def test_coco_fixture_labels_the_annotated_box_by_the_answer(tmp_path, check_build):
    result = check_build(BUILDER, write_coco(tmp_path / "coco"))
    ids = {int(row.source_ids[0].removeprefix("annotation_id:")) for row in result.manifest.rows}
    assert ids == USABLE
    for example, row in zip(result.examples, result.manifest.rows, strict=True):
        _, category, (x, y, w, h), _, _ = ANNOTATIONS[int(row.source_ids[0].split(":")[1])]
        (image,) = example.images
        assert (
            example.question == f"Which box localizes the {CATEGORIES[category]} more accurately?"
        )
        assert example.choices == ("Box A", "Box B")
        # The annotated box is drawn: its left edge is red halfway down.
        assert _red(image.getpixel((x, y + h // 2)))
        # Box A's tag sits on top of its top-left corner, box B's below its bottom-right:
        # the pixel just above the annotated box's corner is tag-red only when it is A.
        labelled = "A" if _red(image.getpixel((x, y - 2))) else "B"
        assert example.answer == f"({labelled})"


def test_the_decoy_overlaps_within_the_band_and_stays_inside():
    rng = random.Random(0)
    for _ in range(200):
        x0, y0 = rng.uniform(0, 100), rng.uniform(0, 80)
        box = (x0, y0, x0 + rng.uniform(20, 90), y0 + rng.uniform(20, 70))
        decoy = decoy_box(box, SIZE, rng)
        assert decoy is not None
        assert DECOY_IOU[0] <= iou(box, decoy) <= DECOY_IOU[1]
        assert 0 <= decoy[0] < decoy[2] <= SIZE[0] - 1 and 0 <= decoy[1] < decoy[3] <= SIZE[1] - 1


def test_iou_by_hand():
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_a_missing_instances_file_is_named(tmp_path):
    (tmp_path / "coco" / "train2017").mkdir(parents=True)
    with pytest.raises(InputError, match=r"annotations/instances_train2017.json: missing"):
        build_examples(BUILDER, tmp_path / "coco")


def test_an_annotation_of_an_unknown_image_is_named(tmp_path):
    source = write_coco(tmp_path / "coco")
    path = source / "annotations" / "instances_train2017.json"
    data = json.loads(path.read_text())
    data["annotations"][2]["image_id"] = 999
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"annotations\[2\]: image_id 999"):
        build_examples(BUILDER, source)

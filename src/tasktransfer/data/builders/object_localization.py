"""Object_Localization from COCO train2017 instances (BLINK's boxes are on COCO imagery).

Layout: the COCO folder holds ``annotations/instances_train2017.json`` (``images`` with
``id``, ``file_name``, ``width``, ``height``; ``annotations`` with ``id``, ``image_id``,
``category_id``, ``bbox`` = ``[x, y, width, height]`` in pixels, ``area`` of the mask and
``iscrowd``; ``categories`` with ``id`` and ``name``) and the ``train2017/`` images.

BLINK draws two labelled boxes, A and B, and asks which one localises a named object more
accurately; options ``Box A`` / ``Box B``. Here one box is the annotation and the other a
decoy made by moving each edge at random until its IoU with the annotation lies in
:data:`DECOY_IOU` (the recipe LIVR used). An object is used when it is the only
instance of its category in the photo (so the name picks it out), not a crowd, its box
covers :data:`BOX_COVER` of the photo and its mask fills at least :data:`MIN_FILL` of its
box (as LIVR filtered).
"""

from __future__ import annotations

import random
from collections import Counter
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
    source_file,
)
from tasktransfer.errors import InputError

SOURCE = "COCO 2017"
ANNOTATIONS = "annotations/instances_train2017.json"
IMAGES = "train2017"
CHOICES = ("Box A", "Box B")
BOX_COVER = (0.15, 0.5)
MIN_FILL = 0.6
DECOY_IOU = (0.2, 0.5)
DECOY_TRIES = 100
# Tags: A above its box's top-left corner, B below its bottom-right, so they never meet.
TAG_AT = {"A": "top", "B": "bottom"}

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes.

    Examples
    --------
    >>> iou((0, 0, 2, 2), (1, 0, 3, 2))
    0.3333333333333333
    """
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def decoy_box(box: Box, size: tuple[int, int], rng: random.Random) -> Box | None:
    """A box inside the image whose IoU with ``box`` lies in :data:`DECOY_IOU`, or None.

    Each edge moves by up to half the box's width (or height), in either direction.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for _ in range(DECOY_TRIES):
        shifts = [rng.uniform(-0.5, 0.5) for _ in range(4)]
        cand = (
            max(0.0, x0 + shifts[0] * w),
            max(0.0, y0 + shifts[1] * h),
            min(size[0] - 1.0, x1 + shifts[2] * w),
            min(size[1] - 1.0, y1 + shifts[3] * h),
        )
        if cand[2] - cand[0] >= 2 and cand[3] - cand[1] >= 2:
            if DECOY_IOU[0] <= iou(box, cand) <= DECOY_IOU[1]:
                return cand
    return None


def check_layout(source_dir: Path) -> None:
    """The folder holds the train2017 instances file and image folder."""
    require_files(source_dir, [ANNOTATIONS, IMAGES], source=SOURCE)


def candidates(source_dir: Path):
    """Every object that passes the filters of the module docstring, by annotation id."""
    path = source_dir / ANNOTATIONS
    data = read_json(path)
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise InputError(
            f"{path}: expected a COCO instances file with images, annotations, categories"
        )
    names = {
        get_field(c, "id", int, at=f"{path}, categories[{i}]"): get_field(
            c, "name", str, at=f"{path}, categories[{i}]"
        )
        for i, c in enumerate(data["categories"])
    }
    images = {}
    for i, image in enumerate(data["images"]):
        at = f"{path}, images[{i}]"
        images[get_field(image, "id", int, at=at)] = (
            get_field(image, "file_name", str, at=at),
            get_field(image, "width", int, at=at),
            get_field(image, "height", int, at=at),
        )
    objects = []
    for i, ann in enumerate(data["annotations"]):
        at = f"{path}, annotations[{i}]"
        image_id = get_field(ann, "image_id", int, at=at)
        category = get_field(ann, "category_id", int, at=at)
        bbox = get_field(ann, "bbox", list, at=at)
        if image_id not in images or category not in names or len(bbox) != 4:
            raise InputError(
                f"{at}: image_id {image_id}, category_id {category} or bbox {bbox!r} is "
                "unknown or malformed"
            )
        ann_id = get_field(ann, "id", int, at=at)
        objects.append((ann_id, ann, image_id, category, [float(v) for v in bbox], at))
    instances = Counter((image_id, category) for _, _, image_id, category, _, _ in objects)
    for ann_id, ann, image_id, category, (x, y, w, h), at in sorted(objects, key=lambda o: o[0]):
        file_name, width, height = images[image_id]
        cover = w * h / (width * height)
        fill = float(ann.get("area", 0)) / (w * h) if w * h > 0 else 0.0
        if (
            ann.get("iscrowd", 0)
            or instances[(image_id, category)] != 1
            or not BOX_COVER[0] <= cover <= BOX_COVER[1]
            or fill < MIN_FILL
        ):
            continue
        yield Candidate(
            key=str(ann_id),
            answers=(0, 1),
            n_choices=len(CHOICES),
            record=(
                source_file(source_dir, f"{IMAGES}/{file_name}", what=at),
                names[category],
                (x, y, x + w, y + h),
                at,
            ),
        )


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    """The photo with the annotated box labelled by ``answer`` and a decoy labelled by the other."""
    path, name, box, at = candidate.record
    image, factor = load_image(path, what=at)
    truth: Box = (box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor)
    decoy = decoy_box(truth, image.size, rng)
    if decoy is None:
        return None
    style = marks.photo_style(image.size)
    boxes = (truth, decoy) if answer == 0 else (decoy, truth)
    for label, xyxy in zip("AB", boxes, strict=True):
        marks.box(image, xyxy, label, style, tag_at=TAG_AT[label])
    question = f"Which box localizes the {name} more accurately?"
    return BuiltQuestion(
        question=question,
        choices=CHOICES,
        answer=answer,
        images=(image,),
        source_ids=(f"annotation_id:{candidate.key}", f"image:{path.name}"),
        task_text=(
            "A bounding box is a rectangle drawn around an object so that its sides touch "
            "the object's outermost pixels. Two boxes, labelled A and B, are drawn on this "
            f"image. {question}"
        ),
    )


BUILDER = Builder(
    task="Object_Localization",
    source=SOURCE,
    source_split="train2017 (annotations/instances_train2017.json)",
    licence="COCO annotations: CC BY 4.0; the images keep their Flickr owners' terms.",
    layout="annotations/instances_train2017.json and the train2017/ image folder",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

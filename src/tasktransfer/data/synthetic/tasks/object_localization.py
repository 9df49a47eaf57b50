"""Object_Localization: which of two boxes localises the named object more accurately.

One box is tight (one pixel outside the object); the other is the tight box shifted and
rescaled to an intersection-over-union of about 0.8 * difficulty: beside the object at
difficulty 0, nearly on it at 1. Up to ``round(2 * difficulty)`` distractor objects in
other colours share the image (none at difficulty 0). The boxes are lettered in reading
order: A is the box whose centre is further left.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, scatter

QUESTION = (
    "A bounding box is an annotated rectangle surrounding an object. The edges of bounding "
    "boxes should touch the outermost pixels of the object that is being labeled. Given the "
    "two bounding boxes on the image, labeled by A and B, which bounding box more accurately "
    "localizes and encloses the {}?"
)


def iou(a, b) -> float:
    """Intersection over union of two inclusive pixel boxes ``(x0, y0, x1, y1)``."""
    w = min(a[2], b[2]) - max(a[0], b[0]) + 1
    h = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0, w) * max(0, h)
    area = lambda box: (box[2] - box[0] + 1) * (box[3] - box[1] + 1)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


@register(
    "Object_Localization",
    skills=("marker_reading", "object_extent", "shape_identity"),
    difficulty=0.0,
    version=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    target_iou = 0.8 * difficulty
    colours = choose(rng, list(draw.COLOURS), 3)
    kind = choose(rng, draw.SHAPES)
    r = float(rng.uniform(0.13, 0.2)) * size
    n_distractors = int(rng.integers(0, 1 + round(2 * difficulty)))  # none at difficulty 0
    radii = [r] + [0.07 * size] * n_distractors
    centres = scatter(rng, radii, size, margin=0.12 * size, gap=3)
    # Leave room on the wrong box's side (right of the object when the answer is A).
    if (centres[0][0] > size / 2) == (answer == 0):
        centres = [(size - x, y) for x, y in centres]
    image = draw.canvas(size)
    extent = draw.shape(image, kind, centres[0], r, draw.COLOURS[colours[0]])
    for centre, radius, colour in zip(centres[1:], radii[1:], colours[1:], strict=False):
        draw.shape(image, choose(rng, draw.SHAPES), centre, radius, draw.COLOURS[colour])
    tight = (extent[0] - 1, extent[1] - 1, extent[2] + 1, extent[3] + 1)
    # Reading order: the right box is A (left) when answer == 0, so the wrong one lies right.
    wrong = _loose_box(rng, tight, target_iou, size, right_of_tight=answer == 0)
    boxes = [tight, wrong] if answer == 0 else [wrong, tight]
    for box, letter, corner in zip(boxes, "AB", ("top", "bottom"), strict=True):
        draw.box(image, box, letter, tag_at=corner)
    meta = {"target": [colours[0], kind], "extent": list(extent), "boxes": [list(b) for b in boxes]}
    question = QUESTION.format(f"{colours[0]} {kind}")
    return Scene(question, ("Box A", "Box B"), (image,), meta)


def _loose_box(rng, tight, target_iou, size, *, right_of_tight):
    """A box inside the image with an IoU with ``tight`` near ``target_iou``.

    Its centre lies right of the tight box's centre if ``right_of_tight``, else left.
    Low targets need boxes away from the object, so the shift range grows as the target falls.
    """
    w, h = tight[2] - tight[0], tight[3] - tight[1]
    reach = 0.5 + 2.0 * max(0.0, 0.5 - target_iou)
    side = 1 if right_of_tight else -1
    best = None
    for _ in range(300):
        sw, sh = rng.uniform(0.6, 1.6, size=2)
        dx = side * rng.uniform(0.05, reach) * w
        dy = rng.uniform(-reach, reach) * h
        cx, cy = (tight[0] + tight[2]) / 2 + dx, (tight[1] + tight[3]) / 2 + dy
        box = (
            round(cx - sw * w / 2),
            round(cy - sh * h / 2),
            round(cx + sw * w / 2),
            round(cy + sh * h / 2),
        )
        if box[0] < 0 or box[1] < 0 or box[2] >= size or box[3] >= size:
            continue
        gap = abs(iou(box, tight) - target_iou)
        if iou(box, tight) < 0.95 and (best is None or gap < best[0]):
            best = (gap, box)
        if gap < 0.05:
            break
    if best is None:
        raise RuntimeError("Object_Localization: no loose box fits in the image")
    return best[1]

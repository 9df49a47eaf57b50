"""Visual_Correspondence: which circled point in a second view matches the reference point.

The second image is the same scene after the camera moves (a zoom of up to +-15 % about a
centre shifted by up to 12 % of the image) and the light changes (all colours scaled by up
to +-30 %); difficulty scales all three, so at 0 the second view is the first one. The
reference point is on one object; the four candidates, one object per quadrant and lettered
in reading order (A top-left, B top-right, C bottom-left, D bottom-right), are the true
match and points on three other objects. At difficulty 0 the objects all differ in colour;
as difficulty grows more of them share the reference object's colour and shape, so only
the layout tells them apart.
"""

from __future__ import annotations

from PIL import Image

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, quadrant

QUESTION = (
    "A point is circled on the first image, labeled with REF. We change the camera position "
    "or lighting and shoot the second image. You are given multiple red-circled points on "
    'the second image, choices of "A, B, C, D" are drawn beside each circle. Which point '
    "on the second image corresponds to the point in the first image?"
)


def view(point, zoom, shift, size):
    """Where a scene point of the first image appears in the second."""
    c = (size - 1) / 2
    return (zoom * (point[0] - c) + c + shift[0], zoom * (point[1] - c) + c + shift[1])


def render(objects, size, zoom=1.0, shift=(0.0, 0.0), light=1.0) -> Image.Image:
    image = draw.canvas(size, tuple(min(255, round(v * light)) for v in draw.BACKGROUND))
    for kind, colour, centre, radius in objects:
        rgb = tuple(min(255, round(v * light)) for v in draw.COLOURS[colour])
        draw.shape(image, kind, view(centre, zoom, shift, size), radius * zoom, rgb)
    return image


@register(
    "Visual_Correspondence",
    skills=("marker_reading", "point_matching"),
    difficulty=0.0,
    version=3,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    keep = draw.marker_footprint(size)
    n_same = round(3 * difficulty)  # distractor objects that look like the reference one
    # One object per quadrant; letters follow the quadrants in reading order (A top-left,
    # B top-right, C bottom-left, D bottom-right), and the reference object (index 0) sits in
    # quadrant `answer`. Objects keep 0.6 * keep from the centre lines, so they stay apart.
    quadrants = [answer] + [q for q in range(4) if q != answer]
    half, lo = size / 2, 0.12 * size
    for _ in range(500):
        zoom = 1 + float(rng.uniform(-0.15, 0.15)) * difficulty
        shift = tuple(float(v) for v in rng.uniform(-0.12, 0.12, size=2) * size * difficulty)
        points = [
            tuple(
                float(rng.uniform(lo, half - 0.6 * keep)) + half * side for side in (q % 2, q // 2)
            )
            for q in quadrants
        ]
        moved = [view(p, zoom, shift, size) for p in points]
        inside = all(keep / 3 <= v <= size - 1 - keep / 3 for p in moved for v in p)
        kept = all(quadrant(m, size) == q for m, q in zip(moved, quadrants, strict=True))
        if inside and kept:
            break
    else:
        raise RuntimeError("Visual_Correspondence: cannot place four points")
    colours = choose(rng, list(draw.COLOURS), 4)
    kinds = [choose(rng, draw.SHAPES) for _ in range(4)]
    for i in range(1, 1 + n_same):
        colours[i], kinds[i] = colours[0], kinds[0]
    radius = 0.09 * size
    objects = [(k, c, p, radius) for k, c, p in zip(kinds, colours, points, strict=True)]
    light = 1 + float(rng.uniform(-0.3, 0.3)) * difficulty
    first = render(objects, size)
    second = render(objects, size, zoom, shift, light)
    # Candidates are the objects' centres in view 2, in quadrant order.
    candidates = [tuple(round(v) for v in moved[quadrants.index(q)]) for q in range(4)]
    draw.point_marker(first, points[0], "REF")
    for point, letter in zip(candidates, "ABCD", strict=True):
        draw.point_marker(second, point, letter)
    meta = {
        "reference": [round(v) for v in points[0]],
        "candidates": [list(p) for p in candidates],
        "zoom": zoom,
        "shift": list(shift),
        "light": light,
    }
    return Scene(QUESTION, ("A", "B", "C", "D"), (first, second), meta)

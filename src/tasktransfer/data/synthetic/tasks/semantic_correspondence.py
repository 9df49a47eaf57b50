"""Semantic_Correspondence: the same part on another animal of the same kind.

Both images show a four-legged animal (body, head, tail, legs) of a random colour, size
and proportions. The reference point is on one named part of the first animal; the
candidates are the four parts of the second (head, tail tip, front foot, back foot). From
difficulty 0.5 on the second animal may face the other way, so the matching part sits on
the other side and position alone misleads (probability ``difficulty``). The candidates
are lettered left to right.
"""

from __future__ import annotations

from PIL import ImageDraw

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose

QUESTION = (
    "Humans can find corresponding points for different objects in the same category. For "
    "instance, if there are images of two different cats, then the left ear tip of one cat "
    "corresponds to the left ear tip of the other cat, and the front right paw of one cat "
    "corresponds to the front right paw of the other cat. Given the following two images, a "
    "reference point is annotated on the first image, labeled with REF. You are given "
    'multiple red-circled points on the second image, choices of "A, B, C, D" are drawn '
    "beside each circle. Select between the choices on the second image and find the "
    "corresponding point for the reference point. Which point is corresponding to the "
    "reference point?"
)
PARTS = ("head", "tail", "front_foot", "back_foot")


def keypoints(animal) -> dict[str, tuple[float, float]]:
    """The named parts of an animal ``{cx, cy, s, facing, head, leg}`` in image coordinates."""
    cx, cy, s, f = animal["cx"], animal["cy"], animal["s"], animal["facing"]
    leg = animal["leg"]
    local = {
        "head": (1.3, -0.55),
        "tail": (-1.75, -0.75),
        "front_foot": (0.62, 0.35 + leg),
        "back_foot": (-0.62, 0.35 + leg),
    }
    return {k: (cx + f * u * s, cy + v * s) for k, (u, v) in local.items()}


def render_animal(image, animal) -> None:
    cx, cy, s, f = animal["cx"], animal["cy"], animal["s"], animal["facing"]
    colour = draw.COLOURS[animal["colour"]]
    pen = ImageDraw.Draw(image)
    points = keypoints(animal)
    for foot in ("front_foot", "back_foot"):
        x, y = points[foot]
        pen.rectangle((round(x - 0.14 * s), round(cy), round(x + 0.14 * s), round(y)), fill=colour)
    tail_x, tail_y = points["tail"]
    pen.polygon(
        [
            (round(cx - f * 0.8 * s), round(cy - 0.25 * s)),
            (round(cx - f * 0.9 * s), round(cy + 0.1 * s)),
            (round(tail_x), round(tail_y)),
        ],
        fill=colour,
    )
    pen.ellipse(
        (round(cx - s), round(cy - 0.5 * s), round(cx + s), round(cy + 0.45 * s)), fill=colour
    )
    hx, hy = points["head"]
    hr = animal["head"] * s
    pen.ellipse((round(hx - hr), round(hy - hr), round(hx + hr), round(hy + hr)), fill=colour)


def _animal(rng, size, facing, colour):
    s = float(rng.uniform(0.2, 0.24)) * size
    return {
        "cx": float(rng.uniform(0.42, 0.58)) * size,
        "cy": float(rng.uniform(0.4, 0.5)) * size,
        "s": s,
        "facing": facing,
        "head": float(rng.uniform(0.38, 0.5)),
        "leg": float(rng.uniform(0.6, 0.85)),
        "colour": colour,
    }


@register(
    "Semantic_Correspondence",
    skills=("marker_reading", "point_matching", "part_semantics"),
    difficulty=0.0,
    version=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    colours = choose(rng, list(draw.COLOURS), 2)
    facing = 1 if rng.random() < 0.5 else -1
    flip = difficulty >= 0.5 and rng.random() < difficulty
    first = _animal(rng, size, facing, colours[0])
    second = _animal(rng, size, -facing if flip else facing, colours[1])
    # Letters go left to right over the second animal's parts; the reference part is the
    # one that gets letter `answer`.
    second_points = keypoints(second)
    order = sorted(PARTS, key=lambda name: second_points[name])
    part = order[answer]
    images = (draw.canvas(size), draw.canvas(size))
    render_animal(images[0], first)
    render_animal(images[1], second)
    draw.point_marker(images[0], keypoints(first)[part], "REF")
    for name, letter in zip(order, "ABCD", strict=True):
        draw.point_marker(images[1], second_points[name], letter)
    reference = [round(v) for v in keypoints(first)[part]]
    meta = {
        "animals": [first, second],
        "reference": reference,
        "candidates": [[round(v) for v in second_points[n]] for n in order],
    }
    return Scene(QUESTION, ("A", "B", "C", "D"), images, meta)

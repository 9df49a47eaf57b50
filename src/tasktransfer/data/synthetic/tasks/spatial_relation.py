"""Spatial_Relation: is one named object left of / right of / above / below another?

Two named objects (distinct colour and shape) and up to two distractors in other colours.
The relation holds ("yes") or is reversed ("no") by a margin between the two centres
along the relation's axis: 40 % of the image at difficulty 0, 5 % at difficulty 1.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, scatter

# relation -> (axis, sign): "a left of b" means x_a < x_b, i.e. sign * (a - b) > 0 on x.
RELATIONS = {
    "to the left of": (0, -1),
    "to the right of": (0, 1),
    "above": (1, -1),
    "below": (1, 1),
}


@register(
    "Spatial_Relation",
    skills=("spatial_layout", "shape_identity"),
    difficulty=0.0,
    images=1,
    choices=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    relation = choose(rng, list(RELATIONS))
    axis, sign = RELATIONS[relation]
    holds = answer == 0
    margin = (0.4 - 0.35 * difficulty) * size
    colours = choose(rng, list(draw.COLOURS), 4)
    kinds = choose(rng, draw.SHAPES, 2)
    r = 0.1 * size
    for _ in range(500):
        centres = scatter(rng, [r, r], size, gap=2)
        delta = centres[0][axis] - centres[1][axis]
        if (sign * delta >= margin) == holds and abs(delta) >= margin:
            break
    else:
        raise RuntimeError("Spatial_Relation: cannot place the two objects")
    n_distractors = int(rng.integers(0, 3))
    avoid = [(x, y, r) for x, y in centres]
    extra = scatter(rng, [0.07 * size] * n_distractors, size, gap=2, avoid=avoid)
    image = draw.canvas(size)
    for (x, y), kind, colour in zip(centres, kinds, colours, strict=False):
        draw.shape(image, kind, (x, y), r, draw.COLOURS[colour])
    for centre, colour in zip(extra, colours[2:], strict=False):
        draw.shape(image, choose(rng, draw.SHAPES), centre, 0.07 * size, draw.COLOURS[colour])
    a, b = f"{colours[0]} {kinds[0]}", f"{colours[1]} {kinds[1]}"
    meta = {
        "objects": [[colours[i], kinds[i], list(centres[i])] for i in range(2)],
        "relation": relation,
    }
    return Scene(f"Is the {a} {relation} the {b}?", ("yes", "no"), (image,), meta)

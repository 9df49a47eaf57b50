"""Spatial_Relation: is one named object left of / right of / above / below another?

Two named objects of distinct colours and shapes; the relation holds ("yes") or is reversed
("no") by a margin between the two centres along the relation's axis. Questions are easy or
hard (:func:`~tasktransfer.data.synthetic.layout.hard_question`: all easy at difficulty 0,
a share of 2 x difficulty hard, all hard from 0.5):

- easy: "Is the yellow circle to the left of the blue square?", the square standing at the
  image centre (give or take 5 % of the image) and the circle a quarter of the image or more
  to its left or right, both of radius 13 % of the image, nothing else in the image;
- hard: any of the four relations about two objects of radius 10 % anywhere, in any two
  colours, among up to two distractors in other colours; the margin is 40 % of the image at
  difficulty 0 and 5 % at 1.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

# relation -> (axis, sign): "a left of b" means x_a < x_b, i.e. sign * (a - b) > 0 on x.
RELATIONS = {
    "to the left of": (0, -1),
    "to the right of": (0, 1),
    "above": (1, -1),
    "below": (1, 1),
}

# The two objects of easy questions. Known in advance, the tiny model learns the side of the
# first in a few hundred steps; colours and shapes that change between questions slow it
# down past the default finetune (docs/tiny-model.md).
EASY = (("yellow", "circle"), ("blue", "square"))


@register(
    "Spatial_Relation",
    skills=("spatial_layout", "shape_identity"),
    difficulty=0.05,
    version=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    hard = hard_question(rng, difficulty)
    relation = choose(rng, list(RELATIONS)) if hard else "to the left of"
    axis, sign = RELATIONS[relation]
    holds = answer == 0
    if hard:
        margin = (0.4 - 0.35 * difficulty) * size
        colours = choose(rng, list(draw.COLOURS), 4)
        kinds = choose(rng, draw.SHAPES, 2)
    else:
        margin = 0.25 * size
        colours, kinds = [c for c, _ in EASY], [k for _, k in EASY]
    r = (0.1 if hard else 0.13) * size
    # Near the centre; the jitter keeps easy scenes from repeating across splits.
    jitter = round(0.05 * size)
    middle = tuple(size // 2 + int(v) for v in rng.integers(-jitter, jitter + 1, size=2))
    for _ in range(500):
        if hard:
            centres = scatter(rng, [r, r], size, gap=2)
        else:
            centres = [*scatter(rng, [r], size, gap=2, avoid=[(*middle, r)]), middle]
        delta = centres[0][axis] - centres[1][axis]
        if (sign * delta >= margin) == holds and abs(delta) >= margin:
            break
    else:
        raise RuntimeError("Spatial_Relation: cannot place the two objects")
    n_distractors = int(rng.integers(0, 3)) if hard else 0
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

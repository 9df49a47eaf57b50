"""Counting: how many objects of a named colour and shape are in the image.

Targets (1 to 4, up to 6 at difficulty 1) share one colour and shape. In easy questions
they are blue squares, alone in the image; in hard ones they take any colour and shape,
among distractors that differ in colour and, from difficulty 0.5 on, some share the targets'
colour with another shape, so colour alone no longer counts them
(:func:`~tasktransfer.data.synthetic.layout.hard_question`: all easy at difficulty 0, a
share of 2 x difficulty hard, all hard from 0.5). The four options are consecutive counts
in ascending order (BLINK's are four counts too); at difficulty 0 they are always 1-4.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

# The targets of easy questions. The tiny model learns to count objects of one known colour
# and shape in a few hundred steps, and stays at chance when the colour changes from
# question to question (docs/tiny-model.md).
EASY = ("blue", "square")


@register(
    "Counting",
    skills=("object_counting", "shape_identity"),
    difficulty=0.05,
    version=4,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    hard = hard_question(rng, difficulty)
    max_count = 4 + round(2 * difficulty)
    # The options are four consecutive counts in ascending order, the true one at `answer`:
    # 1-4 at low difficulty; with probability `difficulty` the window starts elsewhere, so
    # the letter alone no longer tells the count.
    start = 1
    if rng.random() < difficulty:
        start = int(rng.integers(max(0, 1 - answer), max_count - answer + 1))
    count = start + answer
    colour, kind = (choose(rng, list(draw.COLOURS)), choose(rng, draw.SHAPES)) if hard else EASY
    n_distractors = int(rng.integers(0, 1 + round(3 * difficulty))) if hard else 0
    distractors = []
    for _ in range(n_distractors):
        if difficulty >= 0.5 and rng.random() < 0.5:
            other = (colour, choose(rng, [s for s in draw.SHAPES if s != kind]))
        else:
            other_colour = choose(rng, [c for c in draw.COLOURS if c != colour])
            other = (other_colour, choose(rng, draw.SHAPES))
        distractors.append(other)
    r = (0.1 - 0.025 * difficulty) * size  # larger objects at low difficulty
    objects = [(colour, kind)] * count + distractors
    order = rng.permutation(len(objects))
    objects = [objects[i] for i in order]
    centres = scatter(rng, [r] * len(objects), size, gap=3)
    image = draw.canvas(size)
    for (c, k), centre in zip(objects, centres, strict=True):
        draw.shape(image, k, centre, r, draw.COLOURS[c])
    choices = [str(start + k) for k in range(4)]
    meta = {
        "target": [colour, kind],
        "objects": [[c, k, list(p)] for (c, k), p in zip(objects, centres, strict=True)],
    }
    return Scene(f"How many {colour} {kind}s are in the image?", tuple(choices), (image,), meta)

"""Video_Appearance_Order: in which order three named objects first come into view.

The camera slides across the strip; an object *appears* in the first frame that shows it
whole. Three named objects of three different colours are placed so that they appear in
three different frames. The question names them in a random order; the four options are
orders of the three names (VSI-Bench's appearance order), the true one at the balanced
letter and three others drawn from the remaining five. In easy questions the camera moves
left to right and nothing else is in the scene, so the order is also the objects'
left-to-right order in any frame that shows two of them; in hard ones (a share of
2 x difficulty) the camera may move either way and unnamed distractors stand between them.
"""

from __future__ import annotations

from itertools import permutations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.clips import (
    STRIP_VIEWS,
    Clip,
    crop_frames,
    pan_offsets,
    strip_canvas,
    visible,
)
from tasktransfer.data.synthetic.core import register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

NAMED = 3


def first_frame(x: float, offsets, size: int, radius: float) -> int:
    """The first frame (index into ``offsets``) that shows an object at ``x`` whole."""
    return next(i for i, left in enumerate(offsets) if visible(x, left, size, radius))


@register(
    "Video_Appearance_Order",
    skills=("shape_identity", "temporal_order"),
    difficulty=0.05,
)
def generate(rng, answer, *, difficulty, image_size) -> Clip:
    size = image_size
    hard = hard_question(rng, difficulty)
    reverse = hard and bool(rng.random() < 0.5)
    colours = choose(rng, list(draw.COLOURS), NAMED + 1)
    named = [(c, choose(rng, draw.SHAPES)) for c in colours[:NAMED]]
    # Distractors take the colour no named object has, so a colour names one object.
    n_distractors = int(rng.integers(1, 2 + round(3 * difficulty))) if hard else 0
    distractors = [(colours[NAMED], choose(rng, draw.SHAPES)) for _ in range(n_distractors)]
    r = 0.1 * size
    offsets = pan_offsets(size, reverse=reverse)
    for _ in range(100):  # redraw until the named objects appear in three different frames
        centres = scatter(rng, [r] * (NAMED + n_distractors), (STRIP_VIEWS * size, size), gap=3)
        firsts = [first_frame(x, offsets, size, r) for x, _ in centres[:NAMED]]
        if len(set(firsts)) == NAMED:
            break
    else:
        raise RuntimeError("no placement shows the named objects in three different frames")
    strip = strip_canvas(size)
    for (c, k), centre in zip(named + distractors, centres, strict=True):
        draw.shape(strip, k, centre, r, draw.COLOURS[c])
    names = [f"{c} {k}" for c, k in named]
    truth = tuple(names[i] for i in sorted(range(NAMED), key=firsts.__getitem__))
    others = [p for p in permutations(names) if p != truth]
    wrong = [others[i] for i in rng.choice(len(others), size=3, replace=False)]
    orders = wrong[:answer] + [truth] + wrong[answer:]
    asked = [names[i] for i in rng.permutation(NAMED)]
    question = (
        "In which order do these objects first appear in the video: "
        f"the {asked[0]}, the {asked[1]} and the {asked[2]}?"
    )
    meta = {
        "named": [[c, k, list(p)] for (c, k), p in zip(named, centres, strict=False)],
        "distractors": [
            [c, k, list(p)] for (c, k), p in zip(distractors, centres[NAMED:], strict=True)
        ],
        "first_frames": firsts,
        "reverse": reverse,
        "radius": r,
        "offsets": offsets,
    }
    choices = tuple(", ".join(order) for order in orders)
    return Clip(question, crop_frames(strip, offsets, wrap=False), choices=choices, meta=meta)

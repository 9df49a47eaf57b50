"""Video_Counting: how many objects of a named colour and shape the camera passes.

The camera slides across a strip four frames wide (:mod:`~tasktransfer.data.synthetic.clips`),
so each object is wholly in view in at least one frame and often in two or three: adding up
what each frame shows over-counts, and the answer is the number of distinct objects over the
clip (VSI-Bench's object count). The count, 1 to 6, is the answer value the suite balances.
In easy questions the targets are blue squares, alone; in hard ones they take any colour and
shape, among distractors that differ in colour and, from difficulty 0.5 on, some share the
targets' colour with another shape (:func:`~tasktransfer.data.synthetic.layout.hard_question`:
a share of 2 x difficulty of the questions is hard). Objects shrink a little as difficulty
grows.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.clips import (
    STRIP_VIEWS,
    Clip,
    crop_frames,
    pan_offsets,
    strip_canvas,
)
from tasktransfer.data.synthetic.core import register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

EASY = ("blue", "square")  # the targets of easy questions, as in the image Counting
COUNTS = 6  # answers 1 .. COUNTS


@register(
    "Video_Counting",
    skills=("object_counting", "shape_identity", "temporal_integration"),
    difficulty=0.05,
    answers=COUNTS,
)
def generate(rng, answer, *, difficulty, image_size) -> Clip:
    size = image_size
    count = answer + 1
    hard = hard_question(rng, difficulty)
    colour, kind = (choose(rng, list(draw.COLOURS)), choose(rng, draw.SHAPES)) if hard else EASY
    distractors = []
    for _ in range(int(rng.integers(0, 1 + round(4 * difficulty))) if hard else 0):
        if difficulty >= 0.5 and rng.random() < 0.5:
            distractors.append((colour, choose(rng, [s for s in draw.SHAPES if s != kind])))
        else:
            other = choose(rng, [c for c in draw.COLOURS if c != colour])
            distractors.append((other, choose(rng, draw.SHAPES)))
    objects = [(colour, kind)] * count + distractors
    objects = [objects[i] for i in rng.permutation(len(objects))]
    r = (0.1 - 0.025 * difficulty) * size
    centres = scatter(rng, [r] * len(objects), (STRIP_VIEWS * size, size), gap=3)
    strip = strip_canvas(size)
    for (c, k), centre in zip(objects, centres, strict=True):
        draw.shape(strip, k, centre, r, draw.COLOURS[c])
    offsets = pan_offsets(size)
    meta = {
        "target": [colour, kind],
        "radius": r,
        "objects": [[c, k, list(p)] for (c, k), p in zip(objects, centres, strict=True)],
        "offsets": offsets,
    }
    frames = crop_frames(strip, offsets, wrap=False)
    return Clip(f"How many {colour} {kind}s are in this room?", frames, value=count, meta=meta)

"""Visual_Similarity: which of two images is more similar to the reference.

The reference holds three or four objects. The similar image has the same objects (shape and
colour) moved by a few pixels; the other keeps every position exactly but changes one or
two objects. Pixel overlap therefore favours the wrong image, more so as difficulty grows
(the similar image's objects move up to 2 px at difficulty 0, 5 px at 1). In an easy
question the reference is drawn in one fixed half of the colours, ``draw.COLOUR_GROUPS``,
and the other image recolours every object in the other half; in a hard one it reshapes one
object (``layout.hard_question``: every question from difficulty 0.5 on, a share of
``2 * difficulty`` below).
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

QUESTION = (
    "Given three similar but different images, take the first image as reference. Can you "
    "tell which one of the latter two images is most similar to the first one?"
)


def render(objects, size):
    image = draw.canvas(size)
    for kind, colour, centre, radius in objects:
        draw.shape(image, kind, centre, radius, draw.COLOURS[colour])
    return image


@register(
    "Visual_Similarity",
    skills=("shape_identity", "texture_statistics"),
    difficulty=0.05,
    version=4,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    # Three large objects at difficulty 0 (radius 13-16 % of the image), three or four small
    # ones at 1 (7-10 %): the more of the image the objects cover, the stronger the cue.
    n = 3 + int(rng.integers(0, 1 + round(difficulty)))
    # Integer radii and centres: a moved shape keeps exactly its pixel count.
    low = 0.13 - 0.06 * difficulty
    radii = [int(round(float(rng.uniform(low, low + 0.03)) * size)) for _ in range(n)]
    jitter = round((2 + 3 * difficulty) * size / 64)
    group = int(rng.integers(2))
    hard = hard_question(rng, difficulty)
    if not hard:
        colours = [choose(rng, draw.COLOUR_GROUPS[group]) for _ in range(n)]
    else:
        colours = choose(rng, list(draw.COLOURS), n)
    kinds = [choose(rng, draw.SHAPES) for _ in range(n)]
    centres = scatter(rng, radii, size, gap=2 * jitter + 2, margin=jitter + 1)
    reference = list(zip(kinds, colours, centres, radii, strict=True))
    moved = [
        (
            k,
            c,
            (
                x + int(rng.integers(-jitter, jitter + 1)),
                y + int(rng.integers(-jitter, jitter + 1)),
            ),
            r,
        )
        for k, c, (x, y), r in reference
    ]
    changed = list(reference)
    if not hard:  # every object in the other half of the colours
        unused = draw.COLOUR_GROUPS[1 - group]
        changed = [(k, choose(rng, unused), p, r) for k, _, p, r in reference]
    else:  # one object reshaped, in the same colour
        i = int(rng.integers(n))
        k, c, p, r = changed[i]
        changed[i] = (choose(rng, [s for s in draw.SHAPES if s != k]), c, p, r)
    candidates = [moved, changed] if answer == 0 else [changed, moved]
    images = tuple(render(objects, size) for objects in [reference, *candidates])
    as_json = lambda objects: [[k, c, list(p), r] for k, c, p, r in objects]  # noqa: E731
    meta = {"scenes": [as_json(reference)] + [as_json(o) for o in candidates]}
    return Scene(QUESTION, ("The second image", "The third image"), images, meta)

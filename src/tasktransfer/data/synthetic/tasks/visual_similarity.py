"""Visual_Similarity: which of two images is more similar to the reference.

The reference holds three or four objects. The similar image has the same objects (shape and
colour) moved by a few pixels; the other keeps every position exactly but changes one or
two objects. Pixel overlap therefore favours the wrong image, more so as difficulty grows
(the similar image's objects move up to 2 px at difficulty 0, 5 px at 1; below difficulty
0.5 the other image recolours every object, from 0.5 on it reshapes one).
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, scatter

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
    difficulty=0.0,
    version=3,
    images=3,
    choices=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    n = int(rng.integers(3, 5))
    # Integer radii and centres: a moved shape keeps exactly its pixel count.
    radii = [int(round(float(rng.uniform(0.07, 0.1)) * size)) for _ in range(n)]
    jitter = round((2 + 3 * difficulty) * size / 64)
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
    if difficulty < 0.5:  # every object in a colour the reference does not use
        unused = [o for o in draw.COLOURS if o not in colours]
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

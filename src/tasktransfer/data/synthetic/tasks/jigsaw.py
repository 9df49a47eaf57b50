"""Jigsaw: which of two patches fills the missing lower-right corner of an image.

The image is cut by two or three straight colour boundaries and holds two or three large
shapes, so edges and regions run across the missing corner. The right patch is the corner
itself; the other is the lower-right corner of another image drawn the same way: below
difficulty 0.5 the scene uses one fixed half of the colours (``draw.COLOUR_GROUPS``) and the
decoy the other; in a "hard" question both share one palette of four, so that only the
edges tell them apart (``layout.hard_question``: every question from difficulty 0.5 on, a
share of ``2 * difficulty`` below it).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, hard_question

QUESTION = (
    "Given the first image with the lower right corner missing, can you tell which one of "
    "the second image or the third image is the missing part? Imagine which image would be "
    "more appropriate to place in the missing spot. You can also carefully observe and "
    "compare the edges of the images."
)
HOLE = (255, 255, 255)


def _painting(rng, size, colours) -> Image.Image:
    """Half-plane colour regions plus large shapes near the centre."""
    ys, xs = np.mgrid[0:size, 0:size]
    region = np.zeros((size, size), dtype=int)
    for _ in range(int(rng.integers(2, 4))):
        angle = float(rng.uniform(0, np.pi))
        offset = float(rng.uniform(0.3, 0.7)) * size
        side = np.cos(angle) * xs + np.sin(angle) * ys > offset * (
            abs(np.cos(angle)) + abs(np.sin(angle))
        )
        region = region * 2 + side
    palette = np.array([draw.COLOURS[colours[i % len(colours)]] for i in range(region.max() + 1)])
    image = Image.fromarray(palette[region].astype(np.uint8))
    for _ in range(int(rng.integers(2, 4))):
        centre = rng.uniform(0.35, 0.75, size=2) * size
        radius = float(rng.uniform(0.1, 0.2)) * size
        draw.shape(
            image, choose(rng, draw.SHAPES), centre, radius, draw.COLOURS[choose(rng, colours)]
        )
    return image


@register(
    "Jigsaw",
    skills=("boundary_continuity", "texture_statistics"),
    # At 0 every question is easy and the tiny model reaches 1.0; at 0.2 (40 % hard
    # questions) it reaches 0.80 (docs/tiny-model.md).
    difficulty=0.2,
    version=3,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size, half = image_size, image_size // 2
    # An easy question gives the scene and the decoy the two fixed halves of the colours, so
    # the palette alone finds the patch; a hard one gives both one palette of four.
    if not hard_question(rng, difficulty):
        group = int(rng.integers(2))
        colours = choose(rng, draw.COLOUR_GROUPS[group], 3)
        other_colours = choose(rng, draw.COLOUR_GROUPS[1 - group], 3)
    else:
        colours = other_colours = choose(rng, list(draw.COLOURS), 4)
    corner = (half, half, size, size)
    for _ in range(100):
        whole = _painting(rng, size, colours)
        # Keep scenes whose regions visibly continue across the cut (an object edge lying
        # exactly along the cut would hide the continuation).
        if _cut_break(np.asarray(whole), half) <= 0.15:
            break
    else:
        raise RuntimeError("Jigsaw: cannot draw a scene that continues across the cut")
    for _ in range(100):
        decoy = _painting(rng, size, other_colours).crop(corner)
        # The decoy differs from the true patch along the cut by more than the true patch
        # differs from its surroundings, so the edges always decide.
        if _edge_difference(whole.crop(corner), decoy) >= 0.4:
            break
    else:
        raise RuntimeError("Jigsaw: cannot draw a decoy that differs along the cut")
    patch = whole.crop(corner)
    holed = whole.copy()
    holed.paste(HOLE, corner)
    candidates = (patch, decoy) if answer == 0 else (decoy, patch)
    meta = {"corner": list(corner), "colours": colours, "decoy_colours": other_colours}
    return Scene(QUESTION, ("the second image", "the third image"), (holed, *candidates), meta)


def _cut_break(pixels: np.ndarray, half: int) -> float:
    """Share of the cut where the corner's first row/column differs from its outside neighbour."""
    top = (pixels[half, half:] != pixels[half - 1, half:]).any(-1)
    left = (pixels[half:, half] != pixels[half:, half - 1]).any(-1)
    return float(np.concatenate([top, left]).mean())


def _edge_difference(a: Image.Image, b: Image.Image) -> float:
    """Share of pixels on the top row and left column where two patches differ."""
    a, b = np.asarray(a), np.asarray(b)
    edges = np.concatenate([(a[0] != b[0]).any(-1), (a[:, 0] != b[:, 0]).any(-1)])
    return float(edges.mean())

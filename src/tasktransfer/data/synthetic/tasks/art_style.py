"""Art_Style: which of two paintings shares the reference painting's style.

A style is a palette (a background and two ink colours) and a brush (flat fill, hatched
stripes, a dotted wash, or outlines). The reference and the right answer share the style
and differ in content; the other image has another style. At difficulty below 0.5 it also
has another palette and other content; from 0.5 on it keeps the reference's palette and
content exactly and changes only the brush, so content and colours mislead.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, interior, scatter

QUESTION = (
    "Some most common art painting styles include Realism, Impressionism, Expressionism, "
    "Pop Art, and Cubism. Given the following images of art paintings, use the first image "
    "as the reference image, and determine which one of the second or the third image "
    "shares the same style as the reference image?"
)
PALETTES = (
    ((235, 225, 200), (180, 40, 40), (40, 60, 140)),
    ((30, 30, 50), (240, 200, 60), (90, 200, 220)),
    ((200, 230, 200), (60, 120, 50), (230, 120, 160)),
    ((250, 250, 250), (20, 20, 20), (230, 140, 30)),
)
BRUSHES = ("flat", "stripes", "dots", "outline")


def paint(palette, brush, content, size) -> Image.Image:
    """Render ``content`` (shape, ink index, centre, radius) in a palette and brush."""
    background, *inks = (np.array(c) for c in palette)
    pixels = np.tile(background, (size, size, 1)).astype(float)
    ys, xs = np.mgrid[0:size, 0:size]
    if brush == "dots":
        # A dotted wash over everything: the background gets dots too.
        pixels[(ys % 4 == 0) & (xs % 4 == 0)] = (background + 255) / 2
    for kind, ink, centre, radius in content:
        mask = np.asarray(draw_mask(kind, centre, radius, size))
        colour = inks[ink]
        if brush == "outline":
            edge = mask & ~interior(interior(mask))
            pixels[edge] = colour * 0.55
            continue
        pixels[mask] = colour
        if brush == "stripes":
            pixels[mask & (ys % 4 < 2)] = colour * 0.55
        elif brush == "dots":
            pixels[mask & (ys % 4 == 0) & (xs % 4 == 0)] = (colour + 255) / 2
    return Image.fromarray(np.round(pixels).astype(np.uint8))


def draw_mask(kind, centre, radius, size) -> np.ndarray:
    mask = Image.new("L", (size, size), 0)
    draw.shape(mask, kind, centre, radius, 255)
    return np.asarray(mask) > 0


def _content(rng, size):
    """Three or four shapes that use both inks."""
    n = int(rng.integers(3, 5))
    radii = [float(rng.uniform(0.1, 0.17)) * size for _ in range(n)]
    inks = [0, 1] + [int(rng.integers(2)) for _ in range(n - 2)]
    centres = scatter(rng, radii, size, gap=2)
    return [
        (choose(rng, draw.SHAPES), ink, c, r)
        for ink, c, r in zip(inks, centres, radii, strict=True)
    ]


@register(
    "Art_Style",
    skills=("texture_statistics",),
    difficulty=0.0,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    palette = int(rng.integers(len(PALETTES)))
    brush, other_brush = choose(rng, BRUSHES, 2)
    reference = _content(rng, size)
    if difficulty >= 0.5:
        other = (palette, other_brush, reference)
    else:
        other_palette = choose(rng, [p for p in range(len(PALETTES)) if p != palette])
        other = (other_palette, other_brush, _content(rng, size))
    same = (palette, brush, _content(rng, size))
    styles = [(palette, brush, reference)] + ([same, other] if answer == 0 else [other, same])
    images = tuple(paint(PALETTES[p], b, c, size) for p, b, c in styles)
    meta = {"styles": [[p, b] for p, b, _ in styles]}
    return Scene(QUESTION, ("the second image", "the third image"), images, meta)

"""Forensic_Detection: which of four images is the real photograph.

All four show a few objects in front of a smoothly lit backdrop (a vertical gradient, one
level per row). Three are "generated" and carry one artefact each: blocky upsampling,
sensor-like noise, or colour banding. In easy questions all three fakes are banded into 3
levels per channel (the artefact that shows most at 64 px: the gradient and the objects
fall into a few flat colours); in hard ones each fake has a different artefact, subtler as
difficulty grows (blocks of 8 px, noise of +-48 and 3 bands at difficulty 0; blocks of 2
px, noise of +-4 and 16 bands at 1; block sizes are for 64 px images and scale with the
image). :func:`~tasktransfer.data.synthetic.layout.hard_question` draws the kind: all easy
at difficulty 0, a share of 2 x difficulty hard, all hard from 0.5.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, hard_question, scatter

QUESTION = (
    "You are a judge in a photography competition, and now you are given the four images. "
    "Please examine the details and tell which one of them is most likely to be a real "
    "photograph."
)
ARTEFACTS = ("blocky", "noise", "banding")
ORDINALS = ("the first image", "the second image", "the third image", "the fourth image")


def _photo(rng, size, margin) -> np.ndarray:
    """Gradient backdrop (one level per row) and two or three objects inside ``margin``."""
    base = rng.integers(40, 90, size=3)
    step = 150 / size
    rows = base[None, :] + step * np.arange(size)[:, None]
    image = Image.fromarray(np.repeat(rows[:, None, :], size, axis=1).round().astype(np.uint8))
    n = int(rng.integers(2, 4))
    radii = [float(rng.uniform(0.08, 0.14)) * size for _ in range(n)]
    for centre, r in zip(scatter(rng, radii, size, margin=margin), radii, strict=True):
        draw.shape(
            image,
            choose(rng, draw.SHAPES),
            centre,
            r,
            draw.COLOURS[choose(rng, list(draw.COLOURS))],
        )
    return np.asarray(image).astype(int)


def _fake(pixels: np.ndarray, artefact: str, difficulty: float, rng) -> np.ndarray:
    size = pixels.shape[0]
    if artefact == "blocky":
        block = max(2, round((8 - 6 * difficulty) * size / 64))
        small = pixels[::block, ::block]
        return np.repeat(np.repeat(small, block, axis=0), block, axis=1)[:size, :size]
    if artefact == "noise":
        amplitude = round(48 - 44 * difficulty)
        return pixels + rng.integers(-amplitude, amplitude + 1, size=pixels.shape[:2])[..., None]
    levels = round(3 + 13 * difficulty)
    return (pixels // (256 // levels)) * (256 // levels) + 128 // levels


@register(
    "Forensic_Detection",
    skills=("texture_statistics",),
    difficulty=0.05,
    version=3,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    margin = max(4, size // 16)
    hard = hard_question(rng, difficulty)
    if hard:
        artefacts = [str(a) for a in rng.permutation(ARTEFACTS)]
    else:
        artefacts = ["banding"] * 3
    artefacts.insert(answer, None)
    images = []
    for artefact in artefacts:
        pixels = _photo(rng, size, margin)
        if artefact is not None:
            pixels = _fake(pixels, artefact, difficulty if hard else 0.0, rng)
        images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    return Scene(QUESTION, ORDINALS, tuple(images), {"artefacts": artefacts})

"""Generic visual questions that pretrain the tiny model; none is one of the 13 study tasks.

They teach the primitives a pretrained VLM brings to BLINK: naming colours and shapes,
telling left from right and top from bottom, comparing sizes, counting a few plain shapes,
comparing two images, and reading the lettered red circles that BLINK draws on images.
Prompts use BLINK's format (:func:`~tasktransfer.data.example.format_prompt`).
"""

from __future__ import annotations

import numpy as np

from tasktransfer.data.example import Example
from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import (
    Scene,
    balanced_answer,
    build_example,
    check_image_size,
    rng_for,
)
from tasktransfer.data.synthetic.layout import choose, scatter
from tasktransfer.errors import InputError

_ORDINALS = ("the first image", "the second image")
_QUADRANTS = ("top left", "top right", "bottom left", "bottom right")


def _radius(size: int, rng: np.random.Generator, lo: float = 0.12, hi: float = 0.2) -> float:
    return float(rng.uniform(lo, hi)) * size


def _any_shape(rng, image, centre, r) -> None:
    kind, name = choose(rng, draw.SHAPES), choose(rng, list(draw.COLOURS))
    draw.shape(image, kind, centre, r, draw.COLOURS[name])


def colour(rng, answer, size) -> Scene:
    """What colour is the one shape (4 choices)."""
    names = choose(rng, list(draw.COLOURS), 4)
    image = draw.canvas(size)
    r = _radius(size, rng)
    centre = scatter(rng, [r], size)[0]
    draw.shape(image, choose(rng, draw.SHAPES), centre, r, draw.COLOURS[names[answer]])
    return Scene("What colour is the shape?", tuple(names), (image,), {"colour": names[answer]})


def shape(rng, answer, size) -> Scene:
    """Which shape is drawn (3 choices)."""
    kinds = choose(rng, draw.SHAPES, 3)
    image = draw.canvas(size)
    r = _radius(size, rng)
    centre = scatter(rng, [r], size)[0]
    draw.shape(image, kinds[answer], centre, r, draw.COLOURS[choose(rng, list(draw.COLOURS))])
    return Scene("What shape is in the image?", tuple(kinds), (image,), {"shape": kinds[answer]})


def side(rng, answer, size) -> Scene:
    """Left or right half (2 choices)."""
    options = ("left", "right")
    r = _radius(size, rng, 0.1, 0.16)
    x = rng.uniform(r + 1, size / 2 - r - 1) + (size / 2 if answer == 1 else 0)
    centre = (round(x), round(rng.uniform(r + 1, size - r - 2)))
    image = draw.canvas(size)
    _any_shape(rng, image, centre, r)
    question = "Is the shape on the left or the right side of the image?"
    return Scene(question, options, (image,), {"centre": list(centre)})


def quadrant(rng, answer, size) -> Scene:
    """Which quadrant holds the shape (4 choices)."""
    r = _radius(size, rng, 0.08, 0.14)
    col, row = answer % 2, answer // 2
    x = rng.uniform(r + 1, size / 2 - r - 1) + col * size / 2
    y = rng.uniform(r + 1, size / 2 - r - 1) + row * size / 2
    image = draw.canvas(size)
    _any_shape(rng, image, (x, y), r)
    question = "In which part of the image is the shape?"
    return Scene(question, _QUADRANTS, (image,), {"centre": [round(x), round(y)]})


def size_(rng, answer, size) -> Scene:
    """Which of two shapes is bigger (2 choices)."""
    names = choose(rng, list(draw.COLOURS), 2)
    kinds = [choose(rng, draw.SHAPES) for _ in names]
    big, small = _radius(size, rng, 0.16, 0.22), _radius(size, rng, 0.06, 0.1)
    radii = [big if i == answer else small for i in range(2)]
    image = draw.canvas(size)
    for centre, r, name, kind in zip(scatter(rng, radii, size), radii, names, kinds, strict=True):
        draw.shape(image, kind, centre, r, draw.COLOURS[name])
    options = tuple(f"the {n} {k}" for n, k in zip(names, kinds, strict=True))
    return Scene("Which shape is bigger?", options, (image,), {"radii": radii})


def count(rng, answer, size) -> Scene:
    """How many shapes, 1 to 4 (4 choices, in order)."""
    n = answer + 1
    name = choose(rng, list(draw.COLOURS))
    kind = choose(rng, draw.SHAPES)
    r = _radius(size, rng, 0.07, 0.1)
    image = draw.canvas(size)
    for centre in scatter(rng, [r] * n, size, gap=3):
        draw.shape(image, kind, centre, r, draw.COLOURS[name])
    return Scene("How many shapes are in the image?", ("1", "2", "3", "4"), (image,), {"count": n})


def which_image(rng, answer, size) -> Scene:
    """Which of two images shows the named coloured shape (2 images, 2 choices)."""
    names = choose(rng, list(draw.COLOURS), 2)
    kind = choose(rng, draw.SHAPES)
    images = []
    for i in range(2):
        image = draw.canvas(size)
        r = _radius(size, rng)
        colour_name = names[0] if i == answer else names[1]
        draw.shape(image, kind, scatter(rng, [r], size)[0], r, draw.COLOURS[colour_name])
        images.append(image)
    question = f"Which image shows the {names[0]} {kind}?"
    return Scene(question, _ORDINALS, tuple(images), {"target": names[0]})


def marker(rng, answer, size) -> Scene:
    """Which lettered red circle sits on the named shape (3 choices)."""
    n = 3
    names = choose(rng, list(draw.COLOURS), n)
    kind = choose(rng, draw.SHAPES)
    r = _radius(size, rng, 0.08, 0.11)
    keep = draw.marker_footprint(size) / 2
    centres = scatter(rng, [max(r, keep)] * n, size, margin=2)
    image = draw.canvas(size)
    for centre, name in zip(centres, names, strict=True):
        draw.shape(image, kind, centre, r, draw.COLOURS[name])
    letters = "ABCD"[:n]
    for centre, letter in zip(centres, letters, strict=True):
        draw.point_marker(image, centre, letter)
    target = names[answer]
    question = f"Which point is on the {target} {kind}?"
    return Scene(question, tuple(letters), (image,), {"target": target})


KINDS = {
    "colour": (colour, 4),
    "shape": (shape, 3),
    "side": (side, 2),
    "quadrant": (quadrant, 4),
    "size": (size_, 2),
    "count": (count, 4),
    "which_image": (which_image, 2),
    "marker": (marker, 3),
}


def generic_examples(
    n: int, *, seed: int, image_size: int = 64, kinds: tuple[str, ...] | None = None
) -> list[Example]:
    """``n`` generic questions for pretraining the tiny model (not the 13 study tasks).

    Kinds take turns (``colour``, ``shape``, ``side``, ``quadrant``, ``size``, ``count``,
    ``which_image``, ``marker``); within a kind the answer letters are balanced. The first
    ``m`` examples of ``n > m`` are the ``m`` examples, so a larger set extends a smaller one.

    Parameters
    ----------
    n : int
        Number of questions.
    seed : int
        Selects the instance; the same seed gives the same bytes.
    image_size : int, default=64
        Side of every image in pixels.
    kinds : tuple of str or None
        A subset of the kinds (default: all of them).

    Returns
    -------
    list of Example
        ``sub_task`` is ``"generic"`` and ``meta["kind"]`` names the kind.

    Examples
    --------
    >>> examples = generic_examples(8, seed=0)
    >>> [e.meta["kind"] for e in examples][:3]
    ['colour', 'shape', 'side']
    >>> examples[0].prompt.splitlines()[0]
    'What colour is the shape?'
    """
    kinds = tuple(KINDS) if kinds is None else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise InputError(f"unknown generic kinds {unknown}; known: {list(KINDS)}")
    image_size = check_image_size(image_size)
    examples = []
    for index in range(n):
        kind = kinds[index % len(kinds)]
        generate, n_choices = KINDS[kind]
        key = ("generic", kind, seed)
        answer = balanced_answer(key, index // len(kinds), n_choices)
        scene = generate(rng_for(*key, index), answer, image_size)
        meta = {"kind": kind, "image_size": image_size, "seed": seed, "index": index}
        examples.append(build_example(f"generic_{index}", "generic", scene, answer, meta))
    return examples

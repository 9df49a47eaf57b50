"""Relative_Reflectance: which circled surface is darker in itself, not in the light on it.

The image is a Mondrian of grey-tinted patches, each with an albedo from a few levels,
lit by a light that falls off linearly across the image; at difficulty 0.5 and above a
shadow band also crosses it. A pixel's value is ``albedo * light``, so the brighter pixel
can belong to the darker surface. The answer compares albedos: A darker, B darker, or the
same (A is the left point). Difficulty scales the light's falloff (0.1 at 0, 0.6 at 1);
different albedos are three levels apart (0.3 and 0.9) below difficulty 0.25, two below 0.5,
one from 0.5 on. Below 0.5 each ring lies wholly on its surface, so the colour inside it is
the surface's alone; from 0.5 on a point may sit next to another surface, as in BLINK.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import points_on

QUESTION = (
    "A point is circled on the image, labeled with A and B. Which point has darker surface "
    "color, or the colors is about the same?"
)
ALBEDOS = (0.3, 0.5, 0.7, 0.9)
TINT = np.array([1.0, 0.95, 0.85])  # a warm grey, so surfaces are not pure grey
SHADOW = 0.55


def light(params, size) -> np.ndarray:
    """The light falling on each pixel, shape (size, size)."""
    ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
    field = 1.0 - params["falloff"] * (params["gx"] * xs + params["gy"] * ys)
    band = params.get("shadow")
    if band is not None:
        field = np.where((xs >= band[0]) & (xs <= band[1]), field * SHADOW, field)
    return field


@register(
    "Relative_Reflectance",
    skills=("marker_reading", "shading"),
    difficulty=0.0,
    version=5,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    # A 3 x 3 Mondrian with jittered cuts.
    cuts = [np.array([rng.uniform(0.2, 0.42), rng.uniform(0.58, 0.8)]) * size for _ in range(2)]
    xs = [0, *[int(c) for c in cuts[0]], size]
    ys = [0, *[int(c) for c in cuts[1]], size]
    albedo_of = rng.integers(len(ALBEDOS), size=(3, 3))
    ids = np.zeros((size, size), dtype=np.uint8)
    for i in range(3):
        for j in range(3):
            ids[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] = 3 * i + j + 1
    direction = rng.normal(size=2)
    direction = np.abs(direction) / np.abs(direction).sum()
    params = {
        "falloff": 0.1 + 0.5 * difficulty,
        "gx": float(direction[0]),
        "gy": float(direction[1]),
    }
    if difficulty >= 0.5:
        start = float(rng.uniform(0.1, 0.6))
        params["shadow"] = [start, start + float(rng.uniform(0.2, 0.35))]
    # Two patches with room for a circled point each; then albedos that give the answer.
    margin = draw.marker_radius(size) if difficulty < 0.5 else 1
    for _ in range(100):
        a, b = (int(v) for v in rng.choice(9, size=2, replace=False))
        points = points_on(rng, ids, [a, b], size, margin=margin)
        if points is not None:
            break
    else:
        raise RuntimeError("Relative_Reflectance: no room for two marked points")
    # Letters go left to right: A is the left point.
    (pa, a), (pb, b) = sorted(zip(points, (a, b), strict=True))
    points = [pa, pb]
    # Albedo levels apart: 3 (0.3 vs 0.9) below difficulty 0.25, 2 below 0.5, 1 from 0.5 on.
    gap = max(1, 3 - int(4 * difficulty))
    pairs = [(i, j) for i in range(len(ALBEDOS)) for j in range(i + gap, len(ALBEDOS))]
    lo, hi = pairs[int(rng.integers(len(pairs)))]
    flat = albedo_of.reshape(-1)
    flat[a], flat[b] = [(lo, hi), (hi, lo), (lo, lo)][answer]
    albedo = np.asarray(ALBEDOS)[albedo_of.ravel()][ids - 1]
    pixels = albedo[..., None] * light(params, size)[..., None] * TINT * 255
    image = Image.fromarray(np.round(pixels).astype(np.uint8))
    for point, letter in zip(points, "AB", strict=True):
        draw.point_marker(image, point, letter)
    meta = {
        "light": params,
        "points": [list(p) for p in points],
        "cuts": [xs, ys],
        "albedos": albedo_of.tolist(),
    }
    return Scene(QUESTION, ("A is darker", "B is darker", "About the same"), (image,), meta)

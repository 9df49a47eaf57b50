"""A ground plane under a sky, seen by a pinhole camera: the backdrop of the 3D tasks.

The camera looks horizontally from a fixed height; the horizon sits at 30 % of the image
height, and ground at distance ``z`` appears at row ``horizon + (size - 1 - horizon) / z``
(``z = 1`` is the bottom row). Farther ground is lighter, as in aerial perspective.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

SKY = (200, 222, 245)
_GROUND_FAR, _GROUND_NEAR = np.array([205, 190, 160]), np.array([140, 110, 80])
HORIZON = 0.3


def ground_row(z: float, size: int) -> float:
    """Image row where the ground at distance ``z`` (>= 1) appears."""
    horizon = HORIZON * size
    return horizon + (size - 1 - horizon) / z


def render_ground(size: int) -> Image.Image:
    """Sky above the horizon, a ground gradient below it (lighter when farther); a new copy."""
    return _ground(size).copy()


@functools.lru_cache(maxsize=8)
def _ground(size: int) -> Image.Image:
    pixels = np.empty((size, size, 3), dtype=np.uint8)
    horizon = HORIZON * size
    for row in range(size):
        if row < horizon:
            pixels[row] = SKY
        else:
            t = (row - horizon) / (size - horizon)
            pixels[row] = np.round(_GROUND_FAR + t * (_GROUND_NEAR - _GROUND_FAR))
    return Image.fromarray(pixels)

"""Multi-view_Reasoning: did the camera orbit left or right between two frames?

Three or four pillars stand on a ground plane around a pivot that the camera circles while
looking at it. Orbiting to the camera's left makes pillars in front of the pivot slide
right and pillars behind it slide left (and the reverse to the right); that parallax is
the only cue. Difficulty shrinks the orbit (28 degrees at 0, 8 at 1).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.ground import ground_row, render_ground
from tasktransfer.data.synthetic.layout import choose

QUESTION = (
    "The images are frames from a video. The video is shooting a static scene. The camera is "
    "either moving clockwise (left) or counter-clockwise (right) around the object. The "
    "first image is from the beginning of the video and the second image is from the end. Is "
    "the camera moving left or right when shooting the video?"
)
DISTANCE = 2.5  # camera to pivot, in ground units; pillars stand within 1.2 of it along the view
FOCAL = 0.9  # image widths per unit of lateral offset at distance 1


def project(x, z, phi, size):
    """Image column and depth of ground point (x, z) seen from orbit angle ``phi``.

    The camera sits at ``DISTANCE * (sin phi, -cos phi)`` and looks at the pivot (origin);
    increasing ``phi`` moves it to its own right.
    """
    cx, cz = DISTANCE * math.sin(phi), -DISTANCE * math.cos(phi)
    dx, dz = x - cx, z - cz
    depth = dx * -math.sin(phi) + dz * math.cos(phi)
    lateral = dx * math.cos(phi) + dz * math.sin(phi)
    return size / 2 + FOCAL * size * lateral / depth, depth


def render(pillars, phi, size):
    image = render_ground(size)
    ids = Image.new("L", (size, size), 0)
    placed = []
    for i, (x, z, _) in enumerate(pillars):
        u, depth = project(x, z, phi, size)
        # Depth 1.3 .. 3.7 maps to ground rows via z = depth / 1.3 (>= 1).
        bottom = ground_row(depth / 1.3, size)
        half, height = 0.1 * size / depth, 0.55 * size / depth
        placed.append(
            (depth, i, (round(u - half), round(bottom - height), round(u + half), round(bottom)))
        )
    for _, i, box in sorted(placed, reverse=True):  # far to near
        ImageDraw.Draw(image).rectangle(box, fill=draw.COLOURS[pillars[i][2]])
        ImageDraw.Draw(ids).rectangle(box, fill=i + 1)
    return image, np.asarray(ids), [p[2] for p in sorted(placed, key=lambda p: p[1])]


@register(
    "Multi-view_Reasoning",
    skills=("depth_ordering", "point_matching"),
    difficulty=0.0,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    orbit = math.radians(28 - 20 * difficulty)
    sign = -1 if answer == 0 else 1  # "left" orbits to the camera's left: phi decreases
    for _ in range(500):
        n = int(rng.integers(3, 5))
        colours = choose(rng, list(draw.COLOURS), n)
        phi = float(rng.uniform(-math.pi, math.pi))
        # Offsets along the first view's line of sight: one pillar in front of the pivot
        # and one behind it, so the parallax has both signs.
        along = [float(rng.uniform(-1.2, -0.5)), float(rng.uniform(0.5, 1.2))]
        along += [float(rng.uniform(-1.2, 1.2)) for _ in range(n - 2)]
        across = [float(rng.uniform(-0.35, 0.35)) * (DISTANCE + a) for a in along]
        sin, cos = math.sin(phi), math.cos(phi)
        pillars = [
            (-a * sin + c * cos, a * cos + c * sin, colour)
            for a, c, colour in zip(along, across, colours, strict=True)
        ]
        first, ids1, boxes1 = render(pillars, phi, size)
        second, ids2, boxes2 = render(pillars, phi + sign * orbit, size)
        # Keep scenes where every pillar is whole and unoccluded in both frames.
        if all(_visible(ids, boxes, size) for ids, boxes in ((ids1, boxes1), (ids2, boxes2))):
            break
    else:
        raise RuntimeError("Multi-view_Reasoning: no scene with all pillars in view")
    meta = {"pillars": [list(p) for p in pillars], "phi": phi, "orbit": sign * orbit}
    return Scene(QUESTION, ("left", "right"), (first, second), meta)


def _visible(ids, boxes, size) -> bool:
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        if x0 < 0 or y0 < 0 or x1 >= size or y1 >= size:
            return False
        if (ids[y0 : y1 + 1, x0 : x1 + 1] != i + 1).any():
            return False
    return True

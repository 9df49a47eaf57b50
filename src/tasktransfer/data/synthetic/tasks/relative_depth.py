"""Relative_Depth: which of two circled points is closer to the camera.

The scene is a ground plane seen by a pinhole camera above it, with pillars standing on
the ground. A pillar at distance ``z`` touches the ground at
:func:`~tasktransfer.data.synthetic.ground.ground_row` ``(z)`` and is drawn ``1 / z`` as
large, so its ground contact, its size and its occlusions all tell its depth. Each point
is circled on a different pillar, in the lowest quarter of the visible pillar at difficulty
0 (near its foot, whose image row is itself a depth cue) up to anywhere on it at
difficulty 1. Difficulty also shrinks the depth ratio of the two marked pillars (2.2 at 0,
1.15 at 1). A is the left point.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.ground import ground_row, render_ground
from tasktransfer.data.synthetic.layout import choose, points_on

Z_NEAR, Z_FAR = 1.0, 4.0


@register(
    "Relative_Depth",
    skills=("marker_reading", "depth_ordering"),
    difficulty=0.0,
    version=2,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    ratio = 2.2 - 1.05 * difficulty
    n = int(rng.integers(2, 5))
    colours = choose(rng, list(draw.COLOURS), n)
    for _ in range(200):
        z_near = float(rng.uniform(Z_NEAR + 0.2, Z_FAR / ratio))
        depths = [z_near, z_near * ratio] + [float(rng.uniform(1.3, Z_FAR)) for _ in range(n - 2)]
        pillars = []
        for z in depths:
            width, height = 0.35 * size / z, float(rng.uniform(0.5, 0.9)) * size / z
            cx = float(rng.uniform(width / 2, size - 1 - width / 2))
            bottom = ground_row(z, size)
            pillars.append(
                [
                    round(cx - width / 2),
                    round(bottom - height),
                    round(cx + width / 2),
                    round(bottom),
                ]
            )
        image, ids = render_ground(size), Image.new("L", (size, size), 0)
        # Painter's order: far pillars first, so near ones occlude them.
        for i in sorted(range(n), key=lambda i: -depths[i]):
            ImageDraw.Draw(image).rectangle(pillars[i], fill=draw.COLOURS[colours[i]])
            ImageDraw.Draw(ids).rectangle(pillars[i], fill=i + 1)
        # Points sit in the lowest `reach` of their pillar: at difficulty 0 near its foot,
        # whose image row is itself a depth cue; at 1 anywhere on the visible pillar.
        reach = 0.25 + 0.75 * difficulty
        ids = np.asarray(ids).copy()
        for i, (_, top, _, bottom) in enumerate(pillars):
            high = ids[: max(0, round(bottom - reach * (bottom - top))), :]
            high[high == i + 1] = 0
        points = points_on(rng, ids, [0, 1], size)
        # Letters go left to right, so the near point must be the left one iff answer is A.
        if points is not None and (points[0][0] < points[1][0]) == (answer == 0):
            break
    else:
        raise RuntimeError("Relative_Depth: no scene with two visible marked pillars")
    marked = sorted(points)
    for point, letter in zip(marked, "AB", strict=True):
        draw.point_marker(image, point, letter)
    meta = {
        "pillars": pillars,
        "depths": depths,
        "colours": colours,
        "points": [list(p) for p in marked],
    }
    return Scene(
        "Which point is closer to the camera?", ("A is closer", "B is closer"), (image,), meta
    )

"""Functional_Correspondence: the point of another kind of tool that serves the same use.

Each image shows one tool (hammer, pan, shovel or knife, each a handle and a working
part), placed so that the midpoint of its grip and working part is near the image centre.
The reference point is on the grip or on the working part of the first tool; the
candidates are the grip and the working part of a tool of another kind and two points on
the background beside it, one candidate per quadrant, lettered in reading order (A
top-left, B top-right, C bottom-left, D bottom-right), as in Visual_Correspondence. The
second tool lies at a random angle with its grip and working part in two different
quadrants; difficulty widens the turn between the two tools (none at 0, where the matching
point sits where the reference point does, up to any angle at 1).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.core import Scene, register
from tasktransfer.data.synthetic.layout import choose, points_on, quadrant

ACTIONS = {"hammer": "Pound", "pan": "Scoop", "shovel": "Dig", "knife": "Cut"}
QUESTION = (
    "Humans can find corresponding points for the same action between different objects. "
    'For instance, if a person uses a pot versus a hammer to "Mash/Pound", then the handle '
    "of the pot will be the corresponding point to the handle of the hammer because they "
    "serve the same function for the action -- to hold. Now you are given two images: the "
    'first shows a {a} and the second a {b}, both used to "{action}". A reference point is '
    "annotated on the first image, labeled with REF. You are given multiple red-circled "
    'points on the second image, choices of "A, B, C, D" are drawn beside each circle. '
    "Select between the choices on the second image and find the corresponding point for the "
    "reference point. Which point is corresponding to the reference point?"
)
# Tool outlines in local units: the handle runs along +x from 0 to 1, the working part
# from 1 to 2. Each entry: (polygon or ("ellipse", x0, y0, x1, y1)).
HANDLE = [(0.0, -0.09), (1.0, -0.09), (1.0, 0.09), (0.0, 0.09)]
HEADS = {
    "hammer": [(1.0, -0.45), (1.35, -0.45), (1.35, 0.45), (1.0, 0.45)],
    "pan": ("ellipse", 1.0, -0.5, 2.0, 0.5),
    "shovel": [(1.0, -0.3), (1.7, -0.35), (2.0, 0.0), (1.7, 0.35), (1.0, 0.3)],
    "knife": [(1.0, -0.18), (2.0, 0.0), (1.0, 0.18)],
}
# The two functional points in local units: where a hand holds the tool, and the centre
# of the part that does the work.
GRIP_U = 0.45
WORKING_U = {"hammer": 1.18, "pan": 1.5, "shovel": 1.45, "knife": 1.4}


def to_image(tool, u, v) -> tuple[float, float]:
    """Local tool coordinates to image pixels (tool = origin, length, angle in degrees)."""
    a = math.radians(tool["angle"])
    x, y = u * tool["length"] / 2, v * tool["length"] / 2
    return (
        tool["x"] + x * math.cos(a) - y * math.sin(a),
        tool["y"] + x * math.sin(a) + y * math.cos(a),
    )


def tool_points(tool) -> dict[str, tuple[float, float]]:
    """The grip and the working part's centre of ``tool``, in image pixels."""
    return {
        "grip": to_image(tool, GRIP_U, 0),
        "working_part": to_image(tool, WORKING_U[tool["kind"]], 0),
    }


def render_tool(image, tool) -> None:
    pen = ImageDraw.Draw(image)
    colour = draw.COLOURS[tool["colour"]]
    head = HEADS[tool["kind"]]
    if head[0] == "ellipse":
        _, u0, v0, u1, v1 = head
        steps = [2 * math.pi * i / 24 for i in range(24)]
        cu, cv, ru, rv = (u0 + u1) / 2, (v0 + v1) / 2, (u1 - u0) / 2, (v1 - v0) / 2
        head = [(cu + ru * math.cos(t), cv + rv * math.sin(t)) for t in steps]
    for polygon in (HANDLE, head):
        pen.polygon(
            [tuple(round(c) for c in to_image(tool, u, v)) for u, v in polygon], fill=colour
        )


def _tool(rng, size, kind, colour, angle):
    """``kind`` at ``angle``, the midpoint of its two functional points near the centre."""
    length = float(rng.uniform(0.72, 0.82)) * size
    a = math.radians(angle)
    mx, my = float(rng.uniform(0.45, 0.55)) * size, float(rng.uniform(0.45, 0.55)) * size
    middle = (GRIP_U + WORKING_U[kind]) / 2 * length / 2
    return {
        "kind": kind,
        "colour": colour,
        "angle": angle,
        "length": length,
        "x": mx - math.cos(a) * middle,
        "y": my - math.sin(a) * middle,
    }


def _clear_of_centre_lines(x, y, size, clearance):
    """Whether ``(x, y)`` (numbers or arrays) keeps ``clearance`` px from both centre lines."""
    half = (size - 1) / 2
    return np.minimum(abs(x - half), abs(y - half)) >= clearance


def _in_quadrants(points, size, clearance) -> bool:
    """Whether ``points`` lie in distinct quadrants, ``clearance`` px from the centre lines."""
    clear = all(_clear_of_centre_lines(x, y, size, clearance) for x, y in points)
    return clear and len({quadrant(p, size) for p in points}) == len(points)


def _background_points(rng, image, taken, quadrants, clearance):
    """One point off the tool (3 px clear of it) in each of ``quadrants``, ``clearance`` px
    from the centre lines, clear of ``taken``; or None when there is no room."""
    size = image.width
    pixels = np.asarray(image)
    off = (pixels == pixels[0, 0]).all(-1)
    clear = off.copy()
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            clear &= np.roll(off, (dy, dx), axis=(0, 1))
    ys, xs = np.mgrid[:size, :size]
    where = (xs >= size / 2).astype(int) + 2 * (ys >= size / 2).astype(int)
    clear &= _clear_of_centre_lines(xs, ys, size, clearance)
    ids = np.zeros((size, size), np.uint8)  # label i + 1 = background of quadrants[i]
    for i, q in enumerate(quadrants):
        ids[clear & (where == q)] = i + 1
    avoid = [tuple(round(v) for v in p) for p in taken]
    return points_on(rng, ids, range(len(quadrants)), size, avoid=avoid)


@register(
    "Functional_Correspondence",
    skills=("marker_reading", "part_semantics"),
    difficulty=0.0,
    version=3,
)
def generate(rng, answer, *, difficulty, image_size) -> Scene:
    size = image_size
    kinds = choose(rng, list(HEADS), 2)
    colours = choose(rng, list(draw.COLOURS), 2)
    spread = 180 * difficulty
    clearance = draw.marker_radius(size) / 2
    # Redraw until the second tool's functional points lie in two quadrants, one of them
    # quadrant `answer`, and the background has room for a point in each other quadrant.
    for _ in range(500):
        angle = float(rng.uniform(0, 360))
        second = _tool(rng, size, kinds[1], colours[1], angle)
        functional = tool_points(second)
        at = {quadrant(p, size): name for name, p in functional.items()}
        if answer not in at or not _in_quadrants(functional.values(), size, clearance):
            continue
        turn = float(rng.uniform(-1, 1)) * spread
        first = _tool(rng, size, kinds[0], colours[0], angle + turn)
        images = (draw.canvas(size), draw.canvas(size))
        render_tool(images[0], first)
        render_tool(images[1], second)
        free = [q for q in range(4) if q not in at]
        background = _background_points(rng, images[1], functional.values(), free, clearance)
        if background is not None:
            break
    else:
        raise RuntimeError("Functional_Correspondence: no layout puts the answer in place")
    points = {q: functional[name] for q, name in at.items()}  # quadrant -> candidate
    points.update(zip(free, background, strict=True))
    name = at[answer]  # the functional point in quadrant `answer`
    draw.point_marker(images[0], tool_points(first)[name], "REF")
    for q, letter in enumerate("ABCD"):
        draw.point_marker(images[1], points[q], letter)
    question = QUESTION.format(a=kinds[0], b=kinds[1], action=ACTIONS[kinds[0]])
    reference = [round(v) for v in tool_points(first)[name]]
    meta = {
        "tools": [first, second],
        "reference": reference,
        "candidates": [[round(v) for v in points[q]] for q in range(4)],
    }
    return Scene(question, ("A", "B", "C", "D"), images, meta)

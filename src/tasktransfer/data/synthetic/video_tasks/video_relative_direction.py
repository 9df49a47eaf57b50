"""Video_Relative_Direction: where a named object is, relative to the camera, after it turns.

The camera stands in the middle of a round room (a 360-degree panorama, four 90-degree
views wide) and turns on the spot, clockwise or anticlockwise, filming as it goes. The named
object is wholly in view in at least one frame; the question asks where it is at the end,
when the camera has finished turning: in front, to the right, behind or to the left (the
options, clockwise). Its bearing from the final heading is within 25 degrees of the
answer's direction, so no answer sits near a boundary. In easy questions the turn is a
quarter or a half turn and one landmark of another colour stands elsewhere; in hard ones
(a share of 2 x difficulty) the turn is any multiple of 15 degrees from 45 to 180, and up
to three more landmarks, some of the target's colour from difficulty 0.5 on, fill the room.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.clips import (
    STRIP_VIEWS,
    VIEW_DEGREES,
    Clip,
    crop_frames,
    heading_column,
    strip_canvas,
    turn_offsets,
    visible,
)
from tasktransfer.data.synthetic.core import register
from tasktransfer.data.synthetic.layout import choose, hard_question

DIRECTIONS = ("in front", "to the right", "behind", "to the left")
BEARINGS = (0.0, 90.0, 180.0, -90.0)  # clockwise from the final heading, per direction
MARGIN = 25.0  # the largest distance of a bearing from its direction's centre


def bearing(theta: float, heading: float) -> float:
    """``theta - heading`` wrapped to (-180, 180] degrees."""
    rel = (theta - heading) % 360.0
    return rel - 360.0 if rel > 180.0 else rel


def seam_distance(a: float, b: float, width: float) -> float:
    """The distance between columns ``a`` and ``b`` of a panorama ``width`` wide."""
    d = abs(a - b) % width
    return min(d, width - d)


@register(
    "Video_Relative_Direction",
    skills=("shape_identity", "spatial_layout", "ego_motion"),
    difficulty=0.05,
)
def generate(rng, answer, *, difficulty, image_size) -> Clip:
    size = image_size
    width = STRIP_VIEWS * size
    hard = hard_question(rng, difficulty)
    r = 0.1 * size
    turns = (
        [t for m in (15 * k for k in range(3, 13)) for t in (m, -m)]
        if hard
        else [90, -90, 180, -180]
    )
    # Try turns in a random order until the object, at the asked bearing from the final
    # heading, is wholly in view in some frame of the turn.
    for turn in (float(t) for t in rng.permutation(turns)):
        theta = turn + BEARINGS[answer] + float(rng.uniform(-MARGIN, MARGIN))
        offsets = turn_offsets(size, turn)
        x = heading_column(theta, size) % width
        if any(visible(x, left, size, r, wrap_width=width) for left in offsets):
            break
    else:  # pragma: no cover - every direction has a turn that shows it
        raise RuntimeError(f"no turn shows an object {DIRECTIONS[answer]}")
    colour, kind = choose(rng, list(draw.COLOURS)), choose(rng, draw.SHAPES)
    landmarks = []
    for _ in range(1 + (int(rng.integers(0, 1 + round(3 * difficulty))) if hard else 0)):
        if difficulty >= 0.5 and rng.random() < 0.5:
            landmarks.append((colour, choose(rng, [s for s in draw.SHAPES if s != kind])))
        else:
            other = choose(rng, [c for c in draw.COLOURS if c != colour])
            landmarks.append((other, choose(rng, draw.SHAPES)))
    xs = [x]
    for _ in landmarks:  # around the room, clear of every object placed so far
        for _ in range(200):
            candidate = float(rng.uniform(0, width))
            if all(seam_distance(candidate, p, width) > 2 * r + 3 for p in xs):
                xs.append(candidate)
                break
        else:
            raise RuntimeError(f"no room for {len(landmarks)} landmarks")
    ys = [float(rng.uniform(r + 1, size - 2 - r)) for _ in xs]
    strip = strip_canvas(size)
    objects = [(colour, kind), *landmarks]
    for (c, k), px, py in zip(objects, xs, ys, strict=True):
        for shift in (-width, 0, width):  # the panorama wraps: draw across its seam too
            draw.shape(strip, k, (px + shift, py), r, draw.COLOURS[c])
    meta = {
        "turn": turn,
        "target_bearing": bearing(theta, turn),
        "objects": [
            [c, k, [px, py], px / width * 360.0]
            for (c, k), px, py in zip(objects, xs, ys, strict=True)
        ],
        "radius": r,
        "offsets": offsets,
        "view_degrees": VIEW_DEGREES,
    }
    question = (
        "The camera turns on the spot while filming. When it stops, where is the "
        f"{colour} {kind} relative to the camera?"
    )
    frames = crop_frames(strip, offsets, wrap=True)
    return Clip(question, frames, choices=DIRECTIONS, meta=meta)

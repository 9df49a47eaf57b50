"""Video_Relative_Distance: how many floor tiles apart two named objects stand.

The scene is a strip with a floor of alternating light and dark tiles, each a quarter of a
frame wide, sixteen along the strip; objects stand on the floor, each over the middle of a
tile. The camera slides along the strip, so the distance, counted in tiles from the middle
of one object's tile to the middle of the other's, is the room's own unit of length (as
VSI-Bench's distances are in metres). It runs from 1 to 8 tiles (the answer values the
suite balances); from 4 tiles on the two objects are never in one frame together, and the
answer needs how far the camera moved in between. The two named objects have different
colours; in easy questions they are alone and the camera moves left to right; in hard ones
(a share of 2 x difficulty) the camera may move either way and up to three unnamed objects
of a third colour stand on other tiles.
"""

from __future__ import annotations

from tasktransfer.data.synthetic import draw
from tasktransfer.data.synthetic.clips import (
    STRIP_VIEWS,
    Clip,
    crop_frames,
    pan_offsets,
    strip_canvas,
)
from tasktransfer.data.synthetic.core import register
from tasktransfer.data.synthetic.layout import choose, hard_question

TILES_PER_VIEW = 4
DISTANCES = 8  # answers 1 .. DISTANCES tiles
TILE_COLOURS = ((170, 170, 170), (110, 110, 110))


def tile_width(image_size: int) -> int:
    """A tile's width in pixels: a quarter of a frame."""
    return image_size // TILES_PER_VIEW


@register(
    "Video_Relative_Distance",
    skills=("shape_identity", "spatial_layout", "temporal_integration", "ego_motion"),
    difficulty=0.05,
    answers=DISTANCES,
)
def generate(rng, answer, *, difficulty, image_size) -> Clip:
    size = image_size
    tile = tile_width(size)
    n_tiles = STRIP_VIEWS * TILES_PER_VIEW
    floor_top = size - size // 8
    hard = hard_question(rng, difficulty)
    distance = answer + 1
    first = int(rng.integers(0, n_tiles - distance))
    tiles = [first, first + distance]
    if rng.random() < 0.5:  # which named object is on the left
        tiles.reverse()
    colours = choose(rng, list(draw.COLOURS), 3)
    named = [(colours[0], choose(rng, draw.SHAPES)), (colours[1], choose(rng, draw.SHAPES))]
    free = [t for t in range(n_tiles) if t not in tiles]
    n_others = int(rng.integers(1, 2 + round(2 * difficulty))) if hard else 0
    others = [int(t) for t in rng.choice(free, size=n_others, replace=False)]
    objects = named + [(colours[2], choose(rng, draw.SHAPES)) for _ in others]
    strip = strip_canvas(size)
    pen_width = STRIP_VIEWS * size
    for t in range(pen_width // tile):
        left = t * tile
        strip.paste(TILE_COLOURS[t % 2], (left, floor_top, left + tile, size))
    r = 0.4 * tile  # narrower than a tile, so each object marks one tile
    centres = [((t + 0.5) * tile, floor_top - r - 1) for t in tiles + others]
    for (c, k), centre in zip(objects, centres, strict=True):
        draw.shape(strip, k, centre, r, draw.COLOURS[c])
    reverse = hard and bool(rng.random() < 0.5)
    offsets = pan_offsets(size, reverse=reverse)
    (c1, k1), (c2, k2) = named
    question = f"How many floor tiles apart are the {c1} {k1} and the {c2} {k2}?"
    meta = {
        "tiles": tiles,
        "others": others,
        "objects": [[c, k, list(p)] for (c, k), p in zip(objects, centres, strict=True)],
        "tile_width": tile,
        "floor_top": floor_top,
        "reverse": reverse,
        "offsets": offsets,
    }
    frames = crop_frames(strip, offsets, wrap=False)
    return Clip(question, frames, value=distance, meta=meta)

"""Drawing primitives shared by every synthetic generator (PIL, no anti-aliasing).

Everything is drawn with flat colours and without anti-aliasing, so that a pixel belongs to
exactly one object and tests can recover the scene from the pixels. The visual prompts
(circled points, boxes, their letter tags) come from :mod:`tasktransfer.data.marks`, the
renderer the builders of real training sets use too, at the scale :func:`style` gives.

Sizes are given for a 64 px image and scaled by :func:`scale` for larger ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from tasktransfer.data import marks
from tasktransfer.data.marks import MarkStyle

RGB = tuple[int, int, int]

# Object colours, far apart in RGB. Red is reserved for the BLINK-style visual prompts
# (circled points, boxes), so no object is ever red.
COLOURS: dict[str, RGB] = {
    "blue": (30, 80, 230),
    "green": (30, 170, 60),
    "yellow": (240, 210, 30),
    "purple": (140, 50, 190),
    "orange": (245, 130, 20),
    "cyan": (40, 200, 220),
}
# Two fixed halves of COLOURS. At low difficulty, Jigsaw and Visual_Similarity draw a scene
# in one and its decoy in the other, so telling them apart is recognising one of two
# palettes (as Art_Style's fixed palettes are) rather than comparing two sets of colours,
# which the tiny model does not learn in a few hundred steps (docs/tiny-model.md).
COLOUR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("yellow", "orange", "green"),
    ("blue", "purple", "cyan"),
)
BACKGROUND: RGB = (225, 225, 225)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")


def scale(image_size: int) -> int:
    """Integer scale of the visual prompts: 1 up to 95 px, 2 up to 159 px, ..."""
    return max(1, round(image_size / 64))


def canvas(size: int | tuple[int, int], colour: RGB = BACKGROUND) -> Image.Image:
    """A blank RGB image of ``size`` (an int for a square) filled with ``colour``."""
    if isinstance(size, int):
        size = (size, size)
    return Image.new("RGB", size, colour)


def shape(
    image: Image.Image, kind: str, centre: Sequence[float], radius: float, colour: RGB
) -> tuple[int, int, int, int]:
    """Draw a filled ``kind`` (circle, square or triangle); returns its bounding box.

    The box is inclusive pixel coordinates ``(x0, y0, x1, y1)``. ``radius`` is half the
    side of the bounding square, so the three kinds have the same extent.
    """
    cx, cy = centre
    x0, y0 = round(cx - radius), round(cy - radius)
    x1, y1 = round(cx + radius), round(cy + radius)
    draw = ImageDraw.Draw(image)
    if kind == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=colour)
    elif kind == "square":
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    elif kind == "triangle":
        draw.polygon([(round(cx), y0), (x1, y1), (x0, y1)], fill=colour)
    else:
        raise ValueError(f"unknown shape {kind!r}; known: {SHAPES}")
    return (x0, y0, x1, y1)


def style(image_size: int) -> MarkStyle:
    """The visual prompts' style at ``image_size``: :func:`scale` as the renderer's unit."""
    return MarkStyle(k=scale(image_size))


def marker_radius(image_size: int) -> int:
    """Outer radius of a circled point: 5 px at 64 px, so the ring covers a whole patch."""
    return style(image_size).radius


def point_marker(image: Image.Image, point: Sequence[float], label: str) -> None:
    """Circle ``point`` in red and write ``label`` on a red tag beside the circle.

    The ring is hollow, so the marked pixel stays visible (tasks that ask about the colour
    at the point need it). Drawn by :func:`tasktransfer.data.marks.point`.
    """
    marks.point(image, point, label, style(image.width))


def box(image: Image.Image, xyxy: Sequence[int], label: str, *, tag_at: str = "top") -> None:
    """A red bounding-box outline with ``label`` on a tag at a corner.

    ``tag_at="top"`` puts the tag above the top-left corner, ``"bottom"`` below the
    bottom-right one, so two overlapping boxes keep their labels apart. Drawn by
    :func:`tasktransfer.data.marks.box`.
    """
    marks.box(image, xyxy, label, style(image.width), tag_at=tag_at)


def marker_footprint(image_size: int) -> int:
    """Minimum distance between two marked points so that their circles and tags do not meet."""
    return marks.footprint(style(image_size))

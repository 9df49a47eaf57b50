"""BLINK's visual prompts: red circled points with a letter tag, "REF", labelled boxes.

One renderer for every mark a question draws on an image, in the synthetic suite and in
the builders of real training sets alike, so a mark looks the same wherever it comes from:

- a **point** is a hollow red ring (the marked pixel stays visible, which the reflectance
  and colour questions need) with its label (``"A"`` .. ``"D"``, ``"REF"``) in white on a red
  tag above-right of the ring, or on whichever side fits inside the image;
- a **box** is a red outline with its label on a tag at a corner.

Every option of a question is drawn in the same style (one colour, one size), so no mark
hints at the answer. Letters come from a built-in 5x7 bitmap font and nothing is
anti-aliased: the same marks give the same bytes on every machine.

A :class:`MarkStyle` fixes the sizes from one integer scale ``k``: ring radius ``5k``, ring
width ``2k``, glyph pixels ``k x k``. :func:`photo_style` picks ``k`` for a photo (radius
10 px at 512 px, the size BLINK's ablation found best); the synthetic suite picks its own
``k`` for its small images (``synthetic.draw.scale``). :func:`footprint` and
:func:`margin` say how far apart two points and how far from a border a point must be for
rings and tags to stay whole and apart; :func:`fits` checks a set of points against both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]

MARKER: RGB = (230, 0, 0)
WHITE: RGB = (255, 255, 255)
# Pixels of the shorter image side per unit of scale: k = 2 (a 10 px ring) at 512 px.
PHOTO_PIXELS_PER_SCALE = 256

# 5x7 bitmap glyphs ("#" = ink) for the option letters and the "REF" label.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
}
GLYPH_W, GLYPH_H = 5, 7


@dataclass(frozen=True)
class MarkStyle:
    """The sizes of every mark on one image, from one integer scale.

    Attributes
    ----------
    k : int
        Side of one glyph pixel, and the unit of every other size.
    """

    k: int

    @property
    def radius(self) -> int:
        """Outer radius of a point's ring."""
        return 5 * self.k

    @property
    def ring_width(self) -> int:
        """Width of a point's ring (a box's outline is ``k`` wide)."""
        return 2 * self.k


def photo_style(size: tuple[int, int]) -> MarkStyle:
    """The style for an image of ``size`` (width, height): ``k`` grows with the shorter side.

    Examples
    --------
    >>> photo_style((640, 480)).radius, photo_style((200, 100)).radius
    (10, 5)
    """
    return MarkStyle(k=max(1, round(min(size) / PHOTO_PIXELS_PER_SCALE)))


def text(image: Image.Image, xy: Sequence[int], label: str, colour: RGB, *, k: int = 1) -> None:
    """Write ``label`` with the bitmap font, top-left at ``xy``, each pixel ``k`` x ``k``."""
    x, y = xy
    draw = ImageDraw.Draw(image)
    for i, char in enumerate(label):
        for row, bits in enumerate(_GLYPHS[char]):
            for col, bit in enumerate(bits):
                if bit == "#":
                    px = x + (i * (GLYPH_W + 1) + col) * k
                    py = y + row * k
                    draw.rectangle((px, py, px + k - 1, py + k - 1), fill=colour)


def tag_size(label: str, k: int = 1) -> tuple[int, int]:
    """Width and height of a filled label tag (glyphs plus a 1 px margin)."""
    return ((len(label) * (GLYPH_W + 1) + 1) * k, (GLYPH_H + 2) * k)


def tag(image: Image.Image, xy: Sequence[int], label: str, *, k: int = 1) -> None:
    """A red tag with ``label`` in white, top-left at ``xy`` (BLINK's letter beside a circle)."""
    w, h = tag_size(label, k)
    x, y = xy
    ImageDraw.Draw(image).rectangle((x, y, x + w - 1, y + h - 1), fill=MARKER)
    text(image, (x + k, y + k), label, WHITE, k=k)


def point(image: Image.Image, xy: Sequence[float], label: str, style: MarkStyle) -> None:
    """Circle ``xy`` in red and write ``label`` on a red tag beside the ring.

    The tag goes above-right of the ring; to the left when it would leave the image on
    the right, below when it would leave it at the top.
    """
    k, r = style.k, style.radius
    x, y = round(xy[0]), round(xy[1])
    ImageDraw.Draw(image).ellipse((x - r, y - r, x + r, y + r), outline=MARKER, width=2 * k)
    w, h = tag_size(label, k)
    tx = x + r - k if x + r - k + w <= image.width else x - r + k - w
    ty = y - r - h + 2 * k if y - r - h + 2 * k >= 0 else y + r - 2 * k
    tag(image, (max(0, tx), max(0, min(image.height - h, ty))), label, k=k)


def box(
    image: Image.Image,
    xyxy: Sequence[float],
    label: str,
    style: MarkStyle,
    *,
    tag_at: str = "top",
) -> None:
    """A red bounding-box outline with ``label`` on a tag at a corner.

    ``tag_at="top"`` puts the tag above the top-left corner, ``"bottom"`` below the
    bottom-right one, so two overlapping boxes keep their labels apart. ``xyxy`` is
    inclusive pixel coordinates.
    """
    k = style.k
    x0, y0, x1, y1 = (round(v) for v in xyxy)
    ImageDraw.Draw(image).rectangle((x0, y0, x1, y1), outline=MARKER, width=k)
    w, h = tag_size(label, k)
    if tag_at == "top":
        tx, ty = x0, (y0 - h if y0 - h >= 0 else y1 + 1)
    else:
        tx, ty = x1 - w + 1, (y1 + 1 if y1 + 1 + h <= image.height else y0 - h)
    tag(image, (max(0, min(image.width - w, tx)), max(0, min(image.height - h, ty))), label, k=k)


def footprint(style: MarkStyle) -> int:
    """Minimum distance between two marked points so that their rings and tags do not meet."""
    return 2 * style.radius + tag_size("A", style.k)[0]


def margin(style: MarkStyle) -> int:
    """Minimum distance of a marked point from every border: its ring and a tag fit inside."""
    return style.radius + tag_size("A", style.k)[1]


def fits(points: Sequence[Sequence[float]], size: tuple[int, int], style: MarkStyle) -> bool:
    """Whether every point is at least :func:`margin` from the borders of an image of
    ``size`` and at least :func:`footprint` from every other point.

    Examples
    --------
    >>> style = MarkStyle(k=1)
    >>> fits([(20, 20), (60, 20)], (100, 100), style), fits([(20, 20), (30, 20)], (100, 100), style)
    (True, False)
    """
    width, height = size
    edge = margin(style)
    if any(
        not (edge <= x <= width - 1 - edge and edge <= y <= height - 1 - edge) for x, y in points
    ):
        return False
    apart = footprint(style)
    return all(
        math.dist(points[i], points[j]) >= apart
        for i in range(len(points))
        for j in range(i + 1, len(points))
    )

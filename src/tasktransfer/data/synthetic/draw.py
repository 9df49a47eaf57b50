"""Drawing primitives shared by every synthetic generator (PIL, no anti-aliasing).

Everything is drawn with flat colours and without anti-aliasing, so that a pixel belongs to
exactly one object and tests can recover the scene from the pixels. Letters are drawn from
a built-in 5x7 bitmap font rather than a system font: the same scene gives the same bytes
on every machine.

Sizes are given for a 64 px image and scaled by :func:`scale` for larger ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

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
MARKER: RGB = (230, 0, 0)
WHITE: RGB = (255, 255, 255)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")

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


def marker_radius(image_size: int) -> int:
    """Outer radius of a circled point: 5 px at 64 px, so the ring covers a whole patch."""
    return 5 * scale(image_size)


def point_marker(image: Image.Image, point: Sequence[float], label: str) -> None:
    """Circle ``point`` in red and write ``label`` on a red tag beside the circle.

    The ring is hollow, so the marked pixel stays visible (tasks that ask about the colour
    at the point need it). The tag goes above-right of the ring, or to whichever side
    fits inside the image.
    """
    k = scale(image.width)
    r = marker_radius(image.width)
    x, y = round(point[0]), round(point[1])
    ImageDraw.Draw(image).ellipse((x - r, y - r, x + r, y + r), outline=MARKER, width=2 * k)
    w, h = tag_size(label, k)
    tx = x + r - k if x + r - k + w <= image.width else x - r + k - w
    ty = y - r - h + 2 * k if y - r - h + 2 * k >= 0 else y + r - 2 * k
    tag(image, (max(0, tx), max(0, min(image.height - h, ty))), label, k=k)


def box(image: Image.Image, xyxy: Sequence[int], label: str, *, tag_at: str = "top") -> None:
    """A red bounding-box outline with ``label`` on a tag at a corner.

    ``tag_at="top"`` puts the tag above the top-left corner, ``"bottom"`` below the
    bottom-right one, so two overlapping boxes keep their labels apart.
    """
    k = scale(image.width)
    x0, y0, x1, y1 = (round(v) for v in xyxy)
    ImageDraw.Draw(image).rectangle((x0, y0, x1, y1), outline=MARKER, width=k)
    w, h = tag_size(label, k)
    if tag_at == "top":
        tx, ty = x0, (y0 - h if y0 - h >= 0 else y1 + 1)
    else:
        tx, ty = x1 - w + 1, (y1 + 1 if y1 + 1 + h <= image.height else y0 - h)
    tag(image, (max(0, min(image.width - w, tx)), max(0, min(image.height - h, ty))), label, k=k)


def marker_footprint(image_size: int) -> int:
    """Minimum distance between two marked points so that their circles and tags do not meet."""
    k = scale(image_size)
    return 2 * marker_radius(image_size) + tag_size("A", k)[0]

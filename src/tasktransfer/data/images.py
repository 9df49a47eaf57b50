"""Image bytes: one canonical PNG encoding and a decoder that gives plain PIL images."""

from __future__ import annotations

import io
import math

from PIL import Image


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of ``image`` with fixed settings, so equal pixels give equal bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def decode_image(data: bytes) -> Image.Image:
    """A fully loaded, plain :class:`PIL.Image.Image` (no file handle, no format metadata).

    Plain images compare equal to freshly drawn ones with the same mode and pixels, which
    the round-trip tests rely on.
    """
    with Image.open(io.BytesIO(data)) as opened:
        return plain_image(opened)


def plain_image(image: Image.Image) -> Image.Image:
    """A loaded copy of ``image`` as a plain :class:`PIL.Image.Image`, format metadata dropped.

    Images decoded by a format plugin (``PngImageFile``, ``JpegImageFile``) compare unequal
    to drawn images with the same pixels; this makes every loader return the same kind.
    """
    image.load()
    copy = image.copy()
    copy.info.clear()
    return copy


def pixel_digest_parts(image: Image.Image) -> tuple[bytes, bytes]:
    """What identifies an image's content: its mode and size, and its raw pixel bytes."""
    return f"{image.mode}:{image.width}x{image.height}".encode(), image.tobytes()


def limit_pixels(image: Image.Image, max_pixels: int | None) -> Image.Image:
    """``image`` downscaled (aspect kept, bicubic) to at most ``max_pixels`` pixels, RGB.

    Examples
    --------
    >>> limit_pixels(Image.new("RGB", (200, 100)), 5000).size
    (100, 50)
    >>> limit_pixels(Image.new("RGB", (20, 10)), 5000).size
    (20, 10)
    """
    image = image.convert("RGB")
    width, height = image.size
    if max_pixels is None or width * height <= max_pixels:
        return image
    scale = math.sqrt(max_pixels / (width * height))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)

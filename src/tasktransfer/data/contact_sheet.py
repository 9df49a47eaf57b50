"""A contact sheet: a few examples drawn with their prompt and answer, for a person to check."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from tasktransfer.data.example import Example
from tasktransfer.data.video import Video

_PAD = 8
_TEXT_WIDTH = 440
_WRAP = 70


def contact_sheet(examples: Sequence[Example], *, thumb: int = 160) -> Image.Image:
    """One row per example: its images scaled to ``thumb`` px high, then prompt and answer.

    Images are scaled with nearest-neighbour sampling so the pixels a model sees stay
    visible. A video question shows its first, middle and last frame, captioned with their
    times.
    """
    font = ImageFont.load_default()
    rows = []
    for example in examples:
        images = [
            im.convert("RGB").resize(
                (max(1, round(im.width * thumb / im.height)), thumb), Image.NEAREST
            )
            for im in (*example.images, *shown_frames(example))
        ]
        lines = [f"{example.sub_task}  idx={example.idx}"]
        if example.video is not None:
            lines.append(frames_caption(example))
        for paragraph in example.prompt.splitlines():
            lines += textwrap.wrap(paragraph, _WRAP) or [""]
        lines.append(f"answer: {example.answer}")
        line_h = 12
        height = max(thumb, line_h * len(lines)) + 2 * _PAD
        width = sum(im.width + _PAD for im in images) + _TEXT_WIDTH + 2 * _PAD
        row = Image.new("RGB", (width, height), "white")
        x = _PAD
        for image in images:
            row.paste(image, (x, _PAD))
            x += image.width + _PAD
        pen = ImageDraw.Draw(row)
        for i, line in enumerate(lines):
            colour = (180, 0, 0) if line.startswith("answer:") else (0, 0, 0)
            pen.text((x + _PAD, _PAD + i * line_h), line, fill=colour, font=font)
        rows.append(row)
    if not rows:
        raise ValueError("a contact sheet needs at least one example")
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        ImageDraw.Draw(sheet).line((0, y, sheet.width, y), fill=(200, 200, 200))
        y += row.height
    return sheet


def shown_frames(example: Example) -> list[Image.Image]:
    """The first, middle and last frame of an example's video (none without a video)."""
    if example.video is None:
        return []
    return [example.video.frames[i] for i in _shown(example.video)]


def frames_caption(example: Example) -> str:
    """Which frames :func:`shown_frames` picks: ``"frames 1, 5, 8 of 8 at 0.0 s, ..."``."""
    video = example.video
    picked = _shown(video)
    numbers = ", ".join(str(i + 1) for i in picked)
    times = ", ".join(f"{video.timestamps[i]:.1f} s" for i in picked)
    return f"frames {numbers} of {len(video.frames)} at {times}"


def _shown(video: Video) -> list[int]:
    return sorted({0, len(video.frames) // 2, len(video.frames) - 1})

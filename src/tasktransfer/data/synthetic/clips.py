"""The machinery of the synthetic video tasks: a camera panning over a wide scene.

Every clip is :data:`FRAMES` frames of a camera that looks at a *strip*, a scene four
frames wide, and moves across it. A translating camera slides from the strip's left end to
its right end (or back); a turning camera looks at a 360-degree panorama, whose width is
four 90-degree views, so its crops wrap around. Objects therefore enter, cross and leave
the view, as the objects of VSI-Bench's room tours do, and a question about the whole clip
has to put together what several frames show.

A video generator is ``generate(rng, answer, *, difficulty, image_size) -> Clip``; for a
numeric task ``answer`` indexes the task's answer values (the suite balances them as it
balances letters), for a multiple-choice task it is the correct option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from tasktransfer.data.example import (
    Example,
    format_number_prompt,
    format_prompt,
    letter_of,
)
from tasktransfer.data.synthetic import draw
from tasktransfer.data.video import FrameSampling, Video

FRAMES = 8
FPS = 2.0  # a nominal rate: a clip lasts four seconds
STRIP_VIEWS = 4  # a strip is this many frames wide; a panorama is 360 degrees
VIEW_DEGREES = 360 / STRIP_VIEWS


@dataclass(frozen=True)
class Clip:
    """What a video generator returns: one question about a rendered clip.

    ``value`` is the answer of a numeric question (``None`` for multiple choice, whose
    answer is the option the suite asked for). ``meta`` holds plain JSON values: enough of
    the latent scene for an independent oracle to re-derive the answer.
    """

    question: str
    frames: tuple[Image.Image, ...]
    choices: tuple[str, ...] = ()
    value: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def strip_canvas(image_size: int) -> Image.Image:
    """A blank strip: :data:`STRIP_VIEWS` frames wide, one frame high."""
    return draw.canvas((STRIP_VIEWS * image_size, image_size))


def pan_offsets(image_size: int, *, reverse: bool = False) -> list[int]:
    """Left edges of the frames of a camera sliding across the whole strip.

    Examples
    --------
    >>> pan_offsets(64)
    [0, 27, 55, 82, 110, 137, 165, 192]
    """
    span = (STRIP_VIEWS - 1) * image_size
    offsets = [round(i * span / (FRAMES - 1)) for i in range(FRAMES)]
    return offsets[::-1] if reverse else offsets


def turn_offsets(image_size: int, degrees: float) -> list[int]:
    """Left edges (on a panorama) of a camera turning from heading 0 by ``degrees``.

    Heading ``h`` (clockwise, degrees) looks at panorama column ``h`` scaled to the strip
    width, centred in the frame; negative offsets wrap around.

    Examples
    --------
    >>> turn_offsets(64, 90)[:3], turn_offsets(64, 90)[-1]
    ([-32, -23, -14], 32)
    """
    return [
        round(heading_column(i * degrees / (FRAMES - 1), image_size) - image_size / 2)
        for i in range(FRAMES)
    ]


def heading_column(degrees: float, image_size: int) -> float:
    """The panorama column at ``degrees`` clockwise from heading 0."""
    return degrees / 360 * STRIP_VIEWS * image_size


def crop_frames(strip: Image.Image, offsets: Sequence[int], *, wrap: bool) -> tuple:
    """Square frames of ``strip`` whose left edges are ``offsets`` (wrapping on a panorama)."""
    size = strip.height
    pixels = np.asarray(strip)
    frames = []
    for left in offsets:
        columns = np.arange(left, left + size)
        if not wrap and (columns.min() < 0 or columns.max() >= strip.width):
            raise ValueError(f"frame at {left} leaves the strip of width {strip.width}")
        frames.append(Image.fromarray(np.take(pixels, columns, axis=1, mode="wrap")))
    return tuple(frames)


def visible(x: float, left: int, image_size: int, radius: float, *, wrap_width=None) -> bool:
    """Whether an object centred at strip column ``x`` is wholly inside a frame at ``left``."""
    if wrap_width is not None:
        x = left + (x - left) % wrap_width
    return left + radius <= x <= left + image_size - 1 - radius


def clip_example(
    idx: str, task: str, clip: Clip, answer: int, meta: dict[str, Any], *, numeric: bool
) -> Example:
    """Wrap a rendered clip into an :class:`~tasktransfer.data.Example` with a video."""
    video = Video.from_frames(clip.frames, FrameSampling(num_frames=len(clip.frames)), fps=FPS)
    common = {
        "idx": idx,
        "sub_task": task,
        "question": clip.question,
        "images": (),
        "video": video,
        "meta": {**meta, **clip.meta},
    }
    if numeric:
        if clip.value is None:
            raise AssertionError(f"the generator of {task} gave no value for a numeric question")
        return Example(
            choices=(),
            answer=format_number(clip.value),
            prompt=format_number_prompt(clip.question),
            answer_type="number",
            **common,
        )
    return Example(
        choices=clip.choices,
        answer=f"({letter_of(answer)})",
        prompt=format_prompt(clip.question, clip.choices),
        **common,
    )


def format_number(value: float) -> str:
    """``"3"`` for 3.0, ``"2.5"`` for 2.5: the shortest text that reads back as ``value``.

    Examples
    --------
    >>> format_number(3.0), format_number(2.5)
    ('3', '2.5')
    """
    return str(int(value)) if float(value).is_integer() else repr(float(value))

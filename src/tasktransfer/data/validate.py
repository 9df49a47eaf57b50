"""The one schema check every loader ends in: errors name the source, task, split and idx."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tasktransfer.data.example import HIDDEN, LETTERS, Example
from tasktransfer.errors import InputError
from tasktransfer.tasks import ANSWER_TYPES, REGISTRY, Registry, Task


class DataError(InputError):
    """An example or a split that breaks the BLINK schema."""


def validate_examples(
    examples: Sequence[Example],
    *,
    source: str,
    task: str,
    split: str,
    require_answers: bool = False,
    registry: Registry = REGISTRY,
) -> None:
    """Raise :class:`DataError` on the first example that a study cannot use.

    Checks: the split is not empty; ``idx`` is unique; the example has at least the
    images the task needs, a video when the task is a video task, and the task's answer
    type (from the registry, when the task is registered); an example without a video has
    an image. A multiple-choice example has 2 to 4 choices and the answer ``"(A)"``.. for
    one of them; a numeric one has no choices and a finite, non-zero number as its answer
    (mean relative accuracy divides by it). Either may be ``"hidden"`` unless
    ``require_answers``.

    Parameters
    ----------
    examples : sequence of Example
    source : str
        Where they came from (a path or hub id), quoted in the message.
    task, split : str
    require_answers : bool, default=False
        Refuse hidden answers (BLINK's test split), because scoring needs them.
    registry : Registry, default=REGISTRY
        Where the task's images, video and answer type come from.
    """
    where = f"{source}: task {task!r}, split {split!r}"
    if not examples:
        raise DataError(f"{where} has no examples")
    spec = registry.get(task) if task in registry else None
    seen: set[str] = set()
    for example in examples:
        at = f"{where}, idx {example.idx!r}"
        if example.idx in seen:
            raise DataError(f"{at}: idx appears twice; each idx must be unique in a split")
        seen.add(example.idx)
        _check_against_task(example, spec, task, at)
        if example.video is None and not example.images:
            raise DataError(f"{at}: image_1 is missing; a question needs an image or a video")
        if example.answer_type == "number" and example.choices:
            raise DataError(
                f"{at}: field 'choices' must be empty for a numeric question, found "
                f"{len(example.choices)} options"
            )
        if example.answer_type == "choice" and not 2 <= len(example.choices) <= len(LETTERS):
            raise DataError(
                f"{at}: field 'choices' has {len(example.choices)} options; expected 2 to 4"
            )
        if example.answer == HIDDEN:
            if require_answers:
                raise DataError(
                    f"{at}: the answer is hidden (BLINK's test split); scoring needs "
                    "answers: use split 'val' or data with answers"
                )
            continue
        if example.answer_type == "number":
            _check_number(example, at)
        else:
            _check_letter(example, at)


def _check_against_task(example: Example, spec: Task | None, task: str, at: str) -> None:
    """The example has the answer type, images and video its registered task declares."""
    if example.answer_type not in ANSWER_TYPES:
        raise DataError(
            f"{at}: field 'answer_type' is {example.answer_type!r}; expected one of "
            f"{', '.join(ANSWER_TYPES)}"
        )
    if spec is None:
        return
    if example.answer_type != spec.answer_type:
        raise DataError(
            f"{at}: field 'answer_type' is {example.answer_type!r} but task {task!r} is "
            f"answered by {spec.answer_type!r}"
        )
    if spec.modality == "video" and example.video is None:
        raise DataError(f"{at}: field 'video' is missing; {task} is a video task")
    if len(example.images) < spec.images:
        raise DataError(
            f"{at}: image_{len(example.images) + 1} is missing; {task} needs "
            f"{spec.images} image(s), found {len(example.images)}"
        )


def _check_letter(example: Example, at: str) -> None:
    letter = example.answer_letter
    if letter is None or letter not in example.letters:
        allowed = ", ".join(f"({x})" for x in example.letters)
        raise DataError(
            f"{at}: field 'answer' is {example.answer!r} but there are "
            f"{len(example.choices)} choices; expected one of {allowed}"
        )


def _check_number(example: Example, at: str) -> None:
    value = example.answer_number
    if value is None or not math.isfinite(value) or value == 0:
        raise DataError(
            f"{at}: field 'answer' is {example.answer!r}; a numeric question needs a "
            "finite, non-zero number (mean relative accuracy divides by it)"
        )

"""The one schema check every loader ends in: errors name the source, task, split and idx."""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.data.example import HIDDEN, LETTERS, Example
from tasktransfer.errors import InputError
from tasktransfer.tasks import REGISTRY, Registry


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
    images the task needs (from the registry, when the task is registered); there are
    2 to 4 choices; the answer is ``"(A)"``.. for one of them, or ``"hidden"`` unless
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
        Where the task's images per question come from.
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
        if spec is not None and len(example.images) < spec.images:
            raise DataError(
                f"{at}: image_{len(example.images) + 1} is missing; {task} needs "
                f"{spec.images} image(s), found {len(example.images)}"
            )
        if not example.images:
            raise DataError(f"{at}: image_1 is missing; every question needs an image")
        if not 2 <= len(example.choices) <= len(LETTERS):
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
        letter = example.answer_letter
        if letter is None or letter not in example.letters:
            allowed = ", ".join(f"({x})" for x in example.letters)
            raise DataError(
                f"{at}: field 'answer' is {example.answer!r} but there are "
                f"{len(example.choices)} choices; expected one of {allowed}"
            )

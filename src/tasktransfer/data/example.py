"""The example: one question in the schema of ``BLINK-Benchmark/BLINK``, or about a video.

A BLINK question is multiple choice over one to four images. A video question (VSI-Bench,
the synthetic video suite) carries a :class:`~tasktransfer.data.video.Video` and is either
multiple choice or asks for a number, scored by mean relative accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tasktransfer.data.video import Video
from tasktransfer.tasks.registry import AnswerType

LETTERS = "ABCD"
MAX_IMAGES = 4
HIDDEN = "hidden"
_ANSWER = re.compile(r"^\(([A-D])\)$")
NUMBER_INSTRUCTION = "Answer with a single number only."


def letter_of(index: int) -> str:
    """The option letter of a 0-based choice index: ``letter_of(2) == "C"``."""
    return LETTERS[index]


def format_prompt(question: str, choices: Sequence[str]) -> str:
    """BLINK's prompt: the question, the instruction line, then the lettered options.

    Examples
    --------
    >>> print(format_prompt("Which point is closer?", ["A", "B"]))
    Which point is closer?
    Select from the following choices.
    (A) A
    (B) B
    """
    options = "\n".join(f"({letter_of(i)}) {c}" for i, c in enumerate(choices))
    return f"{question}\nSelect from the following choices.\n{options}"


def format_number_prompt(question: str) -> str:
    """The prompt of a question answered by a number: the question, then the instruction.

    Examples
    --------
    >>> print(format_number_prompt("How many chairs are in this room?"))
    How many chairs are in this room?
    Answer with a single number only.
    """
    return f"{question}\n{NUMBER_INSTRUCTION}"


@dataclass(frozen=True)
class Example:
    """One question of a task, as in ``BLINK-Benchmark/BLINK``, or about a video.

    Attributes
    ----------
    idx : str
        Identifier, unique within (task, split).
    sub_task : str
        The task name (a registry name such as ``"Counting"``).
    question : str
    choices : tuple of str
        2 to 4 options; empty for a numeric question.
    answer : str
        ``"(A)"`` .. ``"(D)"``, or ``"hidden"`` (BLINK's test split); for a numeric
        question the ground-truth number as text (``"3"``, ``"2.45"``).
    prompt : str
        ``question`` + ``"Select from the following choices."`` + the lettered options
        (:func:`format_prompt`); ``question`` + :data:`NUMBER_INSTRUCTION` for a numeric
        question (:func:`format_number_prompt`).
    images : tuple of PIL.Image.Image
        0 to 4 images (BLINK's ``image_1`` .. ``image_4`` that are not None); a video
        question may have none.
    explanation : str
    video : Video or None
        The sampled frames of a video question; ``None`` for an image question.
    answer_type : {"choice", "number"}
        Multiple choice (scored by the letter) or a number (scored by mean relative
        accuracy).
    meta : dict
        Generator ground truth (latent scene) for synthetic examples; empty otherwise.
        Not part of the BLINK schema and never shown to a model.
    """

    idx: str
    sub_task: str
    question: str
    choices: tuple[str, ...]
    answer: str
    prompt: str
    images: tuple[Image.Image, ...]
    explanation: str = ""
    video: Video | None = None
    answer_type: AnswerType = "choice"
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def answer_letter(self) -> str | None:
        """``"B"`` for answer ``"(B)"``; ``None`` when the answer is hidden."""
        match = _ANSWER.match(self.answer)
        return match.group(1) if match else None

    @property
    def answer_number(self) -> float | None:
        """The ground truth of a numeric question; ``None`` for multiple choice or hidden.

        Examples
        --------
        >>> Example("0", "T", "How far?", (), "2.45", "", (), answer_type="number").answer_number
        2.45
        """
        if self.answer_type != "number" or self.answer == HIDDEN:
            return None
        try:
            return float(self.answer)
        except ValueError:
            return None

    @property
    def letters(self) -> tuple[str, ...]:
        """The option letters of this question, ``("A", "B", ...)``."""
        return tuple(LETTERS[: len(self.choices)])

    def to_blink_row(self) -> dict[str, Any]:
        """The example as a row of the hub dataset (``image_1`` .. ``image_4``, None-padded).

        BLINK rows have no video or answer type, so a video or numeric question is
        refused rather than written without them.
        """
        if self.video is not None or self.answer_type != "choice":
            raise ValueError(
                f"example {self.idx!r} of {self.sub_task!r} is a video or numeric question; "
                "a BLINK row cannot hold it"
            )
        row: dict[str, Any] = {
            "idx": self.idx,
            "question": self.question,
            "sub_task": self.sub_task,
            "choices": list(self.choices),
            "answer": self.answer,
            "prompt": self.prompt,
            "explanation": self.explanation,
        }
        for i in range(MAX_IMAGES):
            row[f"image_{i + 1}"] = self.images[i] if i < len(self.images) else None
        return row

    @classmethod
    def from_blink_row(cls, row: Mapping[str, Any]) -> Example:
        """Build an example from a hub-dataset row; validation is the loader's job."""
        images = tuple(
            row[f"image_{i + 1}"]
            for i in range(MAX_IMAGES)
            if row.get(f"image_{i + 1}") is not None
        )
        return cls(
            idx=str(row["idx"]),
            sub_task=str(row["sub_task"]),
            question=str(row.get("question") or ""),
            choices=tuple(str(c) for c in row["choices"]),
            answer=str(row["answer"]),
            prompt=str(row.get("prompt") or format_prompt(row["question"], row["choices"])),
            images=tuple(image for image in images if image is not None),
            explanation=str(row.get("explanation") or ""),
        )

"""The example: one multiple-choice question in the schema of ``BLINK-Benchmark/BLINK``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

LETTERS = "ABCD"
MAX_IMAGES = 4
HIDDEN = "hidden"
_ANSWER = re.compile(r"^\(([A-D])\)$")


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


@dataclass(frozen=True)
class Example:
    """One question of a task, as in ``BLINK-Benchmark/BLINK``.

    Attributes
    ----------
    idx : str
        Identifier, unique within (task, split).
    sub_task : str
        The task name (a registry name such as ``"Counting"``).
    question : str
    choices : tuple of str
        2 to 4 options.
    answer : str
        ``"(A)"`` .. ``"(D)"``, or ``"hidden"`` (BLINK's test split).
    prompt : str
        ``question`` + ``"Select from the following choices."`` + the lettered options.
    images : tuple of PIL.Image.Image
        1 to 4 images (BLINK's ``image_1`` .. ``image_4`` that are not None).
    explanation : str
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
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def answer_letter(self) -> str | None:
        """``"B"`` for answer ``"(B)"``; ``None`` when the answer is hidden."""
        match = _ANSWER.match(self.answer)
        return match.group(1) if match else None

    @property
    def letters(self) -> tuple[str, ...]:
        """The option letters of this question, ``("A", "B", ...)``."""
        return tuple(LETTERS[: len(self.choices)])

    def to_blink_row(self) -> dict[str, Any]:
        """The example as a row of the hub dataset (``image_1`` .. ``image_4``, None-padded)."""
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

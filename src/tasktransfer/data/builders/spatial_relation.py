"""Spatial_Relation from VSR's random-split train set (BLINK took VSR test captions).

Layout: VSR's ``data/`` folder, holding ``splits/random/train.jsonl`` (one JSON object per
line with ``image``, a COCO 2017 file name such as ``000000050403.jpg``, ``caption``,
``label`` 1 or 0, and ``relation``) and the ``images/`` folder the VSR README has you fill.

BLINK turns the caption into a yes/no question about the image ("Is the car beneath the
cat?"), options ``yes`` / ``no``. :func:`caption_question` does the same for VSR's caption
templates (``The S is|are R the O.``, ``The S has as a part the O.``, ``The S contains the
O.``); a caption of another shape is left out. A true caption answers "yes", a false one
"no", so the framework's balance gives as many of each.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    get_field,
    load_image,
    require_files,
    source_file,
)
from tasktransfer.errors import InputError

SOURCE = "VSR"
ANNOTATIONS = "splits/random/train.jsonl"
IMAGES = "images"
CHOICES = ("yes", "no")

_COPULA = re.compile(r"^The (?P<subject>.+?) (?P<verb>is|are) (?P<rest>.+?)\.?$")
_PART = re.compile(r"^The (?P<subject>.+?) (?:has|have) as a part (?P<rest>.+?)\.?$")
_CONTAINS = re.compile(r"^The (?P<subject>.+?) contains? (?P<rest>.+?)\.?$")


def caption_question(caption: str) -> str | None:
    """The yes/no question a VSR caption asks, or None for a caption of another shape.

    Examples
    --------
    >>> caption_question("The cat is behind the laptop.")
    'Is the cat behind the laptop?'
    >>> caption_question("The car has as a part the wheel.")
    'Does the car have the wheel as a part?'
    >>> caption_question("A cat sleeps.") is None
    True
    """
    text = caption.strip()
    if match := _PART.match(text):
        return f"Does the {match['subject']} have {match['rest']} as a part?"
    if match := _CONTAINS.match(text):
        return f"Does the {match['subject']} contain {match['rest']}?"
    if match := _COPULA.match(text):
        return f"{match['verb'].capitalize()} the {match['subject']} {match['rest']}?"
    return None


def check_layout(source_dir: Path) -> None:
    """The folder holds the random split's ``train.jsonl`` and the ``images/`` folder."""
    require_files(source_dir, [ANNOTATIONS, IMAGES], source=SOURCE)


def candidates(source_dir: Path):
    """Every train caption whose shape :func:`caption_question` knows."""
    path = source_dir / ANNOTATIONS
    for line, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        at = f"{path}, line {line}"
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{at}: not valid JSON ({err.msg})") from err
        image = get_field(record, "image", str, at=at)
        caption = get_field(record, "caption", str, at=at)
        label = get_field(record, "label", (int, bool), at=at)
        if label not in (0, 1):
            raise InputError(f"{at}: field 'label' must be 1 (true) or 0 (false), got {label!r}")
        question = caption_question(caption)
        if question is None:
            continue
        yield Candidate(
            key=str(line),
            answers=(0,) if label else (1,),
            n_choices=len(CHOICES),
            record=(source_file(source_dir / IMAGES, image, what=at), question, at),
        )


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion:
    """The caption's question over its image; the label fixed the answer."""
    path, question, at = candidate.record
    image, _ = load_image(path, what=at)
    return BuiltQuestion(
        question=question,
        choices=CHOICES,
        answer=answer,
        images=(image,),
        source_ids=(f"train.jsonl:{candidate.key}", f"image:{path.name}"),
    )


BUILDER = Builder(
    task="Spatial_Relation",
    source=SOURCE,
    source_split="train of the random split (splits/random/train.jsonl)",
    licence="VSR annotations: Apache-2.0; the images keep the COCO (Flickr) terms.",
    layout="splits/random/train.jsonl and images/ (VSR's data/ folder)",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

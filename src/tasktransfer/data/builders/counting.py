"""Counting from TallyQA's train split (BLINK took its Counting questions from TallyQA test).

Layout: the TallyQA folder holds ``train.json``, a list of records with ``image`` (a path
relative to the folder: ``train2014/COCO_train2014_….jpg`` or ``VG_100K_2/….jpg``),
``question``, ``answer`` (an integer), ``issimple``, ``question_id`` and ``image_id``,
with the COCO and Visual Genome image folders beside it.

BLINK asks the TallyQA question as it is and offers four numbers. Here the options are four
consecutive integers that hold the answer, the window placed at random (never below 0) and
the three others shuffled, so neither the smallest nor the middle value gives the answer
away. Only answers up to :data:`MAX_COUNT` are kept: BLINK's counts are small.
"""

from __future__ import annotations

import random
from pathlib import Path

from tasktransfer.data.builders.base import (
    Builder,
    BuiltQuestion,
    Candidate,
    get_field,
    load_image,
    read_json,
    require_files,
    source_file,
)
from tasktransfer.errors import InputError

SOURCE = "TallyQA"
ANNOTATIONS = "train.json"
MAX_COUNT = 10
N_CHOICES = 4


def check_layout(source_dir: Path) -> None:
    """The folder holds TallyQA's ``train.json``."""
    require_files(source_dir, [ANNOTATIONS], source=SOURCE)


def candidates(source_dir: Path):
    """Every train question whose answer is a count from 0 to :data:`MAX_COUNT`."""
    path = source_dir / ANNOTATIONS
    records = read_json(path)
    if not isinstance(records, list):
        raise InputError(f"{path}: expected a JSON list of question records")
    for i, record in enumerate(records, start=1):
        at = f"{path}, record {i}"
        answer = get_field(record, "answer", int, at=at)
        question = get_field(record, "question", str, at=at)
        image = get_field(record, "image", str, at=at)
        question_id = get_field(record, "question_id", int, at=at)
        if 0 <= answer <= MAX_COUNT:
            yield Candidate(
                key=str(question_id),
                answers=tuple(range(N_CHOICES)),
                n_choices=N_CHOICES,
                record=(source_file(source_dir, image, what=at), question, answer, at),
            )


def options(count: int, answer: int, rng: random.Random) -> tuple[str, ...]:
    """Four consecutive counts holding ``count``, with ``count`` at index ``answer``.

    Examples
    --------
    >>> options(0, 2, random.Random(0))[2]
    '0'
    """
    low = rng.randint(max(0, count - N_CHOICES + 1), count)
    others = [str(v) for v in range(low, low + N_CHOICES) if v != count]
    rng.shuffle(others)
    others.insert(answer, str(count))
    return tuple(others)


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion:
    """The TallyQA question over its image, the count at option ``answer``."""
    path, question, count, at = candidate.record
    image, _ = load_image(path, what=at)
    return BuiltQuestion(
        question=question,
        choices=options(count, answer, rng),
        answer=answer,
        images=(image,),
        source_ids=(f"question_id:{candidate.key}", f"image:{path.name}"),
    )


BUILDER = Builder(
    task="Counting",
    source=SOURCE,
    source_split="train (train.json)",
    licence="TallyQA states no licence; its images keep the COCO (Flickr) and Visual Genome "
    "terms. For research use.",
    layout="train.json with the train2014/ and VG_100K*/ image folders it names",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Spatial_Relation from a VSR fixture.

The fixture follows VSR's published split files (github.com/cambridgeltl/
visual-spatial-reasoning, ``data/splits/random/train.jsonl``): one JSON object per line
with ``image`` (a COCO 2017 file name), ``image_link``, ``caption``, ``label`` (1 true,
0 false), ``relation``, ``subj``, ``obj`` and the annotator fields; the images sit in
``data/images/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.spatial_relation import BUILDER
from tasktransfer.errors import InputError

# (caption, label, relation, subj, obj) -> question asked
CAPTIONS = [
    ("The cat is behind the laptop.", 1, "behind", "cat", "laptop"),
    ("The cow is ahead of the person.", 0, "ahead of", "cow", "person"),
    ("The cake is at the edge of the dining table.", 1, "at the edge of", "cake", "dining table"),
    ("The horse is left of the person.", 0, "left of", "horse", "person"),
    ("The car has as a part the wheel.", 1, "has as a part", "car", "wheel"),
    ("The bowl contains the banana.", 1, "contains", "bowl", "banana"),
    ("The dog is on the couch.", 1, "on", "dog", "couch"),
    ("The teddy bear is under the bed.", 0, "under", "teddy bear", "bed"),
    ("The pizza is touching the knife.", 1, "touching", "pizza", "knife"),
    ("The umbrella is far away from the bench.", 0, "far away from", "umbrella", "bench"),
    ("The bird, then the tree.", 1, "near", "bird", "tree"),  # no known shape: left out
]
QUESTIONS = {
    "The cat is behind the laptop.": "Is the cat behind the laptop?",
    "The cow is ahead of the person.": "Is the cow ahead of the person?",
    "The cake is at the edge of the dining table.": "Is the cake at the edge of the dining table?",
    "The horse is left of the person.": "Is the horse left of the person?",
    "The car has as a part the wheel.": "Does the car have the wheel as a part?",
    "The bowl contains the banana.": "Does the bowl contain the banana?",
    "The dog is on the couch.": "Is the dog on the couch?",
    "The teddy bear is under the bed.": "Is the teddy bear under the bed?",
    "The pizza is touching the knife.": "Is the pizza touching the knife?",
    "The umbrella is far away from the bench.": "Is the umbrella far away from the bench?",
}


def write_vsr(root: Path) -> Path:
    (root / "splits" / "random").mkdir(parents=True)
    (root / "images").mkdir()
    lines = []
    for i, (caption, label, relation, subj, obj) in enumerate(CAPTIONS):
        image = f"{100000 + i:012d}.jpg"
        Image.new("RGB", (40, 30), (20 * i, 50, 90)).save(root / "images" / image)
        lines.append(
            json.dumps(
                {
                    "image": image,
                    "image_link": f"http://images.cocodataset.org/train2017/{image}",
                    "caption": caption,
                    "label": label,
                    "relation": relation,
                    "subj": subj,
                    "obj": obj,
                    "annotator_id": 7,
                    "vote_true_validator_id": [1, 2] if label else [],
                    "vote_false_validator_id": [] if label else [1, 2],
                }
            )
        )
    (root / "splits" / "random" / "train.jsonl").write_text("\n".join(lines) + "\n")
    return root


def test_vsr_fixture_builds_yes_no_questions_from_captions(tmp_path, check_build):
    result = check_build(BUILDER, write_vsr(tmp_path / "vsr"))
    # 6 true and 4 false captions of a known shape: all 4 "no", and "yes" one ahead.
    assert [e.answer for e in result.examples].count("(B)") == 4
    assert [e.answer for e in result.examples].count("(A)") == 5
    for example, row in zip(result.examples, result.manifest.rows, strict=True):
        line = int(row.source_ids[0].removeprefix("train.jsonl:"))
        caption, label, *_ = CAPTIONS[line - 1]
        assert row.source_ids[1] == f"image:{100000 + line - 1:012d}.jpg"
        assert example.question == QUESTIONS[caption]
        assert example.choices == ("yes", "no")
        assert example.answer == ("(A)" if label else "(B)")


def test_a_missing_split_file_is_named(tmp_path):
    (tmp_path / "vsr" / "images").mkdir(parents=True)
    with pytest.raises(InputError, match=r"splits/random/train.jsonl: missing"):
        build_examples(BUILDER, tmp_path / "vsr")


def test_a_label_that_is_not_true_or_false_is_named(tmp_path):
    source = write_vsr(tmp_path / "vsr")
    path = source / "splits" / "random" / "train.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"label": 0', '"label": 2')
    path.write_text("\n".join(lines))
    with pytest.raises(InputError, match=r"train.jsonl, line 2: field 'label' must be 1"):
        build_examples(BUILDER, source)

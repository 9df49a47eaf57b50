"""Counting from a TallyQA fixture.

The fixture follows TallyQA's published ``train.json`` format (github.com/manoja328/
TallyQA_dataset, README): a JSON list of records with ``answer`` (int), ``data_source``,
``image`` (a path such as ``VG_100K_2/2410408.jpg`` or ``train2014/COCO_train2014_….jpg``),
``image_id``, ``issimple``, ``question`` and ``question_id``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tasktransfer.data.builders.base import build_examples
from tasktransfer.data.builders.counting import BUILDER, MAX_COUNT
from tasktransfer.errors import InputError

# question_id -> (image, question, answer)
RECORDS = {
    101 + i: (
        f"train2014/COCO_train2014_{i:012d}.jpg" if i % 2 else f"VG_100K_2/{2410400 + i}.jpg",
        f"How many {thing} are there?",
        count,
    )
    for i, (thing, count) in enumerate(
        [
            ("dogs", 0),
            ("cars", 1),
            ("people", 2),
            ("cups", 3),
            ("birds", 4),
            ("chairs", 5),
            ("kites", 2),
            ("zebras", 7),
            ("boats", 10),
            ("sheep", 14),  # above MAX_COUNT: left out
            ("apples", 30),  # above MAX_COUNT: left out
            ("buses", 1),
        ]
    )
}


def write_tallyqa(root: Path, records=RECORDS) -> Path:
    rows = []
    for qid, (image, question, answer) in records.items():
        path = root / image
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (48, 32), (qid * 20 % 256, 90, 30)).save(path)
        rows.append(
            {
                "answer": answer,
                "data_source": "imported_genome" if image.startswith("VG") else "amt",
                "image": image,
                "image_id": qid * 10,
                "issimple": answer < 5,
                "question": question,
                "question_id": qid,
            }
        )
    (root / "train.json").write_text(json.dumps(rows))
    return root


def test_tallyqa_fixture_builds_balanced_valid_rows(tmp_path, check_build):
    source = write_tallyqa(tmp_path / "tallyqa")
    result = check_build(BUILDER, source)
    kept = {qid for qid, (_, _, answer) in RECORDS.items() if answer <= MAX_COUNT}
    assert len(result.examples) == len(kept) == 10
    for example, row in zip(result.examples, result.manifest.rows, strict=True):
        qid = int(row.source_ids[0].removeprefix("question_id:"))
        image, question, count = RECORDS[qid]
        assert qid in kept and row.source_ids[1] == f"image:{Path(image).name}"
        assert example.question == question
        assert example.choices[ord(example.answer_letter) - ord("A")] == str(count)
        values = sorted(int(c) for c in example.choices)
        assert values == list(range(values[0], values[0] + 4)) and values[0] >= 0
        # The row shows its own question's image (JPEG: colours within a few levels).
        pixel = example.images[0].getpixel((0, 0))
        assert max(abs(a - b) for a, b in zip(pixel, (qid * 20 % 256, 90, 30), strict=True)) <= 4


def test_n_caps_the_rows(tmp_path):
    source = write_tallyqa(tmp_path / "tallyqa")
    assert len(build_examples(BUILDER, source, n=4).examples) == 4


def test_a_folder_without_train_json_is_named(tmp_path):
    (tmp_path / "tallyqa").mkdir()
    with pytest.raises(InputError, match=r"tallyqa/train.json: missing"):
        build_examples(BUILDER, tmp_path / "tallyqa")


def test_a_record_without_an_integer_answer_is_named(tmp_path):
    source = write_tallyqa(tmp_path / "tallyqa")
    rows = json.loads((source / "train.json").read_text())
    rows[2]["answer"] = "two"
    (source / "train.json").write_text(json.dumps(rows))
    with pytest.raises(InputError, match=r"train.json, record 3: field 'answer' must be int"):
        build_examples(BUILDER, source)


def test_a_missing_image_is_named(tmp_path):
    source = write_tallyqa(tmp_path / "tallyqa")
    (source / RECORDS[101][0]).unlink()
    with pytest.raises(InputError, match=r"VG_100K_2/2410400.jpg: image file missing"):
        build_examples(BUILDER, source)


def test_an_image_path_leaving_the_folder_is_refused(tmp_path):
    records = {**RECORDS, 999: ("../outside.jpg", "How many?", 1)}
    (tmp_path / "tallyqa").mkdir()
    source = tmp_path / "tallyqa"
    Image.new("RGB", (8, 8)).save(tmp_path / "outside.jpg")
    rows = [
        {"answer": a, "image": i, "question": q, "question_id": qid, "issimple": True}
        for qid, (i, q, a) in records.items()
    ]
    (source / "train.json").write_text(json.dumps(rows))
    with pytest.raises(InputError, match="leaves the source folder"):
        build_examples(BUILDER, source)

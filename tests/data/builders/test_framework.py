"""The builder framework: balance, determinism, the cap, the manifest, refusals, the CLI.

A toy builder over a folder of ``items.txt`` lines ``<key> <allowed answers>`` stands in
for a source, so each property is checked against counts worked out by hand.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import tasktransfer.data.builders as builders_pkg
from tasktransfer.cli import app
from tasktransfer.data.builders import UNSUPPORTED, build, builders, get_builder
from tasktransfer.data.builders.base import (
    MAX_SIDE,
    Builder,
    BuiltQuestion,
    Candidate,
    Manifest,
    build_examples,
    load_image,
    manifest_path,
    read_manifest,
    require_files,
)
from tasktransfer.data.example import format_prompt
from tasktransfer.errors import InputError

OPTIONS = ("0", "1", "2", "3")


def _check(source_dir: Path) -> None:
    require_files(source_dir, ["items.txt"], source="toy")


def _candidates(source_dir: Path):
    for line in (source_dir / "items.txt").read_text().splitlines():
        key, allowed = line.split()
        yield Candidate(key=key, answers=tuple(int(a) for a in allowed), n_choices=4)


def _render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion | None:
    if candidate.key.startswith("bad"):
        return None
    shade = rng.randrange(256)
    return BuiltQuestion(
        question=f"Which number is {answer}?",
        choices=OPTIONS,
        answer=answer,
        images=(Image.new("RGB", (8, 8), (shade, 0, 0)),),
        source_ids=(candidate.key,),
        task_text=f"Look at the picture. Which number is {answer}?",
    )


TOY = Builder(
    task="Counting",
    source="toy",
    source_split="train",
    licence="toy data, no terms",
    layout="items.txt",
    version=3,
    check_layout=_check,
    candidates=_candidates,
    render=_render,
)


def _source(tmp_path: Path, lines: list[str]) -> Path:
    folder = tmp_path / "toy"
    folder.mkdir(parents=True)
    (folder / "items.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_a_free_pool_gives_letters_within_one(tmp_path):
    source = _source(tmp_path, [f"k{i} 0123" for i in range(10)])
    counts = Counter(e.answer_letter for e in build_examples(TOY, source).examples)
    # 10 rows over 4 letters: two letters get 3, two get 2.
    assert sorted(counts.values()) == [2, 2, 3, 3]


def _two_choice(source_dir: Path):
    for c in _candidates(source_dir):
        yield Candidate(key=c.key, answers=c.answers, n_choices=2)


def _render_two(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion:
    return replace(_render(candidate, answer, rng), choices=OPTIONS[:2])


def test_candidates_that_fit_no_free_letter_are_skipped(tmp_path):
    # 6 items can only be A, 2 only B. A letter is taken only while it is among the least
    # used, and a waiting item comes back when it is: both B items are used whatever the
    # order, A ends one ahead (3), and the other 3 A items are left out for balance.
    source = _source(tmp_path, [f"a{i} 0" for i in range(6)] + ["b0 1", "b1 1"])
    two_choice = replace(TOY, candidates=_two_choice, render=_render_two)
    for seed in range(5):
        result = build_examples(two_choice, source, seed=seed)
        counts = Counter(e.answer_letter for e in result.examples)
        assert counts == {"A": 3, "B": 2}
        assert result.manifest.skipped == {"balance": 3, "render": 0}


def test_render_refusals_are_counted_not_written(tmp_path):
    source = _source(tmp_path, ["bad0 0123", "bad1 0123", "k0 0123", "k1 0123"])
    result = build_examples(TOY, source)
    assert sorted(r.source_ids for r in result.manifest.rows) == [("k0",), ("k1",)]
    assert result.manifest.skipped == {"balance": 0, "render": 2}


def test_n_caps_the_rows_and_keeps_the_balance(tmp_path):
    source = _source(tmp_path, [f"k{i} 0123" for i in range(20)])
    result = build_examples(TOY, source, n=6, seed=4)
    counts = Counter(e.answer_letter for e in result.examples)
    assert len(result.examples) == 6 and max(counts.values()) - min(counts[x] for x in "ABCD") <= 1


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(tmp_path):
    source = _source(tmp_path, [f"k{i} 0123" for i in range(12)])
    first, again = build_examples(TOY, source, seed=7), build_examples(TOY, source, seed=7)
    other = build_examples(TOY, source, seed=8)
    assert first.examples == again.examples and first.manifest == again.manifest
    assert [r.source_ids for r in first.manifest.rows] != [
        r.source_ids for r in other.manifest.rows
    ]


def test_a_row_depends_only_on_the_seed_and_its_candidate(tmp_path):
    # Adding items to the source reshuffles the order but cannot redraw an item's image
    # for the same answer: the image is drawn from rng(seed, key).
    small = build_examples(TOY, _source(tmp_path / "s", ["k0 0"]), seed=2)
    large = build_examples(TOY, _source(tmp_path / "l", ["k0 0", "k1 1", "k2 2", "k3 3"]), seed=2)
    expected = (random.Random("2/k0").randrange(256), 0, 0)
    assert small.examples[0].images[0].getpixel((0, 0)) == expected
    (at,) = [i for i, row in enumerate(large.manifest.rows) if row.source_ids == ("k0",)]
    assert large.examples[at].images[0].getpixel((0, 0)) == expected


def test_rows_have_blink_prompts_and_idx(tmp_path):
    source = _source(tmp_path, ["k0 2"])
    (example,) = build_examples(TOY, source).examples
    assert example.idx == "train_Counting_1"
    assert example.answer == "(C)" and example.question == "Which number is 2?"
    assert example.prompt == format_prompt(
        "Look at the picture. Which number is 2?", ["0", "1", "2", "3"]
    )


def test_build_writes_rows_and_a_manifest_that_read_back(tmp_path, check_build):
    source = _source(tmp_path, [f"k{i} 0123" for i in range(9)])
    result = check_build(TOY, source)
    assert result.manifest.n_requested is None and len(result.examples) == 9


def test_manifest_is_json_with_every_field(tmp_path):
    source = _source(tmp_path, ["k0 0123", "k1 0123"])
    result = build_examples(TOY, source, n=2, seed=5)
    data = result.manifest.to_json()
    assert set(data) == {
        "task",
        "source",
        "source_split",
        "licence",
        "source_dir",
        "builder_version",
        "seed",
        "n_requested",
        "rows",
        "answer_counts",
        "skipped",
        "dedup",
        "format",
    }
    assert data["builder_version"] == 3 and data["seed"] == 5 and data["n_requested"] == 2
    assert Manifest.from_json(json.loads(json.dumps(data))) == result.manifest


def test_a_manifest_with_a_stray_key_is_refused(tmp_path):
    path = manifest_path(tmp_path, "Counting")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"task": "Counting", "colour": "red"}))
    with pytest.raises(InputError, match="unknown keys: \\['colour'\\]"):
        read_manifest(tmp_path, "Counting")


def test_a_missing_source_file_is_named(tmp_path):
    (tmp_path / "toy").mkdir()
    with pytest.raises(InputError, match=r"toy/items.txt: missing.* \(expected: items.txt\)$"):
        build_examples(TOY, tmp_path / "toy")
    with pytest.raises(InputError, match="no such folder"):
        build_examples(TOY, tmp_path / "nowhere")


def test_a_source_with_nothing_usable_says_so(tmp_path):
    with pytest.raises(InputError, match="no usable toy item"):
        build_examples(TOY, _source(tmp_path, ["bad0 0123"]))


def test_n_must_be_positive(tmp_path):
    with pytest.raises(InputError, match="--n must be a positive"):
        build_examples(TOY, _source(tmp_path, ["k0 0"]), n=0)


@pytest.mark.parametrize("task", sorted(UNSUPPORTED))
def test_tasks_without_a_source_are_refused_naming_it(task):
    with pytest.raises(InputError) as err:
        get_builder(task)
    message = str(err.value)
    assert message.startswith(f"{task} has no builder: BLINK built it from ")
    assert UNSUPPORTED[task].source in message and UNSUPPORTED[task].supply in message


def test_refusals_name_each_source():
    assert "FunKPoint" in UNSUPPORTED["Functional_Correspondence"].source
    assert "Wild6D" in UNSUPPORTED["Multi-view_Reasoning"].source
    assert "web search" in UNSUPPORTED["Forensic_Detection"].source


def test_abbreviations_resolve_and_refusals_use_the_full_name():
    with pytest.raises(InputError, match="^Forensic_Detection has no builder"):
        get_builder("fd")


def test_every_discovered_builder_is_for_its_own_registered_task():
    from tasktransfer.tasks import REGISTRY

    for task, builder in builders().items():
        assert builder.task == task and task in REGISTRY
        assert task not in UNSUPPORTED


def test_load_image_shrinks_large_photos_and_returns_the_factor(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (2 * MAX_SIDE, MAX_SIDE), (1, 2, 3)).save(path)
    image, factor = load_image(path, what="row 1")
    assert image.size == (MAX_SIDE, MAX_SIDE // 2) and factor == 0.5
    with pytest.raises(InputError, match="gone.png: image file missing \\(named by row 9\\)"):
        load_image(tmp_path / "gone.png", what="row 9")


def test_cli_build_writes_the_folder_and_stats_reads_it(tmp_path, monkeypatch):
    monkeypatch.setattr(builders_pkg, "builders", lambda: {"Counting": TOY})
    source = _source(tmp_path, [f"k{i} 0123" for i in range(8)])
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["data", "build", "CN", "--from", str(source), "--out", str(out), "--n", "4"]
    result = runner.invoke(app, [*args, "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "wrote 4 Counting rows" in result.output and "A:1  B:1  C:1  D:1" in result.output
    assert read_manifest(out, "Counting").seed == 3
    stats = runner.invoke(app, ["data", "stats", "--source", str(out), "--json"])
    assert stats.exit_code == 0, stats.output
    (row,) = json.loads(stats.output)
    assert row["task"] == "Counting" and row["n"] == 4
    assert row["answers"] == {"A": 1, "B": 1, "C": 1, "D": 1}


def test_library_build_writes_under_out(tmp_path, monkeypatch):
    monkeypatch.setattr(builders_pkg, "builders", lambda: {"Counting": TOY})
    source = _source(tmp_path, ["k0 0123"])
    build("Counting", source, tmp_path / "out")
    assert (tmp_path / "out" / "Counting" / "train.parquet").is_file()
    assert manifest_path(tmp_path / "out", "Counting").is_file()

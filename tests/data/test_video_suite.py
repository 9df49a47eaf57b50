"""The synthetic video suite: shapes, determinism, balance, skills, and answers from pixels."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import numpy as np
import pytest
from scipy import ndimage

from tasktransfer.data import fingerprint, load_examples, validate_examples
from tasktransfer.data.loaders import default_tasks
from tasktransfer.data.synthetic import (
    SKILLS,
    TASKS,
    VIDEO_TASKS,
    draw,
    expected_transfer,
    generate,
    make_example,
    skill_matrix,
)
from tasktransfer.data.synthetic.clips import FRAMES, STRIP_VIEWS, pan_offsets
from tasktransfer.tasks import REGISTRY, SYNTHETIC_VIDEO_TASKS

VIDEO = list(VIDEO_TASKS)


def test_every_registered_video_task_has_one_generator():
    assert sorted(VIDEO) == sorted(t.name for t in SYNTHETIC_VIDEO_TASKS)
    assert not set(VIDEO) & set(TASKS)  # the image suite is unchanged
    assert "Video_Counting" not in default_tasks("synthetic")


@pytest.mark.parametrize("task", VIDEO)
def test_examples_are_valid_video_questions_of_their_answer_type(task):
    spec = REGISTRY[task]
    examples = generate(task, "val", 8)
    validate_examples(examples, source="synthetic", task=task, split="val", require_answers=True)
    for e in examples:
        assert e.images == () and e.answer_type == spec.answer_type
        assert len(e.video.frames) == FRAMES and e.video.timestamps[-1] == 3.5
        assert {f.size for f in e.video.frames} == {(64, 64)}
        assert all(f.mode == "RGB" for f in e.video.frames)
        assert (
            len(e.choices) == spec.choices and e.meta["difficulty"] == VIDEO_TASKS[task].difficulty
        )


@pytest.mark.parametrize("task", VIDEO)
def test_answers_are_exactly_balanced_per_block(task):
    spec = VIDEO_TASKS[task]
    values = spec.answers or REGISTRY[task].choices
    counts = Counter(e.answer for e in generate(task, "train", 10 * values))
    assert len(counts) == values and set(counts.values()) == {10}


@pytest.mark.parametrize("task", VIDEO)
def test_same_arguments_same_bytes_other_seed_other_bytes(task):
    a, b = (make_example(task, "test", 5, seed=2) for _ in range(2))
    assert a == b and fingerprint([a]) == fingerprint([b])
    assert fingerprint([a]) != fingerprint([make_example(task, "test", 5, seed=3)])


def _clip_hash(example) -> str:
    return hashlib.sha256(b"".join(f.tobytes() for f in example.video.frames)).hexdigest()


@pytest.mark.parametrize("task", VIDEO)
def test_splits_share_no_clip(task):
    hashes = {s: {_clip_hash(e) for e in generate(task, s, 40)} for s in ("train", "val", "test")}
    assert not hashes["train"] & hashes["val"]
    assert not hashes["train"] & hashes["test"]
    assert not hashes["val"] & hashes["test"]


@pytest.mark.parametrize("task", VIDEO)
def test_image_size_knob_sizes_the_frames(task):
    e = make_example(task, "val", 0, image_size=128)
    assert {f.size for f in e.video.frames} == {(128, 128)}


def test_load_examples_generates_video_tasks_and_the_cli_draws_them(tmp_path):
    from typer.testing import CliRunner

    from tasktransfer.cli import app

    data = load_examples("synthetic", ["VCN", "Video_Relative_Direction"], "val", limit=3)
    assert [len(v) for v in data.values()] == [3, 3]
    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(app, ["data", "show", "VDIS", "--out", str(out), "--n", "2"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    stats = CliRunner().invoke(
        app, ["data", "stats", "--tasks", "VCN,VDIR", "--limit", "8", "--json"]
    )
    assert stats.exit_code == 0, stats.output
    rows = {row["task"]: row for row in json.loads(stats.output)}
    assert rows["Video_Counting"]["answers"] == {"number": 8}
    assert rows["Video_Relative_Direction"]["answers"] == {k: 2 for k in "ABCD"}
    assert rows["Video_Counting"]["frames"] == [8] and rows["Video_Counting"]["images"] == [0]


def test_a_sampling_rule_takes_a_clips_frames_again():
    from tasktransfer.data.images import limit_pixels
    from tasktransfer.data.video import FrameSampling

    sampling = FrameSampling(num_frames=4, max_pixels=32 * 32)
    (e,) = load_examples("synthetic", ["VCN"], "val", limit=1, sampling=sampling)["Video_Counting"]
    (full,) = generate("Video_Counting", "val", 1)
    # floor(linspace(0, 7, 4)) = 0, 2, 4, 7; at 2 frames a second
    assert e.video.timestamps == (0.0, 1.0, 2.0, 3.5) and e.video.sampling == sampling
    assert e.video.frames[1] == limit_pixels(full.video.frames[2], 32 * 32)
    assert {f.size for f in e.video.frames} == {(32, 32)}
    assert e.answer == full.answer and e.question == full.question


def test_video_skills_join_the_image_skill_matrix():
    names, skills, m = skill_matrix(["Counting", *VIDEO])
    assert skills == list(SKILLS)
    for skill in ("temporal_integration", "temporal_order", "ego_motion"):
        assert m[1:, skills.index(skill)].any()  # used by a video task
        assert not m[0, skills.index(skill)]  # and by no image task
    # Counting {object_counting, shape_identity} vs Video_Counting (+ temporal_integration)
    _, overlap = expected_transfer(["Counting", "Video_Counting", "Video_Appearance_Order"])
    assert overlap[0, 1] == pytest.approx(2 / 3)
    # Video_Appearance_Order {shape_identity, temporal_order}: 1 shared of 3 with Counting
    assert overlap[0, 2] == pytest.approx(1 / 3)
    assert skill_matrix()[0] == [*TASKS, *VIDEO]  # the default: the whole suite


# Oracles: each answer re-derived from the pixels by a computation of its own.


def _strip(example) -> np.ndarray:
    """The scene a translating camera filmed, put back together from its frames."""
    size = example.video.frames[0].width
    strip = np.zeros((size, STRIP_VIEWS * size, 3), np.uint8)
    for left, frame in zip(pan_offsets(size), example.video.frames, strict=True):
        if example.meta.get("reverse"):
            left = (STRIP_VIEWS - 1) * size - left
        strip[:, left : left + size] = np.asarray(frame)
    return strip


def _blobs(pixels: np.ndarray, colour: str) -> list[tuple[float, float]]:
    """Centroids (x, y) of the connected regions of one object colour."""
    labels, n = ndimage.label((pixels == draw.COLOURS[colour]).all(axis=-1))
    return [(x, y) for y, x in ndimage.center_of_mass(labels > 0, labels, range(1, n + 1))]


def _named(question: str) -> list[tuple[str, str]]:
    words = question.rstrip("?").replace(",", "").split()
    return [
        (words[i], words[i + 1].rstrip("s"))
        for i in range(len(words) - 1)
        if words[i] in draw.COLOURS and words[i + 1].rstrip("s") in draw.SHAPES
    ]


@pytest.mark.parametrize("difficulty", [0.0, 0.4])
def test_counting_oracle_counts_distinct_regions_of_the_scene(difficulty):
    # Up to 0.4 distractors never take the targets' colour, so colour alone counts them.
    examples = generate("Video_Counting", "val", 30, difficulty=difficulty)
    seen_in_frames = 0
    for e in examples:
        ((colour, _),) = _named(e.question)
        assert len(_blobs(_strip(e), colour)) == e.answer_number, e.idx
        seen_in_frames += sum(len(_blobs(np.asarray(f), colour)) for f in e.video.frames)
    # An object is in view in several frames: adding up the frames over-counts.
    assert seen_in_frames > 2 * sum(e.answer_number for e in examples)


@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_appearance_order_oracle_reads_when_each_colour_is_first_whole(difficulty):
    for e in generate("Video_Appearance_Order", "val", 30, difficulty=difficulty):
        first = {}
        for i, frame in enumerate(e.video.frames):
            pixels = np.asarray(frame)
            for colour, kind in _named(e.question):
                mask = (pixels == draw.COLOURS[colour]).all(axis=-1)
                whole = mask.any() and not (mask[:, 0].any() or mask[:, -1].any())
                if whole and (colour, kind) not in first:
                    first[(colour, kind)] = i
        order = ", ".join(f"{c} {k}" for c, k in sorted(first, key=first.__getitem__))
        assert e.choices["ABCD".index(e.answer_letter)] == order, e.idx


@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_distance_oracle_measures_the_gap_in_tile_widths(difficulty):
    for e in generate("Video_Relative_Distance", "val", 24, difficulty=difficulty):
        strip = _strip(e)
        (c1, _), (c2, _) = _named(e.question)
        ((x1, _),), ((x2, _),) = _blobs(strip, c1), _blobs(strip, c2)
        tile = e.video.frames[0].width / 4
        assert abs(x1 - x2) / tile == pytest.approx(e.answer_number, abs=0.1), e.idx


@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_direction_oracle_follows_the_target_through_the_turn(difficulty):
    # The target's image column moves against the turn; at the end it is in view exactly
    # when the answer is "in front", and its bearing from the meta agrees with the letter.
    for e in generate("Video_Relative_Direction", "val", 24, difficulty=difficulty):
        ((colour, kind),) = _named(e.question)
        size = e.video.frames[0].width
        seen = [
            (pixels == draw.COLOURS[colour]).all(axis=-1).any()
            for pixels in map(np.asarray, e.video.frames)
        ]
        assert any(seen), e.idx
        target = e.meta["objects"][0]
        assert target[:2] == [colour, kind]
        bearing = (target[3] - e.meta["turn"] + 180) % 360 - 180
        expected = "ABCD"[round(bearing / 90) % 4]
        assert e.answer_letter == expected, e.idx
        last = np.asarray(e.video.frames[-1])
        mask = last == draw.COLOURS[colour]
        in_view = mask.all(axis=-1)[:, size // 8 : size - size // 8].any()
        if difficulty < 0.5:  # no other object of its colour
            assert in_view == (expected == "A"), e.idx


def test_a_contact_sheet_shows_first_middle_and_last_frame():
    from tasktransfer.data.contact_sheet import contact_sheet, frames_caption, shown_frames

    e = make_example("Video_Counting", "val", 0)
    assert shown_frames(e) == [e.video.frames[i] for i in (0, 4, 7)]
    # 2 frames a second: frames 1, 5 and 8 are at 0, 2 and 3.5 s
    assert frames_caption(e) == "frames 1, 5, 8 of 8 at 0.0 s, 2.0 s, 3.5 s"
    sheet = contact_sheet([e], thumb=64)
    left = sheet.crop((8, 8, 72, 72))  # the first thumbnail, at the sheet's padding
    assert left.tobytes() == e.video.frames[0].tobytes()
    assert shown_frames(make_example("Counting", "val", 0)) == []

"""VSI-Bench: its rows and videos read from a small folder in the dataset's own layout."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasktransfer.data import load_examples
from tasktransfer.data.loaders import default_tasks
from tasktransfer.data.validate import DataError
from tasktransfer.data.video import FrameSampling
from tasktransfer.data.vsibench import TASKS, VSIBENCH, read_vsibench

from .mp4 import frame_number, write_mp4

# Two scenes whose videos differ in length, so a question's frames tell which one it got.
SCENE_FRAMES = {("scannet", "scene0011_00"): 10, ("arkitscenes", "41069025"): 20}


def _row(id_, dataset, scene, kind, question, truth, options=None):
    return {
        "id": id_,
        "dataset": dataset,
        "scene_name": scene,
        "question_type": kind,
        "question": question,
        "options": options,
        "ground_truth": truth,
    }


ROWS = [
    _row(
        0, "scannet", "scene0011_00", "object_counting", "How many chair(s) are in this room?", "4"
    ),
    _row(1, "arkitscenes", "41069025", "object_counting", "How many table(s) are here?", "2"),
    _row(
        2,
        "scannet",
        "scene0011_00",
        "obj_appearance_order",
        "What is the first-time appearance order of the following categories?",
        "B",
        ["A. sofa, lamp, bed", "B. lamp, sofa, bed", "C. bed, lamp, sofa", "D. bed, sofa, lamp"],
    ),
    _row(3, "arkitscenes", "41069025", "room_size_estimation", "What is the room size?", "21.5"),
    _row(
        4,
        "scannet",
        "scene0011_00",
        "object_rel_direction_easy",
        "Is the sofa to the left or the right of the bed?",
        "A",
        ["A. left", "B. right"],
    ),
    _row(
        5,
        "arkitscenes",
        "41069025",
        "object_rel_direction_hard",
        "Is the sofa front-left, front-right, back-left or back-right of the bed?",
        "D",
        ["A. front-left", "B. front-right", "C. back-left", "D. back-right"],
    ),
    _row(6, "scannet", "scene0011_00", "object_counting", "How many lamp(s) are here?", "1"),
]


def _write(root, rows, *, videos=SCENE_FRAMES):
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "test-00000-of-00001.parquet")
    for (dataset, scene), n in videos.items():
        write_mp4(root / dataset / f"{scene}.mp4", n)
    return root


@pytest.fixture
def vsi(tmp_path):
    return _write(tmp_path / "VSI-Bench", ROWS)


def test_numeric_questions_come_with_their_scenes_video(vsi):
    examples = read_vsibench(vsi, "VSI_Object_Count", sampling=FrameSampling(num_frames=2))
    assert [e.idx for e in examples] == ["0", "1", "6"]
    assert [e.answer for e in examples] == ["4", "2", "1"]
    assert [e.answer_number for e in examples] == [4.0, 2.0, 1.0]
    assert all(e.answer_type == "number" and e.choices == () and e.images == () for e in examples)
    assert examples[0].prompt.startswith("How many chair(s) are in this room?\n")
    # Two frames: the first and the last one of a 10- or a 20-frame video.
    assert [[frame_number(f) for f in e.video.frames] for e in examples] == [
        [0, 9],
        [0, 19],
        [0, 9],
    ]
    assert examples[0].video.source.endswith("scannet/scene0011_00.mp4")
    assert examples[0].video is examples[2].video  # one decode per scene
    assert examples[1].meta["scene_name"] == "41069025"


def test_choice_questions_drop_the_letter_prefix_and_keep_the_answer(vsi):
    (example,) = read_vsibench(vsi, "VSI_Appearance_Order")
    assert example.choices == (
        "sofa, lamp, bed",
        "lamp, sofa, bed",
        "bed, lamp, sofa",
        "bed, sofa, lamp",
    )
    assert example.answer == "(B)" and example.answer_letter == "B"
    assert "(B) lamp, sofa, bed" in example.prompt
    assert example.meta["options"][1] == "B. lamp, sofa, bed"


def test_relative_directions_three_levels_are_one_task(vsi):
    examples = read_vsibench(vsi, "VSI_Rel_Direction")
    assert [(e.idx, len(e.choices), e.answer) for e in examples] == [
        ("4", 2, "(A)"),
        ("5", 4, "(D)"),
    ]
    assert {e.meta["question_type"] for e in examples} == {
        "object_rel_direction_easy",
        "object_rel_direction_hard",
    }


def test_load_examples_reads_and_validates_a_local_copy(vsi):
    data = load_examples(
        str(vsi), ["VRS", "VSI_Object_Count"], "test", require_answers=True, limit=2, seed=0
    )
    assert list(data) == ["VSI_Room_Size", "VSI_Object_Count"]
    assert [e.answer for e in data["VSI_Room_Size"]] == ["21.5"]
    assert len(data["VSI_Object_Count"]) == 2
    assert len(data["VSI_Room_Size"][0].video.frames) == 8  # the default sampling
    assert default_tasks(str(vsi)) == list(TASKS) and len(TASKS) == 8


def test_missing_videos_are_named_with_where_to_get_them(tmp_path):
    root = _write(tmp_path / "VSI-Bench", ROWS, videos={("scannet", "scene0011_00"): 4})
    with pytest.raises(DataError, match=r"1 video\(s\) of VSI_Object_Count are missing") as err:
        read_vsibench(root, "VSI_Object_Count")
    assert "arkitscenes/41069025.mp4" in str(err.value)
    assert "unzip them into" in str(err.value) and VSIBENCH in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"options": ["A. left", "C. right"]},
            "option 2 is 'C. right'; expected it to start with 'B. '",
        ),
        ({"scene_name": "../../etc"}, "field 'scene_name' is '../../etc', which cannot name"),
        ({"question_type": "object_colour"}, "field 'question_type' is 'object_colour'"),
        ({"ground_truth": None}, "field 'ground_truth' is missing"),
    ],
)
def test_malformed_rows_are_refused_naming_the_row_and_field(tmp_path, change, message):
    rows = [{**ROWS[4], **change}]
    root = _write(tmp_path / "VSI-Bench", rows)
    with pytest.raises(DataError, match="row 1") as err:
        read_vsibench(root, "VSI_Rel_Direction")
    assert message in str(err.value)


def test_unknown_task_and_missing_rows_are_refused(tmp_path, vsi):
    with pytest.raises(DataError, match="VSI-Bench has no task 'Counting'"):
        read_vsibench(vsi, "Counting")
    with pytest.raises(DataError, match="no VSI-Bench rows for split 'val'"):
        read_vsibench(vsi, "VSI_Object_Count", "val")


def test_the_hub_path_reads_rows_with_datasets_and_videos_from_hf_home(tmp_path, monkeypatch):
    import datasets

    home = tmp_path / "hf"
    _write(home / "vsibench", [])  # the videos where lmms-eval unpacks them
    calls = []

    def load_dataset(name, split):
        calls.append((name, split))
        return datasets.Dataset.from_list(ROWS)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setenv("HF_HOME", str(home))
    examples = read_vsibench(VSIBENCH, "VSI_Room_Size")
    assert calls == [(VSIBENCH, "test")]
    assert [e.answer for e in examples] == ["21.5"]
    assert examples[0].video.source == str(home / "vsibench" / "arkitscenes" / "41069025.mp4")


def test_a_copy_of_todays_hub_repository_reads_its_jsonl_rows(tmp_path):
    import json

    root = tmp_path / "VSI-Bench"
    for (dataset, scene), n in SCENE_FRAMES.items():
        write_mp4(root / dataset / f"{scene}.mp4", n)
    rows = [{**row, "pruned": row["id"] == 1} for row in ROWS]
    (root / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    examples = read_vsibench(root, "VSI_Object_Count")
    assert [(e.idx, e.meta["pruned"]) for e in examples] == [
        ("0", False),
        ("1", True),
        ("6", False),
    ]
    assert default_tasks(str(root)) == list(TASKS)

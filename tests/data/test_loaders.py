import json
import logging
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasktransfer.data import (
    DataError,
    fingerprint,
    load_examples,
    split_train_eval,
    subsample,
)
from tasktransfer.data.folder import write_folder
from tasktransfer.data.images import encode_png
from tasktransfer.data.synthetic import TASKS as SYNTHETIC_TASKS
from tasktransfer.data.synthetic import generate
from tasktransfer.errors import InputError
from tasktransfer.tasks import UnknownTaskError, load_registry

TASKS = ["Counting", "Jigsaw", "Relative_Reflectance"]


def test_synthetic_source_is_the_generator_output():
    data = load_examples("synthetic", TASKS, "val", limit=5, seed=3)
    assert list(data) == TASKS
    for task in TASKS:
        assert fingerprint(data[task]) == fingerprint(generate(task, "val", 5, seed=3))


def test_synthetic_default_sizes_difficulty_per_task_and_image_size():
    data = load_examples(
        "synthetic", ["Counting", "Jigsaw"], "val", difficulty={"Counting": 1.0}, image_size=96
    )
    assert len(data["Counting"]) == 200
    assert data["Counting"][0].meta["difficulty"] == 1.0
    assert data["Jigsaw"][0].meta["difficulty"] == SYNTHETIC_TASKS["Jigsaw"].difficulty
    assert data["Jigsaw"][0].images[0].size == (96, 96)


def test_synthetic_unknown_task_and_split():
    with pytest.raises(UnknownTaskError, match="Did you mean: Jigsaw"):
        load_examples("synthetic", ["Jigsw"], "val")
    with pytest.raises(DataError, match="unknown split 'dev'"):
        load_examples("synthetic", ["Jigsaw"], "dev")


def test_folder_round_trip_is_byte_identical(tmp_path):
    every = list(SYNTHETIC_TASKS)
    original = {task: generate(task, "val", 3) for task in every}
    paths = write_folder(tmp_path, "val", original)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == sorted(
        f"{t}/val.parquet" for t in every
    )
    loaded = load_examples(str(tmp_path), every, "val")
    for task in every:
        assert loaded[task] == original[task]  # every field, images compared pixel by pixel
        assert [e.meta for e in loaded[task]] == [e.meta for e in original[task]]
        stored = pq.read_table(tmp_path / task / "val.parquet").to_pylist()
        for row, example in zip(stored, loaded[task], strict=True):
            stored_bytes = [row[f"image_{k}"]["bytes"] for k in range(1, len(example.images) + 1)]
            assert stored_bytes == [encode_png(im) for im in example.images]
        assert fingerprint(loaded[task]) == fingerprint(original[task])


def test_folder_limit_is_a_seeded_subsample_in_file_order(tmp_path):
    write_folder(tmp_path, "val", {"Counting": generate("Counting", "val", 20)})
    a = load_examples(str(tmp_path), ["Counting"], "val", limit=5, seed=1)["Counting"]
    b = load_examples(str(tmp_path), ["Counting"], "val", limit=5, seed=1)["Counting"]
    c = load_examples(str(tmp_path), ["Counting"], "val", limit=5, seed=2)["Counting"]
    index = [int(e.idx.rsplit("_", 1)[1]) for e in a]
    assert index == sorted(index) and len(set(index)) == 5
    assert [e.idx for e in a] == [e.idx for e in b] != [e.idx for e in c]


def test_jsonl_folder_with_image_files_beside_it(tmp_path):
    examples = generate("Jigsaw", "val", 3)
    folder = tmp_path / "Jigsaw"
    (folder / "images").mkdir(parents=True)
    lines = []
    for e in examples:
        row = {k: v for k, v in e.to_blink_row().items() if not k.startswith("image_")}
        for k, image in enumerate(e.images, start=1):
            name = f"images/{e.idx}_{k}.png"
            (folder / name).write_bytes(encode_png(image))
            row[f"image_{k}"] = name
        lines.append(json.dumps(row))
    (folder / "val.jsonl").write_text("\n".join(lines) + "\n")
    assert load_examples(str(tmp_path), ["Jigsaw"], "val")["Jigsaw"] == examples


def _write_rows(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _row(example, **changes):
    row = {k: v for k, v in example.to_blink_row().items() if not k.startswith("image_")}
    row.update({f"image_{k}": f"{example.idx}_{k}.png" for k in range(1, len(example.images) + 1)})
    return {**row, **changes}


@pytest.fixture
def counting_folder(tmp_path):
    """A JSONL folder with one Counting example whose row a test can break."""
    example = generate("Counting", "val", 1)[0]
    (tmp_path / "Counting").mkdir()
    (tmp_path / "Counting" / f"{example.idx}_1.png").write_bytes(encode_png(example.images[0]))

    def write(**changes):
        _write_rows(tmp_path / "Counting" / "val.jsonl", [_row(example, **changes)])
        return str(tmp_path)

    return write


@pytest.mark.parametrize(
    ("changes", "require_answers", "message"),
    [
        ({"answer": "(E)"}, False, r"idx 'val_Counting_0': field 'answer' is '\(E\)'"),
        (
            {"choices": ["1", "2", "3"], "answer": "(D)"},
            False,
            r"'answer' is '\(D\)' but there are 3 choices; expected one of \(A\), \(B\), \(C\)",
        ),
        ({"answer": "hidden"}, True, r"idx 'val_Counting_0': the answer is hidden"),
        ({"choices": ["1"], "answer": "(A)"}, False, r"'choices' has 1 options; expected 2 to 4"),
        ({"image_1": "absent.png"}, False, r"field 'image_1': image file .*absent.png does not"),
        ({"image_1": "../../escape.png"}, False, r"image path '../../escape.png' leaves"),
        ({"image_1": None}, False, r"split 'val', idx 'val_Counting_0': image_1 is missing"),
    ],
)
def test_validation_errors_name_task_split_idx_and_field(
    counting_folder, changes, require_answers, message
):
    source = counting_folder(**changes)
    with pytest.raises(DataError, match=message):
        load_examples(source, ["Counting"], "val", require_answers=require_answers)


def test_hidden_answers_load_when_not_required(counting_folder):
    source = counting_folder(answer="hidden")
    (example,) = load_examples(source, ["Counting"], "val")["Counting"]
    assert example.answer == "hidden" and example.answer_letter is None


def test_missing_image_for_a_multi_image_task(tmp_path):
    examples = generate("Jigsaw", "val", 1)
    broken = replace(examples[0], images=examples[0].images[:2])
    write_folder(tmp_path, "val", {"Jigsaw": [broken]})
    with pytest.raises(DataError, match=r"idx 'val_Jigsaw_0': image_3 is missing; Jigsaw needs 3"):
        load_examples(str(tmp_path), ["Jigsaw"], "val")


def test_empty_split_duplicate_idx_unknown_task_and_missing_split(tmp_path):
    write_folder(tmp_path, "val", {"Counting": []})
    with pytest.raises(DataError, match=r"task 'Counting', split 'val' has no examples"):
        load_examples(str(tmp_path), ["Counting"], "val")
    twice = generate("Counting", "val", 1) * 2
    write_folder(tmp_path, "val", {"Counting": twice})
    with pytest.raises(DataError, match=r"idx 'val_Counting_0': idx appears twice"):
        load_examples(str(tmp_path), ["Counting"], "val")
    with pytest.raises(UnknownTaskError, match=r"Unknown task 'Countin'. Did you mean: Counting"):
        load_examples(str(tmp_path), ["Countin"], "val")
    with pytest.raises(DataError, match=r"no folder for task 'Jigsaw'; the task folders are: Co"):
        load_examples(str(tmp_path), ["JG"], "val")
    with pytest.raises(DataError, match=r"no file for split 'test'.*found: \['val.parquet'\]"):
        load_examples(str(tmp_path), ["Counting"], "test")


def test_bad_json_line_and_unknown_source(tmp_path):
    (tmp_path / "Counting").mkdir()
    (tmp_path / "Counting" / "val.jsonl").write_text('{"idx": "1"}\nnot json\n')
    with pytest.raises(DataError, match=r"val.jsonl, line 2: not valid JSON"):
        load_examples(str(tmp_path), ["Counting"], "val")
    with pytest.raises(InputError, match="unknown data source 'no such place'"):
        load_examples("no such place", ["Counting"], "val")
    with pytest.raises(InputError, match="limit must be a positive"):
        load_examples("synthetic", ["Counting"], "val", limit=0)


def _hub_copy(root, tasks, split, n):
    """A local copy in the hub layout: per-config parquet files and a README configs list."""
    import datasets

    features = datasets.Features(
        {
            "idx": datasets.Value("string"),
            "question": datasets.Value("string"),
            "sub_task": datasets.Value("string"),
            **{f"image_{k}": datasets.Image() for k in range(1, 5)},
            "choices": datasets.Sequence(datasets.Value("string")),
            "answer": datasets.Value("string"),
            "prompt": datasets.Value("string"),
            "explanation": datasets.Value("string"),
        }
    )
    configs, originals = [], {}
    for task in tasks:
        originals[task] = generate(task, split, n)
        rows = [e.to_blink_row() for e in originals[task]]
        table = datasets.Dataset.from_list(rows, features=features)
        (root / task).mkdir(parents=True)
        table.to_parquet(str(root / task / f"{split}-00000-of-00001.parquet"))
        configs.append(
            f"- config_name: {task}\n  data_files:\n  - split: {split}\n"
            f"    path: {task}/{split}-*.parquet\n"
        )
    (root / "README.md").write_text("---\nconfigs:\n" + "".join(configs) + "---\n")
    return originals


def test_hub_path_goes_through_datasets_load_dataset(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    originals = _hub_copy(tmp_path / "BLINK", ["Counting", "Jigsaw"], "val", 4)
    real = datasets.load_dataset
    calls = []

    def local_hub(path, name=None, **kwargs):
        calls.append((path, name, kwargs.get("split")))
        # The hub id resolves to the local copy; everything else is the real call.
        return real(str(tmp_path / "BLINK"), name, cache_dir=str(tmp_path / "cache"), **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", local_hub)
    data = load_examples("BLINK-Benchmark/BLINK", ["Counting", "Jigsaw"], "val", limit=3)
    assert calls == [
        ("BLINK-Benchmark/BLINK", "Counting", "val"),
        ("BLINK-Benchmark/BLINK", "Jigsaw", "val"),
    ]
    for task, examples in data.items():
        assert len(examples) == 3
        by_idx = {e.idx: e for e in originals[task]}
        for e in examples:
            assert e == by_idx[e.idx]  # PNG through datasets' Image feature is lossless
    with pytest.raises(DataError, match=r"cannot load task 'Counting', split 'test'"):
        load_examples("BLINK-Benchmark/BLINK", ["Counting"], "test")


def test_the_folder_reader_also_reads_a_hub_snapshot(tmp_path):
    originals = _hub_copy(tmp_path, ["Counting"], "val", 3)
    assert load_examples(str(tmp_path), ["Counting"], "val")["Counting"] == originals["Counting"]


def test_split_train_eval_is_disjoint_seeded_and_warns(caplog):
    examples = generate("Counting", "val", 20)
    with caplog.at_level(logging.WARNING, logger="tasktransfer.data.loaders"):
        train, held = split_train_eval(examples, eval_fraction=0.25, seed=4)
    assert "BLINK has no train split" in caplog.text
    assert len(train) == 15 and len(held) == 5
    assert {e.idx for e in train} | {e.idx for e in held} == {e.idx for e in examples}
    assert not {e.idx for e in train} & {e.idx for e in held}
    again, _ = split_train_eval(examples, eval_fraction=0.25, seed=4)
    other, _ = split_train_eval(examples, eval_fraction=0.25, seed=5)
    assert [e.idx for e in again] == [e.idx for e in train] != [e.idx for e in other]
    with pytest.raises(InputError, match="eval_fraction must be in"):
        split_train_eval(examples, eval_fraction=1.0)


def test_subsample_keeps_everything_without_a_limit():
    examples = generate("Counting", "val", 4)
    assert subsample(examples, None, seed=0) == examples
    assert subsample(examples, 10, seed=0) == examples


def test_parquet_without_required_field(tmp_path):
    (tmp_path / "Counting").mkdir()
    pq.write_table(
        pa.table({"idx": ["1"], "sub_task": ["Counting"]}), tmp_path / "Counting" / "val.parquet"
    )
    with pytest.raises(DataError, match=r"row 1, idx '1': field 'choices' is missing"):
        load_examples(str(tmp_path), ["Counting"], "val")


def _user_registry(tmp_path, images):
    path = tmp_path / "tasks.yaml"
    path.write_text(
        f"My_Task: {{abbrev: MT, images: {images}, choices: 2, level: low, granularity: crop}}"
    )
    return load_registry(path)


def _user_examples(n):
    # Relative_Depth questions (1 image, 2 choices) relabelled as the user's task.
    return [replace(e, sub_task="My_Task") for e in generate("Relative_Depth", "val", n)]


def test_a_user_task_loads_from_a_folder_through_its_registry(tmp_path):
    write_folder(tmp_path / "data", "val", {"My_Task": _user_examples(3)})
    registry = _user_registry(tmp_path, images=1)
    data = load_examples(str(tmp_path / "data"), ["MT"], "val", registry=registry)
    assert list(data) == ["My_Task"]
    assert [e.idx for e in data["My_Task"]] == [f"val_Relative_Depth_{i}" for i in range(3)]
    with pytest.raises(UnknownTaskError, match="Unknown task 'MT'"):
        load_examples(str(tmp_path / "data"), ["MT"], "val")  # the built-in registry
    with pytest.raises(DataError, match="the suite has no generator for task 'My_Task'"):
        load_examples("synthetic", ["My_Task"], "val", registry=registry)


def test_a_user_task_shape_is_checked_from_its_registry(tmp_path):
    write_folder(tmp_path / "data", "val", {"My_Task": _user_examples(1)})
    registry = _user_registry(tmp_path, images=2)
    with pytest.raises(DataError, match="image_2 is missing; My_Task needs 2 image"):
        load_examples(str(tmp_path / "data"), ["My_Task"], "val", registry=registry)


def test_synthetic_difficulty_keys_take_abbreviations():
    by_abbrev = load_examples("synthetic", ["JG"], "val", limit=1, difficulty={"JG": 0.7})
    assert by_abbrev["Jigsaw"][0].meta["difficulty"] == 0.7


def test_names_that_cannot_name_a_file_are_refused(tmp_path):
    write_folder(tmp_path, "val", {"Counting": generate("Counting", "val", 1)})
    with pytest.raises(DataError, match=r"split '../val' cannot name a file"):
        load_examples(str(tmp_path), ["Counting"], "../val")
    with pytest.raises(DataError, match=r"task '../x' cannot name a file"):
        write_folder(tmp_path, "val", {"../x": generate("Counting", "val", 1)})

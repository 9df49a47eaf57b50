import json

from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.data import load_examples
from tasktransfer.data.synthetic import generate

runner = CliRunner()


def test_synth_writes_a_folder_the_loader_reads_back(tmp_path):
    out = tmp_path / "suite"
    result = runner.invoke(
        app,
        [
            "data",
            "synth",
            "--out",
            str(out),
            "--train",
            "4",
            "--val",
            "2",
            "--test",
            "0",
            "--tasks",
            "Counting,Jigsaw",
            "--seed",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "Counting/train.parquet",
        "Counting/val.parquet",
        "Jigsaw/train.parquet",
        "Jigsaw/val.parquet",
    ]
    manifest = json.loads((out / "synthetic.json").read_text())
    assert manifest["seed"] == 5 and manifest["sizes"] == {"train": 4, "val": 2, "test": 0}
    loaded = load_examples(str(out), ["Jigsaw"], "train")["Jigsaw"]
    assert loaded == generate("Jigsaw", "train", 4, seed=5)


def test_stats_counts_choices_and_letter_balance():
    result = runner.invoke(
        app, ["data", "stats", "--tasks", "Counting,Spatial_Relation", "--limit", "8", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["task"]: r for r in json.loads(result.output)}
    assert rows["Counting"] == {
        "task": "Counting",
        "split": "val",
        "n": 8,
        "images": [1],
        "frames": [],
        "choices": [4],
        "answers": {"A": 2, "B": 2, "C": 2, "D": 2},
    }
    assert rows["Spatial_Relation"]["answers"] == {"A": 4, "B": 4}
    table = runner.invoke(app, ["data", "stats", "--tasks", "Counting", "--limit", "4"])
    assert table.exit_code == 0 and "A:1  B:1  C:1  D:1" in table.output


def test_stats_on_a_folder_reads_each_split_it_has_unless_told_one(tmp_path):
    out = tmp_path / "suite"
    args = ["--train", "4", "--val", "2", "--test", "0", "--tasks", "Counting,Jigsaw"]
    assert runner.invoke(app, ["data", "synth", "--out", str(out), *args]).exit_code == 0
    # A sharded split, as a hub snapshot writes it, is one split.
    (out / "Jigsaw" / "val.parquet").rename(out / "Jigsaw" / "val-00000-of-00001.parquet")
    every = runner.invoke(app, ["data", "stats", "--data", str(out), "--json"])
    assert every.exit_code == 0, every.output
    counts = {(r["task"], r["split"]): r["n"] for r in json.loads(every.output)}
    assert counts == {
        ("Counting", "train"): 4,
        ("Counting", "val"): 2,
        ("Jigsaw", "train"): 4,
        ("Jigsaw", "val"): 2,
    }
    # An abbreviation finds its task's folder and reports the task by name.
    short = runner.invoke(app, ["data", "stats", "--data", str(out), "--tasks", "CN", "--json"])
    assert [(r["task"], r["split"]) for r in json.loads(short.output)] == [
        ("Counting", "train"),
        ("Counting", "val"),
    ]
    told = runner.invoke(app, ["data", "stats", "--data", str(out), "--split", "val", "--json"])
    assert {(r["task"], r["split"]) for r in json.loads(told.output)} == {
        ("Counting", "val"),
        ("Jigsaw", "val"),
    }


def test_show_writes_a_contact_sheet(tmp_path):
    from PIL import Image

    out = tmp_path / "sheet.png"
    result = runner.invoke(app, ["data", "show", "Relative_Depth", "--n", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = Image.open(out)
    # Three rows, each at least as tall as a 160 px thumbnail plus padding.
    assert sheet.height >= 3 * 160 and sheet.width > 160


def test_show_takes_an_abbreviation_as_the_other_commands_do(tmp_path):
    from PIL import Image

    by_name, by_abbrev = tmp_path / "name.png", tmp_path / "abbrev.png"
    for task, out in (("Jigsaw", by_name), ("JG", by_abbrev)):
        result = runner.invoke(app, ["data", "show", task, "--n", "2", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "2 Jigsaw examples" in result.output
    assert Image.open(by_name).tobytes() == Image.open(by_abbrev).tobytes()


def test_unknown_task_is_one_clear_error(tmp_path):
    result = runner.invoke(app, ["data", "show", "Jigsw", "--out", str(tmp_path / "x.png")])
    assert result.exit_code != 0
    assert "Did you mean: Jigsaw" in str(result.exception)

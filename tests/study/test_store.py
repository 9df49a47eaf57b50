import csv
import io
import json

from tasktransfer.files import write_atomic, write_json_atomic
from tasktransfer.study.store import (
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    STALE,
    cell_state,
    results_csv_text,
    write_study_tables,
)


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "file.txt"
    write_atomic(path, "one")
    write_atomic(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]


def test_cell_state_follows_the_markers(tmp_path):
    assert cell_state(tmp_path, "k") == PENDING
    write_json_atomic(tmp_path / "running.json", {"pid": 1})
    assert cell_state(tmp_path, "k") == RUNNING
    write_json_atomic(tmp_path / "failed.json", {"error": "x"})
    assert cell_state(tmp_path, "k") == FAILED
    write_json_atomic(tmp_path / "done.json", {"key": "k", "rows": []})
    assert cell_state(tmp_path, "k") == DONE
    assert cell_state(tmp_path, "other inputs") == STALE


def test_results_csv_has_the_design_columns_and_json_answer_counts():
    row = {
        "model": "tiny",
        "run": "seed_0",
        "source": "zero-shot",
        "target": "Counting",
        "n_correct": 3,
        "n_total": 4,
        "answer_counts": {"B": 1, "A": 3},
        "n_unparsed": 0,
        "collapsed": False,
    }
    parsed = list(csv.DictReader(io.StringIO(results_csv_text([row]))))
    assert list(parsed[0]) == [
        "model",
        "run",
        "source",
        "target",
        "n_correct",
        "n_total",
        "answer_counts",
        "n_unparsed",
    ]
    assert json.loads(parsed[0]["answer_counts"]) == {"A": 3, "B": 1}
    assert parsed[0]["n_correct"] == "3"


def test_study_tables_take_only_done_cells_in_plan_order(tmp_path):
    folders = [tmp_path / name for name in ("a", "b", "c")]
    for folder, n in zip(folders, (1, 2, 3), strict=True):
        row = {"model": "m", "run": "r", "source": folder.name, "target": "t", "n_correct": n}
        write_json_atomic(folder / "done.json", {"key": "k", "rows": [row]})
        write_atomic(folder / "predictions.jsonl", json.dumps({"cell": folder.name}) + "\n")
    (folders[1] / "done.json").unlink()  # b was killed before its marker
    assert write_study_tables(tmp_path, folders) == 2
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["source"] for r in rows] == ["a", "c"]
    lines = (tmp_path / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(line)["cell"] for line in lines] == ["a", "c"]

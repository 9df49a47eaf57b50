import csv
import json

import pytest

from tasktransfer.contracts import CellLayout, Prediction, ResultRow, StudyLayout, read_results
from tasktransfer.files import write_atomic, write_json_atomic
from tasktransfer.study.store import (
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    STALE,
    cell_state,
    done_rows,
    write_done,
    write_study_tables,
    write_task_results,
)


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "file.txt"
    write_atomic(path, "one")
    write_atomic(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]


def test_cell_state_follows_the_markers(tmp_path):
    cell = CellLayout(tmp_path)
    assert cell_state(cell, "k") == PENDING
    write_json_atomic(cell.running, {"pid": 1})
    assert cell_state(cell, "k") == RUNNING
    write_json_atomic(cell.failed, {"error": "x"})
    assert cell_state(cell, "k") == FAILED
    write_json_atomic(cell.done, {"key": "k", "rows": []})
    assert cell_state(cell, "k") == DONE
    assert cell_state(cell, "other inputs") == STALE


def _row(source: str, n: int, **extra) -> ResultRow:
    return ResultRow("m", "r", source, "Counting", n, 4, **extra)


def test_a_done_cell_gives_back_its_rows_and_predictions(tmp_path):
    cell = CellLayout(tmp_path / "cell")
    rows = [_row("zero-shot", 3, answer_counts={"A": 3, "B": 1}, n_unparsed=0, collapsed=True)]
    prediction = Prediction("m", "r", "zero-shot", "Counting", "q1", "A", "B", False, {"A": -1.0})
    write_done(cell, name="m/r/zero-shot", key="k", rows=rows, predictions=[prediction], timing={})
    assert done_rows(cell) == rows
    assert json.loads(cell.predictions.read_text())["predicted"] == "B"


def test_study_tables_take_only_done_cells_in_plan_order(tmp_path):
    layout = StudyLayout(tmp_path)
    cells = [layout.cell("m", "r", name) for name in ("a", "b", "c")]
    for cell, n in zip(cells, (1, 2, 3), strict=True):
        p = Prediction("m", "r", cell.folder.name, "Counting", "q", "A", "A", True)
        write_done(
            cell, name="x", key="k", rows=[_row(cell.folder.name, n)], predictions=[p], timing={}
        )
    cells[1].done.unlink()  # b was killed before its marker
    assert write_study_tables(layout, cells) == 2
    assert [r.source for r in read_results(layout.results)] == ["a", "c"]
    lines = layout.predictions.read_text().splitlines()
    assert [json.loads(line)["source"] for line in lines] == ["a", "c"]


def test_results_csv_carries_collapsed_and_task_results_keeps_it(tmp_path):
    layout = StudyLayout(tmp_path)
    cell = layout.cell("m", "r", "mixA")
    rows = [_row("zero-shot", 1, collapsed=False), _row("mixA", 2, collapsed=True)]
    write_done(cell, name="x", key="k", rows=rows, predictions=[], timing={})
    write_study_tables(layout, [cell])
    with layout.results.open(newline="") as f:
        assert [r["collapsed"] for r in csv.DictReader(f)] == ["false", "true"]
    write_task_results(layout, exclude={"mixA"})
    assert read_results(layout.task_results) == [rows[0]]


def test_a_cell_restores_the_callers_torch_thread_count():
    torch = pytest.importorskip("torch")
    from tasktransfer.model.threads import torch_threads

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch_threads(2):
            assert torch.get_num_threads() == 2
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

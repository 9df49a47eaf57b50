"""A cell that fails is reported by name and leaves the study's other cells done.

The Counting cell's finetune raises (patched in this process, so the serial local
executor); the zero-shot and Relative_Depth cells run for real.
"""

import csv
import json

import pytest

from tasktransfer.contracts import StudyLayout
from tasktransfer.study import StudyFailed, cells, load_study_config, run_study
from tasktransfer.study.runner import plan_study

pytestmark = pytest.mark.slow


def test_a_failed_cell_is_named_and_the_others_are_kept(tmp_path, monkeypatch):
    real = cells._finetune_and_evaluate

    def fail_on_counting(cell, config, files):
        if cell.source == "Counting":
            raise RuntimeError("out of memory on Counting")
        return real(cell, config, files)

    monkeypatch.setattr(cells, "_finetune_and_evaluate", fail_on_counting)
    overrides = [
        "tasks=[Relative_Depth, Counting]",
        "seeds=[0]",
        "eval_data.limit=8",
        "train_data.limit=16",
        "finetune.steps=2",
        "finetune.batch_size=4",
        "executor.workers=1",
    ]
    config = load_study_config("quickstart", overrides, output=tmp_path / "study")
    with pytest.raises(StudyFailed, match=r"1 of 3 cells failed") as failed:
        run_study(config, progress=False)
    assert "tiny/seed_0/Counting: RuntimeError('out of memory on Counting')" in str(failed.value)
    layout = StudyLayout(tmp_path / "study")
    files = {cell.source: cell.files(layout) for cell in plan_study(config)}
    recorded = json.loads(files["Counting"].failed.read_text())
    assert "out of memory on Counting" in recorded["error"] and not files["Counting"].done.exists()
    assert files["Relative_Depth"].done.exists() and files[None].done.exists()
    # The table holds what finished: zero-shot and Relative_Depth on both targets.
    rows = list(csv.DictReader(layout.results.open()))
    assert {row["source"] for row in rows} == {"zero-shot", "Relative_Depth"} and len(rows) == 4

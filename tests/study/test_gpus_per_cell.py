"""A cell with ``executor.gpus_per_cell`` >= 2 finetunes in that many processes (gloo here)."""

from __future__ import annotations

import csv
import json

from tasktransfer.contracts import StudyLayout
from tasktransfer.study import StudyConfig, run_study


def test_a_two_process_cell_gives_the_results_of_one(random_model, tmp_path):
    def study(gpus_per_cell, folder):
        return StudyConfig.model_validate(
            {
                "name": "gpus",
                "models": [{"name": random_model}],
                "tasks": ["Relative_Depth", "Counting"],
                "seeds": [0],
                "eval_data": {"split": "val", "limit": 6},
                "train_data": {"split": "train", "limit": 4},
                "finetune": {"steps": 1, "batch_size": 4},
                "executor": {"gpus_per_cell": gpus_per_cell},
                "output": str(tmp_path / folder),
            }
        )

    one, two = (
        run_study(study(0, "one"), progress=False),
        run_study(study(2, "two"), progress=False),
    )
    rows = []
    for folder in ("one", "two"):
        with (tmp_path / folder / "results.csv").open(newline="") as f:
            # The counts: an adapter equal to float tolerance answers the same questions.
            rows.append([list(row.values())[:6] for row in csv.DictReader(f)])
    assert rows[0] == rows[1] and len(rows[0]) == 6
    for outcome, processes in ((one, 1), (two, 2)):
        for cell in (c for c in outcome.cells if c.source is not None):
            adapter = cell.files(StudyLayout(outcome.study_dir)).adapter
            assert json.loads((adapter / "meta.json").read_text())["processes"] == processes

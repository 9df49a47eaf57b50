"""End-to-end studies on the offline tiny model and the synthetic suite.

One small study (2 tasks, 1 seed, a few finetune steps) runs three ways: uninterrupted with
the local executor, killed mid-run and resumed, and on a local Ray cluster. All three must
give the same results table.
"""

import csv
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tasktransfer.contracts import StudyLayout
from tasktransfer.study import load_study_config, run_study

pytestmark = pytest.mark.slow

SMALL = [
    "tasks=[Relative_Depth, Counting]",
    "seeds=[0]",
    "eval_data.limit=24",
    "train_data.limit=64",
    "finetune.steps=12",
    "finetune.batch_size=8",
    "executor.cpus_per_cell=1",
]


def read_results(path: Path) -> list[dict]:
    return sorted(
        csv.DictReader(path.open()), key=lambda r: (r["model"], r["run"], r["source"], r["target"])
    )


@pytest.fixture(scope="module")
def local_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    outcome = run_study(load_study_config("quickstart", SMALL, output=out), progress=False)
    return out, outcome


def test_results_table_matches_the_predictions_and_the_analysis(local_study):
    out, outcome = local_study
    results = read_results(out / "results.csv")
    # 1 run x (zero-shot + 2 sources) x 2 targets
    assert len(results) == 6
    assert {r["source"] for r in results} == {"zero-shot", "Relative_Depth", "Counting"}
    assert len(outcome.ran) == 3 and not outcome.skipped

    predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    by_cell: dict[tuple, list] = {}
    for p in predictions:
        by_cell.setdefault((p["source"], p["target"]), []).append(p)
    for row in results:
        preds = by_cell[(row["source"], row["target"])]
        assert int(row["n_total"]) == len(preds) == 24
        assert int(row["n_correct"]) == sum(
            p["predicted"] == p["answer"].strip("()") for p in preds
        )
        counts = Counter(p["predicted"] for p in preds if p["predicted"] is not None)
        answer_counts = json.loads(row["answer_counts"])
        assert {letter: n for letter, n in answer_counts.items() if n} == dict(counts)

    # The analysis reads the same table: recompute the PGF matrix by hand.
    analysis = json.loads((out / "analysis" / "analysis.json").read_text())
    model = analysis["models"]["tiny"]
    acc = {(r["source"], r["target"]): int(r["n_correct"]) / int(r["n_total"]) for r in results}
    for i, source in enumerate(model["tasks"]):
        for j, target in enumerate(model["tasks"]):
            acc0 = acc[("zero-shot", target)]
            expected = (acc[(source, target)] - acc0) / (1 - acc0)
            assert model["pgf_mean"][i][j] == pytest.approx(expected, abs=1e-12)
    assert outcome.report == out / "analysis" / "report.html" and outcome.report.exists()


def test_a_second_run_skips_every_done_cell(local_study):
    out, _ = local_study
    before = {p: p.stat().st_mtime_ns for p in out.glob("cells/**/done.json")}
    again = run_study(load_study_config("quickstart", SMALL, output=out), progress=False)
    assert not again.ran and len(again.skipped) == 3
    assert {p: p.stat().st_mtime_ns for p in out.glob("cells/**/done.json")} == before


def test_a_killed_study_resumes_without_redoing_finished_cells(tmp_path, local_study):
    # One cell at a time: a worker process of executor.workers=2 outlives its killed parent
    # and may finish its cell, so which cells are done after the kill would be a race.
    command = [sys.executable, "-m", "tasktransfer", "run", "quickstart", *SMALL]
    command += ["executor.workers=1", "--out", str(tmp_path), "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    # Kill (SIGKILL: no cleanup) as soon as the first finetune cell is done.
    while not list(tmp_path.glob("cells/*/seed_0/Relative_Depth/done.json")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.glob("cells/**/done.json")
    }
    assert process.returncode == -signal.SIGKILL
    assert len(finished) == 2  # zero-shot and Relative_Depth; Counting was cut short

    resumed = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"{len(finished)} already done" in resumed.stdout
    for path, (mtime, content) in finished.items():
        assert (path.stat().st_mtime_ns, path.read_bytes()) == (mtime, content)
    assert read_results(tmp_path / "results.csv") == read_results(local_study[0] / "results.csv")


def test_ray_executor_gives_the_same_results_as_local(tmp_path, local_study):
    ray = pytest.importorskip("ray")
    config = load_study_config("quickstart", [*SMALL, "executor.kind=ray"], output=tmp_path)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        run_study(config, progress=False)
    finally:
        ray.shutdown()
    assert read_results(tmp_path / "results.csv") == read_results(local_study[0] / "results.csv")


def test_cells_side_by_side_on_more_threads_give_the_same_results(tmp_path, local_study):
    # Two worker processes with two threads each: the tiny model pins its own one thread,
    # so neither the executor nor the thread count moves a result.
    overrides = [*SMALL, "executor.workers=2", "executor.cpus_per_cell=2"]
    outcome = run_study(load_study_config("quickstart", overrides, output=tmp_path), progress=False)
    assert len(outcome.ran) == 3
    assert read_results(tmp_path / "results.csv") == read_results(local_study[0] / "results.csv")
    predictions = StudyLayout(tmp_path).predictions.read_bytes()
    assert predictions == StudyLayout(local_study[0]).predictions.read_bytes()


def test_a_cell_trains_at_the_configured_difficulty(tmp_path):
    from tasktransfer.data import fingerprint, load_examples
    from tasktransfer.model import prepare_models
    from tasktransfer.study.cells import run_cell
    from tasktransfer.study.runner import plan_study

    overrides = ["tasks=[Counting]", "train_data.limit=8", "train_data.difficulty=0.5"]
    overrides += ["eval_data.limit=4", "finetune.steps=1"]
    config = load_study_config("quickstart", [*SMALL, *overrides], output=tmp_path)
    cell = next(cell for cell in plan_study(config) if cell.source == "Counting")
    prepare_models([cell.model], progress=False)  # as run_study does before any cell
    run_cell(cell, config, tmp_path)
    trained = json.loads((cell.files(StudyLayout(tmp_path)).adapter / "meta.json").read_text())
    harder = load_examples("synthetic", ["Counting"], "train", limit=8, difficulty=0.5)
    assert trained["data"]["fingerprint"] == fingerprint(harder["Counting"])

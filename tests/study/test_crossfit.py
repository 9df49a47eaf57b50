"""The cross-fit protocol: folds by a hash of idx, disjoint training and evaluation, sums.

One small cross-fit study (the quickstart with ``protocol.kind=crossfit``: 2 tasks, 1 seed,
16 questions per task, 2 folds, 3 finetune steps) runs once with the local executor; the
tests read its folder: every total is the whole split, no cell evaluates a question it
trained on, ``results.csv`` is the per-fold table summed, and resume and Ray agree.
"""

import csv
import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tasktransfer.contracts import StudyLayout, read_predictions, read_results
from tasktransfer.data import load_examples
from tasktransfer.errors import InputError
from tasktransfer.study import load_study_config, run_study
from tasktransfer.study.crossfit import fold_of, split_fold
from tasktransfer.study.runner import plan_study, write_tables

TASKS = ["Relative_Depth", "Counting"]
QUESTIONS = 16
CROSSFIT = [
    "protocol.kind=crossfit",
    "protocol.min_train=4",
    f"tasks=[{', '.join(TASKS)}]",
    "seeds=[0]",
    f"eval_data.limit={QUESTIONS}",
    "finetune.steps=3",
    "finetune.batch_size=4",
    "executor.workers=1",
]


def by_hand(idx: str, folds: int) -> int:
    # The documented rule, written out: the first 8 bytes of SHA-256(idx), big-endian, mod K.
    return int(hashlib.sha256(idx.encode()).hexdigest()[:16], 16) % folds


def test_a_question_falls_in_the_fold_its_id_hashes_to():
    ids = [f"val_Counting_{i}" for i in range(40)]
    assert [fold_of(i, 3) for i in ids] == [by_hand(i, 3) for i in ids]
    assert set(fold_of(i, 3) for i in ids) == {0, 1, 2}


def test_the_folds_partition_a_split():
    questions = load_examples("synthetic", ["Counting"], "val", limit=30)["Counting"]
    held_out = []
    for fold in range(3):
        train, inside = split_fold(questions, fold, 3)
        assert {e.idx for e in train} | {e.idx for e in inside} == {e.idx for e in questions}
        assert not {e.idx for e in train} & {e.idx for e in inside}
        held_out += [e.idx for e in inside]
    assert sorted(held_out) == sorted(e.idx for e in questions)  # each question in one fold


def test_a_fold_with_too_few_training_questions_is_refused_with_its_counts():
    config = load_study_config(
        "quickstart", [*CROSSFIT, "eval_data.limit=10", "protocol.min_train=8"]
    )
    questions = load_examples("synthetic", ["Relative_Depth"], "val", limit=10)["Relative_Depth"]
    outside = [sum(by_hand(e.idx, 2) != fold for e in questions) for fold in (0, 1)]
    fold = 0 if outside[0] < 8 else 1  # two folds of 10 questions: one has at most 5 outside
    with pytest.raises(InputError) as err:
        plan_study(config)
    message = str(err.value)
    assert f"source Relative_Depth has {outside[fold]} training questions" in message
    assert f"outside fold {fold} of 2" in message and "protocol.min_train=8" in message


def test_crossfit_refuses_mixtures_and_standard_needs_training_data():
    with pytest.raises(InputError, match="mixtures and selection sample train_data"):
        load_study_config("quickstart", [*CROSSFIT, "mixtures={m: {Counting: 4}}"])
    with pytest.raises(InputError, match="train_data is required under protocol standard"):
        load_study_config("quickstart", ["train_data=null"])
    assert load_study_config("quickstart", [*CROSSFIT, "train_data=null"]).train_data is None


def test_crossfit_plans_one_cell_per_source_and_fold():
    config = load_study_config("quickstart", [*CROSSFIT, "protocol.folds=3", "eval_data.limit=40"])
    names = [cell.name for cell in plan_study(config)]
    assert names == [
        "tiny/seed_0/zero-shot",
        *(f"tiny/seed_0/{task}/fold_{k}" for task in TASKS for k in range(3)),
    ]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("crossfit")
    outcome = run_study(load_study_config("quickstart", CROSSFIT, output=out), progress=False)
    return out, outcome


def test_every_target_total_is_its_whole_split(study):
    out, outcome = study
    assert len(outcome.ran) == 1 + 2 * len(TASKS)  # zero-shot, then two folds per source
    rows = read_results(StudyLayout(out).results)
    assert {(r.source, r.target) for r in rows} == {
        (s, t) for s in ("zero-shot", *TASKS) for t in TASKS
    }
    assert all(r.n_total == QUESTIONS and r.fold is None for r in rows)


def test_no_cell_evaluates_a_question_it_trained_on(study):
    out, _ = study
    split = load_examples("synthetic", TASKS, "val", limit=QUESTIONS)
    for source in TASKS:
        for fold in (0, 1):
            cell = StudyLayout(out).cell("tiny", "seed_0", source, fold=fold)
            trained = json.loads(cell.train_questions.read_text())
            answered = Counter(p.idx for p in read_predictions(cell.predictions))
            assert set(trained) == {source}
            assert not set(trained[source]) & set(answered)
            # What the fold holds out of the source is exactly what it trained without.
            held_out = {e.idx for e in split[source]} - set(trained[source])
            assert {p.idx for p in read_predictions(cell.predictions) if p.target == source} == (
                held_out
            )
            assert {p.fold for p in read_predictions(cell.predictions)} == {fold}


def test_results_are_the_fold_rows_summed_and_each_question_answered_once(study):
    out, _ = study
    layout = StudyLayout(out)
    summed = {(r.source, r.target): r for r in read_results(layout.results)}
    per_fold = read_results(layout.results_folds)
    assert {r.fold for r in per_fold} == {0, 1}
    for (source, target), row in summed.items():
        if source == "zero-shot":
            continue
        folds = [r for r in per_fold if (r.source, r.target) == (source, target)]
        assert row.n_correct == sum(r.n_correct for r in folds)
        assert row.n_total == sum(r.n_total for r in folds)
        letters = sum((Counter(r.answer_counts) for r in folds), Counter())
        assert {k: n for k, n in row.answer_counts.items() if n} == dict(+letters)
        mass = sum(r.letter_mass * r.n_total for r in folds) / row.n_total
        assert row.letter_mass == pytest.approx(mass, rel=1e-12)
    answered = Counter((p.source, p.target, p.idx) for p in read_predictions(layout.predictions))
    assert set(answered.values()) == {1}
    assert len(answered) == (1 + len(TASKS)) * len(TASKS) * QUESTIONS


def test_the_analysis_reads_the_summed_rows(study):
    out, _ = study
    acc = {
        (r["source"], r["target"]): int(r["n_correct"]) / int(r["n_total"])
        for r in csv.DictReader((out / "results.csv").open())
    }
    model = json.loads((out / "analysis" / "analysis.json").read_text())["models"]["tiny"]
    for i, source in enumerate(model["tasks"]):
        for j, target in enumerate(model["tasks"]):
            acc0 = acc[("zero-shot", target)]
            expected = (acc[(source, target)] - acc0) / (1 - acc0)
            assert model["pgf_mean"][i][j] == pytest.approx(expected, abs=1e-12)


def test_the_report_states_the_protocol(study):
    out, _ = study
    study_json = json.loads((out / "analysis" / "study.json").read_text())
    assert study_json["protocol"].startswith("Protocol: cross-fit, 2 folds.")
    assert study_json["protocol"] in (out / "analysis" / "summary.md").read_text()


def test_a_study_missing_one_fold_resumes_it_alone(study, tmp_path):
    out, _ = study
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    layout = StudyLayout(tmp_path)
    layout.cell("tiny", "seed_0", "Counting", fold=1).done.unlink()  # killed before its marker
    config = load_study_config("quickstart", CROSSFIT, output=tmp_path)
    outcome = run_study(config, progress=False)
    assert outcome.ran == ["tiny/seed_0/Counting/fold_1"]
    assert layout.results.read_bytes() == StudyLayout(out).results.read_bytes()
    assert layout.results_folds.read_bytes() == StudyLayout(out).results_folds.read_bytes()


def test_an_unfinished_source_has_no_summed_rows_yet(study, tmp_path):
    out, _ = study
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    StudyLayout(tmp_path).cell("tiny", "seed_0", "Counting", fold=0).done.unlink()
    config = load_study_config("quickstart", CROSSFIT, output=tmp_path)
    write_tables(config, StudyLayout(tmp_path), plan_study(config))
    rows = read_results(StudyLayout(tmp_path).results)
    assert {r.source for r in rows} == {"zero-shot", "Relative_Depth"}
    assert {(r.source, r.fold) for r in read_results(StudyLayout(tmp_path).results_folds)} == {
        ("Relative_Depth", 0),
        ("Relative_Depth", 1),
        ("Counting", 1),
    }


@pytest.mark.slow
def test_ray_gives_the_results_of_the_local_executor(study, tmp_path):
    ray = pytest.importorskip("ray")
    config = load_study_config("quickstart", [*CROSSFIT, "executor.kind=ray"], output=tmp_path)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        run_study(config, progress=False, analyse=False)
    finally:
        ray.shutdown()
    out, _ = study
    for table in ("results", "results_folds"):
        mine = getattr(StudyLayout(tmp_path), table).read_bytes()
        assert mine == getattr(StudyLayout(out), table).read_bytes()


@pytest.mark.parametrize("size", ["3b", "7b", "32b"])
def test_the_shipped_crossfit_configs_are_the_paper_configs_on_blink_alone(size):
    crossfit = load_study_config(f"blink-qwen2.5-vl-{size}-crossfit")
    paper = load_study_config(f"blink-qwen2.5-vl-{size}")
    assert (crossfit.protocol.kind, crossfit.protocol.folds) == ("crossfit", 2)
    assert crossfit.train_data is None and crossfit.eval_data == paper.eval_data
    differ = {"name", "output", "protocol", "train_data"}
    same = paper.model_dump(exclude=differ) == crossfit.model_dump(exclude=differ)
    assert same  # models, tasks, seeds, finetune, evaluation and executor as the paper's

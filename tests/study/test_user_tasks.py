"""A study on a user's own task: ``tasks_file:`` in the config, data from a local folder."""

from __future__ import annotations

import csv
import json
import pickle
from dataclasses import replace

import pytest
from pydantic import ValidationError

from tasktransfer.data.folder import write_folder
from tasktransfer.data.synthetic import generate
from tasktransfer.study import StudyConfig, run_study

# A new task (name, abbreviation, shape, labels) and a relabelled built-in one.
TASKS_YAML = (
    "My_Task: {abbrev: MT, images: 1, choices: 2, level: mid, granularity: crop}\n"
    "Relative_Depth: {level: mid}\n"
)


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text(TASKS_YAML)
    return path


def my_task_examples(split: str, n: int):
    """``n`` questions of My_Task: Spatial_Relation's (1 image, 2 choices), renamed."""
    return [
        replace(e, idx=f"my_{split}_{i}", sub_task="My_Task")
        for i, e in enumerate(generate("Spatial_Relation", split, n))
    ]


@pytest.fixture
def data_folder(tmp_path):
    """A folder in the BLINK schema: My_Task and Relative_Depth, 4 train and 4 val each."""
    root = tmp_path / "data"
    for split in ("train", "val"):
        write_folder(
            root,
            split,
            {"My_Task": my_task_examples(split, 4), "Relative_Depth": generate("RD", split, 4)},
        )
    return root


def study(tasks_file, data_folder, **changes) -> dict:
    return {
        "name": "user-tasks",
        "models": [{"name": "tiny"}],
        "tasks_file": str(tasks_file),
        "tasks": ["MT", "Relative_Depth"],
        "seeds": [0],
        "eval_data": {"source": str(data_folder), "split": "val"},
        "train_data": {"source": str(data_folder), "split": "train"},
        **changes,
    }


def test_the_tasks_file_names_every_task_of_the_study(tasks_file, data_folder):
    config = StudyConfig.model_validate(
        study(
            tasks_file,
            data_folder,
            mixtures={"both": {"MT": 2, "RD": 1}},
            selection={"targets": ["mt"], "budget": 2, "pgf_from": "x"},
        )
    )
    assert config.tasks == ["My_Task", "Relative_Depth"]
    assert config.mixtures["both"].mixture == {"My_Task": 2, "Relative_Depth": 1}
    assert config.selection.targets == ["My_Task"]
    assert (config.registry["My_Task"].abbrev, config.registry["My_Task"].choices) == ("MT", 2)
    assert config.registry["Relative_Depth"].provenance["level"] == "user"
    # The data sections read through the study's registry.
    loaded = config.train_data.load(["MT"])
    assert [e.idx for e in loaded["My_Task"]] == [f"my_train_{i}" for i in range(4)]
    assert [e.sub_task for e in config.train_data.sample({"MT": 2}, seed=0)] == ["My_Task"] * 2
    # The keyword constructor and a pickle (the Ray executor's) keep the registry too.
    assert StudyConfig(**study(tasks_file, data_folder)).registry == config.registry
    assert pickle.loads(pickle.dumps(config)).train_data.load(["MT"]).keys() == {"My_Task"}


def test_without_the_tasks_file_the_user_task_is_unknown(tasks_file, data_folder):
    data = study(tasks_file, data_folder)
    del data["tasks_file"]
    with pytest.raises(ValidationError, match=r"tasks\n.*Unknown task 'MT'"):
        StudyConfig.model_validate(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"no tasks file '.*nothing.yaml'"),
        ("New_Task: {abbrev: NT}", r"tasks.yaml: task 'New_Task': .*missing"),
        ("Counting: {images: 3}", r"cannot set \['images'\]"),
    ],
)
def test_a_bad_tasks_file_is_reported_at_the_field(tmp_path, data_folder, text, message):
    path = tmp_path / ("nothing.yaml" if text is None else "tasks.yaml")
    if text is not None:
        path.write_text(text)
    with pytest.raises(ValidationError, match=r"tasks_file\n.*" + message):
        StudyConfig.model_validate(study(path, data_folder))


def test_a_relative_tasks_file_is_read_from_the_working_directory(
    tasks_file, data_folder, monkeypatch
):
    monkeypatch.chdir(tasks_file.parent)
    config = StudyConfig.model_validate(study("tasks.yaml", data_folder))
    assert config.tasks_file == tasks_file.resolve()  # recorded absolute for the workers
    assert "My_Task" in config.registry


def test_a_mixture_label_cannot_be_a_user_task_abbreviation(tasks_file, data_folder):
    with pytest.raises(ValidationError, match="mixture label 'MT' is taken by a task"):
        StudyConfig.model_validate(study(tasks_file, data_folder, mixtures={"MT": {"RD": 1}}))


@pytest.mark.slow
def test_a_study_on_a_user_task_runs_end_to_end(tasks_file, data_folder, tmp_path):
    config = StudyConfig.model_validate(
        study(
            tasks_file,
            data_folder,
            output=str(tmp_path / "study"),
            finetune={"steps": 2, "batch_size": 2},
        )
    )
    outcome = run_study(config, progress=False)
    assert len(outcome.ran) == 3  # zero-shot, My_Task, Relative_Depth
    rows = list(csv.DictReader((tmp_path / "study" / "results.csv").open()))
    pairs = {(r["source"], r["target"]) for r in rows}
    sources = ("zero-shot", "My_Task", "Relative_Depth")
    assert pairs == {(s, t) for s in sources for t in ("My_Task", "Relative_Depth")}
    predictions = [json.loads(line) for line in (tmp_path / "study" / "predictions.jsonl").open()]
    for row in rows:
        mine = [
            p for p in predictions if (p["source"], p["target"]) == (row["source"], row["target"])
        ]
        # Every question of the folder's val split, each scored once.
        prefix = "my_val_" if row["target"] == "My_Task" else "val_Relative_Depth_"
        assert sorted(p["idx"] for p in mine) == [f"{prefix}{i}" for i in range(4)]
        assert int(row["n_total"]) == 4
        assert int(row["n_correct"]) == sum(p["correct"] for p in mine)
    # The study's analysis knows the task through the same file.
    analysis = json.loads((tmp_path / "study" / "analysis" / "analysis.json").read_text())
    assert sorted(analysis["models"]["tiny"]["tasks"]) == ["My_Task", "Relative_Depth"]


def test_the_selection_section_plans_mixtures_of_user_tasks(tasks_file, data_folder, tmp_path):
    from tasktransfer.study.selection import plan_selection

    # A measured PGF matrix on the user task: finetuning on Relative_Depth helps My_Task.
    table = tmp_path / "pgf.csv"
    table.write_text(
        "model,run,source,target,n_correct,n_total\n"
        "tiny,seed_0,zero-shot,My_Task,5,10\n"
        "tiny,seed_0,zero-shot,Relative_Depth,5,10\n"
        "tiny,seed_0,Relative_Depth,My_Task,8,10\n"
        "tiny,seed_0,Relative_Depth,Relative_Depth,9,10\n"
        "tiny,seed_0,My_Task,My_Task,9,10\n"
        "tiny,seed_0,My_Task,Relative_Depth,5,10\n"
    )
    selection = {"targets": ["MT"], "budget": 4, "pgf_from": str(table), "random_mixtures": 1}
    config = StudyConfig.model_validate(study(tasks_file, data_folder, selection=selection))
    plan = plan_selection(config)
    assert plan.mixtures["direct-MT"].mixture == {"My_Task": 4}
    assert plan.mixtures["guided-MT"].mixture == {"Relative_Depth": 4}
    assert plan.arms["My_Task"] == {
        "direct": ["direct-MT"],
        "guided": ["guided-MT"],
        "random": ["random-MT-0"],
    }


def test_finetune_and_evaluate_commands_take_the_tasks_file(
    tasks_file, data_folder, random_model, tmp_path
):
    from typer.testing import CliRunner

    from tasktransfer.cli import app
    from tasktransfer.contracts import read_results

    runner = CliRunner()
    common = ["--model", random_model, "--data", str(data_folder), "--labels", str(tasks_file)]
    adapter = tmp_path / "adapter"
    args = ["finetune", "--task", "MT", *common, "--steps", "1", "--out", str(adapter)]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads((adapter / "meta.json").read_text())["task"] == "My_Task"
    out = tmp_path / "eval"
    args = ["evaluate", "--tasks", "MT", *common, "--adapter", f"My_Task={adapter}"]
    result = runner.invoke(app, [*args, "--with-base", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = read_results(out / "rows.csv")
    assert [(r.source, r.target, r.n_total) for r in rows] == [
        ("zero-shot", "My_Task", 4),
        ("My_Task", "My_Task", 4),
    ]
    # Without the file the task is unknown, said in one sentence.
    result = runner.invoke(app, ["evaluate", "--tasks", "MT", "--out", str(out)])
    assert result.exit_code != 0 and "Unknown task 'MT'" in str(result.exception)

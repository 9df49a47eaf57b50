"""``tasktransfer evaluate``: wiring (library call patched) and one real run on a tiny model."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

import tasktransfer.model as model_package
from tasktransfer.cli import app
from tasktransfer.model import EvalResult
from tasktransfer.model.tiny import build_tiny_llava

runner = CliRunner()


@pytest.fixture
def captured(monkeypatch):
    """Replace the library calls; record what the command passed to them."""
    calls = {}
    prepare = lambda models, progress: calls.update(prepared=models)  # noqa: E731
    monkeypatch.setattr(model_package, "prepare_models", prepare)

    def fake_evaluate(model, examples_by_task, *, adapters, config, progress):
        calls.update(model=model, tasks=examples_by_task, adapters=adapters, config=config)
        rows = [
            {
                "adapter": label,
                "target": task,
                "n_correct": 1,
                "n_total": len(examples),
                "answer_counts": {"A": len(examples)},
                "n_unparsed": 0,
                "collapsed": False,
            }
            for label in adapters
            for task, examples in examples_by_task.items()
        ]
        return EvalResult(predictions=[], rows=rows, meta={})

    monkeypatch.setattr(model_package, "evaluate", fake_evaluate)
    return calls


def test_options_reach_the_library_call(captured, tmp_path):
    args = [
        "evaluate",
        "--tasks", "CN,Relative_Depth",
        "--adapter", str(tmp_path / "counting"),
        "--adapter", f"other={tmp_path / 'x'}",
        "--with-base",
        "--limit", "2",
        "--mode", "generate",
        "--max-new-tokens", "4",
        "--set", "share_image_features=false",
        "--image-max-pixels", "4096",
        "--out", str(tmp_path / "out"),
        "--no-progress",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert captured["adapters"] == {
        "zero-shot": None,
        "counting": tmp_path / "counting",
        "other": tmp_path / "x",
    }
    assert sorted(captured["tasks"]) == ["Counting", "Relative_Depth"]
    assert all(len(v) == 2 for v in captured["tasks"].values())
    config = captured["config"]
    assert (config.mode, config.max_new_tokens, config.share_image_features) == (
        "generate",
        4,
        False,
    )
    assert captured["model"].image_max_pixels == 4096
    with (tmp_path / "out" / "rows.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 6  # 3 states x 2 tasks
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert (meta["data_source"], meta["split"], meta["limit"]) == ("synthetic", "val", 2)


def test_without_adapters_the_base_is_evaluated(captured, tmp_path):
    args = ["evaluate", "--tasks", "Counting", "--limit", "1", "--out", str(tmp_path), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert captured["adapters"] == {"zero-shot": None}
    assert captured["prepared"] == [captured["model"]]  # the tiny base is built first
    row = json.loads(result.output)[0]
    assert (row["model"], row["run"], row["source"]) == ("tiny", "seed_0", "zero-shot")


def test_bad_adapter_spec_is_an_input_error(captured, tmp_path):
    args = ["evaluate", "--tasks", "Counting", "--adapter", "=x", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "expected DIR or LABEL=DIR" in str(result.exception)


def test_a_real_run_on_a_tiny_model(tmp_path):
    model, processor = build_tiny_llava(seed=0)
    model.save_pretrained(tmp_path / "m")
    processor.save_pretrained(tmp_path / "m")
    args = [
        "evaluate", "--model", str(tmp_path / "m"), "--tasks", "Counting,Relative_Depth",
        "--limit", "3", "--out", str(tmp_path / "out"), "--no-progress",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()
    predictions = [json.loads(line) for line in lines]
    assert len(predictions) == 6
    assert {p["target"] for p in predictions} == {"Counting", "Relative_Depth"}
    assert all(p["predicted"] in p["scores"] for p in predictions)
    assert "Counting" in result.output and "Relative_Depth" in result.output


def test_set_reaches_any_evaluation_field(captured, tmp_path):
    args = ["evaluate", "--tasks", "CN", "--limit", "1", "--batch-size", "4",
            "--set", "collapse_share=0.75", "--set", "evaluation.batch_size=2",
            "--set", "model.attn_implementation=eager", "--out", str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (captured["config"].collapse_share, captured["config"].batch_size) == (0.75, 2)
    assert captured["model"].attn_implementation == "eager"


def test_a_bad_setting_names_its_key(captured, tmp_path):
    args = ["evaluate", "--tasks", "CN", "--set", "collapse_share=0.4", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "config" not in captured
    assert "evaluation.collapse_share: Input should be greater than 0.5" in str(result.exception)


def test_without_tasks_every_task_is_evaluated(captured, tmp_path):
    result = runner.invoke(app, ["evaluate", "--limit", "1", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    # Every task of the default source (the synthetic image suite), not the video targets.
    from tasktransfer.data.loaders import default_tasks

    assert sorted(captured["tasks"]) == sorted(default_tasks("synthetic"))

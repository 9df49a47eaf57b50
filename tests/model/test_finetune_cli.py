"""`tasktransfer finetune` and `tasktransfer model tiny-base`: wiring (library calls patched)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import tasktransfer.model
import tasktransfer.model.tiny_base
from tasktransfer.cli import app
from tasktransfer.errors import InputError
from tasktransfer.model import FinetuneConfig


def _prepared(monkeypatch) -> list:
    """Record the models the command prepares, instead of building the tiny base."""
    prepared = []
    monkeypatch.setattr(
        tasktransfer.model, "prepare_models", lambda m, progress: prepared.extend(m)
    )
    return prepared


def test_finetune_passes_task_seed_and_overrides(monkeypatch, tmp_path):
    calls = {}

    def fake_finetune(model, examples, out, *, config, seed, overwrite, progress, extra_meta):
        calls.update(model=model, n=len(examples), out=out, config=config, seed=seed,
                     meta=extra_meta)  # fmt: skip
        return out

    monkeypatch.setattr(tasktransfer.model, "finetune", fake_finetune)
    prepared = _prepared(monkeypatch)
    result = CliRunner().invoke(
        app,
        ["finetune", "--task", "RD", "--run", "seed_3", "--limit", "8", "--steps", "5",
         "--out", str(tmp_path / "ft")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert calls["seed"] == 3 and calls["n"] == 8
    assert calls["config"] == FinetuneConfig.from_preset("tiny", steps=5)
    assert calls["meta"]["task"] == "Relative_Depth" and calls["meta"]["run"] == "seed_3"
    assert calls["model"].name == "tiny"
    assert prepared == [calls["model"]]  # the base is built before the finetune loads it


def test_hub_models_default_to_language_model_lora(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(
        tasktransfer.model, "finetune", lambda *a, config, **k: seen.setdefault("c", config)
    )
    _prepared(monkeypatch)
    result = CliRunner().invoke(
        app,
        ["finetune", "--task", "Counting", "--model", "Qwen/Qwen2.5-VL-3B-Instruct",
         "--limit", "4", "--out", str(tmp_path / "ft")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen["c"] == FinetuneConfig()
    assert seen["c"].method == "lora" and not seen["c"].tune_vision_tower


def test_tiny_base_refuses_a_busy_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(tasktransfer.model, "build_tiny_base", lambda out: out)
    (tmp_path / "x").write_text("busy")
    result = CliRunner().invoke(app, ["model", "tiny-base", "--out", str(tmp_path)])
    assert result.exit_code != 0
    result = CliRunner().invoke(app, ["model", "tiny-base", "--out", str(tmp_path / "new")])
    assert result.exit_code == 0 and "tiny base written" in result.output


def test_tiny_base_without_out_builds_the_cached_base_once(monkeypatch, tmp_path):
    monkeypatch.setenv("TASKTRANSFER_CACHE", str(tmp_path))
    built = []

    def fake_build(out, *, recipe, progress):
        built.append(out)
        out.mkdir()
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(tasktransfer.model.tiny_base, "build_tiny_base", fake_build)
    for _ in range(2):
        result = CliRunner().invoke(app, ["model", "tiny-base"])
        assert result.exit_code == 0, result.output
    assert built == [tasktransfer.model.tiny_base_path()]
    assert str(built[0]) in result.output.replace("\n", "")


def _config_of(monkeypatch, args):
    """The FinetuneConfig and ModelConfig that `finetune ARGS` passes to the library."""
    seen = {}
    monkeypatch.setattr(
        tasktransfer.model,
        "finetune",
        lambda model, *a, config, **k: seen.update(config=config, model=model),
    )
    monkeypatch.setattr(tasktransfer.model, "prepare_models", lambda models, progress: None)
    result = CliRunner().invoke(app, ["finetune", "--task", "CN", "--limit", "2", *args])
    return result, seen


def test_set_reaches_any_field_over_the_flags(monkeypatch, tmp_path):
    args = ["--steps", "5", "--lr", "0.01", "--set", "lora_rank=8",
            "--set", "finetune.grad_accum=2", "--set", "steps=7", "--set", "model.dtype=float32",
            "--out", str(tmp_path)]  # fmt: skip
    result, seen = _config_of(monkeypatch, args)
    assert result.exit_code == 0, result.output
    expected = FinetuneConfig.from_preset("tiny", steps=7, learning_rate=0.01, lora_rank=8,
                                          grad_accum=2)  # fmt: skip
    assert seen["config"] == expected  # --set is applied after --steps
    assert seen["model"].dtype == "float32"


def test_set_values_are_read_as_yaml(monkeypatch, tmp_path):
    args = ["--set", "tune_vision_tower=false", "--set", "max_grad_norm=null",
            "--set", "epochs=0.5", "--out", str(tmp_path)]  # fmt: skip
    result, seen = _config_of(monkeypatch, args)
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert (config.tune_vision_tower, config.max_grad_norm) == (False, None)
    assert (config.epochs, config.steps) == (0.5, None)  # epochs alone replaces the steps


@pytest.mark.parametrize(
    "setting, message",
    [
        ("lrr=0.1", "finetune.lrr: Extra inputs are not permitted"),
        ("steps=many", "finetune.steps: Input should be a valid integer"),
        ("lora_dropout=1.5", "finetune.lora_dropout: Input should be less than 1"),
        ("model.dtype=float64", "model.dtype: Input should be 'bfloat16', 'float16' or"),
        ("optimizer.lr=1", "--set optimizer.…: no such section"),
        ("steps", "Override 'finetune.steps' is not of the form key=value."),
    ],
)
def test_a_bad_setting_is_one_input_error_naming_it(monkeypatch, tmp_path, setting, message):
    result, seen = _config_of(monkeypatch, ["--set", setting, "--out", str(tmp_path)])
    assert result.exit_code != 0 and not seen
    assert isinstance(result.exception, InputError)
    assert message in str(result.exception)


def test_an_unknown_key_lists_the_settings(monkeypatch, tmp_path):
    result, _ = _config_of(monkeypatch, ["--set", "lrr=0.1", "--out", str(tmp_path)])
    assert "finetune settings are: method, lora_rank," in str(result.exception)
    assert "learning_rate" in str(result.exception)


def test_set_errors_read_as_a_study_override_does(monkeypatch, tmp_path):
    # One parser and one message for a bad key, whether it comes from --set or `run`.
    from tasktransfer.study.config import load_study_config

    with pytest.raises(InputError) as study:
        load_study_config("quickstart", ["finetune.lrr=0.1"])
    result, _ = _config_of(monkeypatch, ["--set", "lrr=0.1", "--out", str(tmp_path)])
    line = "  finetune.lrr: Extra inputs are not permitted"
    assert line in str(study.value).splitlines()
    assert line in str(result.exception).splitlines()

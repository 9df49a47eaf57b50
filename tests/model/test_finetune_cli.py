"""`tasktransfer finetune` and `tasktransfer model tiny-base`: wiring (library calls patched)."""

from __future__ import annotations

from typer.testing import CliRunner

import tasktransfer.model
import tasktransfer.model.tiny_base
from tasktransfer.cli import app
from tasktransfer.model import FinetuneConfig


def _prepared(monkeypatch) -> list:
    """Record the models the command prepares, instead of building the tiny base."""
    prepared = []
    monkeypatch.setattr(tasktransfer.model, "prepare_models", prepared.extend)
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

"""Normal runs hide the Hugging Face libraries' progress bars and warnings; --verbose shows them.

transformers draws a tqdm bar per model load ("Loading weights") and save ("Writing model
shards"). The commands run on a random-weight tiny LLaVA folder (the ``random_model``
fixture): a real load and a real full-model save, in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.cli.quiet import QUIET_ENV, quiet_libraries

transformers_logging = pytest.importorskip("transformers.utils.logging")

BARS = ("Loading weights", "Writing model shards")


def _evaluate(model: str, out, *flags: str):
    args = [*flags, "evaluate", "--model", model, "--tasks", "Counting", "--limit", "2"]
    return CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])


def _finetune(model: str, out, *flags: str):
    args = [*flags, "finetune", "--model", model, "--task", "Counting", "--limit", "2"]
    args += ["--method", "full", "--steps", "1", "--batch-size", "2", "--no-progress"]
    return CliRunner().invoke(app, [*args, "--out", str(out)])


def test_a_normal_run_shows_no_library_bars(random_model, tmp_path):
    for result in (
        _evaluate(random_model, tmp_path / "eval"),
        _finetune(random_model, tmp_path / "ft"),
    ):
        assert result.exit_code == 0, result.output
        assert not [bar for bar in BARS if bar in result.output], result.output
    assert (tmp_path / "ft" / "model.safetensors").is_file()  # the save did happen


@pytest.mark.skipif(
    os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "0") not in ("0", ""),
    reason="HF_HUB_DISABLE_PROGRESS_BARS is set in this environment: no bars to show",
)
def test_verbose_shows_them(random_model, tmp_path):
    result = _evaluate(random_model, tmp_path / "eval", "--verbose")
    assert result.exit_code == 0, result.output
    assert "Loading weights" in result.output
    result = _finetune(random_model, tmp_path / "ft", "-v")
    assert result.exit_code == 0, result.output
    assert "Writing model shards" in result.output


def test_quiet_is_undone_after_the_command():
    # A library imported before the command is set through its API, and set back after.
    transformers_logging.set_verbosity_warning()
    before = dict(os.environ)
    with quiet_libraries():
        assert transformers_logging.get_verbosity() == transformers_logging.ERROR
        assert not transformers_logging.is_progress_bar_enabled()
        assert all(os.environ[name] for name in QUIET_ENV)
    assert transformers_logging.get_verbosity() == transformers_logging.WARNING
    assert transformers_logging.is_progress_bar_enabled()
    assert dict(os.environ) == before


def test_a_users_own_setting_wins(monkeypatch):
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "info")
    with quiet_libraries():
        assert os.environ["TRANSFORMERS_VERBOSITY"] == "info"
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"


def test_library_warnings_are_hidden_and_ours_are_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_libraries():
            for module in ("transformers.modeling_utils", "peft", "tasktransfer.analysis"):
                warnings.warn_explicit(f"from {module}", FutureWarning, "x.py", 1, module=module)
        warnings.warn_explicit("after", FutureWarning, "x.py", 1, module="peft")
    assert [str(w.message) for w in caught] == ["from tasktransfer.analysis", "after"]


def test_the_console_script_is_quiet(random_model, tmp_path):
    # A fresh process imports transformers after the callback: the environment reaches it.
    # A LoRA finetune loads the model (a bar) and saves the adapter (a FutureWarning from
    # transformers, in 5.x): neither reaches the terminal.
    env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}
    code = "from tasktransfer.cli import main; main()"
    args = ["finetune", "--model", random_model, "--task", "Counting", "--limit", "2"]
    args += ["--steps", "1", "--batch-size", "2", "--out", str(tmp_path / "ft"), "--no-progress"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    assert done.stdout.strip() == f"lora finetune written to {tmp_path / 'ft'}"

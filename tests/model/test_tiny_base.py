"""Building the tiny base is an explicit step: loading never trains, building happens once.

The real build trains for about a minute; these tests replace it with a stand-in that only
publishes a folder, and check who calls it and how often.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import tasktransfer.model.tiny_base as tiny_base
from tasktransfer.errors import InputError
from tasktransfer.model import ModelConfig, load_model, prepare_models, tiny_base_path


@pytest.fixture
def cold_cache(monkeypatch, tmp_path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TASKTRANSFER_CACHE", str(cache))
    return cache


@pytest.fixture
def builds(monkeypatch) -> list[Path]:
    """The folders the stand-in build published, in call order."""
    built: list[Path] = []

    def stand_in(out_dir, *, recipe=None, progress=True):
        built.append(Path(out_dir))
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / "config.json").write_text("{}")
        return Path(out_dir)

    monkeypatch.setattr(tiny_base, "build_tiny_base", stand_in)
    return built


def test_loading_the_tiny_model_on_a_cold_cache_says_how_to_build_it(cold_cache, builds):
    with pytest.raises(InputError, match="run `tasktransfer model tiny-base`"):
        load_model("tiny")
    with pytest.raises(InputError, match="not built yet"):
        load_model(ModelConfig(name="tiny", dtype="float32"))
    assert builds == [] and not cold_cache.exists()


def test_prepare_builds_the_tiny_base_once_and_nothing_for_other_models(
    cold_cache, builds, tmp_path
):
    folder = tmp_path / "folder-model"
    prepare_models([ModelConfig(name="Qwen/Qwen2.5-VL-3B-Instruct"), str(folder)])
    assert builds == []
    prepare_models(["tiny", ModelConfig(name="tiny", device="cpu")])
    prepare_models([ModelConfig(name="tiny")])
    assert builds == [tiny_base_path()]
    assert tiny_base_path().parent == cold_cache


# Run as two separate processes: each replaces the build by a stand-in that logs its start,
# then waits for a `go` file before publishing the folder, so the other process arrives while
# the first one is still building.
_BUILDER = """
import sys, time
from pathlib import Path
import tasktransfer.model.tiny_base as tiny_base

log, go = Path(sys.argv[1]), Path(sys.argv[2])

def stand_in(out_dir, *, recipe=None, progress=True):
    with log.open("a") as handle:
        handle.write("build\\n")
    while not go.exists():
        time.sleep(0.01)
    Path(out_dir).mkdir(parents=True)
    (Path(out_dir) / "config.json").write_text("{}")
    return Path(out_dir)

tiny_base.build_tiny_base = stand_in
with log.open("a") as handle:
    handle.write("calling\\n")
print(tiny_base.ensure_tiny_base(progress=False))
"""


def _wait_for(condition, processes, limit_s: float = 120.0) -> None:
    """Poll ``condition`` while the processes run; fail (not hang) if it never holds."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert all(p.poll() is None for p in processes), [p.stderr.read() for p in processes]
        assert time.monotonic() < deadline, "the builder processes stalled"
        time.sleep(0.01)


def test_two_processes_build_the_base_once(cold_cache, tmp_path):
    log, go = tmp_path / "log.txt", tmp_path / "go"
    lines = lambda: log.read_text().split() if log.exists() else []  # noqa: E731
    command = [sys.executable, "-c", _BUILDER, str(log), str(go)]
    pipes = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = subprocess.Popen(command, **pipes)
    _wait_for(lambda: lines() == ["calling", "build"], [first])
    second = subprocess.Popen(command, **pipes)
    _wait_for(lambda: lines().count("calling") == 2, [first, second])
    # The second process is now at the lock (or, were there none, building too): give it
    # time to show a second build before the first one publishes.
    time.sleep(1.0)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert lines().count("build") == 1
    assert outputs[0][0] == outputs[1][0] == f"{tiny_base_path()}\n"
    assert sorted(p.name for p in cold_cache.iterdir() if not p.name.endswith(".lock")) == [
        tiny_base_path().name
    ]

"""A local worker process dies with a killed study, so no orphan finishes a cell late."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's"
)

# A parent that starts one worker as run_local does; the worker writes its pid and sleeps.
PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from tasktransfer.study.executors import start_worker

def cell(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)

if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=start_worker, initargs=(os.getpid(),)
    ) as pool:
        pool.submit(cell, sys.argv[1]).result()
"""


def alive(pid: int) -> bool:
    # A killed process may linger as a zombie until it is reaped: that is dead too.
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


def test_a_worker_dies_with_its_killed_parent(tmp_path):
    script, pid_file = tmp_path / "parent.py", tmp_path / "worker.pid"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), str(pid_file)])
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()):
        assert parent.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert alive(worker)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)

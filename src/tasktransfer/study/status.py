"""What a study folder says about its cells, without importing torch or loading data."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from tasktransfer.contracts import CellLayout, StudyLayout
from tasktransfer.study.store import DONE, FAILED, RUNNING, cell_state, done_rows, read_json

INTERRUPTED = "interrupted"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def study_status(study_dir: Path) -> list[dict[str, str]]:
    """One ``{"cell", "state", "detail"}`` per planned cell, in plan order.

    States: ``done``, ``stale`` (done for other inputs), ``failed``, ``running``,
    ``interrupted`` (marked running by a process of this host that is gone), ``pending``.
    ``detail`` is the error of a failed cell, the pid of a running one, and for a done cell
    the targets whose predictions collapsed onto one answer letter.
    """
    rows = []
    layout = StudyLayout(study_dir)
    for entry in read_json(layout.plan) or []:
        cell = CellLayout(study_dir / entry["folder"])
        state = cell_state(cell, entry["key"])
        detail = ""
        if state == DONE:
            collapsed = [r.target for r in done_rows(cell) if r.collapsed]
            if collapsed:
                detail = f"collapsed onto one letter: {', '.join(collapsed)}"
        elif state == FAILED:
            detail = (read_json(cell.failed) or {}).get("error", "")
        elif state == RUNNING:
            marker = read_json(cell.running) or {}
            detail = f"pid {marker.get('pid')} on {marker.get('host')}"
            if marker.get("host") == socket.gethostname() and not _alive(marker.get("pid", -1)):
                state = INTERRUPTED
        rows.append({"cell": entry["cell"], "state": state, "detail": detail})
    return rows

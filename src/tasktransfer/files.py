"""File helpers every layer shares: atomic writes and safe file names.

A reader (or a resumed study) must never see a half-written file, so every output goes to a
temporary name beside its target and is renamed into place (``os.replace`` is atomic on one
file system). Labels that reach file names (model ids, task names from a user's table) go
through :func:`slugs` first.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    For writers that take a file name (``pyarrow.parquet.write_table``, ``save_pretrained``
    of a single file). On an exception the temporary file is removed and ``path`` untouched.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write text or bytes to ``path`` atomically; returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("xb") as f:
        # "x": the file is new and gets the umask's permissions (mkstemp would force 0600).
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    return write_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def slugs(labels: Sequence[str]) -> dict[str, str]:
    """A safe, unique file-name stem for each label.

    Only letters, digits, ``.``, ``_`` and ``-`` survive; clashes get ``-2``, ``-3``.

    Examples
    --------
    >>> slugs(["Qwen/Qwen2.5-VL-3B-Instruct", "../../etc", "a b", "a_b"])
    {'Qwen/Qwen2.5-VL-3B-Instruct': 'Qwen_Qwen2.5-VL-3B-Instruct', '../../etc': 'etc', \
'a b': 'a_b', 'a_b': 'a_b-2'}
    """
    out: dict[str, str] = {}
    for label in labels:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-")[:80] or "model"
        slug, k = base, 1
        while slug in out.values():
            k += 1
            slug = f"{base}-{k}"
        out[label] = slug
    return out

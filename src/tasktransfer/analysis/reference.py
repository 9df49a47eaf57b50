"""The published tables of Sachdeva et al. (2026), named by the aliases ``sachdeva2026:SIZE``.

An alias resolves to a local file when a reference folder is given (the ``--reference-dir``
option or the ``TASKTRANSFER_REFERENCE_DIR`` variable), otherwise to a cached download of
the public file. Downloads are checked against the SHA-256 of the published bytes, so a
changed or truncated file is an error rather than silently different numbers.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic

ALIAS_PREFIX = "sachdeva2026:"
BASE_URL = "https://raw.githubusercontent.com/Bhuvan-21/task-transfer-vlms/main/"
FILE_PREFIX = "task_transferability_data_perfection_gap_factor_"

# size -> (published file name, sha256 of its bytes)
PUBLISHED: dict[str, tuple[str, str]] = {
    "3B": (
        FILE_PREFIX + "qwen-2.5vl-3B-instruct.csv",
        "1adb3fe0c9cc6c9b5d3d9c0a8f57dfc1f63d745e3522dd50b3b06f48adc84be2",
    ),
    "7B": (
        FILE_PREFIX + "qwen-2.5vl-7B-instruct.csv",
        "980ff838b6e601f43e384d1eb248053f1c132630d52fcc8710017deeec335ef9",
    ),
    "32B": (
        FILE_PREFIX + "qwen-2.5vl-32B-instruct.csv",
        "f81da43713247a6bab0089fbc46cd19c3dc6f50de63162d5cad4ebfc76ae59b8",
    ),
}


def is_alias(name: str) -> bool:
    """Whether ``name`` is a published-table alias such as ``"sachdeva2026:32B"``."""
    return str(name).lower().startswith(ALIAS_PREFIX)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tasktransfer/reference`` (``~/.cache`` when the variable is unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "tasktransfer" / "reference"


def resolve_alias(
    alias: str,
    *,
    reference_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    download: bool = True,
) -> Path:
    """The local path of the published table named by ``alias``.

    Parameters
    ----------
    alias : str
        ``"sachdeva2026:3B"``, ``"sachdeva2026:7B"`` or ``"sachdeva2026:32B"``.
    reference_dir : str or Path or None, default=None
        A folder holding the published files under their published names. ``None`` reads
        ``TASKTRANSFER_REFERENCE_DIR``; when that is unset too, the file is downloaded.
    cache_dir : str or Path or None, default=None
        Where downloads are kept; ``None`` means :func:`default_cache_dir`.
    download : bool, default=True
        Download a file missing from the cache; when False, a missing file is an
        ``InputError`` instead (for callers that must stay offline, such as the tests).

    Returns
    -------
    Path

    Examples
    --------
    >>> resolve_alias("sachdeva2026:32B", reference_dir="/ref").name
    'task_transferability_data_perfection_gap_factor_qwen-2.5vl-32B-instruct.csv'
    """
    size = alias[len(ALIAS_PREFIX) :]
    key = {k.lower(): k for k in PUBLISHED}.get(size.lower())
    if key is None:
        raise InputError(
            f"Unknown published table {alias!r}. Known: "
            + ", ".join(ALIAS_PREFIX + k for k in PUBLISHED)
            + "."
        )
    name, sha256 = PUBLISHED[key]
    reference_dir = reference_dir or os.environ.get("TASKTRANSFER_REFERENCE_DIR")
    if reference_dir:
        return Path(reference_dir) / name
    path = Path(cache_dir or default_cache_dir()) / name
    if not path.exists():
        if not download:
            raise InputError(
                f"{path} is not downloaded yet; set TASKTRANSFER_REFERENCE_DIR to a folder "
                "holding the published files, or let `tasktransfer analyze` download it."
            )
        _download(BASE_URL + name, path, sha256=sha256)
    return path


def _download(url: str, path: Path, *, sha256: str) -> None:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as err:
        raise InputError(
            f"Could not download {url} ({err}). Set TASKTRANSFER_REFERENCE_DIR or pass "
            "--reference-dir to a folder holding the published files."
        ) from err
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise InputError(
            f"{url}: downloaded file has SHA-256 {digest}, expected {sha256}; "
            "the published table changed or the download is incomplete."
        )
    write_atomic(path, data)  # a reader never sees a half-written cache file

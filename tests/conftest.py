"""Fixtures shared by test folders."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of the three published tables, found as ``tasktransfer analyze`` finds them.

    ``TASKTRANSFER_REFERENCE_DIR`` first, then the download cache; never a download (tests
    run offline). Tests that need the tables are skipped, with the reason, when neither
    holds them: a fresh clone without ``../shared`` still passes.
    """
    from tasktransfer.analysis.reference import ALIAS_PREFIX, PUBLISHED, resolve_alias
    from tasktransfer.errors import InputError

    try:
        paths = [resolve_alias(ALIAS_PREFIX + size, download=False) for size in PUBLISHED]
    except InputError as err:
        pytest.skip(f"published tables unavailable: {err}")
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        pytest.skip(
            f"published tables unavailable: TASKTRANSFER_REFERENCE_DIR={paths[0].parent} "
            f"lacks {', '.join(missing)}"
        )
    return paths[0].parent


@pytest.fixture(scope="session")
def random_model(tmp_path_factory):
    """A random-weight tiny LLaVA saved as a folder: no base training, seconds per cell."""
    from tasktransfer.model.tiny import build_tiny_llava

    model, processor = build_tiny_llava(seed=0)
    folder = tmp_path_factory.mktemp("random-llava")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)

"""Fixtures shared by test folders."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def random_model(tmp_path_factory):
    """A random-weight tiny LLaVA saved as a folder: no base training, seconds per cell."""
    from tasktransfer.model.tiny import build_tiny_llava

    model, processor = build_tiny_llava(seed=0)
    folder = tmp_path_factory.mktemp("random-llava")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)

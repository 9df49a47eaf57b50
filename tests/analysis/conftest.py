"""Fixtures of the analysis tests: small results tables (the published ones: tests/conftest.py)."""

from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path):
    """Write ``text`` (header + rows, dedented) to a CSV in tmp_path and return its path."""

    def write(text: str, name: str = "results.csv") -> Path:
        path = tmp_path / name
        lines = [line.strip() for line in text.strip().splitlines()]
        path.write_text("\n".join(lines) + "\n")
        return path

    return write

"""Fixtures of the analysis tests: the published tables and small results tables."""

from pathlib import Path

import pytest

# The published tables live beside the repository, never inside it (they are not ours).
REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "sachdeva2026"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


@pytest.fixture
def write_csv(tmp_path):
    """Write ``text`` (header + rows, dedented) to a CSV in tmp_path and return its path."""

    def write(text: str, name: str = "results.csv") -> Path:
        path = tmp_path / name
        lines = [line.strip() for line in text.strip().splitlines()]
        path.write_text("\n".join(lines) + "\n")
        return path

    return write

"""What every builder's test checks, as one fixture: ``check_build(builder, source_dir)``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tasktransfer.data.builders.base import (
    SPLIT,
    Build,
    Builder,
    build_examples,
    read_manifest,
    write_build,
)
from tasktransfer.data.folder import read_folder
from tasktransfer.data.validate import validate_examples


def balanced(examples) -> bool:
    """Answer letters' counts differ by at most one for each number of choices."""
    by_choices: dict[int, Counter] = {}
    for e in examples:
        by_choices.setdefault(len(e.choices), Counter())[e.answer_letter] += 1
    for n_choices, counts in by_choices.items():
        per_letter = [counts[letter] for letter in "ABCD"[:n_choices]]
        if max(per_letter) - min(per_letter) > 1:
            return False
    return True


@pytest.fixture
def check_build(tmp_path):
    """Build twice with one seed and once with another; check rows, balance and manifest.

    Returns the first :class:`Build` for task-specific checks.
    """

    def check(builder: Builder, source_dir: Path, *, n: int | None = None) -> Build:
        first = build_examples(builder, source_dir, n=n, seed=0)
        again = build_examples(builder, source_dir, n=n, seed=0)
        other = build_examples(builder, source_dir, n=n, seed=1)
        out = tmp_path / "built"
        write_build(out, first)

        examples = read_folder(out, builder.task, SPLIT)
        validate_examples(
            examples, source=str(out), task=builder.task, split=SPLIT, require_answers=True
        )
        assert examples == list(first.examples)
        assert all(e.sub_task == builder.task for e in examples)
        assert balanced(examples), Counter(e.answer_letter for e in examples)
        if n is not None:
            assert len(examples) <= n

        assert again.examples == first.examples, "the same seed gave other rows"
        assert again.manifest == first.manifest
        assert [e.prompt for e in other.examples] != [e.prompt for e in first.examples] or [
            r.source_ids for r in other.manifest.rows
        ] != [r.source_ids for r in first.manifest.rows], "seed 1 gave the rows of seed 0"

        manifest = read_manifest(out, builder.task)
        assert manifest == first.manifest
        assert manifest.task == builder.task and manifest.source == builder.source
        assert manifest.source_split == builder.source_split and manifest.licence
        assert manifest.builder_version == builder.version and manifest.seed == 0
        assert manifest.dedup == {}
        assert [r.idx for r in manifest.rows] == [e.idx for e in examples]
        assert all(r.source_ids for r in manifest.rows)
        assert manifest.answer_counts == dict(
            sorted(Counter(e.answer_letter for e in examples).items())
        )
        return first

    return check

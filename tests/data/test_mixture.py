"""Mixture files (validated YAML, atomic writes) and their deterministic sampling."""

import math
from dataclasses import replace

import pytest
import yaml
from PIL import Image

from tasktransfer.data import Example, format_prompt
from tasktransfer.data.folder import write_folder
from tasktransfer.data.mixture import (
    MixtureFile,
    Provenance,
    read_mixture,
    sample_mixture,
    write_mixture,
)
from tasktransfer.errors import InputError
from tasktransfer.tasks import REGISTRY, load_registry


def provenance(**changes):
    fields = {
        "rule": "threshold",
        "targets": ["Relative_Depth"],
        "budget": 10,
        "pgf_source": "sachdeva2026:7B",
        "model": "qwen-2.5vl-7B-instruct",
        "threshold": 0.1,
        "pgf": {
            "Counting": {
                "Relative_Depth": {
                    "mean": 0.2,
                    "std": math.nan,
                    "min": 0.2,
                    "max": 0.2,
                    "n_runs": 1,
                }
            }
        },
        "notes": ["a note"],
    }
    return Provenance(**{**fields, **changes})


def test_round_trip_keeps_order_and_values(tmp_path):
    original = MixtureFile(mixture={"Jigsaw": 4, "Counting": 6}, provenance=provenance())
    path = write_mixture(original, tmp_path / "sub" / "mix.yaml")
    back = read_mixture(path)
    assert list(back.mixture.items()) == [("Jigsaw", 4), ("Counting", 6)]
    spread = back.provenance.pgf["Counting"]["Relative_Depth"]
    assert math.isnan(spread.std) and spread.mean == 0.2
    assert back.provenance.targets == ["Relative_Depth"]
    text = path.read_text()
    assert text.startswith("mixture:\n  Jigsaw: 4\n  Counting: 6\nprovenance:\n")
    assert "k:" not in text  # unset options are left out
    assert [p.name for p in path.parent.iterdir()] == ["mix.yaml"]  # no temporary left


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "mix.yaml"
    write_mixture(MixtureFile(mixture={"Counting": 1}), path)
    write_mixture(MixtureFile(mixture={"Jigsaw": 2}), path)
    assert read_mixture(path).mixture == {"Jigsaw": 2}


def test_a_hand_written_file_needs_only_the_mixture(tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text("mixture:\n  Counting: 3\n")
    got = read_mixture(path)
    assert got.mixture == {"Counting": 3} and got.provenance is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mixture:\n  Countng: 3\n", "mixture: Value error, Unknown task 'Countng'. Did you mean"),
        ("mixture:\n  Counting: 0\n", "Counting: expected a positive integer count, got 0"),
        ("mixture:\n  Counting: 1.5\n", "got 1.5"),
        ("mixture:\n  Counting: '10'\n", "got '10'"),
        ("mixture:\n  Counting: true\n", "got True"),
        ("mixture: {}\n", "mixture: Dictionary should have at least 1 item"),
        ("mixture:\n  Counting: 2\nextra: 1\n", "extra: Extra inputs are not permitted"),
        ("", "mixture: Field required"),
        ("mixture: [unclosed\n", "not valid YAML"),
        (
            "mixture:\n  Counting: 2\nprovenance:\n  rule: topk\n",
            "provenance.targets: Field required",
        ),
    ],
)
def test_bad_files_name_the_file_and_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=str(path)) as err:
        read_mixture(path)
    assert message in str(err.value)


def test_abbreviations_are_read_as_names(tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text("mixture: {RD: 100, Counting: 50, jg: 1}\nprovenance:\n  targets: [SR]\n"
                    "  rule: topk\n  budget: 151\n  pgf_source: x\n  model: tiny\n")  # fmt: skip
    got = read_mixture(path)
    assert list(got.mixture.items()) == [("Relative_Depth", 100), ("Counting", 50), ("Jigsaw", 1)]
    assert got.provenance.targets == ["Spatial_Relation"]


def test_a_task_named_twice_is_refused(tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text("mixture: {RD: 1, Relative_Depth: 2}\n")
    with pytest.raises(InputError, match="listed twice .*: Relative_Depth"):
        read_mixture(path)


def test_a_user_task_resolves_through_the_registry_given(tmp_path):
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text("My_Task: {abbrev: MT, images: 1, choices: 2, level: low, granularity: crop}")
    path = tmp_path / "mix.yaml"
    path.write_text("mixture: {MT: 3, RD: 2}\n")
    registry = load_registry(tasks)
    assert read_mixture(path, registry=registry).mixture == {"My_Task": 3, "Relative_Depth": 2}
    with pytest.raises(InputError, match="Unknown task 'MT'"):
        read_mixture(path)  # the built-in registry has no MT
    # Sampling resolves through the registry too: 2 of 3 My_Task examples from a folder.
    folder = tmp_path / "data"
    user = [replace(example("Relative_Depth", i), sub_task="My_Task") for i in range(3)]
    write_folder(folder, "train", {"My_Task": user})
    got = sample_mixture(str(folder), {"MT": 2}, "train", seed=0, registry=registry)
    assert len(got) == 2 and {e.idx for e in got} < {e.idx for e in user}


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_mixture(tmp_path / "nope.yaml")


# --- sampling --------------------------------------------------------------------------


def example(task, i):
    """A valid example of ``task``: as many images and choices as the registry says."""
    spec = REGISTRY[task]
    choices = tuple(f"option {k}" for k in range(spec.choices))
    return Example(
        idx=f"{task}_{i}",
        sub_task=task,
        question=f"question {i}?",
        choices=choices,
        answer="(A)",
        prompt=format_prompt(f"question {i}?", choices),
        images=tuple(Image.new("RGB", (4, 4), (i, k, 0)) for k in range(spec.images)),
    )


@pytest.fixture
def folder(tmp_path):
    """A folder source: 10 Counting and 3 Jigsaw training examples."""
    write_folder(
        tmp_path / "data",
        "train",
        {
            "Counting": [example("Counting", i) for i in range(10)],
            "Jigsaw": [example("Jigsaw", i) for i in range(3)],
        },
    )
    return str(tmp_path / "data")


def test_sample_counts_order_and_determinism(folder):
    mix = {"Jigsaw": 2, "Counting": 4}
    first = sample_mixture(folder, mix, "train", seed=1)
    again = sample_mixture(folder, mix, "train", seed=1)
    assert [e.sub_task for e in first] == ["Jigsaw"] * 2 + ["Counting"] * 4
    assert [e.idx for e in first] == [e.idx for e in again]
    counting = [e.idx for e in first if e.sub_task == "Counting"]
    assert len(set(counting)) == 4  # without replacement
    # In source order (idx numbers increase).
    assert counting == sorted(counting, key=lambda idx: int(idx.split("_")[1]))
    others = {
        tuple(e.idx for e in sample_mixture(folder, mix, "train", seed=s)) for s in range(2, 8)
    }
    assert len(others) > 1  # the seed changes the draw


def test_sample_takes_all_when_asked_for_all(folder):
    got = sample_mixture(folder, {"Jigsaw": 3}, "train", seed=5)
    assert [e.idx for e in got] == ["Jigsaw_0", "Jigsaw_1", "Jigsaw_2"]


def test_too_few_examples_names_the_task(folder):
    with pytest.raises(InputError, match="asks for 4 examples of Jigsaw, but .* has only 3"):
        sample_mixture(folder, {"Counting": 2, "Jigsaw": 4}, "train", seed=0)


def test_bad_count_names_the_task(folder):
    with pytest.raises(InputError, match="Counting needs a positive integer count, got 0"):
        sample_mixture(folder, {"Counting": 0}, "train", seed=0)


def test_sample_reads_what_read_mixture_returns(folder, tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump({"mixture": {"Counting": 2}}))
    got = sample_mixture(folder, read_mixture(path).mixture, "train", seed=0)
    assert [e.sub_task for e in got] == ["Counting", "Counting"]

import hashlib
import pkgutil
from collections import Counter

import numpy as np
import pytest

from tasktransfer.data import fingerprint, format_prompt
from tasktransfer.data.synthetic import (
    SKILLS,
    TASKS,
    VIDEO_TASKS,
    expected_transfer,
    generate,
    make_example,
    register,
    skill_matrix,
)
from tasktransfer.data.synthetic import tasks as synthetic_tasks
from tasktransfer.errors import InputError
from tasktransfer.tasks import BLINK_TASKS, REGISTRY, UnknownTaskError


def test_one_generator_per_registered_blink_task_one_module_each():
    assert list(TASKS) == sorted(task.name for task in BLINK_TASKS)
    # Every module of the package was found and registered one generator.
    modules = sorted(m.name for m in pkgutil.iter_modules(synthetic_tasks.__path__))
    assert sorted(spec.generate.__module__.rsplit(".", 1)[1] for spec in TASKS.values()) == modules


def test_an_abbreviation_generates_the_same_questions_as_the_name():
    assert generate("rd", "val", 3) == generate("Relative_Depth", "val", 3)
    assert [e.idx for e in generate("RD", "val", 1)] == ["val_Relative_Depth_0"]


def test_a_generator_of_an_unregistered_task_is_refused():
    with pytest.raises(UnknownTaskError, match="Unknown task 'Countng'. Did you mean: Counting"):
        register("Countng", skills=("object_counting",), difficulty=0.1)
    assert "Countng" not in TASKS


@pytest.mark.parametrize("task", list(TASKS))
def test_schema_shapes_and_prompt(task):
    spec = REGISTRY[task]
    for e in generate(task, "val", 12):
        assert e.sub_task == task and e.idx.startswith(f"val_{task}_")
        assert len(e.images) == spec.images and len(e.choices) == spec.choices
        assert len(set(e.choices)) == len(e.choices)
        assert e.prompt == format_prompt(e.question, e.choices)
        assert e.images[0].size == (64, 64) and all(im.mode == "RGB" for im in e.images)
        assert e.meta["difficulty"] == TASKS[task].difficulty


@pytest.mark.parametrize("task", list(TASKS))
def test_answer_letters_are_exactly_balanced_per_block(task):
    k = REGISTRY[task].choices
    counts = Counter(e.answer_letter for e in generate(task, "train", 10 * k))
    assert counts == {letter: 10 for letter in "ABCD"[:k]}


@pytest.mark.parametrize("task", list(TASKS))
def test_same_arguments_same_bytes_other_seed_other_bytes(task):
    a = make_example(task, "test", 7, seed=2)
    b = make_example(task, "test", 7, seed=2)
    assert [im.tobytes() for im in a.images] == [im.tobytes() for im in b.images]
    assert a == b and a.meta == b.meta
    c = make_example(task, "test", 7, seed=3)
    assert fingerprint([a]) != fingerprint([c])


def _image_hash(image):
    return hashlib.sha256(image.tobytes()).hexdigest()


@pytest.mark.parametrize("task", list(TASKS))
def test_splits_share_no_scene(task):
    # The first image is the scene; later ones can legitimately repeat (a Jigsaw candidate
    # cut from a single-colour region looks the same in any split).
    hashes = {
        split: {_image_hash(e.images[0]) for e in generate(task, split, 40)}
        for split in ("train", "val", "test")
    }
    assert not hashes["train"] & hashes["val"]
    assert not hashes["train"] & hashes["test"]
    assert not hashes["val"] & hashes["test"]


@pytest.mark.parametrize("task", list(TASKS))
def test_image_size_knob(task):
    e = make_example(task, "val", 0, image_size=128)
    assert e.images[0].size == (128, 128)
    assert e.meta["image_size"] == 128


def test_difficulty_knob_changes_the_scene_and_is_checked():
    easy = make_example("Relative_Depth", "val", 1, difficulty=0.0)
    hard = make_example("Relative_Depth", "val", 1, difficulty=1.0)
    ratio = lambda e: max(e.meta["depths"][:2]) / min(e.meta["depths"][:2])  # noqa: E731
    assert ratio(easy) == pytest.approx(2.2) and ratio(hard) == pytest.approx(1.15)
    with pytest.raises(InputError, match=r"difficulty must be in \[0, 1\]"):
        make_example("Counting", "val", 0, difficulty=1.5)
    with pytest.raises(InputError, match="image_size must be a whole number of pixels >= 64"):
        make_example("Counting", "val", 0, image_size=48)


def test_unknown_task_and_split_are_refused_with_suggestions():
    with pytest.raises(UnknownTaskError, match="Did you mean: Counting"):
        make_example("Countng", "val", 0)
    with pytest.raises(InputError, match="unknown synthetic split 'dev'"):
        make_example("Counting", "dev", 0)


def test_skill_matrix_covers_every_task_and_skill():
    names, skills, m = skill_matrix()
    assert names == [*TASKS, *VIDEO_TASKS] and skills == list(SKILLS)
    assert m.shape == (13 + 4, len(SKILLS)) and set(np.unique(m)) <= {0, 1}
    assert (m.sum(axis=1) >= 1).all()  # every task needs a skill
    assert (m.sum(axis=0) >= 1).all()  # every skill is used
    row = dict(zip(skills, m[names.index("Visual_Correspondence")], strict=True))
    assert row["point_matching"] == 1 and row["object_counting"] == 0


def test_expected_transfer_is_the_jaccard_overlap_of_skill_sets():
    names, overlap = expected_transfer(["Relative_Depth", "Multi-view_Reasoning", "Counting"])
    # {marker_reading, depth_ordering} vs {depth_ordering, point_matching}: 1 shared of 3.
    assert overlap[0, 1] == pytest.approx(1 / 3)
    assert overlap[0, 2] == 0 and np.allclose(np.diag(overlap), 1)
    assert np.allclose(overlap, overlap.T)


def test_the_documented_skill_matrix_is_the_code_one():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "synthetic-suite.md").read_text()
    names, skills, m = skill_matrix()
    header = "| task | " + " | ".join(skills) + " |"
    assert header in doc
    for name, row in zip(names, m, strict=True):
        cells = " | ".join("x" if v else "" for v in row)
        line = f"| {name} ({REGISTRY[name].abbrev}) | {cells} |"
        assert line.replace("  ", " ") in doc.replace("  ", " "), name


def test_hard_questions_are_a_share_of_twice_the_difficulty():
    from tasktransfer.data.synthetic.layout import hard_question

    rng = np.random.default_rng(0)
    share = {d: np.mean([hard_question(rng, d) for _ in range(4000)]) for d in (0, 0.2, 0.5, 0.9)}
    assert share[0] == 0 and share[0.5] == share[0.9] == 1
    assert share[0.2] == pytest.approx(0.4, abs=0.03)  # binomial sd ~0.008 at n=4000


@pytest.mark.parametrize("task", list(TASKS))
def test_few_test_scenes_repeat_a_training_scene(task):
    # At the sizes of a study (500 train, 200 test), at the default difficulty. The simplest
    # easy scenes (a lone square, a circle beside a centred square) can coincide by chance.
    def scenes(split, n):
        return [b"".join(im.tobytes() for im in e.images) for e in generate(task, split, n)]

    train = set(scenes("train", 500))
    assert sum(scene in train for scene in scenes("test", 200)) <= 4

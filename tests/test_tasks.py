import pytest

from tasktransfer.errors import InputError
from tasktransfer.tasks import (
    BLINK_TASKS,
    REGISTRY,
    UnknownTaskError,
    load_registry,
)

# Images per question and choices of BLINK's val split, as listed in the data issue.
BLINK_SHAPES = {
    "Art_Style": (3, 2),
    "Counting": (1, 4),
    "Forensic_Detection": (4, 4),
    "Functional_Correspondence": (2, 4),
    "Jigsaw": (3, 2),
    "Multi-view_Reasoning": (2, 2),
    "Object_Localization": (1, 2),
    "Relative_Depth": (1, 2),
    "Relative_Reflectance": (1, 3),
    "Semantic_Correspondence": (2, 4),
    "Spatial_Relation": (1, 2),
    "Visual_Correspondence": (2, 4),
    "Visual_Similarity": (3, 2),
}


def test_registry_has_the_thirteen_blink_tasks_with_their_shapes():
    assert {t.name: (t.images, t.choices) for t in BLINK_TASKS} == BLINK_SHAPES
    assert [t.abbrev for t in BLINK_TASKS] == "VS AS VC RD RR SR JG CN FC SC MR OL FD".split()


def test_labels_stated_by_the_paper_are_marked_paper():
    for name in ("Relative_Depth", "Relative_Reflectance", "Visual_Correspondence"):
        assert REGISTRY.resolve(name).level == "low"
        assert REGISTRY.resolve(name).provenance["level"] == "paper"
    for name in ("Art_Style", "Counting", "Forensic_Detection"):
        assert REGISTRY.resolve(name).granularity == "image"
        assert REGISTRY.resolve(name).provenance["granularity"] == "paper"
    for name in ("Functional_Correspondence", "Relative_Depth"):
        assert REGISTRY.resolve(name).granularity == "pixel"
        assert REGISTRY.resolve(name).provenance["granularity"] == "paper"
    inferred = [t.name for t in BLINK_TASKS if t.provenance["level"] == "inferred"]
    assert len(inferred) == 10


def test_unknown_task_suggests_near_names():
    with pytest.raises(UnknownTaskError, match="Did you mean: Counting"):
        REGISTRY["Countng"]
    with pytest.raises(UnknownTaskError, match="Known tasks"):
        REGISTRY.resolve("Something_Else_Entirely")


def test_yaml_overrides_labels_and_adds_tasks(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(
        "Counting: {level: low}\n"
        "My_Task: {abbrev: MT, images: 1, choices: 3, level: mid, granularity: crop}\n"
    )
    registry = load_registry(path)
    assert registry["Counting"].level == "low"
    assert registry["Counting"].provenance["level"] == "user"
    assert registry["Counting"].provenance["granularity"] == "paper"
    assert registry["Counting"].version == REGISTRY["Counting"].version + 1
    assert registry["My_Task"].letters == ("A", "B", "C")
    assert list(registry)[-1] == "My_Task"
    assert REGISTRY["Counting"].level == "mid"  # the default registry is untouched


@pytest.mark.parametrize(
    "text, message",
    [
        ("Counting: {level: extreme}", "level must be one of"),
        ("Counting: {colour: red}", r"task 'Counting': cannot set \['colour'\]"),
        ("Counting: {choices: 2}", r"cannot set \['choices'\]; a registered task's labels"),
        ("New_Task: {abbrev: NT}", "missing"),
        ("Counting: {abbrev: RD}", "abbreviation 'RD'"),
        ("Counting: {abbrev: rd}", "abbreviation 'rd'"),  # abbreviations ignore case
        ("RD: {abbrev: XX, images: 1, choices: 2, level: low, granularity: crop}",
         "task name 'RD' is the abbreviation of 'Relative_Depth'"),
        ("../up: {abbrev: UP, images: 1, choices: 2, level: low, granularity: crop}",
         r"task name '../up': use letters, digits"),
        ("New_Task: {abbrev: N/T, images: 1, choices: 2, level: low, granularity: crop}",
         "abbrev 'N/T' is not 1 to 4 letters"),
        ("New_Task: {abbrev: NT, images: 5, choices: 2, level: low, granularity: crop}",
         "images must be a whole number from 1 to 4, got 5"),
        ("New_Task: {abbrev: NT, images: 1, choices: 2.5, level: low, granularity: crop}",
         "choices must be a whole number from 2 to 4, got 2.5"),
        ("[Counting]", "expected a mapping of task name to fields, got list"),
    ],
)  # fmt: skip
def test_bad_label_files_fail_clearly(tmp_path, text, message):
    path = tmp_path / "labels.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        load_registry(path)
    assert str(err.value).startswith(f"{path}: ")


def test_resolve_takes_names_and_abbreviations_of_any_length(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text(
        "Long_Abbrev: {abbrev: LAB1, images: 2, choices: 2, level: low, granularity: crop}"
    )
    registry = load_registry(path)
    assert registry.resolve("LAB1") is registry.resolve("lab1") is registry["Long_Abbrev"]
    assert registry.resolve("rd").name == "Relative_Depth"
    with pytest.raises(UnknownTaskError, match="Did you mean: Long_Abbrev"):
        registry.resolve("Long_Abbrev_")
    with pytest.raises(UnknownTaskError, match="Unknown task 'LAB1'"):
        REGISTRY.resolve("LAB1")  # the built-in registry is untouched

from pathlib import Path

import pytest
import yaml

from tasktransfer.errors import InputError
from tasktransfer.study.config import (
    StudyConfig,
    apply_overrides,
    load_study_config,
    shipped_configs,
)

CONFIG_DIR = Path(__file__).parents[2] / "src" / "tasktransfer" / "study" / "configs"


def test_every_config_file_in_the_tree_is_shipped_and_valid():
    files = sorted(CONFIG_DIR.rglob("*.yaml"))
    assert {f.stem for f in files} == set(shipped_configs())
    assert {"quickstart", "synthetic-full", "blink-qwen2.5-vl-3b"} <= set(shipped_configs())
    for path in files:
        config = load_study_config(path)
        assert config.name == path.stem
        assert config.runs == [f"seed_{s}" for s in config.seeds]


def test_paper_configs_use_blink_val_lora_on_the_language_model_and_four_runs():
    for size in ("3b", "7b", "32b"):
        config = load_study_config(f"blink-qwen2.5-vl-{size}")
        assert config.models[0].name == f"Qwen/Qwen2.5-VL-{size.upper()}-Instruct"
        assert (config.eval_data.source, config.eval_data.split) == ("BLINK-Benchmark/BLINK", "val")
        assert config.train_data.source is None  # the user must give a training folder
        assert config.finetune.method == "lora"
        assert not config.finetune.tune_vision_tower
        assert len(config.seeds) == 4 and len(config.tasks) == 13


def test_overrides_are_parsed_as_yaml_and_applied_in_order(tmp_path):
    config = load_study_config(
        "quickstart",
        ["finetune.steps=7", "seeds=[3, 4, 5]", "executor.kind=ray", "finetune.steps=9"],
        output=tmp_path / "s",
    )
    assert config.finetune.steps == 9
    assert config.runs == ["seed_3", "seed_4", "seed_5"]
    assert config.executor.kind == "ray"
    assert config.output == tmp_path / "s"


def test_every_invalid_field_is_reported_at_once_with_the_file(tmp_path):
    data = yaml.safe_load(shipped_configs()["quickstart"].read_text())
    data["seeds"] = "many"
    data["tasks"] = ["Countng"]
    data["finetune"]["lora_rnak"] = 8
    data["executor"]["kind"] = "slurm"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_study_config(path)
    message = str(err.value)
    assert str(path) in message
    for expected in ("seeds", "Did you mean: Counting", "finetune.lora_rnak", "executor.kind"):
        assert expected in message


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["steps"], "not of the form key=value"),
        (["name.sub=1"], "'name' is not a section"),
        (["seeds=[1, 1]"], "seeds must be distinct"),
        (["tasks=[Counting, CN]"], "listed twice"),
    ],
)
def test_bad_overrides_fail_clearly(overrides, message):
    with pytest.raises(InputError, match=message):
        load_study_config("quickstart", overrides)


def test_unknown_config_names_the_shipped_ones():
    with pytest.raises(InputError, match="quickstart"):
        load_study_config("no-such-study")


def test_apply_overrides_creates_sections():
    assert apply_overrides({}, ["a.b.c=x"]) == {"a": {"b": {"c": "x"}}}


def test_study_config_is_frozen():
    config = load_study_config("quickstart")
    with pytest.raises(ValueError):
        config.name = "other"
    assert isinstance(config, StudyConfig)


def test_hub_model_studies_default_to_lora_on_the_language_model(tmp_path):
    from tasktransfer.model import FinetuneConfig

    data = yaml.safe_load(shipped_configs()["quickstart"].read_text())
    data["models"] = [{"name": "Qwen/Qwen2.5-VL-3B-Instruct"}]
    del data["finetune"]
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_study_config(path).finetune == FinetuneConfig()  # the hub-lora preset

    partial = load_study_config(path, ["finetune.steps=10", "finetune.learning_rate=0.0002"])
    assert partial.finetune == FinetuneConfig(steps=10, learning_rate=2e-4)
    assert partial.finetune.method == "lora" and not partial.finetune.tune_vision_tower

    tiny = load_study_config("quickstart")  # all-tiny studies keep the tiny model's defaults
    assert tiny.finetune == FinetuneConfig.from_preset("tiny", steps=600, batch_size=16)


def test_synthetic_difficulty_moves_only_the_cells_whose_data_it_changes():
    from tasktransfer.study.runner import plan_study

    tasks = ["tasks=[CN, RD]", "seeds=[0]"]
    config = load_study_config("quickstart", [*tasks, "train_data.difficulty={CN: 0.5}"])
    assert config.train_data.difficulty == {"Counting": 0.5}  # abbreviations resolve
    harder = {cell.source: cell.key for cell in plan_study(config)}
    default = {cell.source: cell.key for cell in plan_study(load_study_config("quickstart", tasks))}
    assert harder["Counting"] != default["Counting"]
    assert harder["Relative_Depth"] == default["Relative_Depth"]
    # Every cell is evaluated on the evaluation data.
    config = load_study_config("quickstart", [*tasks, "eval_data.difficulty=1"])
    assert not {cell.key for cell in plan_study(config)} & {*harder.values(), *default.values()}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["eval_data.difficulty=1.5"], r"difficulty must be in \[0, 1\], got 1.5"),
        (["train_data.difficulty={Countng: 0.2}"], "Did you mean: Counting"),
        (["eval_data.source=/data/blink", "eval_data.difficulty=0.3"], "synthetic"),
    ],
)
def test_bad_difficulty_fails_clearly(overrides, message):
    with pytest.raises(InputError, match=message):
        load_study_config("quickstart", overrides)

"""A study's finetune section overrides the preset its models choose."""

from __future__ import annotations

import pytest

from tasktransfer.errors import InputError
from tasktransfer.model import FinetuneConfig
from tasktransfer.study import load_study_config

HUB = "{name: Qwen/Qwen2.5-VL-3B-Instruct}"
# The quickstart leaves its finetune section empty (the tiny preset's own 600 x 16); these
# give the section the tests read.
SECTION = ["finetune.steps=400", "finetune.batch_size=16"]


def test_the_quickstart_keeps_the_tiny_presets_settings():
    config = load_study_config("quickstart")
    assert config.finetune == FinetuneConfig.from_preset("tiny", steps=600, batch_size=16)
    assert config.finetune.method == "full" and config.finetune.learning_rate == 5e-4


def test_a_hub_model_study_starts_from_hub_lora():
    config = load_study_config("quickstart", [f"models=[{HUB}]", *SECTION])
    assert config.finetune == FinetuneConfig(steps=400, batch_size=16)  # epochs replaced


def test_a_mixed_study_starts_from_the_library_default():
    """One finetune serves every model of a study: the hub model's safe settings win."""
    config = load_study_config("quickstart", [f"models=[{{name: tiny}}, {HUB}]", *SECTION])
    assert config.finetune == FinetuneConfig(steps=400, batch_size=16)
    assert not config.finetune.tune_vision_tower


def test_a_model_entry_may_name_its_preset(tmp_path):
    """A folder holding a copy of the tiny base finetunes like the tiny model when asked."""
    models = f"models=[{{name: {tmp_path}, finetune_preset: tiny}}]"
    config = load_study_config("quickstart", [models])
    assert config.finetune == FinetuneConfig.from_preset("tiny", steps=600, batch_size=16)
    assert config.models[0].preset == "tiny"


def test_an_unknown_preset_is_reported_at_the_model():
    with pytest.raises(InputError, match=r"models\.0\.finetune_preset: .*unknown finetune preset"):
        load_study_config("quickstart", ["models=[{name: tiny, finetune_preset: big}]"])

"""Finetune presets: named settings chosen by the model's entry, not by testing its name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tasktransfer.model import FINETUNE_PRESETS, FinetuneConfig, ModelConfig
from tasktransfer.model.config import HUB_IMAGE_MAX_PIXELS, MODEL_PRESETS

# The settings each preset stood for before presets existed (FinetuneConfig() and
# FinetuneConfig.hub_defaults at commit 7cbc726): a preset must not move a study's results.
TINY_BEFORE = dict(
    method="full", lora_rank=16, lora_alpha=32.0, lora_dropout=0.0, tune_language_model=True,
    tune_vision_tower=True, tune_projector=True, learning_rate=1e-3, weight_decay=0.0,
    warmup_steps=0, steps=400, epochs=None, batch_size=16, grad_accum=1,
    grad_checkpointing=False, max_grad_norm=1.0,
)  # fmt: skip
# The tiny preset changed on purpose (issue 15): at lr 1e-3 some seeds fell back onto one
# letter; at 5e-4 a late crossing needs 600 steps.
TINY = dict(TINY_BEFORE, learning_rate=5e-4, steps=600)
# hub-lora changed on purpose (issue 14): the same effective batch of 8, reached as 2 x 4
# accumulated passes with gradient checkpointing, so a 7B cell fits a 40 GB GPU (docs/gpu.md).
HUB = dict(
    TINY_BEFORE, method="lora", lora_dropout=0.05, tune_vision_tower=False,
    tune_projector=False, learning_rate=1e-4, steps=None, epochs=1.0, batch_size=2,
    grad_accum=4, grad_checkpointing=True,
)  # fmt: skip
# What the tiny model's entry dumped before presets filled model options: part of its cell keys.
TINY_MODEL_BEFORE = dict(
    name="tiny", dtype=None, device=None, image_max_pixels=None, trust_remote_code=False,
    attn_implementation="sdpa",
)  # fmt: skip


def test_presets_are_the_settings_they_stand_for():
    assert FinetuneConfig.from_preset("tiny").model_dump() == TINY
    assert FinetuneConfig.from_preset("hub-lora").model_dump() == HUB
    assert set(FINETUNE_PRESETS) == set(MODEL_PRESETS) == {"tiny", "hub-lora"}


def test_the_hub_effective_batch_is_the_one_before():
    hub = FinetuneConfig()
    assert hub.batch_size * hub.grad_accum == 8 and hub.grad_checkpointing


def test_the_tiny_models_entry_dumps_as_before_with_its_pinned_thread():
    # One field more: the pinned thread changes the tiny model's results (on a machine that
    # ran it on two threads), so its cell keys must change with it.
    assert ModelConfig(name="tiny").model_dump() == {**TINY_MODEL_BEFORE, "torch_threads": 1}


def test_a_hub_model_gets_the_pixel_cap_and_auto_attention():
    hub = ModelConfig(name="Qwen/Qwen2.5-VL-7B-Instruct")
    assert hub.image_max_pixels == HUB_IMAGE_MAX_PIXELS == 1280 * 28 * 28
    assert hub.attn_implementation == "auto"
    # Filled at validation, so the dump (a cell's key) holds the cap the cell uses.
    assert hub.model_dump()["image_max_pixels"] == HUB_IMAGE_MAX_PIXELS
    assert ModelConfig(name="x/y", image_max_pixels=None).image_max_pixels == HUB_IMAGE_MAX_PIXELS


def test_given_model_options_win_over_the_presets():
    given = ModelConfig(name="x/y", image_max_pixels=802816, attn_implementation="eager")
    assert (given.image_max_pixels, given.attn_implementation) == (802816, "eager")
    copy = ModelConfig(name="models/tiny-base", finetune_preset="tiny")  # the tiny model's
    assert (copy.image_max_pixels, copy.attn_implementation) == (None, "sdpa")


def test_the_library_default_is_safe_for_a_hub_model():
    default = FinetuneConfig()
    assert default == FinetuneConfig.from_preset("hub-lora")
    assert default.method == "lora" and default.learning_rate == 1e-4
    assert not default.tune_vision_tower and not default.tune_projector


@pytest.mark.parametrize("preset", ["tiny", "hub-lora"])
def test_one_budget_given_alone_replaces_the_presets_other(preset):
    assert FinetuneConfig.from_preset(preset, steps=10).epochs is None
    assert FinetuneConfig.from_preset(preset, epochs=2.0).steps is None
    with pytest.raises(ValidationError, match="exactly one of steps and epochs"):
        FinetuneConfig.from_preset(preset, steps=10, epochs=2.0)


def test_a_model_entry_chooses_its_preset():
    assert ModelConfig(name="tiny").preset == "tiny"
    assert ModelConfig(name="Qwen/Qwen2.5-VL-3B-Instruct").preset == "hub-lora"
    assert ModelConfig(name="models/tiny-base").preset == "hub-lora"  # a folder: any model
    copy = ModelConfig(name="models/tiny-base", finetune_preset="tiny")  # a copy of the base
    assert copy.preset == "tiny"
    with pytest.raises(ValidationError, match="unknown finetune preset 'lora'; use one of"):
        ModelConfig(finetune_preset="lora")


def test_an_unset_preset_leaves_the_models_dump_as_it_was():
    """The dump is part of every cell's key: models that do not set a preset keep theirs."""
    assert "finetune_preset" not in ModelConfig(name="tiny").model_dump(mode="json")
    chosen = ModelConfig(name="x/y", finetune_preset="tiny").model_dump(mode="json")
    assert chosen["finetune_preset"] == "tiny"

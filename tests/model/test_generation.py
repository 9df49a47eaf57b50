"""Generate mode decodes pure greedy, whatever the checkpoint's generation_config.json says."""

from __future__ import annotations

import logging

import pytest
import torch
from transformers import GenerationMixin

from tasktransfer.data.synthetic import generic_examples
from tasktransfer.model import EvalConfig, evaluate, load_model
from tasktransfer.model.evaluate import generation_settings, left_padded
from tasktransfer.model.prompting import encode
from tasktransfer.model.tiny import build_tiny_llava

GENERATE = EvalConfig(mode="generate", max_new_tokens=4, batch_size=6)
# Qwen2.5-VL-Instruct's generation_config.json sets sampling values and repetition_penalty
# 1.05; a penalty of 100 makes its effect on the random tiny model certain.
HUB_STYLE = dict(do_sample=True, repetition_penalty=100.0, temperature=0.1, top_p=0.001, top_k=1)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The same random tiny LLaVA saved twice: with transformers' defaults and hub-style."""
    root = tmp_path_factory.mktemp("generation")
    model, processor = build_tiny_llava(seed=0)
    model.save_pretrained(root / "plain")
    processor.save_pretrained(root / "plain")
    model.generation_config.update(**HUB_STYLE)
    model.save_pretrained(root / "hub")
    processor.save_pretrained(root / "hub")
    return root / "plain", root / "hub"


@pytest.fixture(scope="module")
def examples():
    return {"Generic": generic_examples(6, seed=3)}


def _outputs(folder, examples):
    result = evaluate(str(folder), examples, config=GENERATE, progress=False)
    return [p["output"] for p in result.predictions], result


def test_a_hub_repetition_penalty_does_not_change_the_output(folders, examples):
    plain, hub = folders
    # The control: generate as evaluation used to call it, and the hub's penalty applies.
    loaded = load_model(str(hub))
    batch = encode(examples["Generic"], loaded.processor, loaded.arch)
    inputs = left_padded(batch.inputs, batch.answer_index)
    with torch.no_grad():
        tokens = loaded.model.generate(**inputs, max_new_tokens=4, do_sample=False, num_beams=1)
    penalised = loaded.processor.batch_decode(
        tokens[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True
    )
    expected, _ = _outputs(plain, examples)
    assert penalised != expected, "the control must show the penalty changing the output"
    got, result = _outputs(hub, examples)
    assert got == expected
    assert result.meta["generation"] == generation_settings(GENERATE)


def test_the_effective_configuration_is_greedy(folders, examples, monkeypatch):
    """What generate actually runs with, after transformers merged the checkpoint's file."""
    effective = []
    prepare = GenerationMixin._prepare_generation_config

    def spy(self, generation_config, **kwargs):
        merged, model_kwargs = prepare(self, generation_config, **kwargs)
        effective.append(merged)
        return merged, model_kwargs

    monkeypatch.setattr(GenerationMixin, "_prepare_generation_config", spy)
    _, hub = folders
    _outputs(hub, examples)
    assert effective
    for config in effective:
        assert config.do_sample is False and config.num_beams == 1
        assert config.repetition_penalty == 1.0 and config.max_new_tokens == 4
        assert (config.temperature, config.top_p, config.top_k) == (1.0, 1.0, 50)


def test_no_generation_warnings(folders, examples, monkeypatch):
    """The checkpoint's sampling values would make transformers warn on every call."""
    warned = []

    def record(logger, message, *args, **kwargs):
        if logger.name.startswith("transformers.generation"):
            warned.append(message)

    # transformers warns through its loggers' warning_once, which caches: record it instead.
    monkeypatch.setattr(logging.Logger, "warning_once", record, raising=False)
    monkeypatch.setattr(logging.Logger, "warning", record)
    _, hub = folders
    _outputs(hub, examples)
    assert warned == []


def test_likelihood_mode_records_no_generation_settings(folders, examples):
    plain, _ = folders
    result = evaluate(str(plain), examples, config=EvalConfig(batch_size=6), progress=False)
    assert result.meta["generation"] is None

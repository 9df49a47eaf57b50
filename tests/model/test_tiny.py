"""The tiny models: sizes, tokenizer, LoRA targeting per architecture, the cached base."""

from __future__ import annotations

import json

import pytest
import torch

from tasktransfer.model import FinetuneConfig
from tasktransfer.model.architectures import get_architecture
from tasktransfer.model.finetune import select_modules
from tasktransfer.model.tiny import (
    TINY_BASE_RECIPE,
    TINY_BUILDERS,
    build_tiny_llava,
    recipe_key,
)

BUILDERS = TINY_BUILDERS


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def tiny(request):
    model, processor = BUILDERS[request.param](seed=0)
    return request.param, model, processor


def test_answer_letters_are_single_tokens_and_prompts_are_short(tiny):
    _, _, processor = tiny
    tokenizer = processor.tokenizer
    for letter in "ABCD":
        assert len(tokenizer.encode(letter, add_special_tokens=False)) == 1
    prompt = "Which point is closer?\nSelect from the following choices.\n(A) A\n(B) B"
    # The learned merges make a BLINK prompt far shorter than its bytes.
    assert len(tokenizer.encode(prompt)) < len(prompt.encode()) / 2
    assert tokenizer.decode(tokenizer.encode(prompt)) == prompt


def test_language_model_lora_never_touches_the_vision_tower(tiny):
    """Qwen2.5-VL's vision MLP has gate/up/down_proj too: the regex must skip them."""
    model_type, model, _ = tiny
    arch = get_architecture(model_type)
    selected = select_modules(model, arch, FinetuneConfig())
    lm = selected["language_model"]
    assert selected["vision_tower"] == [] and selected["projector"] == []
    # 2 layers x (q, k, v, o, gate, up, down).
    assert len(lm) == 14
    assert all(".language_model." in name for name in lm)
    vision_linears = [
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and arch.is_vision_tower(name)
    ]
    # The trap exists: the vision tower has same-named layers that a suffix match would hit.
    assert vision_linears and not set(vision_linears) & set(lm)
    if model_type == "qwen2_5_vl":
        assert any(name.endswith("mlp.up_proj") for name in vision_linears)


def test_vision_and_projector_options_add_their_modules(tiny):
    model_type, model, _ = tiny
    arch = get_architecture(model_type)
    both = FinetuneConfig(tune_vision_tower=True, tune_projector=True)
    selected = select_modules(model, arch, both)
    assert selected["vision_tower"] and selected["projector"]
    assert all(arch.is_projector(name) for name in selected["projector"])
    assert not any(arch.is_projector(name) for name in selected["vision_tower"])


def test_recipe_key_moves_with_the_recipe():
    assert recipe_key(TINY_BASE_RECIPE) == recipe_key(dict(TINY_BASE_RECIPE))
    assert recipe_key(TINY_BASE_RECIPE) != recipe_key({**TINY_BASE_RECIPE, "steps": 1})


def test_recipe_key_follows_the_frozen_tokenizer_not_the_generators(monkeypatch, tmp_path):
    # A generator change leaves the tokenizer, and so the base, as they are ...
    from dataclasses import replace

    from tasktransfer.data.synthetic import TASKS
    from tasktransfer.model import tiny

    before = recipe_key(TINY_BASE_RECIPE)
    counting = TASKS["Counting"]
    monkeypatch.setitem(TASKS, "Counting", replace(counting, version=counting.version + 1))
    assert recipe_key(TINY_BASE_RECIPE) == before
    # ... while new merges build a new base.
    frozen = json.loads(tiny.TOKENIZER_FILE.read_text(encoding="utf-8"))
    frozen["merges"] = frozen["merges"][:-1]
    retrained = tmp_path / "tiny_tokenizer.json"
    retrained.write_text(json.dumps(frozen), encoding="utf-8")
    monkeypatch.setattr(tiny, "TOKENIZER_FILE", retrained)
    assert recipe_key(TINY_BASE_RECIPE) != before


def test_tokenizer_uses_the_frozen_merges(monkeypatch, tmp_path):
    """Without its merges the tokenizer falls back to bytes: the file is what it reads."""
    from tasktransfer.model import tiny

    prompt = "Which point is closer to the camera?"
    merged = len(tiny._tokenizer(()).encode(prompt))
    frozen = json.loads(tiny.TOKENIZER_FILE.read_text(encoding="utf-8"))
    bytes_only = {token: i for i, token in enumerate(frozen["vocab"]) if len(token) == 1}
    plain = tmp_path / "tiny_tokenizer.json"
    plain.write_text(json.dumps({"vocab": bytes_only, "merges": []}), encoding="utf-8")
    monkeypatch.setattr(tiny, "TOKENIZER_FILE", plain)
    assert len(tiny._tokenizer(()).encode(prompt)) == len(prompt.encode()) > merged


def test_same_seed_same_weights():
    first, _ = build_tiny_llava(seed=3)
    second, _ = build_tiny_llava(seed=3)
    other, _ = build_tiny_llava(seed=4)
    a, b, c = (dict(m.named_parameters()) for m in (first, second, other))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)

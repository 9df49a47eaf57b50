"""Loading: both tiny architectures round-trip through save_pretrained and load_model."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from PIL import Image

from tasktransfer.data import Example, format_prompt
from tasktransfer.errors import InputError
from tasktransfer.model import ModelConfig, load_model
from tasktransfer.model.architectures import UnsupportedArchitectureError, get_architecture
from tasktransfer.model.prompting import answer_log_probs, encode, letter_log_probs
from tasktransfer.model.tiny import build_tiny_llava, build_tiny_qwen2_5_vl

BUILDERS = {"llava": build_tiny_llava, "qwen2_5_vl": build_tiny_qwen2_5_vl}


def _examples() -> list[Example]:
    """Three questions: 1 or 2 images of different sizes, 2 or 3 choices."""
    out = []
    for i, (n_images, choices) in enumerate(
        [(1, ("a", "b")), (2, ("a", "b", "c")), (1, ("x", "y"))]
    ):
        images = tuple(
            Image.new("RGB", (64 + 20 * k, 64), ("red", "blue")[k]) for k in range(n_images)
        )
        out.append(
            Example(
                idx=str(i),
                sub_task="Toy",
                question="Which?",
                choices=choices,
                answer="(B)",
                prompt=format_prompt("Which?", choices),
                images=images,
            )
        )
    return out


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def saved(request, tmp_path_factory):
    model, processor = BUILDERS[request.param](seed=0)
    folder = tmp_path_factory.mktemp(request.param)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return request.param, model, processor, folder


def test_round_trip_gives_identical_ids_and_logits(saved):
    model_type, model, processor, folder = saved
    loaded = load_model(str(folder))
    assert loaded.arch.model_type == model_type
    assert list(folder.glob("*.safetensors")), "weights must be saved as safetensors"
    arch = get_architecture(model_type)
    before = encode(_examples(), processor, arch)
    after = encode(_examples(), loaded.processor, loaded.arch)
    assert torch.equal(before.inputs["input_ids"], after.inputs["input_ids"])
    with torch.no_grad():
        logits_before = model(**before.inputs).logits
        logits_after = loaded.model(**after.inputs).logits
    assert torch.equal(logits_before, logits_after)


def test_answer_scores_do_not_depend_on_the_batch(saved):
    model_type, model, processor, _ = saved
    arch = get_architecture(model_type)
    examples = _examples()
    batch = encode(examples, processor, arch)
    with torch.no_grad():
        together = letter_log_probs(model(**batch.inputs).logits, batch)
        kept_only = answer_log_probs(model, batch)
        alone = torch.cat([answer_log_probs(model, encode([e], processor, arch)) for e in examples])
    assert torch.allclose(together, kept_only, atol=1e-5)
    assert torch.allclose(together, alone, atol=1e-5)
    # Letters beyond a question's choices are never predicted.
    assert torch.isinf(together[0, 2:]).all() and torch.isfinite(together[1, :3]).all()


def test_answer_position_is_the_last_prompt_token(saved):
    model_type, _, processor, _ = saved
    batch = encode(_examples(), processor, get_architecture(model_type))
    ids = batch.inputs["input_ids"]
    assistant = processor.tokenizer.encode("assistant\n", add_special_tokens=False)
    for row, position in enumerate(batch.answer_index.tolist()):
        assert ids[row, position - len(assistant) + 1 : position + 1].tolist() == assistant
        assert batch.inputs["attention_mask"][row, position + 1 :].sum() == 0
    assert batch.targets.tolist() == [1, 1, 1]


def test_image_max_pixels_is_applied_per_image():
    model, processor = build_tiny_qwen2_5_vl()
    arch = get_architecture("qwen2_5_vl")
    big = [replace(_examples()[0], images=(Image.new("RGB", (112, 112), "red"),))]
    full = encode(big, processor, arch)
    # 112x112 is 16 merged tokens; at most 56*56 px it is 56x56, 4 merged tokens.
    small = encode(big, processor, arch, image_max_pixels=56 * 56)
    image_token = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    count = lambda b: int((b.inputs["input_ids"] == image_token).sum())  # noqa: E731
    assert (count(small), count(full)) == (4, 16)


def test_dtype_override_and_description(saved, tmp_path):
    _, _, _, folder = saved
    loaded = load_model(ModelConfig(name=str(folder), dtype="bfloat16", image_max_pixels=4096))
    assert loaded.dtype == torch.bfloat16
    described = loaded.describe()
    assert described["image_max_pixels"] == 4096 and described["dtype"] == "bfloat16"


def test_bad_names_fail_clearly(tmp_path):
    with pytest.raises(InputError, match="no config.json"):
        load_model(str(tmp_path))
    with pytest.raises(InputError, match="hub id"):
        load_model("../not a model")
    with pytest.raises(UnsupportedArchitectureError, match="llava, qwen2_5_vl"):
        get_architecture("blip_2")

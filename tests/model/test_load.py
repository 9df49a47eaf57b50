"""Loading: every tiny architecture round-trips through save_pretrained and load_model."""

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
from tasktransfer.model.tiny import TINY_BUILDERS, build_tiny_qwen2_5_vl

BUILDERS = TINY_BUILDERS


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
    with pytest.raises(UnsupportedArchitectureError, match="llava_onevision, qwen2_5_vl"):
        get_architecture("blip_2")


def test_weights_load_straight_onto_the_device(saved, monkeypatch):
    """``device_map`` places each tensor as it is read: the loaded model is never moved."""
    from transformers import AutoModelForImageTextToText

    _, _, _, folder = saved
    calls, moved = [], []
    real_load = AutoModelForImageTextToText.from_pretrained.__func__
    real_to = torch.nn.Module.to

    def load(cls, *args, **kwargs):
        calls.append(kwargs)
        return real_load(cls, *args, **kwargs)

    def to(module, *args, **kwargs):
        moved.append(type(module).__name__)
        return real_to(module, *args, **kwargs)

    monkeypatch.setattr(AutoModelForImageTextToText, "from_pretrained", classmethod(load))
    monkeypatch.setattr(torch.nn.Module, "to", to)
    loaded = load_model(ModelConfig(name=str(folder), device="cpu"))
    assert [kwargs["device_map"] for kwargs in calls] == [torch.device("cpu")]
    assert type(loaded.model).__name__ not in moved


def test_no_device_map_under_deepspeed_zero3(saved, monkeypatch):
    """ZeRO-3 places the weights itself, and transformers refuses a device_map beside it."""
    import transformers.integrations
    from transformers import AutoModelForImageTextToText

    _, _, _, folder = saved
    calls = []
    real_load = AutoModelForImageTextToText.from_pretrained.__func__

    def load(cls, *args, **kwargs):
        calls.append(kwargs)
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(AutoModelForImageTextToText, "from_pretrained", classmethod(load))
    monkeypatch.setattr(transformers.integrations, "is_deepspeed_zero3_enabled", lambda: True)
    load_model(ModelConfig(name=str(folder), device="cpu"))
    assert "device_map" not in calls[0]


@pytest.mark.parametrize(
    ("installed", "device", "dtype", "expected"),
    [
        (True, "cuda", torch.bfloat16, "flash_attention_2"),
        (True, "cuda", torch.float16, "flash_attention_2"),
        (True, "cuda", torch.float32, "sdpa"),  # flash-attention runs in 16 bits only
        (True, "cpu", torch.bfloat16, "sdpa"),
        (False, "cuda", torch.bfloat16, "sdpa"),
    ],
)
def test_auto_attention_is_flash_attention_only_where_it_runs(
    monkeypatch, installed, device, dtype, expected
):
    import importlib.util

    from tasktransfer.model import load

    real = importlib.util.find_spec
    monkeypatch.setattr(
        load.importlib.util,
        "find_spec",
        lambda name, *a: (object() if installed else None) if name == "flash_attn" else real(name),
    )
    assert load.pick_attn_implementation("auto", torch.device(device), dtype) == expected
    assert load.pick_attn_implementation("eager", torch.device(device), dtype) == "eager"


def test_the_description_records_the_attention_used(saved):
    _, _, _, folder = saved
    hub_like = load_model(str(folder))  # a folder takes hub-lora's "auto": sdpa on the CPU
    assert hub_like.config.attn_implementation == "auto"
    assert hub_like.describe()["attn_implementation"] == "sdpa"
    eager = load_model(ModelConfig(name=str(folder), attn_implementation="eager"))
    assert eager.describe()["attn_implementation"] == "eager"
    assert eager.model.config._attn_implementation == "eager"


def test_a_stock_processor_is_saved_as_transformers_saves_it(tmp_path):
    """Only a processor class of ours is renamed; LLaVA's folder is what save_pretrained writes."""
    from tasktransfer.model.load import save_processor
    from tasktransfer.model.tiny import build_tiny_llava

    _, processor = build_tiny_llava(seed=0)
    processor.save_pretrained(tmp_path / "plain")
    save_processor(processor, tmp_path / "ours")
    files = sorted(p.name for p in (tmp_path / "plain").iterdir())
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == files
    for name in files:
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()

"""The pixel cap: one value in training and evaluation, recorded by the adapter, checked."""

from __future__ import annotations

import json

import pytest

from tasktransfer.data.synthetic import generic_examples
from tasktransfer.errors import InputError
from tasktransfer.model import EvalConfig, FinetuneConfig, ModelConfig, evaluate, finetune
from tasktransfer.model.tiny import build_tiny_qwen2_5_vl

CAP = 64 * 64  # the tiny model's images are 64 px: any cap is safe for its results


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A random tiny Qwen2.5-VL folder and a one-step full finetune of it at ``CAP``."""
    model, processor = build_tiny_qwen2_5_vl(seed=0)
    base = tmp_path_factory.mktemp("qwen")
    model.save_pretrained(base)
    processor.save_pretrained(base)
    out = finetune(
        ModelConfig(name=str(base), image_max_pixels=CAP),
        generic_examples(4, seed=1),
        tmp_path_factory.mktemp("ft") / "full",
        config=FinetuneConfig.from_preset("tiny", steps=1, batch_size=4),
        progress=False,
    )
    return base, out


def _evaluate(base, out, *, cap, **settings):
    examples = generic_examples(2, seed=2)
    return evaluate(
        ModelConfig(name=str(base), image_max_pixels=cap),
        {examples[0].sub_task: examples},
        adapters={"ft": out},
        config=EvalConfig(**settings),
        progress=False,
    )


def test_the_adapter_records_its_cap(trained):
    _, out = trained
    assert json.loads((out / "meta.json").read_text())["model"]["image_max_pixels"] == CAP


def test_a_cap_mismatch_is_refused_with_the_way_out(trained):
    base, out = trained
    message = (
        r"adapter 'ft' was trained with image_max_pixels=4096 but this evaluation caps images "
        r"at 1003520; set model.image_max_pixels=4096, or allow_pixel_cap_mismatch=true"
    )
    with pytest.raises(InputError, match=message):
        _evaluate(base, out, cap=None)  # None: the hub-lora preset's cap, 1003520


def test_the_same_cap_or_an_allowed_mismatch_evaluates(trained):
    base, out = trained
    assert _evaluate(base, out, cap=CAP).rows[0]["n_total"] == 2
    assert _evaluate(base, out, cap=None, allow_pixel_cap_mismatch=True).rows[0]["n_total"] == 2


def test_allowing_a_mismatch_leaves_the_settings_dump_alone_when_off():
    """The evaluation settings' dump is part of every cell key."""
    assert "allow_pixel_cap_mismatch" not in EvalConfig().model_dump()
    assert EvalConfig(allow_pixel_cap_mismatch=True).model_dump()["allow_pixel_cap_mismatch"]


def test_a_full_finetune_names_a_processor_class_autoprocessor_knows(trained):
    """Ours (ImageOnlyQwen2_5_VLProcessor) is unknown to AutoProcessor: it fell back to the
    tokenizer alone. The stock class loads the folder as it loads the hub checkpoint."""
    from transformers import AutoProcessor, Qwen2_5_VLProcessor

    _, out = trained
    for name in ("processor_config.json", "tokenizer_config.json"):
        assert json.loads((out / name).read_text())["processor_class"] == "Qwen2_5_VLProcessor"
    try:
        import torchvision  # noqa: F401
    except ImportError:
        # Qwen2_5_VLProcessor always builds a video processor, which needs torchvision (a
        # hub Qwen2.5-VL folder fails the same way here). Reaching it shows the class and
        # the video processor's settings (preprocessor_config.json) were found.
        with pytest.raises(ImportError, match="Qwen2VLVideoProcessor requires the Torchvision"):
            AutoProcessor.from_pretrained(out)
    else:
        assert isinstance(AutoProcessor.from_pretrained(out), Qwen2_5_VLProcessor)

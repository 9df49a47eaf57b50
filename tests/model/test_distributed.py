"""Finetuning in several processes (gloo on the CPU) and the accelerate settings' checks."""

from __future__ import annotations

import importlib.util
import json

import pytest
from safetensors.torch import load_file

from tasktransfer.data.synthetic import generic_examples
from tasktransfer.errors import InputError
from tasktransfer.model import FinetuneConfig, finetune

# 17 examples in batches of 5: the fourth batch has 2, so with grad_accum 2 the second step
# sees the short batch, split 1 + 1, and a full batch, split 3 + 2 (unequal shares).
EXAMPLES = generic_examples(17, seed=7)
TWO_STEPS = FinetuneConfig.from_preset(
    "tiny", method="lora", steps=2, batch_size=5, grad_accum=2, warmup_steps=2
)


def _losses(out):
    return [json.loads(line)["loss"] for line in (out / "loss_log.jsonl").read_text().splitlines()]


def test_two_processes_give_the_adapter_of_one(random_model, tmp_path):
    """Same effective batch (5 x 2 per step), the work split over two gloo processes."""
    one = finetune(random_model, EXAMPLES, tmp_path / "one", config=TWO_STEPS, progress=False)
    two = finetune(random_model, EXAMPLES, tmp_path / "two", config=TWO_STEPS, processes=2)
    assert json.loads((two / "meta.json").read_text())["processes"] == 2
    assert _losses(two) == pytest.approx(_losses(one), rel=1e-5)
    a, b = (
        load_file(one / "adapter_model.safetensors"),
        load_file(two / "adapter_model.safetensors"),
    )
    assert a.keys() == b.keys()
    # Two Adam steps of about lr = 5e-4 each (warm-up halves the first); gradients summed
    # in another order differ by float rounding only, orders of magnitude below a step.
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-5
    assert not list(tmp_path.glob(".two.*")), "the job file must be gone"


def test_a_failed_process_fails_the_launch(random_model, tmp_path):
    # 16 examples in batches of 5 end in a batch of 1: too few for two processes.
    with pytest.raises(RuntimeError, match="2-process finetune .* failed"):
        finetune(random_model, EXAMPLES[:16], tmp_path / "ft", config=TWO_STEPS, processes=2)
    assert not (tmp_path / "ft").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"distributed": "fsdp"}, "needs CUDA GPUs"),
        ({"distributed": "deepspeed-zero3"}, "needs CUDA GPUs"),
        ({"quantize": "4bit"}, "needs a CUDA GPU and bitsandbytes"),
    ],
)
def test_gpu_only_settings_fail_clearly_on_the_cpu(random_model, tmp_path, settings, message):
    config = TWO_STEPS.model_copy(update=settings)
    with pytest.raises(InputError, match=message):
        finetune(random_model, EXAMPLES, tmp_path / "ft", config=config, progress=False)
    assert not (tmp_path / "ft").exists()


def test_sharding_plugins_build_for_a_launched_run(monkeypatch):
    """This accelerate accepts the plugins' settings; sharded training itself needs GPUs."""
    from tasktransfer.model.distributed import _sharding_plugin

    monkeypatch.setenv("WORLD_SIZE", "2")
    assert _sharding_plugin(FinetuneConfig(distributed="fsdp"))["fsdp_plugin"].fsdp_version == 2
    if importlib.util.find_spec("deepspeed") is None:
        with pytest.raises(InputError, match="pip install deepspeed"):
            _sharding_plugin(FinetuneConfig(distributed="deepspeed-zero3"))


def test_quantize_needs_lora():
    with pytest.raises(ValueError, match="LoRA adapters only"):
        FinetuneConfig(method="full", quantize="4bit")


@pytest.mark.parametrize("tracker", ["wandb", "tensorboard", "mlflow"])
def test_report_to_a_missing_tracker_fails_before_training(random_model, tmp_path, tracker):
    from accelerate.tracking import get_available_trackers

    if tracker in {str(t) for t in get_available_trackers()}:
        pytest.skip(f"{tracker} is installed here")
    config = TWO_STEPS.model_copy(update={"report_to": (tracker,)})
    with pytest.raises(InputError, match=f"pip install {tracker}"):
        finetune(random_model, EXAMPLES, tmp_path / "ft", config=config, progress=False)


def test_report_to_tensorboard_writes_into_the_output(random_model, tmp_path):
    pytest.importorskip("tensorboard")
    config = TWO_STEPS.model_copy(update={"report_to": ("tensorboard",)})
    out = finetune(random_model, EXAMPLES, tmp_path / "ft", config=config, progress=False)
    assert list(out.glob("tasktransfer/events.out.tfevents.*"))


def test_new_settings_stay_out_of_dumps_at_their_defaults():
    """So that the cell keys of studies made before these settings stay valid."""
    dump = FinetuneConfig().model_dump()
    assert not {"distributed", "quantize", "report_to"} & dump.keys()
    assert FinetuneConfig(report_to=["mlflow"]).model_dump()["report_to"] == ("mlflow",)

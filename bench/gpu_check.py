"""GPU check: Qwen2.5-VL-3B with random weights through the project's own finetune and evaluation.

Offline, and at most about 8 minutes on one H200. The model is built with random weights from
``bench/configs/qwen2_5_vl_3b_instruct.json``, the published configuration (the tiny BPE
tokenizer stands in for Qwen's: prompts are close to the real ones, not equal), saved to a
temporary folder and used as a user's model folder would be. The questions are synthetic, one
per BLINK task in turn, with BLINK's number of images per task, at ``--image-size`` pixels a
side (default 896: 0.8 MP, under the ``hub-lora`` cap of 1,003,520 pixels, as BLINK's larger
photos are after the cap). Each figure is printed against the alternative it is named with:

1. training: LoRA with the ``hub-lora`` preset as it is (``FinetuneConfig()``: rank 16 on the
   language model, 2 questions per pass x 4 accumulated, gradient checkpointing), one epoch,
   through :func:`tasktransfer.model.finetune`. Tokens/s, and MFU: model FLOP/s as a
   percentage of the peak (``--peak-tflops``, default 989, the dense bf16 peak of H100/H200
   SXM; on the CPU, the fp32 matmul rate measured in this run). Model FLOPs per token: 4 x the
   language model's matmul parameters (forward, and input gradients: frozen weights need no
   weight gradients) + 2 x the vision tower's per patch (frozen, forward only); recomputation
   and attention's quadratic term are not counted, so MFU understates the GPU's work. Steps 2
   to N are timed (the first pays for CUDA's warm-up), at the run's mean tokens per step;
2. scoring: likelihood scoring, batch 16 (``EvalConfig()``), against greedy generate one
   question at a time (``--max-new-tokens``; random weights never stop early), BLINK's own
   way: the ratio of questions/s;
3. sharing: 8 LoRA adapters in one evaluation with shared image features against the same
   8 adapters with a full pass each (``share_image_features=False``): the ratio of times;
4. memory: peak allocated memory in training and in evaluation, as a percentage of the GPU's
   memory (on the CPU: the process's peak resident memory, of the machine's).

Evaluation is timed without model loading (the evaluation loop of
:func:`tasktransfer.model.evaluate`, on a model loaded once per setting).

    python bench/gpu_check.py           # the 3B configuration (a GPU; bf16)
    python bench/gpu_check.py --tiny    # same architecture, shrunk: seconds on a CPU

On the CPU, torch runs on ``--threads`` threads (default 1): on a CPU shared with other jobs,
OpenMP threads wait on each other and times swing several-fold.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

CONFIG = Path(__file__).parent / "configs" / "qwen2_5_vl_3b_instruct.json"
# --tiny: the same architecture, CPU-sized (head_dim 64, so mrope sections sum to 32).
TINY_TEXT = dict(
    hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
    num_key_value_heads=2, rope_scaling={"type": "mrope", "mrope_section": [8, 12, 12]},
)  # fmt: skip
TINY_VISION = dict(
    depth=4, hidden_size=128, intermediate_size=256, num_heads=4, out_hidden_size=256,
    fullatt_block_indexes=[3],
)  # fmt: skip
ADAPTERS = 8


def build(folder: Path, tiny: bool, device, dtype):
    """Save the random-weight model and its processor into ``folder``.

    Returns the processor and the matmul parameters of the language model and vision tower.
    """
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    from tasktransfer.model.architectures import get_architecture
    from tasktransfer.model.processors import ImageOnlyQwen2_5_VLProcessor
    from tasktransfer.model.tiny import build_tiny_qwen2_5_vl

    _, tiny_processor = build_tiny_qwen2_5_vl()  # its tokenizer's ids fit Qwen's vocabulary
    tokenizer = tiny_processor.tokenizer
    processor = ImageOnlyQwen2_5_VLProcessor(
        # The Instruct checkpoint's own limits; the hub-lora cap applies before them.
        image_processor=Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=12845056),
        tokenizer=tokenizer,
        chat_template=tiny_processor.chat_template,
    )
    values = json.loads(CONFIG.read_text())
    if tiny:
        values.update(TINY_TEXT, vocab_size=len(tokenizer))
        values["vision_config"].update(TINY_VISION)
    ids = tokenizer.convert_tokens_to_ids
    values.update(
        bos_token_id=None,
        eos_token_id=ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.from_dict(values)).to(dtype)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    arch = get_architecture("qwen2_5_vl")
    counts = {"language": 0, "vision": 0}
    for name, parameter in model.named_parameters():
        if arch.is_vision_tower(name) or arch.is_projector(name):
            counts["vision"] += parameter.numel()
        # The embedding is a lookup, and the (tied) output layer runs at one position only.
        elif "embed_tokens" not in name and "lm_head" not in name:
            counts["language"] += parameter.numel()
    return processor, counts


def questions(split: str, per_task: int, image_size: int) -> dict:
    from tasktransfer.data import load_examples
    from tasktransfer.tasks import REGISTRY

    return load_examples("synthetic", list(REGISTRY), split, limit=per_task, image_size=image_size)


def interleaved(by_task: dict) -> list:
    """One question of each task in turn, so that every batch mixes image counts."""
    columns = list(by_task.values())
    return [ex for row in zip(*columns, strict=False) for ex in row]


def sizes(examples, processor, cap: int | None) -> tuple[int, int]:
    """Tokens and vision patches of ``examples`` as training encodes them."""
    from tasktransfer.model.architectures import get_architecture
    from tasktransfer.model.prompting import encode

    arch = get_architecture("qwen2_5_vl")
    tokens = patches = 0
    for start in range(0, len(examples), 8):
        batch = encode(examples[start : start + 8], processor, arch, image_max_pixels=cap)
        tokens += int(batch.inputs["attention_mask"].sum())
        patches += int(batch.inputs["image_grid_thw"].prod(dim=1).sum())
    return tokens, patches


def matmul_tflops(device, dtype, size: int = 1024) -> float:
    """The measured dense matmul rate: the CPU's practical peak."""
    import torch

    a = torch.randn(size, size, device=device, dtype=dtype)
    a @ a
    start, reps = time.perf_counter(), 5
    for _ in range(reps):
        a @ a
    return 2 * size**3 * reps / (time.perf_counter() - start) / 1e12


class Memory:
    """Peak memory per phase: allocated on CUDA; resident for the whole process on the CPU."""

    def __init__(self, device):
        import torch

        self.cuda = device.type == "cuda"
        if self.cuda:
            self.total = torch.cuda.get_device_properties(device).total_memory
            self.name = f"the GPU's {self.total / 2**30:.1f} GiB"
        else:
            self.total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            self.name = f"the machine's {self.total / 2**30:.1f} GiB (process peak so far)"

    def reset(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def peak(self) -> str:
        import torch

        if self.cuda:
            used = torch.cuda.max_memory_allocated()
        else:
            used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        return f"{used / 2**30:.1f} GiB = {used / self.total:.1%} of {self.name}"


def timed_evaluation(loaded, states, tasks, config, device) -> tuple[float, list]:
    """Seconds of the evaluation loop alone, on a model loaded before the clock starts."""
    import torch

    from tasktransfer.model.evaluate import _evaluate_states  # the loop evaluate() runs

    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    _, shared = _evaluate_states(loaded, states, tasks, config, lambda n: None)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, shared


def adapters_from(trained: Path, folder: Path, k: int) -> dict[str, Path]:
    """``k`` adapters: the trained one with seeded noise on every LoRA weight."""
    import torch
    from safetensors.torch import load_file, save_file

    weights = load_file(trained / "adapter_model.safetensors")
    out = {}
    for i in range(k):
        generator = torch.Generator().manual_seed(i)
        noisy = {
            key: value + 0.01 * torch.randn(value.shape, generator=generator).to(value.dtype)
            for key, value in weights.items()
        }
        path = folder / f"adapter_{i}"
        path.mkdir()
        save_file(noisy, path / "adapter_model.safetensors")
        for name in ("adapter_config.json", "meta.json"):
            shutil.copy(trained / name, path / name)
        out[f"adapter_{i}"] = path
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="shrunk configuration (CPU)")
    parser.add_argument("--image-size", type=int, default=None, help="image side (896; tiny 112)")
    parser.add_argument("--train-per-task", type=int, default=None, help="(8; tiny 2)")
    parser.add_argument("--eval-per-task", type=int, default=None, help="(4; tiny 1)")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="CUDA bf16 peak")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1: steadiest)")
    args = parser.parse_args()

    import torch

    from tasktransfer.model import EvalConfig, FinetuneConfig, ModelConfig, finetune, load_model

    began = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if device.type == "cpu":
        # On a shared CPU, OpenMP threads wait on each other: one thread was 4x faster here.
        torch.set_num_threads(args.threads)
    image_size = args.image_size or (112 if args.tiny else 896)
    train_per_task = args.train_per_task or (2 if args.tiny else 8)
    eval_per_task = args.eval_per_task or (1 if args.tiny else 4)
    memory = Memory(device)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        processor, counts = build(tmp / "base", args.tiny, device, dtype)
        model = ModelConfig(name=str(tmp / "base"))  # hub-lora: the 1 MP cap, auto attention
        train = interleaved(questions("train", train_per_task, image_size))
        per_step = FinetuneConfig().batch_size * FinetuneConfig().grad_accum
        train = train[: len(train) // per_step * per_step]  # whole steps: one exact epoch
        targets = questions("val", eval_per_task, image_size)
        n_eval = sum(len(v) for v in targets.values())
        tokens, patches = sizes(train, processor, model.image_max_pixels)
        name = "tiny Qwen2.5-VL (3B shrunk)" if args.tiny else "Qwen2.5-VL-3B"
        print(f"{name}, random weights, {device.type} {str(dtype).removeprefix('torch.')}: "
              f"language model {counts['language'] / 1e9:.3f} B + vision "
              f"{counts['vision'] / 1e9:.3f} B matmul parameters; {image_size} px images, "
              f"{tokens / len(train):.0f} tokens and {patches / len(train):.0f} patches per "
              f"training question")  # fmt: skip

        # 1. Training, the hub-lora preset as it is.
        memory.reset()
        config = FinetuneConfig()
        trained = finetune(model, train, tmp / "trained", config=config, progress=False)
        train_memory = memory.peak()
        meta = json.loads((trained / "meta.json").read_text())
        log = [json.loads(line) for line in (trained / "loss_log.jsonl").read_text().splitlines()]
        assert meta["tokens"] == tokens, "the bench and the recipe must see the same tokens"
        steps = len(log)
        seconds = log[-1]["elapsed_s"] - log[0]["elapsed_s"]
        share = (steps - 1) / steps
        flops = share * (4 * counts["language"] * tokens + 2 * counts["vision"] * patches)
        if device.type == "cuda":
            peak, peak_name = args.peak_tflops, f"bf16 dense peak ({args.peak_tflops:.0f} TFLOP/s)"
        else:
            peak = matmul_tflops(device, dtype)
            peak_name = f"fp32 matmul rate measured here ({peak:.3f} TFLOP/s)"
        print(f"training  : {share * tokens / seconds:,.0f} tokens/s over steps 2-{steps} "
              f"(hub-lora: LoRA r{config.lora_rank}, {config.batch_size} x {config.grad_accum} "
              f"per step, checkpointing {'on' if config.grad_checkpointing else 'off'}); MFU "
              f"{flops / seconds / 1e12 / peak:.1%} of the {peak_name}")  # fmt: skip

        # 2. Scoring against one-question generate, on the base model.
        memory.reset()
        base, loaded = {"base": None}, load_model(model)
        timed_evaluation(loaded, base, targets, EvalConfig(), device)  # warm-up
        score_s, _ = timed_evaluation(loaded, base, targets, EvalConfig(), device)
        blink = EvalConfig(mode="generate", batch_size=1, max_new_tokens=args.max_new_tokens)
        generate_s, _ = timed_evaluation(loaded, base, targets, blink, device)
        del loaded  # the adapters load onto a fresh copy each time
        print(f"scoring   : {n_eval / score_s:.2f} questions/s (batch 16) vs generate "
              f"{n_eval / generate_s:.2f} (one at a time, {args.max_new_tokens} tokens): "
              f"scoring {generate_s / score_s:.1f}x faster, on {n_eval} questions")  # fmt: skip

        # 3. Eight adapters: shared image features against a full pass each.
        states = adapters_from(trained, tmp, ADAPTERS)
        loaded = load_model(model)
        shared_s, shared = timed_evaluation(loaded, states, targets, EvalConfig(), device)
        assert len(shared) == ADAPTERS, "every language-model adapter should share"
        unshared = EvalConfig(share_image_features=False)
        loaded = load_model(model)
        unshared_s, _ = timed_evaluation(loaded, states, targets, unshared, device)
        print(f"sharing   : {ADAPTERS} adapters x {n_eval} questions in {shared_s:.1f} s with "
              f"shared image features vs {unshared_s:.1f} s with a full pass each: sharing "
              f"{unshared_s / shared_s:.2f}x faster")  # fmt: skip
        print(f"memory    : training peak {train_memory}; evaluation peak {memory.peak()}")
    print(f"(whole check: {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    from tasktransfer.cli.quiet import quiet_libraries

    with quiet_libraries():  # the figures only, as the CLI prints them
        main()

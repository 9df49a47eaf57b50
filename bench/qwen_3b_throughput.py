"""LoRA training tokens/s and scoring questions/s of Qwen2.5-VL-3B (random weights, no download).

Builds ``Qwen2_5_VLForConditionalGeneration`` from the published Qwen2.5-VL-3B-Instruct
configuration (values written below), LoRA r16 on the language model as
``FinetuneConfig()`` (the ``hub-lora`` preset) does, and times, on synthetic questions encoded by
:func:`tasktransfer.model.prompting.encode` (the project's own prompt path; the tiny BPE
tokenizer stands in for Qwen's, so text lengths are close but not equal):

- training: forward + backward + AdamW step of the answer-letter loss;
- scoring: batched likelihood forward (``answer_log_probs``) under ``torch.no_grad``.

It prints achieved FLOP/s as a fraction of peak: on CUDA the bf16 dense peak given by
``--peak-tflops`` (default 989, H100/H200 SXM); on CPU the fp32 matmul rate measured in the
same run (so the fraction says how close the model gets to the machine's own GEMM speed).
On CPU the default is a reduced configuration (same architecture, smaller widths).

    python bench/qwen_3b_throughput.py                 # CPU: reduced config
    python bench/qwen_3b_throughput.py --full          # the real 3B config (GPU)
"""

from __future__ import annotations

import argparse
import time

# Qwen/Qwen2.5-VL-3B-Instruct config.json (text and vision parts).
QWEN_3B_TEXT = dict(
    vocab_size=151936,
    hidden_size=2048,
    intermediate_size=11008,
    num_hidden_layers=36,
    num_attention_heads=16,
    num_key_value_heads=2,
    max_position_embeddings=128000,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                     "mrope_section": [16, 24, 24]},
)  # fmt: skip
QWEN_3B_VISION = dict(
    depth=32,
    hidden_size=1280,
    intermediate_size=3420,
    num_heads=16,
    out_hidden_size=2048,
    patch_size=14,
    spatial_merge_size=2,
    temporal_patch_size=2,
    window_size=112,
    fullatt_block_indexes=[7, 15, 23, 31],
    tokens_per_second=2,
)
# Same architecture, CPU-sized: head_dim 64 (mrope sections sum to 32).
REDUCED_TEXT = dict(
    QWEN_3B_TEXT, hidden_size=256, intermediate_size=1024, num_hidden_layers=4,
    num_attention_heads=4, num_key_value_heads=2,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                     "mrope_section": [8, 12, 12]},
)  # fmt: skip
REDUCED_VISION = dict(
    QWEN_3B_VISION, depth=4, hidden_size=128, intermediate_size=256, num_heads=4,
    out_hidden_size=256, fullatt_block_indexes=[3],
)  # fmt: skip


def build(full: bool, image_pixels: int, device, dtype):
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    from tasktransfer.model.processors import ImageOnlyQwen2_5_VLProcessor
    from tasktransfer.model.tiny import build_tiny_qwen2_5_vl

    _, tiny = build_tiny_qwen2_5_vl()  # its tokenizer's ids fit any Qwen vocabulary
    tokenizer = tiny.tokenizer
    ids = tokenizer.convert_tokens_to_ids
    processor = ImageOnlyQwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=image_pixels),
        tokenizer=tokenizer,
        chat_template=tiny.chat_template,
    )
    config = Qwen2_5_VLConfig(
        text_config=dict(QWEN_3B_TEXT if full else REDUCED_TEXT, bos_token_id=None,
                         eos_token_id=ids("<|im_end|>"), pad_token_id=tokenizer.pad_token_id),
        vision_config=QWEN_3B_VISION if full else REDUCED_VISION,
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )  # fmt: skip
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration(config).to(dtype)
    return model, processor


def questions(n: int, image_size: int):
    from tasktransfer.data import load_examples

    tasks = ["Relative_Depth", "Spatial_Relation", "Counting", "Jigsaw"]
    loaded = load_examples("synthetic", tasks, "val", limit=n, image_size=image_size)
    return [e for task in tasks for e in loaded[task]][:n]


def matmul_tflops(device, dtype, size: int) -> float:
    """Measured dense matmul rate: the CPU's practical peak."""
    import torch

    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    start, reps = time.perf_counter(), 5
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * size**3 * reps / (time.perf_counter() - start) / 1e12


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    import torch
    from peft import LoraConfig, get_peft_model

    from tasktransfer.model.architectures import get_architecture
    from tasktransfer.model.prompting import answer_log_probs, encode

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the real 3B configuration")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=None, help="timed steps per phase")
    parser.add_argument("--image-size", type=int, default=None, help="synthetic image side")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="CUDA bf16 peak")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    full = args.full or device.type == "cuda"
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    image_size = args.image_size or (448 if full else 112)
    steps = args.steps or (10 if device.type == "cuda" else 3)
    model, processor = build(full, image_size * image_size, device, dtype)
    arch = get_architecture("qwen2_5_vl")
    # Matmul parameters per token: the embedding table is a lookup and the (tied) output layer
    # runs at the answer position only, so neither counts.
    lm_params = sum(
        p.numel()
        for n, p in model.named_parameters()
        if not arch.is_vision_tower(n) and "embed_tokens" not in n and "lm_head" not in n
    )
    vision_params = sum(p.numel() for n, p in model.named_parameters() if arch.is_vision_tower(n))
    examples = questions(args.batch_size * (steps + 1), image_size)
    batches = [
        encode(examples[i : i + args.batch_size], processor, arch).to(device)
        for i in range(0, len(examples), args.batch_size)
    ]
    tokens = [int(b.inputs["attention_mask"].sum()) for b in batches]
    patches = [int(b.inputs["image_grid_thw"].prod(dim=1).sum()) for b in batches]
    print(f"device {device}, dtype {dtype}, {'3B' if full else 'reduced'} config: "
          f"LM {lm_params / 1e6:.1f} M + vision {vision_params / 1e6:.1f} M parameters; "
          f"{tokens[0] / args.batch_size:.0f} tokens and {patches[0] / args.batch_size:.0f} "
          f"patches per question")  # fmt: skip
    if device.type == "cuda":
        peak = args.peak_tflops
        peak_name = "bf16 dense peak (--peak-tflops)"
    else:
        peak = matmul_tflops(device, dtype, 1024)
        peak_name = "measured fp32 matmul rate"

    # Scoring: forward only. FLOPs ~ 2 x parameters x tokens (patches for the vision tower).
    model.eval()
    with torch.no_grad():
        answer_log_probs(model, batches[0])
        _sync(device)
        start = time.perf_counter()
        for batch in batches[1:]:
            answer_log_probs(model, batch)
        _sync(device)
    seconds = time.perf_counter() - start
    flops = sum(
        2 * lm_params * t + 2 * vision_params * p
        for t, p in zip(tokens[1:], patches[1:], strict=True)
    )
    print(f"scoring : {steps * args.batch_size / seconds:8.2f} questions/s, "
          f"{flops / seconds / 1e12:7.3f} TFLOP/s = {flops / seconds / 1e12 / peak:6.1%} "
          f"of the {peak_name} ({peak:.3f} TFLOP/s)")  # fmt: skip

    # LoRA training: frozen weights need no weight gradients, so ~4 x parameters x tokens in
    # the language model (forward 2, input gradients 2); the frozen vision tower runs forward.
    lora = LoraConfig(r=16, lora_alpha=32, target_modules=arch.language_model_targets)
    model = get_peft_model(model, lora).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step(batch):
        scores = answer_log_probs(model, batch)
        loss = -scores[torch.arange(len(batch.targets), device=device), batch.targets].mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step(batches[0])
    _sync(device)
    start = time.perf_counter()
    for batch in batches[1:]:
        step(batch)
    _sync(device)
    seconds = time.perf_counter() - start
    flops = sum(
        4 * lm_params * t + 2 * vision_params * p
        for t, p in zip(tokens[1:], patches[1:], strict=True)
    )
    print(f"training: {sum(tokens[1:]) / seconds:8.0f} tokens/s, "
          f"{flops / seconds / 1e12:7.3f} TFLOP/s = {flops / seconds / 1e12 / peak:6.1%} "
          f"of the {peak_name}")  # fmt: skip
    if device.type == "cuda":
        print(f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()

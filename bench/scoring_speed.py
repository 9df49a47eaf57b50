"""How fast is evaluation? Batched letter scoring and shared image features, on the tiny model.

Measured in one run, on the same synthetic questions (13 tasks x ``--n`` val questions), all
through :func:`tasktransfer.model.evaluate`:

1. likelihood scoring, batch ``--batch-size``, against generate one question at a time
   (greedy, ``--max-new-tokens``), as BLINK's official evaluation runs; also against
   one-token generate, the cheapest possible generate loop;
2. ``--k`` LoRA adapters (language model only, rank 16) in one call with shared image
   features, against the same call without sharing, and against ``--k`` separate calls
   (one adapter each: the base loaded, prompts encoded and images encoded ``--k`` times);
3. where the time of a batched pass goes: vision tower + projector
   (``get_image_features``) against the language model (forward with the features given).

The default model is the tiny LLaVA with random weights: the same architecture and shapes as
the cached tiny base, so the same cost per token; generate never meets an end-of-turn token
with random weights and always runs the full budget (the trained base, taught only the
answer letter, does the same). ``--model tiny`` uses the trained base (built on first use).

Reading the numbers on a CPU: a one-question forward over a ~250-token prompt is already a
matrix product, so batching adds little; scoring wins by skipping the decode steps, and the
ratio to generate grows with ``--max-new-tokens``. Sharing image features saves at most the
vision tower's share of a pass (printed last); the rest of the gain over separate
evaluations is loading the base and encoding the questions once. Threads default to 1:
on a CPU shared with other jobs, two OpenMP threads wait on each other and times swing by
several-fold.

    .venv/bin/python bench/scoring_speed.py [--n 8] [--k 8] [--batch-size 16] [--threads 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _tiny_random(folder: Path) -> str:
    from tasktransfer.model.tiny import build_tiny_llava

    model, processor = build_tiny_llava(seed=0)
    model.save_pretrained(folder / "base")
    processor.save_pretrained(folder / "base")
    return str(folder / "base")


def _adapters(model_name: str, folder: Path, k: int) -> dict[str, Path]:
    """``k`` language-model LoRA adapters with random (non-zero) weights."""
    import torch
    from peft import LoraConfig, get_peft_model

    from tasktransfer.model import load_model

    out = {}
    for i in range(k):
        loaded = load_model(model_name)
        torch.manual_seed(i)
        lora = LoraConfig(
            r=16,
            lora_alpha=32,
            target_modules=loaded.arch.language_model_targets,
            init_lora_weights=False,
        )
        get_peft_model(loaded.model, lora).save_pretrained(folder / f"adapter_{i}")
        out[f"adapter_{i}"] = folder / f"adapter_{i}"
    return out


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _best(fn, repeats: int):
    """The last result and the fastest of ``repeats`` runs (the least disturbed by other load)."""
    runs = [_timed(fn) for _ in range(repeats)]
    return runs[-1][0], min(seconds for _, seconds in runs)


def _split(model_name: str, examples_by_task, batch_size: int) -> tuple[float, float]:
    """Seconds in the vision tower + projector and in the language model, batched."""
    import torch

    from tasktransfer.model import answer_log_probs, encode, load_model
    from tasktransfer.model.evaluate import image_features

    loaded = load_model(model_name)
    batches = [
        encode(examples[i : i + batch_size], loaded.processor, loaded.arch)
        for examples in examples_by_task.values()
        for i in range(0, len(examples), batch_size)
    ]
    vision_s = language_s = 0.0
    with torch.inference_mode():
        for batch in batches:
            features, seconds = _timed(lambda b=batch: image_features(loaded.model, b.inputs))
            vision_s += seconds
            inputs = {k: v for k, v in batch.inputs.items() if k != "pixel_values"}
            inputs["mm_encoder_outputs"] = {"image": features}
            shared = replace(batch, inputs=inputs)
            _, seconds = _timed(lambda b=shared: answer_log_probs(loaded.model, b))
            language_s += seconds
    return vision_s, language_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="val questions per task")
    parser.add_argument("--k", type=int, default=8, help="adapters")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--model", default=None, help="'tiny', a folder; default: random tiny")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting; best is kept")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: steadier on a shared CPU)"
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)

    from tasktransfer.data import load_examples
    from tasktransfer.model import EvalConfig, evaluate
    from tasktransfer.tasks import REGISTRY

    examples = load_examples("synthetic", list(REGISTRY), "val", limit=args.n)
    n = sum(len(v) for v in examples.values())
    quiet = {"progress": False}
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or _tiny_random(Path(tmp))
        adapters = _adapters(model, Path(tmp), args.k)
        evaluate(model, examples, config=EvalConfig(), **quiet)  # warm-up: first-call costs

        def run(config, states=None):
            return lambda: evaluate(model, examples, adapters=states, config=config, **quiet)

        score = EvalConfig(batch_size=args.batch_size)
        blink = EvalConfig(mode="generate", batch_size=1, max_new_tokens=args.max_new_tokens)
        one = EvalConfig(mode="generate", batch_size=1, max_new_tokens=1)
        unshared = EvalConfig(batch_size=args.batch_size, share_image_features=False)
        _, score_s = _best(run(score), args.repeats)
        generated, generate_s = _best(run(blink), args.repeats)
        _, one_token_s = _best(run(one), args.repeats)
        shared, shared_s = _best(run(score, adapters), args.repeats)
        _, unshared_s = _best(run(unshared, adapters), args.repeats)
        separate_s = sum(
            _best(run(unshared, {label: path}), args.repeats)[1] for label, path in adapters.items()
        )
        vision_s, language_s = min(
            (_split(model, examples, args.batch_size) for _ in range(args.repeats)), key=sum
        )

    assert len(shared.meta["shared_image_features"]) == args.k, "every adapter should share"
    unparsed = sum(row["n_unparsed"] for row in generated.rows)
    name = args.model or "random tiny LLaVA"
    print(f"{len(examples)} tasks x {args.n} val questions = {n}; model: {name}")
    print(f"torch threads: {args.threads}; best of {args.repeats} runs per setting")
    for what, seconds in (
        (f"likelihood, batch {args.batch_size}", score_s),
        (f"generate, 1 at a time, {args.max_new_tokens} tokens", generate_s),
        ("generate, 1 at a time, 1 token", one_token_s),
    ):
        print(f"{what:<48} {seconds:7.2f} s  {n / seconds:8.1f} q/s")
    print(f"(generate, {args.max_new_tokens} tokens: {unparsed}/{n} answers unparsed)")
    print(f"ratio scoring / BLINK-style generate: {generate_s / score_s:.1f}x faster")
    print(f"ratio scoring / one-token generate:   {one_token_s / score_s:.1f}x faster")
    print()
    kq = args.k * n
    for what, seconds in (
        (f"{args.k} adapters, one call, shared image features", shared_s),
        (f"{args.k} adapters, one call, no sharing", unshared_s),
        (f"{args.k} separate evaluations", separate_s),
    ):
        print(f"{what:<48} {seconds:7.2f} s  {kq / seconds:8.1f} q/s")
    print(f"ratio separate / shared:   {separate_s / shared_s:.2f}x faster")
    print(f"ratio no sharing / shared: {unshared_s / shared_s:.2f}x faster")
    print()
    total = vision_s + language_s
    print(
        f"one batched pass over {n} questions: vision tower + projector {vision_s:.2f} s "
        f"({vision_s / total:.0%}), language model {language_s:.2f} s ({language_s / total:.0%})"
    )
    print(
        f"so sharing saves at most {vision_s / total:.0%} of each extra adapter's model time: "
        f"{args.k} adapters ~ {vision_s + args.k * language_s:.2f} s shared "
        f"vs {args.k * total:.2f} s unshared (model time only)"
    )


if __name__ == "__main__":
    main()

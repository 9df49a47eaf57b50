"""The one place where an :class:`~tasktransfer.data.Example` becomes model inputs.

Training and evaluation both call :func:`encode`, so the prompt a model is finetuned on is
exactly the prompt it is evaluated on. The answer is the option letter, one token, predicted
at the position right after the assistant turn opens; training loss and evaluation scores are
read there and nowhere else.

Public API
----------
ANSWER_INSTRUCTION : str
    Line appended to BLINK's prompt (lmms-eval's multiple-choice post-prompt).
PromptBatch
    ``inputs`` (dict of tensors for ``model(**inputs)``), ``answer_index`` (LongTensor (B,),
    the position whose logits predict the letter), ``letter_ids`` (LongTensor (4,), token ids of
    A-D), ``n_choices`` (LongTensor (B,)), ``targets`` (LongTensor (B,), 0-3, or -1 when the
    answer is hidden).
chat_text(example, processor, arch) -> str
    The chat-formatted prompt, images in place, ending where the answer letter goes.
encode(examples, processor, arch, *, image_max_pixels=None) -> PromptBatch
letter_log_probs(logits, batch) -> Tensor of shape (B, 4)
    Log-probabilities (over the whole vocabulary) of A-D at the answer position; letters beyond
    a question's choices are -inf. ``argmax`` is the prediction; ``-log_probs[target]`` is the
    training loss (the usual next-token loss restricted to the answer token).
answer_log_probs(model, batch) -> Tensor of shape (B, 4)
    Runs the forward pass computing logits at the answer positions only (``logits_to_keep``),
    then :func:`letter_log_probs`: what training and likelihood evaluation call.
letter_token_ids(tokenizer) -> list of int
limit_pixels(image, max_pixels) -> PIL.Image.Image

Batches are right-padded, so position ids do not depend on the other questions of a batch; the
answer position of each row is its last attention-mask position. Image tokens are never
truncated (the processor's truncation stays off).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tasktransfer.data import LETTERS, Example
from tasktransfer.errors import InputError
from tasktransfer.model.architectures import Architecture

ANSWER_INSTRUCTION = "Answer with the option's letter from the given choices directly."


@dataclass
class PromptBatch:
    """Model inputs for a batch of questions and where to read their answers."""

    inputs: dict[str, Any]
    answer_index: Any
    letter_ids: Any
    n_choices: Any
    targets: Any

    def to(self, device) -> PromptBatch:
        """The batch with every tensor moved to ``device``."""
        inputs = {k: v.to(device) if hasattr(v, "to") else v for k, v in self.inputs.items()}
        return PromptBatch(
            inputs=inputs,
            answer_index=self.answer_index.to(device),
            letter_ids=self.letter_ids.to(device),
            n_choices=self.n_choices.to(device),
            targets=self.targets.to(device),
        )


def limit_pixels(image: Image.Image, max_pixels: int | None) -> Image.Image:
    """``image`` downscaled (aspect kept, bicubic) to at most ``max_pixels`` pixels, RGB.

    Examples
    --------
    >>> limit_pixels(Image.new("RGB", (200, 100)), 5000).size
    (100, 50)
    >>> limit_pixels(Image.new("RGB", (20, 10)), 5000).size
    (20, 10)
    """
    image = image.convert("RGB")
    width, height = image.size
    if max_pixels is None or width * height <= max_pixels:
        return image
    scale = math.sqrt(max_pixels / (width * height))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


def letter_token_ids(tokenizer) -> list[int]:
    """Token ids of ``"A"`` .. ``"D"``; each letter must be exactly one token."""
    ids = []
    for letter in LETTERS:
        tokens = tokenizer.encode(letter, add_special_tokens=False)
        if len(tokens) != 1:
            raise InputError(
                f"the tokenizer splits the answer letter {letter!r} into {len(tokens)} tokens; "
                "likelihood scoring needs one token per letter"
            )
        ids.append(tokens[0])
    return ids


def chat_text(example: Example, processor, arch: Architecture) -> str:
    """The chat prompt of ``example``: images first (as in BLINK), then prompt + instruction."""
    content = [dict(arch.image_content) for _ in example.images]
    content.append({"type": "text", "text": f"{example.prompt}\n{ANSWER_INSTRUCTION}"})
    messages = [{"role": "user", "content": content}]
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def encode(
    examples: Sequence[Example],
    processor,
    arch: Architecture,
    *,
    image_max_pixels: int | None = None,
) -> PromptBatch:
    """Model inputs for ``examples`` (one batch), right-padded.

    Parameters
    ----------
    examples : sequence of Example
    processor : transformers processor of the model
    arch : Architecture
        The model's row of the architecture table.
    image_max_pixels : int or None, default=None
        Per-image pixel limit (:func:`limit_pixels`); pass the model's
        ``ModelConfig.image_max_pixels`` so training and evaluation agree.

    Returns
    -------
    PromptBatch
    """
    import torch

    if not examples:
        raise InputError("encode() needs at least one example")
    texts = [chat_text(ex, processor, arch) for ex in examples]
    images = [[limit_pixels(im, image_max_pixels) for im in ex.images] for ex in examples]
    inputs = dict(
        processor(
            text=texts,
            images=images,
            padding=True,
            padding_side="right",
            return_tensors="pt",
        )
    )
    mask = inputs["attention_mask"]
    # Last real token of each row: with right padding, its logits predict the answer.
    positions = torch.arange(mask.shape[1]).expand_as(mask)
    answer_index = (positions * mask).max(dim=1).values
    targets = [
        LETTERS.index(ex.answer_letter) if ex.answer_letter is not None else -1 for ex in examples
    ]
    return PromptBatch(
        inputs=inputs,
        answer_index=answer_index,
        letter_ids=torch.tensor(letter_token_ids(processor.tokenizer)),
        n_choices=torch.tensor([len(ex.choices) for ex in examples]),
        targets=torch.tensor(targets),
    )


def answer_log_probs(model, batch: PromptBatch):
    """Forward ``batch`` through ``model`` and return the letters' log-probabilities (B, 4).

    Only the answer positions go through the output layer (``logits_to_keep``), which saves
    memory with large vocabularies; the values equal :func:`letter_log_probs` on full logits.
    """
    import torch

    kept = torch.unique(batch.answer_index)
    logits = model(**batch.inputs, logits_to_keep=kept).logits
    return letter_log_probs(logits, batch, kept=kept)


def letter_log_probs(logits, batch: PromptBatch, *, kept=None):
    """Log-probabilities of the letters A-D at each row's answer position.

    Parameters
    ----------
    logits : Tensor of shape (B, L, V) or (B, K, V)
        The model's output logits for ``batch.inputs``; all L positions, or only the sorted
        positions ``kept`` when the forward used ``logits_to_keep=kept``.
    batch : PromptBatch
    kept : LongTensor of shape (K,) or None, default=None
        Sorted positions the logits were computed at; None means all positions.

    Returns
    -------
    Tensor of shape (B, 4)
        Log-softmax over the whole vocabulary, gathered at A-D; ``-inf`` beyond each
        question's number of choices.
    """
    import torch

    rows = torch.arange(logits.shape[0], device=logits.device)
    columns = batch.answer_index if kept is None else torch.searchsorted(kept, batch.answer_index)
    at_answer = logits[rows, columns].float().log_softmax(dim=-1)
    scores = at_answer[:, batch.letter_ids]
    offered = torch.arange(len(LETTERS), device=logits.device) < batch.n_choices[:, None]
    return scores.masked_fill(~offered, float("-inf"))

"""The one place where an :class:`~tasktransfer.data.Example` becomes model inputs.

Training and evaluation both call :func:`encode`, so the prompt a model is finetuned on is
exactly the prompt it is evaluated on. The answer is the option letter, predicted at the
position right after the assistant turn opens; training loss and evaluation scores are read
there and nowhere else.

Answer forms
------------
A model may write option A as the instruction asks (``A``) or as the prompt labels it
(``(A)``, :func:`~tasktransfer.data.format_prompt`). Tokenizers differ on where the first
token of those forms ends: Qwen2's byte-level BPE merges ``(A`` into one token, so a
Qwen2.5-VL that answers ``(A)`` puts its answer-position probability on ``(A``, not on
``A``; the tiny models' tokenizer splits off a bare ``(``. :func:`letter_forms` reads this
from the tokenizer at run time: for each letter, the first token of each form, kept only
when it decodes to text whose one alphabetic character is that letter (a bare ``(``, shared
by every option, would give every option the same mass; a word such as ``Answer`` is not an
option). Evaluation scores an option by the log-sum-exp of its forms' tokens
(``forms=True``), and ``letter_mass``, the total probability on every form of every offered
option, says how much of the model's answer the scores read.

Forms with a leading space (``" A"``) are not read: the answer follows the newline that
opens the assistant turn, where a byte-level BPE writes no space, and a sentencepiece
tokenizer (Llama's) encodes the bare letter with its space (``▁A``). A model that writes
them anyway shows a low ``letter_mass``, which the results flag as a format mismatch.

Training targets the bare letter token (``forms=False``), not the log-sum-exp of the forms:
it is the ordinary next-token loss of the answer the instruction asks for, so a finetune
learns one answer format that generation, the strict parser and the likelihood scores all
read; a log-sum-exp target would let a finetune keep spreading mass over formats, and would
change every finetune's loss curve and the finetune tests' expected losses. Evaluation reads
every form, so whatever format a model holds, its scores measure its choice of option.

Videos and numeric questions
----------------------------
A question about a video (``Example.video``, already sampled: :mod:`tasktransfer.data.video`)
puts the video first, then its images (if any), then the text. How the video enters depends
on the model (:func:`video_route`):

* ``processor_video``: Qwen2.5-VL with a video processor (torchvision installed). The chat
  content holds the row's video item (``{"type": "video"}``, written
  ``<|vision_start|><|video_pad|><|vision_end|>``) and the frames go to the processor's
  ``videos=`` as one clip, with ``do_sample_frames=False`` (they are sampled already) and
  ``video_metadata`` giving their rate, read from the timestamps (``fps = (n - 1) /
  (t_last - t_first)``; 1 for a single frame or one instant), and without the processor's
  optional bound on a clip's total pixels (``cap_pixels_per_frame=False``): it groups frames
  in pairs (``temporal_patch_size`` 2; an odd count is padded with a copy of the last),
  returns ``pixel_values_videos``, ``video_grid_thw`` and ``second_per_grid_ts`` (2 / fps),
  and expands each ``<|video_pad|>`` to ``t * h * w / 4`` tokens.
* ``frames_as_images``: every other model, and Qwen2.5-VL without torchvision. Each frame
  is one image item, in time order, processed exactly as an image (pixel cap, LLaVA-1.5's
  padding to a square).

Either way each frame is first capped at ``video.sampling.max_pixels`` pixels, or at the
model's image cap (``image_max_pixels``) when that is None, with :func:`limit_pixels`.

A numeric question (``answer_type == "number"``) carries its own instruction in its prompt
(:data:`~tasktransfer.data.example.NUMBER_INSTRUCTION`), so :data:`ANSWER_INSTRUCTION` is not
appended; it has no options, ``n_choices`` 0 and target -1, and is answered by generation
(:mod:`tasktransfer.model.evaluate`).

Public API
----------
ANSWER_INSTRUCTION : str
    Line appended to BLINK's prompt (lmms-eval's multiple-choice post-prompt).
VideoRoute, PROCESSOR_VIDEO, FRAMES_AS_IMAGES
    The two ways a video reaches a model.
video_route(processor, arch) -> VideoRoute
video_frames(video, image_max_pixels) -> list of PIL.Image.Image
    A clip's frames, pixel-capped.
video_metadata(video) -> dict
    A clip's ``video_metadata`` entry for the processor's video path.
PromptBatch
    ``inputs`` (dict of tensors for ``model(**inputs)``), ``answer_index`` (LongTensor (B,),
    the position whose logits predict the letter), ``letter_ids`` (LongTensor (4,), token ids of
    A-D), ``form_ids`` (LongTensor (4, F), each letter's form tokens, -1 as padding),
    ``n_choices`` (LongTensor (B,)), ``targets`` (LongTensor (B,), 0-3, or -1 when the answer
    is hidden).
chat_text(example, processor, arch) -> str
    The chat-formatted prompt, video and images in place, ending where the answer goes.
encode(examples, processor, arch, *, image_max_pixels=None) -> PromptBatch
letter_log_probs(logits, batch, *, kept=None, forms=False) -> Tensor of shape (B, 4)
    Log-probabilities (over the whole vocabulary) of A-D at the answer position, of the bare
    letter token or (``forms=True``) of every form of the option; letters beyond a question's
    choices are -inf. ``argmax`` is the prediction; ``-log_probs[target]`` of the bare letters
    is the training loss (the usual next-token loss restricted to the answer token).
answer_log_probs(model, batch, *, forms=False) -> Tensor of shape (B, 4)
    Runs the forward pass computing logits at the answer positions only (``logits_to_keep``,
    no key-value cache), then :func:`letter_log_probs`: what training (bare letters) and
    likelihood evaluation (forms) call.
letter_mass(log_probs) -> Tensor of shape (B,)
    Total probability on the offered options' forms (``forms=True`` scores).
letter_token_ids(tokenizer) -> list of int
letter_forms(tokenizer) -> list of list of int
    Each letter's form tokens (its bare letter first).
limit_pixels(image, max_pixels) -> PIL.Image.Image
pad_to_square(image, fill) -> PIL.Image.Image
    Applied after :func:`limit_pixels` when the architecture row asks (LLaVA-1.5).

Batches are right-padded, so position ids do not depend on the other questions of a batch; the
answer position of each row is its last attention-mask position. Image tokens are never
truncated (the processor's truncation stays off).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from tasktransfer.data import LETTERS, Example, format_prompt
from tasktransfer.data.images import limit_pixels
from tasktransfer.data.video import Video
from tasktransfer.errors import InputError
from tasktransfer.model.architectures import Architecture

ANSWER_INSTRUCTION = "Answer with the option's letter from the given choices directly."

VideoRoute = Literal["processor_video", "frames_as_images"]
PROCESSOR_VIDEO: VideoRoute = "processor_video"
FRAMES_AS_IMAGES: VideoRoute = "frames_as_images"


@dataclass
class PromptBatch:
    """Model inputs for a batch of questions and where to read their answers."""

    inputs: dict[str, Any]
    answer_index: Any
    letter_ids: Any
    form_ids: Any
    n_choices: Any
    targets: Any

    def to(self, device) -> PromptBatch:
        """The batch with every tensor moved to ``device``."""
        inputs = {k: v.to(device) if hasattr(v, "to") else v for k, v in self.inputs.items()}
        return PromptBatch(
            inputs=inputs,
            answer_index=self.answer_index.to(device),
            letter_ids=self.letter_ids.to(device),
            form_ids=self.form_ids.to(device),
            n_choices=self.n_choices.to(device),
            targets=self.targets.to(device),
        )


def pad_to_square(image: Image.Image, fill: tuple[int, ...]) -> Image.Image:
    """``image`` centred on a square of colour ``fill``, RGB (LLaVA's ``expand2square``).

    Nothing is cut: the short side grows to the long one. A square image is returned as it is.

    Examples
    --------
    >>> padded = pad_to_square(Image.new("RGB", (40, 20), "red"), (0, 0, 255))
    >>> padded.size, padded.getpixel((0, 0)), padded.getpixel((0, 10))
    ((40, 40), (0, 0, 255), (255, 0, 0))
    """
    image = image.convert("RGB")
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    square = Image.new("RGB", (side, side), fill)
    square.paste(image, ((side - width) // 2, (side - height) // 2))
    return square


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


def letter_forms(tokenizer) -> list[list[int]]:
    """Each letter's form tokens: the first token of every form it may be written in.

    The forms of a letter are the bare letter and its label in the prompt (``(A)``); a
    form's first token counts when its one alphabetic character is the letter, so no token
    can count for two letters. The bare letter's token (:func:`letter_token_ids`) comes first.

    Returns
    -------
    list of list of int
        One list per letter of ``LETTERS``, unique ids.
    """
    forms = []
    for letter, bare, label in zip(
        LETTERS, letter_token_ids(tokenizer), _prompt_labels(), strict=True
    ):
        ids = [bare]
        first = tokenizer.encode(label, add_special_tokens=False)[0]
        alphabetic = [c for c in tokenizer.decode([first]) if c.isalpha()]
        if alphabetic == [letter] and first not in ids:
            ids.append(first)
        forms.append(ids)
    return forms


def _prompt_labels() -> list[str]:
    """The option labels as BLINK's prompt writes them (``"(A)"`` .. ``"(D)"``)."""
    lines = format_prompt("", [""] * len(LETTERS)).splitlines()[-len(LETTERS) :]
    return [line.strip() for line in lines]


def video_route(processor, arch: Architecture) -> VideoRoute:
    """How ``processor`` (of an ``arch`` model) is given a video.

    ``processor_video`` when the architecture row names a video content item and the
    processor has a video processor (one needs torchvision); ``frames_as_images`` otherwise:
    the LLaVA family always, Qwen2.5-VL where torchvision is missing.
    """
    has_video_processor = getattr(processor, "video_processor", None) is not None
    if arch.video_content is not None and has_video_processor:
        return PROCESSOR_VIDEO
    return FRAMES_AS_IMAGES


def chat_text(example: Example, processor, arch: Architecture) -> str:
    """The chat prompt of ``example``: video, images (as in BLINK), then prompt + instruction.

    The video is one video item or one image item per frame (:func:`video_route`). A numeric
    question's prompt holds its own instruction; a multiple-choice one gets
    :data:`ANSWER_INSTRUCTION`.
    """
    content = []
    if example.video is not None:
        if video_route(processor, arch) == PROCESSOR_VIDEO:
            content.append(dict(arch.video_content))
        else:
            content.extend(dict(arch.image_content) for _ in example.video.frames)
    content.extend(dict(arch.image_content) for _ in example.images)
    text = example.prompt
    if example.answer_type == "choice":
        text = f"{text}\n{ANSWER_INSTRUCTION}"
    content.append({"type": "text", "text": text})
    messages = [{"role": "user", "content": content}]
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def video_frames(video: Video, image_max_pixels: int | None) -> list[Image.Image]:
    """The frames of ``video`` capped at its own pixel cap, or at the images' when it has none.

    Examples
    --------
    >>> from tasktransfer.data.video import FrameSampling
    >>> clip = [Image.new("RGB", (200, 100))] * 2
    >>> [f.size for f in video_frames(Video.from_frames(clip), 5000)]
    [(100, 50), (100, 50)]
    >>> capped = Video.from_frames(clip, FrameSampling(num_frames=2, max_pixels=800))
    >>> [f.size for f in video_frames(capped, 5000)]
    [(40, 20), (40, 20)]
    """
    cap = video.sampling.max_pixels if video.sampling.max_pixels is not None else image_max_pixels
    return [limit_pixels(frame, cap) for frame in video.frames]


def video_metadata(video: Video) -> dict[str, Any]:
    """The ``video_metadata`` entry of an already sampled clip, for the processor's video path.

    Every frame given is kept (``frames_indices`` all of them); ``fps`` is the sampled
    frames' rate, read from their timestamps, so Qwen2.5-VL's ``second_per_grid_ts`` (the
    seconds one temporal patch of two frames spans) is ``2 / fps``.

    Examples
    --------
    >>> clip = [Image.new("RGB", (8, 8))] * 9
    >>> video_metadata(Video.from_frames(clip, fps=4.0))
    {'total_num_frames': 9, 'fps': 4.0, 'frames_indices': [0, 1, 2, 3, 4, 5, 6, 7, 8]}
    """
    count = len(video.frames)
    span = video.timestamps[-1] - video.timestamps[0]
    fps = (count - 1) / span if count > 1 and span > 0 else 1.0
    return {"total_num_frames": count, "fps": fps, "frames_indices": list(range(count))}


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
        ``ModelConfig.image_max_pixels`` so training and evaluation agree. Video frames
        take it too unless their sampling sets its own (:func:`video_frames`).

    Returns
    -------
    PromptBatch
    """
    import torch

    if not examples:
        raise InputError("encode() needs at least one example")
    texts = [chat_text(ex, processor, arch) for ex in examples]
    route = video_route(processor, arch)
    images = []
    for ex in examples:
        row = [limit_pixels(im, image_max_pixels) for im in ex.images]
        if ex.video is not None and route == FRAMES_AS_IMAGES:
            row = video_frames(ex.video, image_max_pixels) + row
        images.append(row)
    if arch.pad_to_square:
        # The image processor's mean colour, as LLaVA's training padded: it normalises to 0.
        fill = tuple(int(255 * mean) for mean in processor.image_processor.image_mean)
        images = [[pad_to_square(im, fill) for im in row] for row in images]
    media: dict[str, Any] = {"images": images if any(images) else None}
    clips = [ex.video for ex in examples if ex.video is not None]
    if clips and route == PROCESSOR_VIDEO:
        media.update(
            videos=[video_frames(clip, image_max_pixels) for clip in clips],
            video_metadata=[video_metadata(clip) for clip in clips],
            do_sample_frames=False,
            # The frames are capped above, as images are; the processor's optional bound
            # on a whole clip's pixels (qwen-vl-utils') stays off, so that a clip's frames
            # are resized as its images would be, whatever transformers' default.
            cap_pixels_per_frame=False,
        )
    inputs = dict(
        processor(
            text=texts,
            **media,
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
    forms = letter_forms(processor.tokenizer)
    width = max(len(ids) for ids in forms)
    return PromptBatch(
        inputs=inputs,
        answer_index=answer_index,
        letter_ids=torch.tensor([ids[0] for ids in forms]),
        form_ids=torch.tensor([ids + [-1] * (width - len(ids)) for ids in forms]),
        n_choices=torch.tensor([len(ex.choices) for ex in examples]),
        targets=torch.tensor(targets),
    )


def answer_log_probs(model, batch: PromptBatch, *, forms: bool = False):
    """Forward ``batch`` through ``model`` and return the options' log-probabilities (B, 4).

    Only the answer positions go through the output layer (``logits_to_keep``), which saves
    memory with large vocabularies; the values equal :func:`letter_log_probs` on full logits.
    ``use_cache=False``: one pass reads one position, so a key-value cache would only hold
    memory (a cache of every layer over the whole prompt, images included).
    """
    import torch

    kept = torch.unique(batch.answer_index)
    logits = model(**batch.inputs, logits_to_keep=kept, use_cache=False).logits
    return letter_log_probs(logits, batch, kept=kept, forms=forms)


def letter_log_probs(logits, batch: PromptBatch, *, kept=None, forms: bool = False):
    """Log-probabilities of the options A-D at each row's answer position.

    Parameters
    ----------
    logits : Tensor of shape (B, L, V) or (B, K, V)
        The model's output logits for ``batch.inputs``; all L positions, or only the sorted
        positions ``kept`` when the forward used ``logits_to_keep=kept``.
    batch : PromptBatch
    kept : LongTensor of shape (K,) or None, default=None
        Sorted positions the logits were computed at; None means all positions.
    forms : bool, default=False
        False: the bare letter tokens (the training target). True: each option's
        log-sum-exp over its form tokens (``batch.form_ids``, the evaluation scores).

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
    if forms:
        ids = batch.form_ids
        gathered = at_answer[:, ids.clamp(min=0)].masked_fill(ids < 0, float("-inf"))
        scores = gathered.logsumexp(dim=-1)
    else:
        scores = at_answer[:, batch.letter_ids]
    offered = torch.arange(len(LETTERS), device=logits.device) < batch.n_choices[:, None]
    return scores.masked_fill(~offered, float("-inf"))


def letter_mass(log_probs):
    """Total probability on the offered options of ``forms=True`` scores.

    Parameters
    ----------
    log_probs : Tensor of shape (B, 4)
        From :func:`letter_log_probs` with ``forms=True`` (-inf beyond the choices).

    Returns
    -------
    Tensor of shape (B,), float64
        In (0, 1]: the share of each answer position's probability the scores read.
    """
    # In float64 a mass down to 1e-300 stays positive; rounding may sum a hair above 1.
    return log_probs.double().logsumexp(dim=-1).exp().clamp(max=1.0)

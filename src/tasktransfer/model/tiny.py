"""The offline tiny models: real transformers architectures, built without the hub.

Public API
----------
build_tiny_llava(seed=0) -> (model, processor)
    A 0.4 M-parameter ``LlavaForConditionalGeneration`` (CLIP vision tower with learned absolute
    position embeddings, 64 px images, patch 8; 2-layer Qwen2 language model) with random
    weights and a locally built byte-level tokenizer and processor.
build_tiny_llava_next(seed=0), build_tiny_llava_onevision(seed=0) -> (model, processor)
    Tiny LLaVA-NeXT and LLaVA-OneVision ("anyres" image tiles; OneVision on a SigLIP tower),
    with the tiny LLaVA's language model and tokenizer, for the tests of every architecture.
build_tiny_qwen2_5_vl(seed=0) -> (model, processor)
    A tiny ``Qwen2_5_VLForConditionalGeneration`` with random weights, for tests of what is
    specific to Qwen2.5-VL (processor, image tokens, LoRA targeting). It does not learn
    positions (see the reason below), so it is never the default.
TINY_BUILDERS : dict of str to callable
    ``config.model_type`` -> its builder, one per row of the architecture table.
TINY_BASE_RECIPE, tiny_base_path(recipe=None) -> Path, is_built(folder) -> bool
    How the tiny LLaVA's base is trained, and the folder it is cached in: under
    ``$TASKTRANSFER_CACHE`` (default ``~/.cache/tasktransfer``), named by a hash of the recipe;
    ``ModelConfig(name="tiny")`` loads it. :mod:`tasktransfer.model.tiny_base` builds it;
    nothing here trains, so loading never does.

Why LLaVA and not Qwen2.5-VL: the tiny Qwen2.5-VL's vision tower has only rotary (relative)
positions and its language model's height/width rotary channels barely turn at rope_theta 1e6,
so "where" questions stay at chance; CLIP's learned absolute position embeddings let the tiny
LLaVA learn them in a few hundred steps.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

# Special tokens of the byte-level tokenizer; the chat template uses the ChatML markers.
_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
_LLAVA_IMAGE = "<image>"
_QWEN_VISION = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")

# ChatML with images first (BLINK puts the images before the question), then the text.
# `video_item` is Qwen's video clause; the LLaVA family is shown a video's frames as images.
_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{{ image_marker }}{{ video_item }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_LLAVA_CHAT_TEMPLATE = _CHAT_TEMPLATE.replace("{{ image_marker }}", _LLAVA_IMAGE).replace(
    "{{ video_item }}", ""
)
_QWEN_CHAT_TEMPLATE = _CHAT_TEMPLATE.replace(
    "{{ image_marker }}", "<|vision_start|><|image_pad|><|vision_end|>"
).replace(
    "{{ video_item }}",
    "{% elif item['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>",
)

TINY_IMAGE_SIZE = 64
_PATCH = 8
# The vision towers of the LLaVA family: 64 px images in 8 px patches, 2 layers.
_VISION_SIZES = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    image_size=TINY_IMAGE_SIZE,
    patch_size=_PATCH,
)
# LLaVA-NeXT / OneVision "anyres" grids (height, width), in tiles of TINY_IMAGE_SIZE.
_GRID_PINPOINTS = [[64, 64], [64, 128], [128, 64], [128, 128]]

# The byte-level BPE's vocabulary and merges (scripts/train_tiny_tokenizer.py writes it).
TOKENIZER_FILE = Path(__file__).with_name("tiny_tokenizer.json")

# The recipe of the cached base; any change moves the cache key (tiny_base_path), as does a
# new tokenizer file (recipe_key).
# Short and gentle on purpose. Measured on this CPU (notes in docs/tiny-model.md): every base
# trained harder (1500 steps at lr 1e-3 on side/quadrant/count; 800 steps at 1e-3 on all
# kinds; either one shrunk half-way back to a fresh init) could no longer learn
# Relative_Depth (0.60-0.66 after 400 finetuning steps), while a random init reaches 0.97 and
# this base 0.965: at this size, pretraining that settles the weights costs the plasticity a
# study needs. 200 steps at lr 1e-4 teach the answer format (one option letter, the letter
# prior) and keep the weights near their initialisation.
TINY_BASE_RECIPE: dict = {
    "version": 4,
    "init_seed": 0,
    "data_seed": 1234,
    "kinds": ["colour", "shape", "side", "quadrant", "size", "count", "which_image", "marker"],
    "steps": 200,
    "batch_size": 16,
    "learning_rate": 1e-4,
    "image_size": TINY_IMAGE_SIZE,
}


def _tokenizer(extra_specials: tuple[str, ...]):
    """A small byte-level BPE tokenizer (Qwen2 class) with BLINK-style merges.

    Byte-level, so any text encodes. The vocabulary and merges are frozen in
    :data:`TOKENIZER_FILE`, learned once by ``scripts/train_tiny_tokenizer.py`` from the
    prompts of the generic questions and of 20 questions per synthetic task (the English of
    BLINK's prompt templates, as a real tokenizer covers English; the tiny base never trains on
    those questions). They cut Semantic_Correspondence's prompt from ~400 tokens to ~100, and
    the language model's sequence length is most of the tiny model's training cost. Frozen,
    so that changing a synthetic generator does not change the tokenizer, the base, and every
    task's calibration with it. Single characters stay single tokens, so every answer letter
    is one token.
    """
    from transformers import Qwen2Tokenizer

    frozen = json.loads(TOKENIZER_FILE.read_text(encoding="utf-8"))
    vocab = dict(frozen["vocab"])
    for token in _SPECIALS + extra_specials:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=[tuple(pair) for pair in frozen["merges"]],
        unk_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(_SPECIALS + extra_specials)})
    return tokenizer


def build_tiny_llava(seed: int = 0):
    """A tiny LLaVA (random weights) and its processor.

    Parameters
    ----------
    seed : int, default=0
        Seed of the weight initialisation.

    Returns
    -------
    model : transformers.LlavaForConditionalGeneration
    processor : transformers.LlavaProcessor
    """
    from transformers import (
        CLIPImageProcessorPil,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    tokenizer = _tokenizer((_LLAVA_IMAGE,))
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": TINY_IMAGE_SIZE},
        crop_size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE},
    )
    # num_additional_image_tokens=1 counts CLIP's class token, which the "default" feature
    # strategy drops: 64 patches -> 64 image tokens (without it the processor emits 63).
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=_PATCH,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=_LLAVA_CHAT_TEMPLATE,
    )
    return _llava_family(
        LlavaConfig, LlavaForConditionalGeneration, processor, _clip_config(), "default", seed
    )


def build_tiny_llava_next(seed: int = 0):
    """A tiny LLaVA-NeXT (random weights) and its processor.

    The tiny LLaVA's CLIP tower and language model with LLaVA-NeXT's "anyres" input: each
    image is resized onto the best of a few grids of 64 px tiles (here 1x1, 1x2, 2x1, 2x2),
    padded to keep its aspect ratio, and encoded as the tiles plus a 64 px overview, with a
    learned newline embedding after each row of tile features.

    Parameters
    ----------
    seed : int, default=0

    Returns
    -------
    model : transformers.LlavaNextForConditionalGeneration
    processor : transformers.LlavaNextProcessor
    """
    from transformers import (
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessorPil,
        LlavaNextProcessor,
    )

    image_processor = LlavaNextImageProcessorPil(
        size={"shortest_edge": TINY_IMAGE_SIZE},
        crop_size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE},
        image_grid_pinpoints=_GRID_PINPOINTS,
    )
    processor = LlavaNextProcessor(
        image_processor=image_processor,
        tokenizer=_tokenizer((_LLAVA_IMAGE,)),
        patch_size=_PATCH,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=_LLAVA_CHAT_TEMPLATE,
    )
    return _llava_family(
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        processor,
        _clip_config(),
        "default",
        seed,
        image_grid_pinpoints=_GRID_PINPOINTS,
    )


def build_tiny_llava_onevision(seed: int = 0):
    """A tiny LLaVA-OneVision (random weights) and its image-only processor.

    As LLaVA-OneVision: a SigLIP vision tower (no class token, so every patch is an image
    token: the "full" feature strategy), a 64 px overview resized without cropping, and the
    same "anyres" tiles as :func:`build_tiny_llava_next`.

    Parameters
    ----------
    seed : int, default=0

    Returns
    -------
    model : transformers.LlavaOnevisionForConditionalGeneration
    processor : tasktransfer.model.processors.ImageOnlyLlavaOnevisionProcessor
    """
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessorPil,
        SiglipVisionConfig,
    )

    from tasktransfer.model.processors import ImageOnlyLlavaOnevisionProcessor

    image_processor = LlavaOnevisionImageProcessorPil(
        size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE},
        image_grid_pinpoints=_GRID_PINPOINTS,
    )
    processor = ImageOnlyLlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=_tokenizer((_LLAVA_IMAGE,)),
        num_image_tokens=(TINY_IMAGE_SIZE // _PATCH) ** 2,
        vision_feature_select_strategy="full",
        chat_template=_LLAVA_CHAT_TEMPLATE,
    )
    # Without the attention-pooling head, as OneVision's tower: the features are per patch.
    vision = SiglipVisionConfig(**_VISION_SIZES, vision_use_head=False)
    return _llava_family(
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        processor,
        vision,
        "full",
        seed,
        image_grid_pinpoints=_GRID_PINPOINTS,
    )


def _clip_config():
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(**_VISION_SIZES, projection_dim=64)


def _llava_family(config_class, model_class, processor, vision_config, strategy, seed, **extra):
    """A LLaVA-family model on ``vision_config`` and the tiny Qwen2 language model."""
    import torch
    from transformers import Qwen2Config

    tokenizer = processor.tokenizer
    config = config_class(
        vision_config=vision_config,
        text_config=Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=128,
            intermediate_size=256,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
            tie_word_embeddings=True,
            eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
            pad_token_id=tokenizer.pad_token_id,
        ),
        image_token_id=tokenizer.convert_tokens_to_ids(_LLAVA_IMAGE),
        vision_feature_select_strategy=strategy,
        vision_feature_layer=-1,
        tie_word_embeddings=True,
        **extra,
    )
    torch.manual_seed(seed)
    model = model_class(config).eval()
    return model, processor


def build_tiny_qwen2_5_vl(seed: int = 0):
    """A tiny Qwen2.5-VL (random weights, about 0.2 M parameters) and its processor.

    The processor caps images at 112 x 112 pixels (16 merged image tokens per image), and
    video frames alike where torchvision is installed and it has a video processor
    (:func:`tasktransfer.model.processors.qwen2_5_vl_processor`).
    ``mrope_section`` sums to ``head_dim / 2`` as the multimodal rotary embedding requires.

    Parameters
    ----------
    seed : int, default=0

    Returns
    -------
    model : transformers.Qwen2_5_VLForConditionalGeneration
    processor : transformers.Qwen2_5_VLProcessor
        :class:`~tasktransfer.model.processors.ImageOnlyQwen2_5_VLProcessor` without
        torchvision.
    """
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    from tasktransfer.model.processors import qwen2_5_vl_processor

    tokenizer = _tokenizer(_QWEN_VISION)
    max_pixels = 112 * 112
    image_processor = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=max_pixels)
    processor = qwen2_5_vl_processor(
        image_processor, tokenizer, _QWEN_CHAT_TEMPLATE, video_max_pixels=max_pixels
    )
    ids = tokenizer.convert_tokens_to_ids
    head_dim = 32
    config = Qwen2_5_VLConfig(
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=64,
            fullatt_block_indexes=[1],
            window_size=56,
        ),
        text_config=dict(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=head_dim,
            max_position_embeddings=2048,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [4, 6, 6],
            },
            bos_token_id=None,
            eos_token_id=ids("<|im_end|>"),
            pad_token_id=tokenizer.pad_token_id,
        ),
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )
    assert sum(config.text_config.rope_parameters["mrope_section"]) == head_dim // 2
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    return model, processor


TINY_BUILDERS = {
    "llava": build_tiny_llava,
    "llava_next": build_tiny_llava_next,
    "llava_onevision": build_tiny_llava_onevision,
    "qwen2_5_vl": build_tiny_qwen2_5_vl,
}


def recipe_key(recipe: dict) -> str:
    """Short hash of a base recipe and of the frozen tokenizer: the cache folder name."""
    tokenizer = hashlib.sha256(TOKENIZER_FILE.read_bytes()).hexdigest()
    text = json.dumps({"recipe": recipe, "tokenizer": tokenizer}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """``$TASKTRANSFER_CACHE``, or ``~/.cache/tasktransfer``."""
    return Path(os.environ.get("TASKTRANSFER_CACHE", "~/.cache/tasktransfer")).expanduser()


def tiny_base_path(recipe: dict | None = None) -> Path:
    """The cache folder of the tiny base for ``recipe`` (default :data:`TINY_BASE_RECIPE`).

    The folder name is the recipe's hash, so a changed recipe means a new base. Nothing is
    built here: :func:`tasktransfer.model.tiny_base.ensure_tiny_base` builds it when missing.
    """
    recipe = TINY_BASE_RECIPE if recipe is None else recipe
    return cache_dir() / f"tiny-base-{recipe_key(recipe)}"


def is_built(folder: Path) -> bool:
    """Whether ``folder`` holds a base: it is published whole, so its config.json marks it."""
    return (folder / "config.json").is_file()

"""Processor classes the per-architecture table names when ``AutoProcessor`` does not fit.

Public API
----------
ImageOnlyQwen2_5_VLProcessor
    ``Qwen2_5_VLProcessor`` without a video processor. The stock class insists on one, and
    transformers' video processors need torchvision, which this project does not install;
    perception questions carry images only. Loads hub Qwen2.5-VL folders and the tiny model.
ImageOnlyLlavaOnevisionProcessor
    ``LlavaOnevisionProcessor`` without a video processor, for the same reason. Loads hub
    LLaVA-OneVision folders and the tiny model.
"""

from __future__ import annotations

from transformers import LlavaOnevisionProcessor, Qwen2_5_VLProcessor


class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` for images only (``video_processor`` is always None)."""

    # ProcessorMixin reads its sub-processors off this signature: no video_processor here.
    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template)


class ImageOnlyLlavaOnevisionProcessor(LlavaOnevisionProcessor):
    """``LlavaOnevisionProcessor`` for images only (``video_processor`` is always None)."""

    # As above; the named options are those of processor_config.json, which ProcessorMixin
    # loads and saves by this signature.
    def __init__(
        self,
        image_processor=None,
        tokenizer=None,
        num_image_tokens=None,
        vision_feature_select_strategy=None,
        chat_template=None,
        image_token="<image>",
        video_token="<video>",
        vision_aspect_ratio="anyres_max_9",
        **kwargs,
    ):
        super().__init__(
            image_processor,
            tokenizer,
            None,
            num_image_tokens=num_image_tokens,
            vision_feature_select_strategy=vision_feature_select_strategy,
            chat_template=chat_template,
            image_token=image_token,
            video_token=video_token,
            vision_aspect_ratio=vision_aspect_ratio,
        )

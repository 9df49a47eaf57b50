"""Processor classes the per-architecture table names when ``AutoProcessor`` does not fit.

Public API
----------
ImageOnlyQwen2_5_VLProcessor
    ``Qwen2_5_VLProcessor`` without a video processor. The stock class insists on one, and
    transformers' video processors need torchvision, which this project does not install;
    perception questions carry images only. Loads hub Qwen2.5-VL folders and the tiny model.
"""

from __future__ import annotations

from transformers import Qwen2_5_VLProcessor


class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` for images only (``video_processor`` is always None)."""

    # ProcessorMixin reads its sub-processors off this signature: no video_processor here.
    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template)

"""Processor classes the per-architecture table names when ``AutoProcessor`` does not fit.

transformers' video processors need torchvision, which this project does not install (its
CPU machines lack it; a GPU machine may have it). Where it is missing, a processor is built
without its video processor, and a video reaches the model as its sampled frames, shown as
images (:func:`tasktransfer.model.prompting.video_route` reads which, and the evaluation
records it).

Public API
----------
video_processing_available() -> bool
    Whether torchvision, and so transformers' video processors, can be imported.
Qwen2_5_VLProcessorLoader
    What the architecture table names for Qwen2.5-VL: its ``from_pretrained`` loads the
    stock ``Qwen2_5_VLProcessor`` (with its video processor) where video processing is
    available, :class:`ImageOnlyQwen2_5_VLProcessor` elsewhere.
qwen2_5_vl_processor(image_processor, tokenizer, chat_template, *, video_max_pixels)
    The same choice for a processor built in memory (the tiny Qwen2.5-VL).
ImageOnlyQwen2_5_VLProcessor
    ``Qwen2_5_VLProcessor`` without a video processor (the stock class insists on one).
    Loads hub Qwen2.5-VL folders and the tiny model.
ImageOnlyLlavaOnevisionProcessor
    ``LlavaOnevisionProcessor`` without a video processor, for the same reason. Loads hub
    LLaVA-OneVision folders and the tiny model.
"""

from __future__ import annotations

import importlib.util

from transformers import LlavaOnevisionProcessor, Qwen2_5_VLProcessor


def video_processing_available() -> bool:
    """Whether transformers' video processors can be built here (torchvision is installed)."""
    return importlib.util.find_spec("torchvision") is not None


class Qwen2_5_VLProcessorLoader:
    """Loads Qwen2.5-VL's processor, with its video processor where one can be built."""

    @staticmethod
    def from_pretrained(source, **kwargs) -> Qwen2_5_VLProcessor:
        """The stock processor where torchvision is installed, the image-only one elsewhere.

        Parameters
        ----------
        source : str or Path
            A hub id or a folder, as for ``Qwen2_5_VLProcessor.from_pretrained``.
        **kwargs
            Passed on (``trust_remote_code``).
        """
        if video_processing_available():
            return Qwen2_5_VLProcessor.from_pretrained(source, **kwargs)
        return ImageOnlyQwen2_5_VLProcessor.from_pretrained(source, **kwargs)


def qwen2_5_vl_processor(
    image_processor, tokenizer, chat_template: str, *, video_max_pixels: int
) -> Qwen2_5_VLProcessor:
    """A Qwen2.5-VL processor built in memory, with a video processor where one can be built.

    Parameters
    ----------
    image_processor : Qwen2VLImageProcessor
    tokenizer : tokenizer with Qwen2.5-VL's vision tokens
    chat_template : str
    video_max_pixels : int
        The video processor's per-frame pixel cap (its minimum stays the image
        processor's), so frames and images are resized alike.

    Returns
    -------
    Qwen2_5_VLProcessor
        The stock class with a ``Qwen2VLVideoProcessor`` where torchvision is installed;
        :class:`ImageOnlyQwen2_5_VLProcessor` elsewhere.
    """
    if not video_processing_available():
        return ImageOnlyQwen2_5_VLProcessor(
            image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template
        )
    from transformers import Qwen2VLVideoProcessor

    video_processor = Qwen2VLVideoProcessor(
        min_pixels=image_processor.size["shortest_edge"], max_pixels=video_max_pixels
    )
    return Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=chat_template,
    )


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

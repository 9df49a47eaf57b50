"""The per-architecture table: everything that differs between VLM families, in one place.

Public API
----------
Architecture
    One table row: how an image (and a video) enters a chat message, the regex of the
    language model's LoRA targets, the module-name patterns of the vision tower and the
    projector, the processor class, and whether images are padded to a square before the
    processor sees them.
ARCHITECTURES : dict of str to Architecture
    Keyed by ``config.model_type`` (``"qwen2_5_vl"``, ``"llava"``, ``"llava_next"``,
    ``"llava_onevision"``).
get_architecture(model_type) -> Architecture
    The row for a model type; a miss raises :class:`UnsupportedArchitectureError` listing the
    supported types.

Adding a family is adding one row; code elsewhere never branches on the model type.

Module names are those of transformers 5 (``model.language_model.layers.0.self_attn.q_proj``,
``model.vision_tower...`` / ``model.visual...``, ``model.multi_modal_projector...`` /
``model.visual.merger...``), optionally prefixed by PEFT's ``base_model.model.``.

Examples
--------
>>> arch = get_architecture("qwen2_5_vl")
>>> arch.is_language_model_target("model.language_model.layers.0.mlp.up_proj")
True
>>> arch.is_language_model_target("model.visual.blocks.0.mlp.up_proj")
False
>>> arch.is_vision_tower("model.visual.blocks.0.mlp.up_proj")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tasktransfer.errors import TaskTransferError


class UnsupportedArchitectureError(TaskTransferError):
    """A ``model_type`` that is not in :data:`ARCHITECTURES`."""


@dataclass(frozen=True)
class Architecture:
    """What differs between VLM families.

    Attributes
    ----------
    model_type : str
        ``config.model_type`` of the family.
    image_content : dict
        The chat-message content item that stands for one image; the processor's chat template
        turns it into the family's image placeholder (``<image>``, ``<|vision_start|>...``).
    video_content : dict or None
        The content item that stands for one video, for a family whose processor takes
        videos through its own video path (Qwen2.5-VL: ``{"type": "video"}``, the template
        writes ``<|vision_start|><|video_pad|><|vision_end|>``). None: the family is shown a
        video's sampled frames as images (:func:`tasktransfer.model.prompting.video_route`).
    language_model_targets : str
        Regex (``re.fullmatch`` on the full module name, PEFT's convention) of the language
        model's linear layers that LoRA adapts by default.
    vision_tower : str
        Regex (``re.search``) matching module names inside the vision tower.
    projector : str
        Regex (``re.search``) matching module names inside the projector / merger, which maps
        vision features into the language model's embedding space.
    processor_class : str or None
        ``"module:Class"`` whose ``from_pretrained`` loads the processor instead of
        ``AutoProcessor`` (imported only when used); None means ``AutoProcessor``.
    pad_to_square : bool
        Pad each image to a square of the image processor's mean colour, centred, before the
        processor (:func:`tasktransfer.model.prompting.pad_to_square`). LLaVA-1.5 was trained
        on images padded so (``expand2square`` in ``haotian-liu/LLaVA``), but its hub
        processor resizes the short side and centre-crops, which cuts the sides off a
        landscape image.
    """

    model_type: str
    image_content: dict[str, Any] = field(default_factory=lambda: {"type": "image"})
    video_content: dict[str, Any] | None = None
    language_model_targets: str = r".*language_model.*\.(q|k|v|o|gate|up|down)_proj"
    vision_tower: str = r"(^|\.)vision_tower(\.|$)"
    projector: str = r"(^|\.)multi_modal_projector(\.|$)"
    processor_class: str | None = None
    pad_to_square: bool = False

    def is_language_model_target(self, name: str) -> bool:
        """Whether LoRA on the language model adapts the module called ``name``."""
        return re.fullmatch(self.language_model_targets, name) is not None

    def is_vision_tower(self, name: str) -> bool:
        """Whether the module called ``name`` is part of the vision tower (projector excluded)."""
        return re.search(self.vision_tower, name) is not None and not self.is_projector(name)

    def is_projector(self, name: str) -> bool:
        """Whether the module called ``name`` is part of the projector / merger."""
        return re.search(self.projector, name) is not None


# Qwen2.5-VL keeps the merger inside `visual`: the vision-tower pattern matches it,
# and `is_vision_tower` excludes it again through the projector pattern.
_QWEN_VL = dict(
    vision_tower=r"(^|\.)visual(\.|$)",
    projector=r"(^|\.)visual\.merger(\.|$)",
)

ARCHITECTURES: dict[str, Architecture] = {
    "llava": Architecture(model_type="llava", pad_to_square=True),
    # NeXT and OneVision tile each image on an "anyres" grid padded to its aspect ratio, so
    # nothing is cropped. Their module names are LLaVA's (plus the `image_newline` parameter).
    "llava_next": Architecture(model_type="llava_next"),
    # Without torchvision, AutoProcessor cannot build OneVision's video processor; videos
    # reach it as frames (images), so it never needs one.
    "llava_onevision": Architecture(
        model_type="llava_onevision",
        processor_class="tasktransfer.model.processors:ImageOnlyLlavaOnevisionProcessor",
    ),
    # Qwen2.5-VL takes videos through its processor's video path where torchvision is
    # installed (the video processor needs it), and is shown frames as images elsewhere.
    "qwen2_5_vl": Architecture(
        model_type="qwen2_5_vl",
        video_content={"type": "video"},
        processor_class="tasktransfer.model.processors:Qwen2_5_VLProcessorLoader",
        **_QWEN_VL,
    ),
}


def get_architecture(model_type: str) -> Architecture:
    """The table row of ``model_type``.

    Raises
    ------
    UnsupportedArchitectureError
        When the type is not in :data:`ARCHITECTURES`; the message lists the supported ones.

    Examples
    --------
    >>> get_architecture("llava").model_type
    'llava'
    >>> get_architecture("blip")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tasktransfer.model.architectures.UnsupportedArchitectureError: Unsupported model type 'blip'...
    """
    try:
        return ARCHITECTURES[model_type]
    except KeyError:
        supported = ", ".join(sorted(ARCHITECTURES))
        raise UnsupportedArchitectureError(
            f"Unsupported model type {model_type!r}; supported: {supported}. "
            "Add a row to tasktransfer.model.architectures.ARCHITECTURES."
        ) from None

"""The LLaVA family: LLaVA-1.5 sees whole images, padded to a square as it was trained."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from PIL import Image, ImageDraw
from transformers import CLIPImageProcessorPil

from tasktransfer.data.synthetic import generic_examples
from tasktransfer.model.architectures import get_architecture
from tasktransfer.model.prompting import encode
from tasktransfer.model.tiny import TINY_BUILDERS, build_tiny_llava

LLAVA = get_architecture("llava")


@pytest.fixture(scope="module")
def llava_1_5_processor():
    """The tiny LLaVA's processor with LLaVA-1.5's image processor (llava-hf's settings)."""
    _, processor = build_tiny_llava(seed=0)
    processor.image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}
    )
    processor.patch_size = 14
    return processor


def _marked_question():
    """A 640x480 grey photo with a red marker 10 px wide at each side edge (x=0-9, 630-639)."""
    image = Image.new("RGB", (640, 480), (128, 128, 128))
    draw = ImageDraw.Draw(image)
    for left in (0, 630):
        draw.rectangle((left, 230, left + 9, 249), fill=(255, 0, 0))
    question = generic_examples(1, seed=0)[0]
    return replace(question, images=(image,))


def _red_columns(processor, arch):
    """Columns of the processed image holding red pixels (pixel_values back to 0-1 RGB)."""
    pixels = encode([_marked_question()], processor, arch).inputs["pixel_values"][0]
    image_processor = processor.image_processor
    mean = torch.tensor(image_processor.image_mean)[:, None, None]
    std = torch.tensor(image_processor.image_std)[:, None, None]
    red, green, blue = pixels * std + mean
    return torch.nonzero(((red > 0.7) & (green < 0.3) & (blue < 0.3)).any(dim=0)).flatten()


def test_padding_to_square_keeps_both_edge_markers(llava_1_5_processor):
    columns = _red_columns(llava_1_5_processor, LLAVA)
    # 640 px -> 336 px: each 10 px marker is about 5 columns at its edge.
    assert columns.min() < 8 and columns.max() > 336 - 8


def test_the_processor_alone_crops_both_markers_off(llava_1_5_processor):
    """The control: resizing the short side to 336 and centre-cropping cuts 56 px per side."""
    without = replace(LLAVA, pad_to_square=False)
    assert len(_red_columns(llava_1_5_processor, without)) == 0


def test_the_padding_is_the_image_mean_so_it_normalises_to_zero(llava_1_5_processor):
    pixels = encode([_marked_question()], llava_1_5_processor, LLAVA).inputs["pixel_values"][0]
    # 480 of 640 rows are the photo: 42 of 336 rows above it are padding, whose colour is the
    # mean rounded down to whole levels (as LLaVA's expand2square): within a level of zero.
    one_level = 1 / 255 / min(llava_1_5_processor.image_processor.image_std)
    assert pixels[:, :40].abs().max() <= one_level
    assert pixels[:, 60:].abs().max() > 0.1  # the grey photo is not the mean colour


def test_square_images_are_not_changed():
    """The tiny models' synthetic images are square: padding leaves their inputs identical."""
    _, processor = build_tiny_llava(seed=0)
    questions = generic_examples(4, seed=1)
    padded, plain = (
        encode(questions, processor, arch).inputs
        for arch in (LLAVA, replace(LLAVA, pad_to_square=False))
    )
    assert torch.equal(padded["pixel_values"], plain["pixel_values"])
    assert torch.equal(padded["input_ids"], plain["input_ids"])


def test_only_llava_1_5_pads():
    """NeXT and OneVision tile each image on an aspect-preserving grid: nothing is cropped."""
    assert {t for t in TINY_BUILDERS if get_architecture(t).pad_to_square} == {"llava"}


@pytest.mark.parametrize("model_type", ["llava_next", "llava_onevision"])
def test_anyres_keeps_both_edge_markers(model_type):
    """The tiles and the overview of a 640x480 image keep its edges (the table's reason)."""
    model, processor = TINY_BUILDERS[model_type](seed=0)
    pixels = encode([_marked_question()], processor, get_architecture(model_type))
    values = pixels.inputs["pixel_values"][0]  # (tiles + overview, 3, 64, 64)
    image_processor = processor.image_processor
    mean = torch.tensor(image_processor.image_mean)[:, None, None]
    std = torch.tensor(image_processor.image_std)[:, None, None]
    red, green, blue = (values * std + mean).unbind(dim=1)
    overview = ((red > 0.7) & (green < 0.3) & (blue < 0.3))[0].any(dim=0)
    columns = torch.nonzero(overview).flatten()
    assert columns.min() < 2 and columns.max() > 64 - 3

"""Videos and numeric questions becoming model inputs, on the tiny models.

The machines that run the suite here lack torchvision, so Qwen2.5-VL's processor video path
is run only where torchvision is installed (the last tests); its request (what
:func:`encode` hands the processor) is checked everywhere.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from PIL import Image

from tasktransfer.data import Example
from tasktransfer.data.example import NUMBER_INSTRUCTION, format_number_prompt, format_prompt
from tasktransfer.data.video import FrameSampling, Video
from tasktransfer.model.architectures import get_architecture
from tasktransfer.model.processors import video_processing_available
from tasktransfer.model.prompting import (
    ANSWER_INSTRUCTION,
    FRAMES_AS_IMAGES,
    PROCESSOR_VIDEO,
    chat_text,
    encode,
    video_route,
)
from tasktransfer.model.tiny import TINY_BUILDERS

QWEN = get_architecture("qwen2_5_vl")
VIDEO_MARKER = "<|vision_start|><|video_pad|><|vision_end|>"


def _clip(count: int, *, fps: float = 2.0, size=(64, 64), sampling=None) -> Video:
    """``count`` frames of distinct colours, ``fps`` frames a second, all kept."""
    frames = [Image.new("RGB", size, (40 * i % 256, 255 - 30 * i, 7 * i)) for i in range(count)]
    return Video.from_frames(frames, sampling or FrameSampling(num_frames=count), fps=fps)


def _numeric(video: Video, idx="n0", answer="3") -> Example:
    question = "How many chairs are in this room?"
    return Example(
        idx, "VSI_Object_Count", question, (), answer, format_number_prompt(question), (),
        video=video, answer_type="number",
    )  # fmt: skip


def _choice(video: Video | None, images=(), idx="c0") -> Example:
    question = "Which object is closer to the camera?"
    choices = ("chair", "table")
    prompt = format_prompt(question, choices)
    return Example(idx, "VSI_Rel_Distance", question, choices, "(B)", prompt, images, video=video)


def _as_images(ex: Example) -> Example:
    """The same question with its video's frames put before its images, and no video."""
    return replace(ex, video=None, images=(*ex.video.frames, *ex.images))


@pytest.fixture(scope="module", params=sorted(TINY_BUILDERS))
def tiny(request):
    model, processor = TINY_BUILDERS[request.param](seed=0)
    return model, processor, get_architecture(request.param)


def test_the_llava_family_sees_frames_as_images(tiny):
    _, processor, arch = tiny
    if arch.video_content is None:
        assert video_route(processor, arch) == FRAMES_AS_IMAGES
    else:
        expected = PROCESSOR_VIDEO if video_processing_available() else FRAMES_AS_IMAGES
        assert video_route(processor, arch) == expected


def test_frames_as_images_equal_the_same_question_with_images(tiny):
    """Frames first, in time order, then the images: exactly an image question's inputs."""
    _, processor, arch = tiny
    if video_route(processor, arch) != FRAMES_AS_IMAGES:
        pytest.skip("this processor takes videos through its video path")
    extra = Image.new("RGB", (64, 64), (0, 0, 255))
    questions = [_choice(_clip(3), images=(extra,)), _numeric(_clip(2), idx="n1")]
    as_video = encode(questions, processor, arch)
    as_images = encode([_as_images(ex) for ex in questions], processor, arch)
    assert as_video.inputs.keys() == as_images.inputs.keys()
    for key, value in as_video.inputs.items():
        assert torch.equal(value, as_images.inputs[key]), key
    # The control: the frames in another order give other pixels.
    shuffled = _as_images(questions[0])
    shuffled = replace(shuffled, images=shuffled.images[::-1])
    other = encode([shuffled, _as_images(questions[1])], processor, arch)
    assert not torch.equal(other.inputs["pixel_values"], as_images.inputs["pixel_values"])


def test_a_numeric_prompt_keeps_its_own_instruction_and_has_no_options(tiny):
    _, processor, arch = tiny
    text = chat_text(_numeric(_clip(2)), processor, arch)
    assert NUMBER_INSTRUCTION in text
    assert ANSWER_INSTRUCTION not in text
    assert ANSWER_INSTRUCTION in chat_text(_choice(_clip(2)), processor, arch)
    batch = encode([_numeric(_clip(2)), _choice(_clip(2))], processor, arch)
    assert batch.targets.tolist() == [-1, 1]
    assert batch.n_choices.tolist() == [0, 2]


def test_a_video_without_images_gives_one_image_per_frame_as_images(tiny):
    _, processor, arch = tiny
    if video_route(processor, arch) != FRAMES_AS_IMAGES:
        pytest.skip("this processor takes videos through its video path")
    text = chat_text(_numeric(_clip(5)), processor, arch)
    marker = "<|image_pad|>" if arch.model_type == "qwen2_5_vl" else "<image>"
    assert text.count(marker) == 5


class _Stop(Exception):
    pass


class _RecordingProcessor:
    """The tiny Qwen2.5-VL processor as the video path sees it: a video processor is present
    and every call's arguments are recorded, then the call is stopped (this machine may not
    build the real video processor)."""

    def __init__(self, real):
        self.real = real
        self.video_processor = object()
        self.image_processor = real.image_processor
        self.tokenizer = real.tokenizer
        self.calls = []

    def apply_chat_template(self, *args, **kwargs):
        return self.real.apply_chat_template(*args, **kwargs)

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        raise _Stop


def _recorded_request(examples, *, image_max_pixels=None):
    _, real = TINY_BUILDERS["qwen2_5_vl"](seed=0)
    processor = _RecordingProcessor(real)
    with pytest.raises(_Stop):
        encode(examples, processor, QWEN, image_max_pixels=image_max_pixels)
    (call,) = processor.calls
    return call


def test_the_video_path_request_holds_the_sampled_clips_and_their_rate():
    big = (200, 100)
    capped = FrameSampling(num_frames=3, max_pixels=800)
    questions = [
        _numeric(_clip(3, fps=4.0, size=big, sampling=capped)),
        _choice(None, images=(Image.new("RGB", big),)),
        _choice(_clip(2, fps=0.5, size=big), idx="c1"),
    ]
    call = _recorded_request(questions, image_max_pixels=5000)
    texts = call["text"]
    assert [t.count(VIDEO_MARKER) for t in texts] == [1, 0, 1]
    assert [t.count("<|image_pad|>") for t in texts] == [0, 1, 0]
    assert call["do_sample_frames"] is False
    assert call["cap_pixels_per_frame"] is False
    # One clip per video question, in batch order; frames capped at the clip's own cap
    # (800 px: 40 x 20), else at the images' (5000 px: 100 x 50), as images are.
    assert [[f.size for f in clip] for clip in call["videos"]] == [[(40, 20)] * 3, [(100, 50)] * 2]
    assert [[f.size for f in row] for row in call["images"]] == [[], [(100, 50)], []]
    # Frames 0.25 s apart (4 fps) and 2 s apart (0.5 fps), every given frame kept.
    assert call["video_metadata"] == [
        {"total_num_frames": 3, "fps": 4.0, "frames_indices": [0, 1, 2]},
        {"total_num_frames": 2, "fps": 0.5, "frames_indices": [0, 1]},
    ]


def test_the_video_path_request_for_videos_alone_sends_no_images():
    call = _recorded_request([_numeric(_clip(1)), _numeric(_clip(4), idx="n1")])
    assert call["images"] is None
    assert [len(clip) for clip in call["videos"]] == [1, 4]
    # One frame has no rate of its own: 1 frame a second.
    assert call["video_metadata"][0]["fps"] == 1.0


needs_video = pytest.mark.skipif(
    not video_processing_available(), reason="the processor's video path needs torchvision"
)


@needs_video
@pytest.mark.parametrize("count", [3, 4])
def test_the_tiny_qwen_video_path_patches_frames_in_pairs(count):
    """Run where torchvision is installed: grid, token count and timing, by hand."""
    model, processor = TINY_BUILDERS["qwen2_5_vl"](seed=0)
    assert video_route(processor, QWEN) == PROCESSOR_VIDEO
    batch = encode([_numeric(_clip(count, fps=2.0, size=(112, 56)))], processor, QWEN)
    inputs = batch.inputs
    # 112 x 56 px in 14 px patches: 8 x 4; frames in pairs, an odd count padded: ceil(n / 2).
    grid_t = math.ceil(count / 2)
    assert inputs["video_grid_thw"].tolist() == [[grid_t, 4, 8]]
    video_pad = processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    # 2 x 2 patches merge into one token.
    assert int((inputs["input_ids"] == video_pad).sum()) == grid_t * 4 * 8 // 4
    # Two frames at 2 frames a second span one second.
    assert [float(x) for x in inputs["second_per_grid_ts"]] == [1.0]
    assert "pixel_values" not in inputs
    with torch.inference_mode():
        logits = model(**inputs).logits
    assert torch.isfinite(logits).all()


def test_the_loader_keeps_a_video_processor_only_where_one_can_be_built(tmp_path):
    from tasktransfer.model.processors import (
        ImageOnlyQwen2_5_VLProcessor,
        Qwen2_5_VLProcessorLoader,
    )

    _, processor = TINY_BUILDERS["qwen2_5_vl"](seed=0)
    processor.save_pretrained(tmp_path)
    loaded = Qwen2_5_VLProcessorLoader.from_pretrained(tmp_path)
    has_video = getattr(loaded, "video_processor", None) is not None
    assert has_video is video_processing_available()
    assert isinstance(loaded, ImageOnlyQwen2_5_VLProcessor) is not video_processing_available()
    expected = PROCESSOR_VIDEO if video_processing_available() else FRAMES_AS_IMAGES
    assert video_route(loaded, QWEN) == expected

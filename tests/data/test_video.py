"""The video and numeric schema: frame sampling, decoding, examples, validation, registry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from PIL import Image

from tasktransfer.data import Example, fingerprint, validate_examples
from tasktransfer.data.example import NUMBER_INSTRUCTION, format_number_prompt
from tasktransfer.data.validate import DataError
from tasktransfer.data.video import FrameSampling, Video, sample_frames
from tasktransfer.errors import InputError
from tasktransfer.tasks import REGISTRY, Task, load_registry

from .mp4 import frame_number, write_mp4


def _clip(n: int) -> list[Image.Image]:
    return [Image.new("RGB", (8, 8), (10 * i, 0, 0)) for i in range(n)]


def _video(n: int = 4) -> Video:
    return Video.from_frames(_clip(n))


def _number_example(**changes) -> Example:
    example = Example(
        idx="0",
        sub_task="VSI_Object_Count",
        question="How many chairs are in this room?",
        choices=(),
        answer="3",
        prompt=format_number_prompt("How many chairs are in this room?"),
        images=(),
        video=_video(),
        answer_type="number",
    )
    return replace(example, **changes)


def _choice_example(**changes) -> Example:
    example = Example(
        idx="0",
        sub_task="VSI_Appearance_Order",
        question="Which order?",
        choices=("a, b", "b, a"),
        answer="(B)",
        prompt="Which order?",
        images=(),
        video=_video(),
    )
    return replace(example, **changes)


def _validate(examples, **kwargs):
    validate_examples(examples, source="mem", task=examples[0].sub_task, split="test", **kwargs)


# Frame sampling


@pytest.mark.parametrize(
    ("sampling", "total", "fps", "expected"),
    [
        # linspace(0, 9, 3) = 0, 4.5, 9 -> floor -> 0, 4, 9
        (FrameSampling(num_frames=3), 10, 5.0, (0, 4, 9)),
        # more frames asked than the video has: every frame
        (FrameSampling(num_frames=8), 5, 5.0, (0, 1, 2, 3, 4)),
        # 20 frames at 10 fps = 2 s; at most 1 frame per second -> 2 frames, the ends
        (FrameSampling(num_frames=8, fps_cap=1.0), 20, 10.0, (0, 19)),
        # 0.5 s at 1 frame per second still gives one frame
        (FrameSampling(num_frames=8, fps_cap=1.0), 5, 10.0, (0,)),
        (FrameSampling(num_frames=1), 7, 1.0, (0,)),
    ],
)
def test_frame_indices_are_evenly_spaced_and_honour_the_caps(sampling, total, fps, expected):
    assert sampling.frame_indices(total, fps) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_frames": 0}, "num_frames must be at least 1"),
        ({"num_frames": 2.5}, "num_frames must be a whole number"),
        ({"fps_cap": 0.0}, "fps_cap must be a positive number"),
        ({"fps_cap": float("nan")}, "fps_cap must be a positive number"),
        ({"max_pixels": 0}, "max_pixels must be a positive whole number"),
    ],
)
def test_frame_sampling_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FrameSampling(**kwargs)


def test_from_frames_samples_by_the_same_rule_and_records_it():
    sampling = FrameSampling(num_frames=3)
    video = Video.from_frames(_clip(5), sampling, fps=2.0, source="clip")
    assert [f.getpixel((0, 0))[0] for f in video.frames] == [0, 20, 40]  # frames 0, 2, 4
    assert video.timestamps == (0.0, 1.0, 2.0)
    assert video.sampling is sampling and video.source == "clip"
    assert len(Video.from_frames(_clip(5)).frames) == 5  # default: every frame


def test_video_refuses_inconsistent_frames_and_timestamps():
    frames = tuple(_clip(2))
    with pytest.raises(ValueError, match="2 frames but 1 timestamps"):
        Video(frames, FrameSampling(), (0.0,))
    with pytest.raises(ValueError, match="must not decrease"):
        Video(frames, FrameSampling(), (1.0, 0.5))
    with pytest.raises(ValueError, match="at least one frame"):
        Video((), FrameSampling(), ())


# Decoding


def test_sample_frames_decodes_the_chosen_frames_with_their_times(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", 20, fps=10)
    video = sample_frames(path, FrameSampling(num_frames=4))
    # linspace(0, 19, 4) = 0, 6.33, 12.67, 19 -> 0, 6, 12, 19
    assert [frame_number(f) for f in video.frames] == [0, 6, 12, 19]
    assert video.timestamps == pytest.approx((0.0, 0.6, 1.2, 1.9))
    assert video.source == str(path) and video.sampling == FrameSampling(num_frames=4)
    assert all(f.mode == "RGB" and f.size == (32, 32) for f in video.frames)


def test_sample_frames_honours_the_fps_cap_and_the_pixel_cap(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", 20, fps=10)
    capped = sample_frames(path, FrameSampling(num_frames=8, fps_cap=1.5, max_pixels=256))
    # 2 s at 1.5 frames a second: 3 frames, at 0, 9 and 19; 32 x 32 = 1024 px -> 16 x 16
    assert [frame_number(f) for f in capped.frames] == [0, 9, 19]
    assert {f.size for f in capped.frames} == {(16, 16)}


def test_sample_frames_names_the_file_it_cannot_read(tmp_path):
    with pytest.raises(InputError, match="no video file .*nothing.mp4"):
        sample_frames(tmp_path / "nothing.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(InputError, match="broken.mp4: not a readable video"):
        sample_frames(broken)


# Examples


def test_numeric_example_has_its_number_and_prompt():
    example = _number_example(answer="2.45")
    assert example.answer_number == 2.45
    assert example.prompt == f"How many chairs are in this room?\n{NUMBER_INSTRUCTION}"
    assert _number_example(answer="hidden").answer_number is None
    assert _choice_example().answer_number is None
    assert _choice_example().answer_letter == "B"


def test_a_blink_row_cannot_hold_a_video_question():
    with pytest.raises(ValueError, match="a BLINK row cannot hold it"):
        _choice_example().to_blink_row()


# Validation


def test_validation_accepts_video_numeric_and_choice_examples():
    _validate([_number_example(), _number_example(idx="1", answer="hidden")])
    _validate([_choice_example()], require_answers=True)


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (_number_example(choices=("1", "2")), "field 'choices' must be empty"),
        (_number_example(answer="three"), "field 'answer' is 'three'"),
        (_number_example(answer="0"), "non-zero number"),
        (_number_example(answer="inf"), "finite"),
        (_number_example(answer_type="choice"), "task 'VSI_Object_Count' is answered by"),
        (_number_example(answer_type="text"), "field 'answer_type' is 'text'"),
        (_number_example(video=None), "field 'video' is missing"),
        (_choice_example(answer="(C)"), r"expected one of \(A\), \(B\)"),
        (_choice_example(choices=("one",)), "has 1 options; expected 2 to 4"),
    ],
)
def test_validation_refuses_malformed_video_rows_naming_the_field(example, message):
    with pytest.raises(DataError, match=f"mem: task '{example.sub_task}', split 'test', idx '0'"):
        _validate([example])
    with pytest.raises(DataError, match=message):
        _validate([example])


def test_a_question_needs_an_image_or_a_video():
    unregistered = _choice_example(sub_task="Not_Registered", video=None)
    with pytest.raises(DataError, match="a question needs an image or a video"):
        _validate([unregistered])
    _validate([replace(unregistered, images=(Image.new("RGB", (4, 4)),))])


def test_hidden_numeric_answers_are_refused_when_scoring_needs_them():
    with pytest.raises(DataError, match="the answer is hidden"):
        _validate([_number_example(answer="hidden")], require_answers=True)


# Fingerprints


def _pre_video_fingerprint(examples) -> str:
    """The fingerprint as it was computed before examples had videos."""
    digest = hashlib.sha256()
    for e in examples:
        fields = [e.idx, e.sub_task, e.question, list(e.choices), e.answer, e.prompt]
        fields += [e.explanation, len(e.images)]
        digest.update(json.dumps(fields).encode())
        for image in e.images:
            for part in (f"{image.mode}:{image.width}x{image.height}".encode(), image.tobytes()):
                digest.update(len(part).to_bytes(8, "little"))
                digest.update(part)
    return digest.hexdigest()


def test_image_questions_keep_their_fingerprints_and_video_content_counts():
    from tasktransfer.data.synthetic import generate

    images = generate("Counting", "val", 3)
    assert fingerprint(images) == _pre_video_fingerprint(images)
    base = _number_example()
    other_pixels = replace(base, video=Video.from_frames([*_clip(3), _clip(5)[4]]))
    other_times = replace(base, video=Video.from_frames(_clip(4), fps=2.0))
    prints = {fingerprint([e]) for e in (base, other_pixels, other_times)}
    assert len(prints) == 3
    assert fingerprint([base]) == fingerprint([_number_example()])


# Registry


def test_registry_declares_answer_type_and_modality():
    assert REGISTRY["Counting"].answer_type == "choice"
    assert REGISTRY["Counting"].modality == "image"
    assert REGISTRY["VSI_Object_Count"].answer_type == "number"
    assert REGISTRY["VSI_Object_Count"].modality == "video"
    assert REGISTRY["VSI_Object_Count"].letters == ()
    assert REGISTRY.resolve("vao").name == "VSI_Appearance_Order"


def test_task_shape_follows_answer_type_and_modality():
    fields = {"abbrev": "X", "level": "mid", "granularity": "image"}
    Task("Video_Q", images=0, choices=0, answer_type="number", modality="video", **fields)
    with pytest.raises(ValueError, match="images must be a whole number from 1 to 4"):
        Task("Image_Q", images=0, choices=2, **fields)
    with pytest.raises(ValueError, match="choices must be a whole number from 0 to 0"):
        Task("Num_Q", images=1, choices=2, answer_type="number", **fields)
    with pytest.raises(ValueError, match="modality must be one of"):
        Task("Odd_Q", images=1, choices=2, modality="audio", **fields)


def test_a_tasks_file_adds_a_numeric_video_task(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text(
        "My_Count: {abbrev: MYC, images: 0, choices: 0, level: mid, granularity: image,\n"
        "           answer_type: number, modality: video}\n"
    )
    task = load_registry(path)["My_Count"]
    assert (task.answer_type, task.modality, task.images) == ("number", "video", 0)
    path.write_text("Counting: {modality: video}\n")
    with pytest.raises(InputError, match="cannot set \\['modality'\\]"):
        load_registry(path)


# The folder format


def test_a_folder_keeps_video_and_numeric_questions(tmp_path):
    import pyarrow.parquet as pq

    from tasktransfer.data import load_examples
    from tasktransfer.data.folder import write_folder

    examples = [_number_example(), _number_example(idx="1", answer="2.5")]
    write_folder(tmp_path, "test", {"VSI_Object_Count": examples})
    back = load_examples(str(tmp_path), ["VSI_Object_Count"], "test")["VSI_Object_Count"]
    assert back == examples and back[1].answer_number == 2.5
    assert back[0].video.timestamps == examples[0].video.timestamps
    assert back[0].video.sampling == examples[0].video.sampling
    # A broken sampling rule is named with its row.
    path = tmp_path / "VSI_Object_Count" / "test.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[1]["video_sampling"] = '{"num_frames": 0}'
    pq.write_table(type(table).from_pylist(rows, schema=table.schema), path)
    with pytest.raises(DataError, match="row 2, idx '1': the video fields do not make a video"):
        load_examples(str(tmp_path), ["VSI_Object_Count"], "test")

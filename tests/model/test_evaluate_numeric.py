"""Evaluation of numeric and video questions: generation, the strict parser, MRA, the route."""

from __future__ import annotations

import importlib
import logging
import math
from dataclasses import replace

import pytest
import torch
from PIL import Image

from tasktransfer.contracts import read_predictions, read_results
from tasktransfer.data import Example
from tasktransfer.data.example import format_number_prompt
from tasktransfer.data.synthetic import generic_examples
from tasktransfer.data.video import FrameSampling, Video
from tasktransfer.errors import InputError
from tasktransfer.model.evaluate import EvalConfig, evaluate, generation_settings, summarize
from tasktransfer.model.processors import video_processing_available
from tasktransfer.model.tiny import build_tiny_llava, build_tiny_qwen2_5_vl
from tasktransfer.scoring import mean_relative_accuracy, parse_number

QUIET = {"progress": False}
# The module (the package exports its `evaluate` function under the same name).
evaluate_module = importlib.import_module("tasktransfer.model.evaluate")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _clip(seed: int, count: int = 3) -> Video:
    frames = [Image.new("RGB", (64, 64), (seed * 50 % 256, 20 * i, 90)) for i in range(count)]
    return Video.from_frames(frames, FrameSampling(num_frames=count), fps=1.0)


def _numeric(idx: str, answer: str, *, frames: int = 3) -> Example:
    question = f"How many objects are in clip {idx}?"
    return Example(
        idx, "VSI_Object_Count", question, (), answer, format_number_prompt(question), (),
        video=_clip(int(idx), frames), answer_type="number",
    )  # fmt: skip


GOLD = ["3", "2.5", "2", "50", "7"]


# Clips of 1-4 frames, so a batch pads its rows.
FRAMES = (3, 2, 4, 1, 3)


def _numeric_task(frames=FRAMES):
    pairs = enumerate(zip(GOLD, frames, strict=True))
    return [_numeric(str(i), gt, frames=n) for i, (gt, n) in pairs]


@pytest.fixture(scope="module")
def digit_model(tmp_path_factory):
    """A tiny LLaVA whose output layer reads only the digit tokens: it answers with digits.

    Every row of the output layer is zero but those of "0".."9", which are random, so each
    greedy token is a digit unless all ten lean negative (a zero logit wins then).
    """
    model, processor = build_tiny_llava(seed=0)
    digits = [processor.tokenizer.convert_tokens_to_ids(str(d)) for d in range(10)]
    weight = torch.zeros_like(model.lm_head.weight)
    generator = torch.Generator().manual_seed(0)
    weight[digits] = 10 * torch.randn(10, weight.shape[1], generator=generator)
    model.config.tie_word_embeddings = False
    model.config.text_config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(weight)
    folder = tmp_path_factory.mktemp("digits")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)


def test_numeric_answers_are_generated_parsed_and_scored(digit_model):
    result = evaluate(
        digit_model, {"Count": _numeric_task()}, config=EvalConfig(max_new_tokens=2), **QUIET
    )
    predictions = result.predictions
    parsed = [parse_number(p["output"]) for p in predictions]
    assert sum(n is not None for n in parsed) >= 3, "the digit model should answer with digits"
    for p, number, gold in zip(predictions, parsed, GOLD, strict=True):
        assert p["answer"] == gold
        assert p["predicted"] == (None if number is None else str(number))
        assert p["score"] == mean_relative_accuracy(number, float(gold))
        assert p["correct"] is (p["score"] == 1.0)
        assert p["scores"] == {} and "letter_mass" not in p
    (row,) = result.rows
    assert row["n_correct"] == pytest.approx(math.fsum(p["score"] for p in predictions))
    assert isinstance(row["n_correct"], float)
    assert row["n_unparsed"] == sum(n is None for n in parsed)
    assert (row["answer_counts"], row["collapsed"], row["letter_mass"]) == (None, None, None)
    # Numeric questions are generated even in likelihood mode, with the greedy settings.
    assert result.meta["generation"] == generation_settings(EvalConfig(max_new_tokens=2))
    assert result.meta["video_routes"] == {"base": "frames_as_images"}
    assert {p["video_route"] for p in predictions} == {"frames_as_images"}


def test_batched_numeric_generation_equals_one_at_a_time(digit_model):
    """Clips of 1-4 frames differ in length, so a batch pads its rows."""
    outputs = [
        [
            p["output"]
            for p in evaluate(
                digit_model,
                {"Count": _numeric_task()},
                config=EvalConfig(max_new_tokens=2, batch_size=size),
                **QUIET,
            ).predictions
        ]
        for size in (5, 1)
    ]
    assert outputs[0] == outputs[1]
    assert len(set(outputs[0])) > 1


def test_hand_scored_outputs_sum_into_the_row(digit_model, monkeypatch):
    """Known outputs, scored by hand: 3 vs 3 -> 1; "3 meters" unparsed -> 0; "2." vs 2 -> 1;
    40 vs 50 (20 % off: below 0.50..0.25) -> 0.6; 9 vs 7 (2/7 = 0.286 off: below
    0.50..0.30) -> 0.5. The row holds 3.1, one unparsed. Clips of one length keep the
    questions in task order in their batch, the order the outputs are given in."""
    outputs = iter([["3", "3 meters", "2.", "40", "9"]])
    monkeypatch.setattr(
        evaluate_module, "_generated_texts", lambda *args: next(outputs), raising=True
    )
    task = _numeric_task(frames=(2,) * len(GOLD))
    result = evaluate(digit_model, {"Count": task}, config=EvalConfig(batch_size=5), **QUIET)
    by_idx = {p["idx"]: p for p in result.predictions}
    assert [by_idx[str(i)]["score"] for i in range(5)] == [1.0, 0.0, 1.0, 0.6, 0.5]
    assert [by_idx[str(i)]["predicted"] for i in range(5)] == ["3.0", None, "2.0", "40.0", "9.0"]
    (row,) = result.rows
    assert row["n_correct"] == pytest.approx(3.1)
    assert row["n_unparsed"] == 1


def test_choice_and_numeric_targets_together_save_and_read_back(digit_model, tmp_path):
    """Image questions keep their integer rows and letter scores; numeric rows are floats."""
    tasks = {"Letters": generic_examples(6, seed=3), "Count": _numeric_task()}
    result = evaluate(
        digit_model, tasks, config=EvalConfig(max_new_tokens=2, batch_size=4), **QUIET
    )
    rows = {row["target"]: row for row in result.rows}
    assert isinstance(rows["Letters"]["n_correct"], int)
    assert rows["Letters"]["letter_mass"] is not None
    assert isinstance(rows["Count"]["n_correct"], float)
    letters = [p for p in result.predictions if p["target"] == "Letters"]
    assert all(p["scores"] and "score" not in p and "video_route" not in p for p in letters)
    paths = result.save(tmp_path / "out", model="m", run="seed_0")
    read = {row.target: row for row in read_results(paths["rows"])}
    assert read["Count"].n_correct == rows["Count"]["n_correct"]
    assert read["Letters"].n_correct == rows["Letters"]["n_correct"]
    records = read_predictions(paths["predictions"])
    count = [r for r in records if r.target == "Count"]
    assert math.fsum(r.credit for r in count) == pytest.approx(read["Count"].n_correct)
    assert all(r.output is not None and r.score is not None for r in count)
    assert {r.video_route for r in count} == {"frames_as_images"}


def test_summarize_mixes_scores_and_letters():
    predictions = [
        {"adapter": "a", "target": "T", "predicted": "2.0", "answer": "2", "correct": True,
         "score": 1.0},
        {"adapter": "a", "target": "T", "predicted": None, "answer": "4", "correct": False,
         "score": 0.0},
        {"adapter": "a", "target": "T", "predicted": "5.0", "answer": "4", "correct": False,
         "score": 0.5},
        {"adapter": "a", "target": "U", "predicted": "A", "answer": "A", "correct": True},
    ]  # fmt: skip
    numeric, letters = summarize(predictions)
    assert (numeric["n_correct"], numeric["n_total"], numeric["n_unparsed"]) == (1.5, 3, 1)
    assert numeric["answer_counts"] is None and numeric["collapsed"] is None
    assert (letters["n_correct"], letters["answer_counts"]) == (1, {"A": 1})


@pytest.mark.parametrize("answer", ["hidden", "0", "many"])
def test_a_numeric_question_without_a_usable_ground_truth_is_refused(digit_model, answer):
    task = [replace(_numeric("0", "3"), idx="q7", answer=answer)]
    with pytest.raises(InputError, match=r"task Count, idx q7: numeric answer"):
        evaluate(digit_model, {"Count": task}, **QUIET)


@pytest.mark.skipif(video_processing_available(), reason="torchvision present: no fallback")
def test_qwen_without_a_video_processor_falls_back_to_frames_and_says_so(tmp_path, caplog):
    model, processor = build_tiny_qwen2_5_vl(seed=0)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="tasktransfer.model.evaluate"):
        result = evaluate(
            str(tmp_path),
            {"Count": _numeric_task()[:2]},
            config=EvalConfig(max_new_tokens=2),
            **QUIET,
        )
    assert result.meta["video_routes"] == {"base": "frames_as_images"}
    assert "videos are shown as frames" in caplog.text
    assert [p["video_route"] for p in result.predictions] == ["frames_as_images"] * 2


def test_image_only_evaluations_record_no_video_route(digit_model):
    result = evaluate(digit_model, {"Letters": generic_examples(2, seed=1)}, **QUIET)
    assert result.meta["video_routes"] is None
    assert result.meta["generation"] is None

from collections import Counter

import numpy as np
import pytest

from tasktransfer.data import fingerprint, format_prompt
from tasktransfer.data.synthetic import GENERIC_KINDS, generic_examples
from tasktransfer.data.synthetic.draw import COLOURS
from tasktransfer.tasks import REGISTRY


def test_generic_examples_are_deterministic_and_extend_each_other():
    small, large = generic_examples(16, seed=3), generic_examples(24, seed=3)
    assert fingerprint(small) == fingerprint(large[:16])
    assert fingerprint(small) != fingerprint(generic_examples(16, seed=4))


def test_generic_examples_schema_and_blink_prompt_format():
    examples = generic_examples(80, seed=0)
    for e in examples:
        assert e.sub_task == "generic" and e.sub_task not in REGISTRY
        assert 2 <= len(e.choices) <= 4 and 1 <= len(e.images) <= 2
        assert e.prompt == format_prompt(e.question, e.choices)
        assert e.answer_letter in e.letters
        assert all(im.size == (64, 64) and im.mode == "RGB" for im in e.images)
    assert {e.meta["kind"] for e in examples} == set(GENERIC_KINDS)
    assert {len(e.images) for e in examples} == {1, 2}
    assert {len(e.choices) for e in examples} == {2, 3, 4}


@pytest.mark.parametrize("kind", list(GENERIC_KINDS))
def test_generic_letters_are_balanced_per_kind(kind):
    n_choices = GENERIC_KINDS[kind][1]
    examples = generic_examples(12 * n_choices, seed=1, kinds=(kind,))
    counts = Counter(e.answer_letter for e in examples)
    assert counts == {letter: 12 for letter in "ABCD"[:n_choices]}


def _non_background(image):
    pixels = np.asarray(image).reshape(-1, 3)
    return pixels[(pixels != pixels[0]).any(axis=1)]


def test_generic_answers_agree_with_the_pixels():
    # Independent oracles on the rendered images, for the kinds read off pixels directly.
    width = 64
    for e in generic_examples(160, seed=5, kinds=("colour", "side", "quadrant", "which_image")):
        answer = e.choices[e.letters.index(e.answer_letter)]
        kind = e.meta["kind"]
        if kind == "colour":
            ink = {tuple(p) for p in _non_background(e.images[0])}
            assert ink == {COLOURS[answer]}
        elif kind in ("side", "quadrant"):
            ys, xs = np.nonzero((np.asarray(e.images[0]) != np.asarray(e.images[0])[0, 0]).any(-1))
            horizontal = "left" if xs.mean() < width / 2 else "right"
            vertical = "top" if ys.mean() < width / 2 else "bottom"
            assert answer == (horizontal if kind == "side" else f"{vertical} {horizontal}")
        else:
            target = COLOURS[e.question.split()[-2]]
            has = [any(tuple(p) == target for p in _non_background(im)) for im in e.images]
            assert has == [answer == "the first image", answer == "the second image"]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown generic kinds"):
        generic_examples(2, seed=0, kinds=("colur",))

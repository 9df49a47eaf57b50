"""The easiest level of the tasks whose easy questions differ in kind from their hard ones
(module docstrings of the generators), read from the pixels and the latent scene."""

import numpy as np
from scipy import ndimage

from tasktransfer.data.synthetic import generate
from tasktransfer.data.synthetic.draw import BACKGROUND, COLOURS
from tasktransfer.data.synthetic.layout import quadrant

N = 60


def colours_in(image) -> set[tuple[int, ...]]:
    return set(map(tuple, np.asarray(image).reshape(-1, 3)))


def test_easy_spatial_relation_asks_left_of_a_centred_blue_square():
    for e in generate("Spatial_Relation", "val", N, difficulty=0.0):
        first, second = e.meta["objects"]
        centre = second.pop()
        assert e.meta["relation"] == "to the left of"
        assert [first[:2], second] == [["yellow", "circle"], ["blue", "square"]]
        assert max(abs(v - 32) for v in centre) <= 3
        assert colours_in(e.images[0]) == {BACKGROUND, COLOURS["yellow"], COLOURS["blue"]}
    hard = generate("Spatial_Relation", "val", N, difficulty=1.0)
    assert len({e.meta["relation"] for e in hard}) == 4


def test_easy_counting_shows_blue_squares_alone():
    for e in generate("Counting", "val", N, difficulty=0.0):
        assert e.meta["target"] == ["blue", "square"]
        assert colours_in(e.images[0]) == {BACKGROUND, COLOURS["blue"]}
        labels, n = ndimage.label((np.asarray(e.images[0]) == COLOURS["blue"]).all(-1))
        sizes = np.bincount(labels.ravel())[1:]
        # As many blue squares of one size as the answer says.
        assert str(n) == e.choices[e.letters.index(e.answer_letter)]
        assert len(set(sizes)) == 1
    hard = generate("Counting", "val", N, difficulty=1.0)
    assert len({tuple(e.meta["target"]) for e in hard}) > 3


def test_easy_forensic_detection_bands_every_fake():
    for e in generate("Forensic_Detection", "val", N, difficulty=0.0):
        levels = [len(np.unique(np.asarray(im)[..., 0])) for im in e.images]
        real = e.letters.index(e.answer_letter)
        # Three bands (and the clip at 255) per channel in a fake; a gradient in the real one.
        assert all(n <= 4 for i, n in enumerate(levels) if i != real)
        assert levels[real] > 20
    hard = generate("Forensic_Detection", "val", N, difficulty=1.0)
    assert all(
        sorted(filter(None, e.meta["artefacts"])) == ["banding", "blocky", "noise"] for e in hard
    )


def test_functional_candidates_sit_one_per_quadrant_and_easy_ones_match_by_place():
    for difficulty in (0.0, 1.0):
        examples = generate("Functional_Correspondence", "val", N, difficulty=difficulty)
        for e in examples:
            assert [quadrant(c, 64) for c in e.meta["candidates"]] == [0, 1, 2, 3]
        same = np.mean(
            [
                quadrant(e.meta["reference"], 64) == e.letters.index(e.answer_letter)
                for e in examples
            ]
        )
        # No turn between the tools at 0: the match is where REF is, nearly always.
        assert same >= 0.95 if difficulty == 0 else same < 0.6


def _ring_off_its_patch(e) -> bool:
    """Whether a marked point's ring (radius 5 at 64 px) reaches another Mondrian patch."""
    xs, ys = e.meta["cuts"]
    for x, y in e.meta["points"]:
        col = np.searchsorted(xs, x, side="right") - 1
        row = np.searchsorted(ys, y, side="right") - 1
        # The image border is no other patch: a ring may run off the image.
        left, right = (xs[col] if col else -99), (xs[col + 1] if col < 2 else 999)
        top, bottom = (ys[row] if row else -99), (ys[row + 1] if row < 2 else 999)
        if not (left <= x - 5 and x + 5 < right and top <= y - 5 and y + 5 < bottom):
            return True
    return False


def test_easy_reflectance_rings_lie_on_one_surface():
    easy = generate("Relative_Reflectance", "val", N, difficulty=0.0)
    assert not any(map(_ring_off_its_patch, easy))
    # The hard level keeps BLINK's points beside an edge: some rings reach a neighbour.
    assert any(map(_ring_off_its_patch, generate("Relative_Reflectance", "val", N, difficulty=1.0)))

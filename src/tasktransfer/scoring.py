"""Numeric answers: the strict number parser and VSI-Bench's mean relative accuracy.

A question whose answer is a number (``Example.answer_type == "number"``: a count, a
distance, a size) is answered by generation; :func:`parse_number` reads the output and
:func:`mean_relative_accuracy` scores it against the ground truth. Pure functions, no
model: the evaluation and the analysis both import them.

The parser
----------
Strict, as the prompt asks for "a single number only": after surrounding whitespace,
quotes and Markdown emphasis are peeled off, and one final full stop, the whole output must
be one decimal number: an optional sign, digits with an optional decimal point (``"3"``,
``"-2"``, ``"2.45"``, ``".5"``, ``"4."``). Everything else is unparsed (None) and scores 0:

* unit words (``"3 meters"``, ``"2.5m"``): a unit is not what the instruction asks for,
  and reading the number beside it would take ``"250 cm"`` as 250 where the question
  asked for meters;
* several numbers (``"3 or 4"``, ``"3-4"``), words (``"three"``, ``"about 3"``);
* thousands separators (``"1,200"``), exponents (``"1e3"``), ``"inf"``, ``"nan"`` and the
  other spellings Python's ``float`` accepts beyond plain decimals (``"1_000"``).

lmms-eval's VSI-Bench scorer is more lenient: it reads the first whitespace-separated word
with its full stops stripped, so ``"3 meters"`` is 3 there and unparsed here. The count of
unparsed answers is reported with every result (``n_unparsed``).

Mean relative accuracy (MRA)
----------------------------
VSI-Bench's score of a numeric answer ``pred`` against the ground truth ``gt``: the share of
the ten confidence thresholds ``θ`` in 0.50, 0.55, ..., 0.95 at which the relative error is
below ``1 - θ``::

    MRA = mean over θ of 1[ |pred - gt| / |gt| < 1 - θ ]

so an exact answer scores 1, an answer 50 % or more off scores 0, and one 12 % off scores
0.8 (below 0.50, 0.45, ..., 0.15; not below 0.10 and 0.05). A None prediction scores 0. The
comparison is made in whole twentieths (``20 |pred - gt| < k |gt|`` for ``k = 1..10``), so
it is exact for whole numbers: ``pred = 3`` against ``gt = 2`` is 50 % off and scores 0 at
``θ = 0.50``. lmms-eval's code compares with ``<=`` against float thresholds, which counts
some answers exactly on a boundary (such as that one) as within it; this module follows the
strict ``<`` of the VSI-Bench definition. The denominator is ``|gt|``; a ground truth of 0
has no relative error and is refused.

Public API
----------
MRA_THRESHOLDS : tuple of float
    0.50, 0.55, ..., 0.95.
parse_number(text) -> float or None
mean_relative_accuracy(pred, gt) -> float
"""

from __future__ import annotations

import math
import re

# Whole twentieths: θ = k / 20 for k = 10..19, so 1 - θ = (20 - k) / 20.
_TWENTIETHS = range(10, 20)
MRA_THRESHOLDS = tuple(k / 20 for k in _TWENTIETHS)

# Peeled off both ends before matching: whitespace, quotes, Markdown emphasis and code marks.
_STRIP = " \t\r\n\"'`*_"
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_number(text: str) -> float | None:
    """The number a generated answer gives, or None when it is not exactly one number.

    Parameters
    ----------
    text : str
        The generated text (the answer only, without the prompt).

    Returns
    -------
    float or None
        None for anything but one plain decimal number (see the module docstring).

    Examples
    --------
    >>> parse_number(" 2.45\\n"), parse_number("**3**."), parse_number("-.5")
    (2.45, 3.0, -0.5)
    >>> parse_number("3 meters") is None, parse_number("1,200") is None
    (True, True)
    """
    whole = text.strip(_STRIP)
    if whole.endswith("."):
        # One full stop ends a sentence ("3."); "4.." is not a number.
        whole = whole[:-1].strip(_STRIP)
        if not whole or whole.endswith("."):
            return None
    if _DECIMAL.fullmatch(whole) is None:
        return None
    return float(whole)


def mean_relative_accuracy(pred: float | None, gt: float) -> float:
    """VSI-Bench's mean relative accuracy of ``pred`` against the ground truth ``gt``.

    Parameters
    ----------
    pred : float or None
        The parsed prediction; None (unparsed) scores 0.
    gt : float
        The ground truth, finite and non-zero.

    Returns
    -------
    float
        In {0, 0.1, ..., 1}: the share of :data:`MRA_THRESHOLDS` whose ``1 - θ`` the relative
        error is below.

    Raises
    ------
    ValueError
        When ``gt`` is zero or not finite (there is no relative error to it).

    Examples
    --------
    >>> mean_relative_accuracy(10, 10), mean_relative_accuracy(11.2, 10)
    (1.0, 0.8)
    >>> mean_relative_accuracy(3, 2), mean_relative_accuracy(None, 2)
    (0.0, 0.0)
    """
    if not math.isfinite(gt) or gt == 0:
        raise ValueError(f"mean relative accuracy needs a finite, non-zero ground truth, got {gt}")
    if pred is None or not math.isfinite(pred):
        return 0.0
    error = 20 * abs(pred - gt)
    hits = sum(error < (20 - k) * abs(gt) for k in _TWENTIETHS)
    return hits / len(_TWENTIETHS)

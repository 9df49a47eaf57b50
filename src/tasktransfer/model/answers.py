"""The answer parser: generated text -> one option letter, or None (unparsed).

It follows the rules of BLINK's official evaluation (``analyze_answer`` in
``zeyofu/BLINK_Benchmark``, ``eval/test_benchmark.py``), without the GPT-3.5 fallback that
BLINK calls when its rules fail: where BLINK would ask another model, we answer None, the
caller counts the question as wrong and as unparsed, and the count is reported
(``n_unparsed``). An evaluation never depends on a second model.

The rules, in order:

1. The whole output is a bare offered letter (``"B"``) or a parenthesised one (``"(B)"``).
2. Otherwise the output is split on whitespace; a token that *is* ``"(X)"`` for an offered
   letter X names that option. If the last paragraph (text after the last blank line) names
   exactly one option, that is the answer; else if the whole output names exactly one, that
   is the answer; anything else (none, or several) is unparsed.

Two small deviations from BLINK, both towards reading clean answers and both tested:
surrounding whitespace, quotes, Markdown emphasis and trailing punctuation are removed
before matching (BLINK would send ``"The answer is (B)."`` to GPT-3.5 because of the final
full stop), and a letter that the question does not offer (``"(D)"`` for two choices) is
unparsed rather than a wrong answer that looks parsed.

The lenient mode (``mode="lenient"``) reads the answer formats that chat models write when
they do not copy the prompt's ``"(X)"``, which the strict rules leave unparsed. When the
strict rules find nothing (or several options), it tries, in order:

3. The output starts with an offered letter directly followed by ``)``, ``.`` or ``:``
   (``"B) Point B"``, ``"B. It is closer"``, ``"B: red"``); opening quotes and Markdown
   emphasis are skipped first. A bare letter followed by a space is not read (``"A cat"``).
4. The output names exactly one offered letter as ``answer: X``, ``answer is X`` or
   ``answer is: X``, the letter bare or in parentheses (``"Answer: B"``, ``"The answer is
   (B)"``, ``"**Answer:** B."``); "answer" in any case, the letter a capital.

Letters the question does not offer stay unparsed in both modes. The lenient mode is not
BLINK's: report which one a table used (the evaluation records it in its metadata).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

# Characters peeled off both ends of the whole output and of each token before matching:
# whitespace, quotes, Markdown emphasis/code marks, and sentence punctuation.
_STRIP = " \t\r\n\"'`*_.,;:!?"


# Rule 3: a leading letter closed by ")", "." or ":"; rule 4: "answer:" / "answer is (X)".
_LEADING = re.compile(r"[\s\"'`*_]*([A-Z])[).:]")
_ANSWER_IS = re.compile(r"answer\W*?(?:is)?\W*?\(?([A-Z])\)?(?![A-Za-z])", re.IGNORECASE)


def _clean(text: str) -> str:
    return text.strip(_STRIP)


def _named(text: str, offered: Sequence[str]) -> set[str]:
    """The offered letters X whose ``"(X)"`` appears as a whole token of ``text``."""
    tokens = {_clean(token) for token in text.split()}
    return {letter for letter in offered if f"({letter})" in tokens}


def parse_answer(
    text: str, letters: Sequence[str], *, mode: Literal["strict", "lenient"] = "strict"
) -> str | None:
    """Read the option letter a model chose, or None when the output does not name one.

    Parameters
    ----------
    text : str
        The generated text (the answer only, without the prompt).
    letters : sequence of str
        The letters offered by the question, e.g. ``("A", "B", "C")``.
    mode : {"strict", "lenient"}, default="strict"
        ``strict``: rules 1-2 (BLINK's); ``lenient``: then rules 3-4 (module docstring).

    Returns
    -------
    str or None
        One of ``letters``; None when the output names no offered option, several, or an
        option the question does not offer.

    Examples
    --------
    >>> parse_answer("(B)", "AB")
    'B'
    >>> parse_answer("The correct answer is (B).", "ABCD")
    'B'
    >>> parse_answer("Either (A) or (C).", "ABCD") is None
    True
    >>> parse_answer("B) Point B", "AB") is None
    True
    >>> parse_answer("B) Point B", "AB", mode="lenient")
    'B'
    >>> parse_answer("Answer: A", "AB", mode="lenient")
    'A'
    """
    whole = _clean(text)
    for letter in letters:
        if whole in (letter, f"({letter})"):
            return letter
    last = _named(text.split("\n\n")[-1], letters)
    if len(last) == 1:
        return last.pop()
    named = _named(text, letters)
    if len(named) == 1:
        return named.pop()
    if mode == "lenient":
        return _lenient(text, letters)
    return None


def _lenient(text: str, letters: Sequence[str]) -> str | None:
    """Rules 3 and 4 of the module docstring."""
    leading = _LEADING.match(text)
    if leading and leading.group(1) in letters:
        return leading.group(1)
    named = {letter for letter in _ANSWER_IS.findall(text) if letter.isupper()}
    if len(named) == 1 and (letter := named.pop()) in letters:
        return letter
    return None

"""The answer parser, strict and lenient, against tables of tricky model outputs."""

import pytest

from tasktransfer.model.answers import parse_answer

ABCD = ("A", "B", "C", "D")
AB = ("A", "B")

CASES = [
    # (generated text, offered letters, expected letter or None)
    ("B", ABCD, "B"),
    ("(B)", ABCD, "B"),
    ("  C\n", ABCD, "C"),
    ("D.", ABCD, "D"),
    ("**(A)**", ABCD, "A"),
    ("The correct answer is (B)", ABCD, "B"),
    ("The correct answer is (B).", ABCD, "B"),
    ("(C) Point C", ABCD, "C"),
    ("Point B, where the child is sitting, is closer: (B)", AB, "B"),
    # Several options discussed, one named in the last paragraph: the last paragraph wins.
    ("(A) is on the handle.\n(B) is on the blade.\n\nSo the answer is (B).", ABCD, "B"),
    # The same option named twice is still one option.
    ("(D) because ... hence (D)", ABCD, "D"),
    # Several options named and the last paragraph names none or several: ambiguous.
    ("Either (A) or (C).", ABCD, None),
    ("(A) Point A\n(B) Point B", AB, None),
    ("(A) looks right.\n\n(B) also looks right, or (A).", ABCD, None),
    # Letters not offered by the question are not an answer.
    ("D", AB, None),
    ("(C)", AB, None),
    ("The answer is (D).", ("A", "B", "C"), None),
    # No option named in the BLINK token form.
    ("", ABCD, None),
    ("I'm sorry, I cannot help with that.", ABCD, None),
    ("Point B", AB, None),
    ("Answer: B", ABCD, None),
    ("b", ABCD, None),
    ("B) Point B", ABCD, None),
    ("(B", ABCD, None),
    # A letter inside a word or a parenthesis inside a word is not a token.
    ("A(B)C", ABCD, None),
    ("None of the labeled points (A, B, C, D) are correct.", ABCD, None),
]


@pytest.mark.parametrize(("text", "letters", "expected"), CASES)
def test_parse_answer(text, letters, expected):
    assert parse_answer(text, letters) == expected


def test_last_paragraph_outranks_a_unique_earlier_mention():
    # The whole output names (A) and (C); the last paragraph alone names (C).
    assert parse_answer("(A) is tempting.\n\nFinal: (C)", ABCD) == "C"


# The lenient mode: what it reads beyond the strict rules (rules 3-4), and what it still
# leaves unparsed.
LENIENT_CASES = [
    ("B) Point B", ABCD, "B"),
    ("B. It is closer to the camera.", ABCD, "B"),
    ("C: the red one", ABCD, "C"),
    ('"A) left"', ABCD, "A"),
    ("**B.** Point B", ABCD, "B"),
    ("Answer: B", ABCD, "B"),
    ("answer:C", ABCD, "C"),
    ("The answer is B.", ABCD, "B"),
    ("**Answer:** D", ABCD, "D"),
    ("The answer is: A", ABCD, "A"),
    ("Final answer: (B", ABCD, "B"),
    # Still unparsed: a capital that starts a word, several letters, letters not offered,
    # lower case, and "answer" followed by a word.
    ("A cat sits on the left.", ABCD, None),
    ("I think B", ABCD, None),
    ("Answer: A or answer: B", ABCD, None),
    ("D) Point D", AB, None),
    ("Answer: C", AB, None),
    ("Answer: b", ABCD, None),
    ("The answer isn't clear.", ABCD, None),
    ("My answer is Apple.", ABCD, None),
    ("Either (A) or (C).", ABCD, None),
]


@pytest.mark.parametrize(("text", "letters", "expected"), LENIENT_CASES)
def test_lenient_mode(text, letters, expected):
    assert parse_answer(text, letters, mode="lenient") == expected


@pytest.mark.parametrize(("text", "letters", "expected"), CASES)
def test_lenient_mode_reads_every_strict_answer_alike(text, letters, expected):
    if expected is not None:
        assert parse_answer(text, letters, mode="lenient") == expected


def test_the_lenient_forms_are_unparsed_in_strict_mode():
    read = [(text, letters) for text, letters, expected in LENIENT_CASES if expected]
    assert all(parse_answer(text, letters) is None for text, letters in read)

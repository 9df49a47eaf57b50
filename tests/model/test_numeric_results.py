"""Numeric targets in the results contract: a float ``n_correct`` and a prediction's score."""

import pytest

from tasktransfer.contracts import Prediction, ResultRow
from tasktransfer.contracts.results import (
    predictions_jsonl_text,
    read_predictions,
    read_results,
    results_csv_text,
    write_results,
)
from tasktransfer.errors import InputError

ROWS = [
    ResultRow("m", "seed_0", "zero-shot", "Counting", 3, 4),
    # Three numeric questions scored 0.8, 0.7 and 1.0 (their float sum is 2.5).
    ResultRow("m", "seed_0", "zero-shot", "object_counting", 0.8 + 0.7 + 1.0, 3),
    ResultRow("m", "seed_0", "Counting", "object_counting", 0.1 + 0.2, 3, n_unparsed=1),
]


def test_a_float_n_correct_round_trips_through_csv(tmp_path):
    path = write_results(tmp_path / "results.csv", ROWS)
    back = read_results(path)
    assert back == ROWS
    assert [type(row.n_correct) for row in back] == [int, float, float]
    # 0.1 + 0.2 is 0.30000000000000004: the text keeps every bit of it.
    assert back[2].n_correct == 0.1 + 0.2


def test_choice_rows_stay_integers_in_the_text():
    lines = results_csv_text(ROWS).splitlines()
    assert lines[1].split(",")[4:6] == ["3", "4"]
    assert lines[2].split(",")[4:6] == ["2.5", "3"]


def test_a_float_n_correct_is_the_mean_score_as_accuracy():
    assert ROWS[1].accuracy == pytest.approx(2.5 / 3)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("3.5", r"3\.5 is not within 0\.\.n_total=3"),
        ("-0.1", r"-0\.1 is not within"),
        ("nan", "expected a number, got 'nan'"),
        ("inf", "infinite value"),
        ("2,5", "expected a number"),
    ],
)
def test_a_bad_float_n_correct_is_named(tmp_path, cell, message):
    path = tmp_path / "results.csv"
    path.write_text(f'model,run,source,target,n_correct,n_total\nm,r,zero-shot,T,"{cell}",3\n')
    with pytest.raises(InputError, match=f"line 2, column 'n_correct': {message}"):
        read_results(path)


def test_a_numeric_prediction_keeps_output_number_and_score(tmp_path):
    numeric = Prediction(
        "m",
        "seed_0",
        "zero-shot",
        "object_counting",
        "q1",
        "4",
        "5",
        False,
        output="5",
        score=0.5,
        video_route="processor_video",
    )
    unparsed = Prediction(
        "m",
        "seed_0",
        "zero-shot",
        "object_counting",
        "q2",
        "2.45",
        None,
        False,
        output="about two metres",
        score=0.0,
    )
    choice = Prediction("m", "seed_0", "zero-shot", "Counting", "q3", "A", "A", True)
    path = tmp_path / "predictions.jsonl"
    path.write_text(predictions_jsonl_text([numeric, unparsed, choice]))
    assert read_predictions(path) == [numeric, unparsed, choice]
    assert [p.credit for p in (numeric, unparsed, choice)] == [0.5, 0.0, 1.0]
    assert "score" not in choice.to_json() and "video_route" not in choice.to_json()

"""The results-table contract: what it writes is what it reads, and bad rows are named."""

import csv
import io

import pytest

from tasktransfer.contracts import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    Prediction,
    ResultRow,
    predictions_jsonl_text,
    read_predictions,
    read_results,
    results_csv_text,
    write_results,
)
from tasktransfer.errors import InputError


def test_every_column_round_trips(tmp_path):
    row = ResultRow(
        "tiny", "seed_0", "Counting", "Jigsaw", 7, 10,
        answer_counts={"A": 4, "B": 6}, n_unparsed=1, collapsed=False,
        letter_mass=0.75, format_mismatch=False, fold=1, step=0.5,
    )  # fmt: skip
    path = write_results(tmp_path / "results.csv", [row])
    assert read_results(path) == [row]
    assert read_results(path)[0].answer_counts == {"A": 4, "B": 6}
    header = path.read_text().splitlines()[0].split(",")
    assert header == [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]


def test_optional_columns_appear_only_when_some_row_has_them():
    rows = [
        ResultRow("m", "r", "zero-shot", "T", 1, 2),
        ResultRow("m", "r", "S", "T", 2, 2, fold=0),
    ]
    header = next(csv.reader(io.StringIO(results_csv_text(rows))))
    assert header == [*REQUIRED_COLUMNS, "fold"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("m,r,zero-shot,T,5,4,", "line 2, column 'n_correct': 5 is not within 0..n_total=4"),
        ("m,r,zero-shot,T,1,4,maybe", "line 2, column 'collapsed': expected true or false"),
        ("m,,zero-shot,T,1,4,", "line 2, column 'run': empty value"),
        ("m,r,zero-shot,T,x,4,", "line 2, column 'n_correct': expected a number, got 'x'"),
    ],
)
def test_a_bad_row_is_named_by_file_line_and_column(tmp_path, line, message):
    path = tmp_path / "results.csv"
    path.write_text("model,run,source,target,n_correct,n_total,collapsed\n" + line + "\n")
    with pytest.raises(InputError, match=message):
        read_results(path)


def test_a_binary_file_is_one_sentence_naming_it(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"weights\.bin is not a UTF-8 CSV text file"):
        read_results(path)


def test_a_table_without_model_column_takes_the_given_label(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("run,source,target,n_correct,n_total\nr,zero-shot,T,1,2\n")
    with pytest.raises(InputError, match="missing column"):
        read_results(path)
    assert read_results(path, default_model="x")[0].model == "x"


def test_predictions_round_trip_and_refuse_unknown_fields(tmp_path):
    p = Prediction("m", "r", "S", "T", "q1", "A", None, False, {"A": -0.1, "B": -2.3})
    path = tmp_path / "predictions.jsonl"
    path.write_text(predictions_jsonl_text([p]))
    assert read_predictions(path) == [p]
    path.write_text('{"model": "m", "colour": "red"}\n')
    with pytest.raises(InputError, match=r"line 1: not a prediction record"):
        read_predictions(path)

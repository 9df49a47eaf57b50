"""The typed contracts between the layers: what the study writes and the analysis reads.

One module per contract: :mod:`~tasktransfer.contracts.results` (the results table and the
per-question prediction record), :mod:`~tasktransfer.contracts.layout` (the study folder),
:mod:`~tasktransfer.contracts.analysis` (``analysis.json`` and the analysis folder). No layer
names a column, a file of another layer or a key of ``analysis.json`` except through them.
Importing this package never imports torch.
"""

from tasktransfer.contracts.analysis import (
    Analysis,
    AnalysisLayout,
    ModelEntry,
    ModelFiles,
    read_analysis,
    write_json,
)
from tasktransfer.contracts.layout import CellLayout, StudyLayout
from tasktransfer.contracts.results import (
    OPTIONAL_COLUMNS,
    PGF_COLUMNS,
    REQUIRED_COLUMNS,
    ZERO_SHOT,
    Prediction,
    ResultRow,
    parse_row,
    predictions_jsonl_text,
    read_csv,
    read_predictions,
    read_results,
    results_csv_text,
    write_results,
)

__all__ = [
    "Analysis",
    "AnalysisLayout",
    "ModelEntry",
    "ModelFiles",
    "read_analysis",
    "write_json",
    "OPTIONAL_COLUMNS",
    "PGF_COLUMNS",
    "REQUIRED_COLUMNS",
    "ZERO_SHOT",
    "CellLayout",
    "Prediction",
    "ResultRow",
    "StudyLayout",
    "parse_row",
    "predictions_jsonl_text",
    "read_csv",
    "read_predictions",
    "read_results",
    "results_csv_text",
    "write_results",
]

"""``tasktransfer evaluate`` prints a numeric target's row: no letters, a float sum."""

from __future__ import annotations

from typer.testing import CliRunner

import tasktransfer.model as model_package
from tasktransfer.cli import app
from tasktransfer.model import EvalResult

runner = CliRunner()


def test_a_numeric_row_is_printed_with_its_score_sum(monkeypatch, tmp_path):
    monkeypatch.setattr(model_package, "prepare_models", lambda models, progress: None)

    def fake_evaluate(model, examples_by_task, *, adapters, config, progress):
        rows = [
            {
                "adapter": "zero-shot",
                "target": "Counting",
                # 0.8 + 0.9 + 0.9, as the scores of three questions sum in floats.
                "n_correct": 0.8 + 0.9 + 0.9,
                "n_total": 4,
                "answer_counts": None,
                "n_unparsed": 1,
                "collapsed": None,
            }
        ]
        return EvalResult(predictions=[], rows=rows, meta={})

    monkeypatch.setattr(model_package, "evaluate", fake_evaluate)
    args = ["evaluate", "--tasks", "CN", "--limit", "4", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "2.6/4" in result.output
    assert "0.650" in result.output

"""The analysis and report layers, and their commands, must not import torch; analysing
needs neither plotly nor jinja2 (the units import them only to draw their sections)."""

import subprocess
import sys


def test_analysis_report_and_cli_never_import_torch():
    code = (
        "import tasktransfer.analysis, tasktransfer.report, tasktransfer.cli.analyze; "
        "import tasktransfer.report.plots, tasktransfer.report.html, tasktransfer.report.summary; "
        "import sys; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_analyze_runs_every_unit_without_plotly_or_jinja2(tmp_path):
    table = tmp_path / "results.csv"
    rows = ["model,run,source,target,n_correct,n_total"]
    for run in ("r0", "r1"):
        for k, target in enumerate(("Counting", "Jigsaw", "Relative_Depth")):
            rows.append(f"m,{run},zero-shot,{target},{3 + k},10")
            for s, source in enumerate(("Counting", "Jigsaw", "Relative_Depth")):
                rows.append(f"m,{run},{source},{target},{2 + (s + k + len(run)) % 7},10")
    table.write_text("\n".join(rows) + "\n")
    code = (
        "import sys; from tasktransfer.analysis import analyze, read_inputs; "
        f"out = analyze(read_inputs([{str(table)!r}])); assert 'scale_trend' in out; "
        "loaded = [m for m in ('plotly', 'jinja2', 'matplotlib', 'torch') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

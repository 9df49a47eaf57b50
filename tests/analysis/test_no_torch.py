"""The analysis and report layers, and their commands, must not import torch."""

import subprocess
import sys


def test_analysis_report_and_cli_never_import_torch():
    code = (
        "import tasktransfer.analysis, tasktransfer.report, tasktransfer.cli.analyze; "
        "import tasktransfer.report.plots, tasktransfer.report.html, tasktransfer.report.summary; "
        "import sys; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

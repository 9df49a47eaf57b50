"""Format mismatch (low letter mass) in the study's answer letters and in summary.md."""

import dataclasses
import json

from tasktransfer.contracts import StudyLayout, read_results, write_results
from tasktransfer.report import analyze_to_folder
from tasktransfer.report.study import collect_study

MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"  # the model of the study_dir fixture


def _with_letter_mass(folder):
    """The ``study_dir`` study with a letter mass per row; zero-shot on Counting is low."""
    layout = StudyLayout(folder)
    rows = []
    for row in read_results(layout.results):
        low = (row.source, row.target) == ("zero-shot", "Counting")
        mass = 0.31 if low else 0.97
        rows.append(dataclasses.replace(row, letter_mass=mass, format_mismatch=low))
    write_results(layout.results, rows)
    return folder


def _figure(html: str, figure_id: str) -> dict:
    start = html.index('<script type="application/json" id="tt-figures">')
    block = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(block)[figure_id]


def test_collect_study_reads_letter_mass_and_mismatch(study_dir):
    study = collect_study(_with_letter_mass(study_dir))
    rows = study["answers"][MODEL]
    flagged = {(r["run"], r["source"], r["target"]) for r in rows if r["format_mismatch"]}
    assert flagged == {("seed_0", "zero-shot", "Counting"), ("seed_1", "zero-shot", "Counting")}
    assert {r["letter_mass"] for r in rows} == {0.31, 0.97}


def test_mismatched_cells_are_listed_outlined_and_summarised(study_dir, tmp_path):
    _with_letter_mass(study_dir)
    page = analyze_to_folder([study_dir / "results.csv"], tmp_path / "out", study_dir=study_dir)
    html = page.read_text()
    assert "2 format-mismatch cells" in html
    assert "zero-shot → Counting (seed_0, letter mass 0.31)" in html
    # Cells by tick label: dashed inside zero-shot -> Counting, solid on Jigsaw -> Counting.
    layout = _figure(html, "s0-answers")["layout"]
    x = layout["xaxis"]["ticktext"].index("CN")
    y = {name: i for i, name in enumerate(layout["yaxis"]["ticktext"])}
    dashed = [s for s in layout["shapes"] if s["line"].get("dash") == "dash"]
    solid = [s for s in layout["shapes"] if "dash" not in s["line"]]
    assert [(s["x0"], s["y1"]) for s in dashed] == [(x - 0.42, y["zero-shot"] + 0.42)]
    assert [(s["x0"], s["y1"]) for s in solid] == [(x - 0.5, y["JG"] + 0.5)]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Answer format" in summary
    assert f"Format mismatch in 2 rows of {MODEL}: zero-shot → Counting (seed_0," in summary


def test_no_mismatch_no_sentence(study_dir, tmp_path):
    page = analyze_to_folder([study_dir / "results.csv"], tmp_path / "out", study_dir=study_dir)
    assert "format-mismatch cell" not in page.read_text()
    assert "Answer format" not in (tmp_path / "out" / "summary.md").read_text()

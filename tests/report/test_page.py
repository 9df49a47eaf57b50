"""report.html without a browser: self-contained, rendered from the artifact, study details."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.errors import InputError
from tasktransfer.report import analyze_to_folder, render_folder
from tasktransfer.report.study import collect_study

runner = CliRunner()


def test_page_is_self_contained_with_plotly_inlined_once(report32):
    from plotly.offline import get_plotlyjs

    html = report32.read_text()
    assert html.count(get_plotlyjs()) == 1
    for outside in ("<script src", "<link", "@import", "<iframe"):
        assert outside not in html
    # One JSON block of figures: 13 tasks give a heatmap, a graph, bars and categories.
    start = html.index('<script type="application/json" id="tt-figures">')
    block = html[html.index(">", start) + 1 : html.index("</script>", start)]
    figures = json.loads(block)
    assert sorted(figures) == ["m0-bars", "m0-categories", "m0-graph", "m0-heatmap"]
    assert len(figures["m0-heatmap"]["data"][0]["z"]) == 13


def test_page_shows_the_numbers_of_analysis_json(report32, tmp_path):
    """Render from the artifact: an edited analysis.json changes the page on re-render."""
    out = tmp_path / "copy"
    shutil.copytree(report32.parent, out)
    analysis = json.loads((out / "analysis.json").read_text())
    analysis["models"]["qwen-2.5vl-32B-instruct"]["pgf_mean"][0][1] = 0.987654
    (out / "analysis.json").write_text(json.dumps(analysis))
    html = render_folder(out).read_text()
    assert "0.987654" in html and "mean PGF 0.988" in html


def test_collect_study_reads_counts_and_collapsed_flags(study_dir):
    study = collect_study(study_dir)
    rows = study["answers"]["Qwen/Qwen2.5-VL-3B-Instruct"]
    assert len(rows) == 2 * 4 * 3  # runs x (zero-shot + 3 sources) x 3 targets
    collapsed = {(r["run"], r["source"], r["target"]) for r in rows if r["collapsed"]}
    assert collapsed == {("seed_0", "Jigsaw", "Counting"), ("seed_1", "Jigsaw", "Counting")}
    first = rows[0]
    assert first["answer_counts"] == {"A": 8, "B": 7, "C": 5} and first["n_total"] == 20
    assert study["config"].startswith("name: quickstart")
    assert study["environment"]["packages"] == {"torch": "2.13.0"}


def test_bad_answer_counts_name_the_file_and_line(study_dir):
    results = study_dir / "results.csv"
    lines = results.read_text().splitlines()
    lines[3] = lines[3].replace('"{""A"": 8', '"[""A"", 8')
    results.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"results.csv, line 4, column 'answer_counts'"):
        collect_study(study_dir)


def test_study_json_keeps_the_study_sections_on_re_render(study_dir):
    out = study_dir / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, study_dir=study_dir)
    assert (out / "study.json").is_file()
    html = render_folder(out).read_text()
    assert 'id="study"' in html and "name: quickstart" in html and "s0-answers" in html


def test_a_plain_analysis_has_no_study_section(tmp_path, study_dir):
    html = analyze_to_folder([study_dir / "results.csv"], tmp_path).read_text()
    assert 'id="study"' not in html and "s0-answers" not in html


def test_cli_report_of_a_study_folder_then_of_its_analysis(study_dir):
    result = runner.invoke(app, ["report", str(study_dir)])
    assert result.exit_code == 0, result.output
    page = study_dir / "analysis" / "report.html"
    assert "Report: " in result.output and str(page) in result.output
    assert "2 collapsed cells" in page.read_text()
    page.unlink()
    result = runner.invoke(app, ["report", str(study_dir / "analysis")])
    assert result.exit_code == 0, result.output
    assert "2 collapsed cells" in page.read_text()


def test_cli_report_of_a_folder_without_results_is_one_sentence(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code != 0
    assert "holds neither analysis.json nor results.csv" in str(result.exception)

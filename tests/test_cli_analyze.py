"""``tasktransfer analyze`` and ``export`` through typer's CliRunner."""

import csv
import json

import pytest
from typer.testing import CliRunner

from tasktransfer.cli import app

LABEL = "qwen-2.5vl-32B-instruct"
runner = CliRunner()

RESULTS = """model,run,source,target,n_correct,n_total
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,zero-shot,Counting,5,10
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,zero-shot,Jigsaw,4,8
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,Counting,Counting,9,10
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,Counting,Jigsaw,2,8
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,Jigsaw,Counting,6,10
Qwen/Qwen2.5-VL-3B-Instruct,seed_0,Jigsaw,Jigsaw,8,8
"""


@pytest.fixture(scope="module")
def out32(tmp_path_factory, reference_dir):
    out = tmp_path_factory.mktemp("out32")
    result = runner.invoke(
        app,
        ["analyze", "sachdeva2026:32B", "--out", str(out), "--reference-dir", str(reference_dir)],
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    return out


def test_analyze_writes_analysis_json_with_the_design_structure(out32):
    analysis = json.loads((out32 / "analysis.json").read_text())
    assert list(analysis["models"]) == [LABEL]
    entry = analysis["models"][LABEL]
    for key in ("tasks", "runs", "pgf_mean", "pgf_std", "transferability", "personas", "cliques"):
        assert key in entry
    assert len(entry["tasks"]) == 13 and len(entry["pgf_mean"]) == 13
    assert set(entry["transferability"]["Counting"]) >= {
        "delta_pos",
        "delta_neg",
        "theta_pos",
        "theta_neg",
    }
    assert {"donor", "pirate", "sponge", "sieve", "tests"} <= set(entry["personas"])
    assert "donor_p" in entry["personas"]["tests"]["Counting"]
    assert {"positive", "negative"} <= set(entry["cliques"])
    assert list(analysis["scale"]) == [LABEL] and "pooled" not in analysis


def test_analyze_writes_tables_that_agree_with_analysis_json(out32, reference_dir):
    entry = json.loads((out32 / "analysis.json").read_text())["models"][LABEL]
    name = "task_transferability_data_perfection_gap_factor_qwen-2.5vl-32B-instruct.csv"
    assert (out32 / f"pgf_{LABEL}.csv").read_bytes() == (reference_dir / name).read_bytes()
    with (out32 / f"pgf_mean_{LABEL}.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 169
    k = entry["tasks"].index
    for row in rows:
        assert float(row["pgf_mean"]) == entry["pgf_mean"][k(row["ft_task"])][k(row["task"])]
    with (out32 / f"transferability_{LABEL}.csv").open() as f:
        rows = {row["task"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(entry["tasks"])
    for task, row in rows.items():
        assert float(row["delta_pos"]) == entry["transferability"][task]["delta_pos"]
        assert float(row["donor_p"]) == entry["personas"]["tests"][task]["donor_p"]


def test_analyze_writes_summary_figures_and_report(out32):
    entry = json.loads((out32 / "analysis.json").read_text())["models"][LABEL]
    summary = (out32 / "summary.md").read_text()
    # Four runs support no per-model persona under the default run-level test (p >= 1/16);
    # the summary names the test and the closest task.
    top_donor = min(entry["tasks"], key=lambda t: entry["personas"]["tests"][t]["donor_p"])
    assert f"## {LABEL}" in summary and "**Donors**" in summary and top_donor in summary
    assert "sign-flip test over 4 runs, the run as the unit" in summary
    assert "**Cliques**" in summary and "p = " in summary
    for prefix in ("heatmap", "graph"):
        png = (out32 / f"{prefix}_{LABEL}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
    html = (out32 / "report.html").read_text()
    # The page draws interactive plotly figures (the PNGs stay beside it, for documents).
    assert 'id="m0-heatmap"' in html and 'id="m0-graph"' in html and top_donor in html


def test_persona_test_paper_gives_the_papers_lists_labelled_as_such(tmp_path, reference_dir):
    out = tmp_path / "out"
    args = ["analyze", "sachdeva2026:32B", "--out", str(out), "--reference-dir", str(reference_dir)]
    result = runner.invoke(app, [*args, "--persona-test", "paper"])
    assert result.exit_code == 0, result.output
    analysis = json.loads((out / "analysis.json").read_text())
    found = analysis["models"][LABEL]["personas"]
    assert analysis["options"]["persona_test"] == "paper" and found["test"] == "paper"
    assert found["donor"][0] == "Semantic_Correspondence"
    summary = (out / "summary.md").read_text()
    assert "the paper's test: one-sided Wilcoxon over 48 (task, run) pairs" in summary
    html = (out / "report.html").read_text()
    assert "Personas (Wilcoxon over (task, run) pairs, as in the paper, α = 0.05)" in html
    bad = runner.invoke(app, [*args, "--persona-test", "mixed"])
    assert bad.exit_code != 0


def test_model_labels_are_sanitised_and_escaped(tmp_path):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS)
    out = tmp_path / "out"
    label = "<b>../evil</b>"
    result = runner.invoke(app, ["analyze", str(results), "--model", label, "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert "pgf_b_.._evil_b.csv" in files and all("/" not in f for f in files)
    assert not (tmp_path / "evil").exists()
    html = (out / "report.html").read_text()
    assert label not in html and "&lt;b&gt;../evil&lt;/b&gt;" in html


def test_export_writes_the_published_format(tmp_path):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS)
    out = tmp_path / "pgf.csv"
    result = runner.invoke(app, ["export", str(results), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and rows[0].keys() == {"seed", "ft_task", "task", "perfection_gap_factor"}
    got = {(r["ft_task"], r["task"]): float(r["perfection_gap_factor"]) for r in rows}
    assert got[("Counting", "Jigsaw")] == pytest.approx((0.25 - 0.5) / 0.5)
    assert got[("Jigsaw", "Jigsaw")] == 1.0


def test_export_asks_which_model_when_there_are_several(tmp_path):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS + "".join(
        line.replace("Qwen/Qwen2.5-VL-3B-Instruct", "other") + "\n"
        for line in RESULTS.splitlines()[1:]
    ))  # fmt: skip
    result = runner.invoke(app, ["export", str(results), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "choose one with --model" in str(result.exception)
    result = runner.invoke(
        app, ["export", str(results), "--model", "other", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--alpha", "1.5"], r"alpha must be a float in (0, 1); got 1.5"),
        (["--ceiling", "Counting"], "--ceiling expects KEY=VALUE"),
        (["--ceiling", "Countng=0.9"], "Did you mean: Counting"),
        (["--model", "a", "--model", "b"], "2 model label(s) for 1 input(s)"),
    ],
)
def test_bad_options_are_one_sentence_errors(tmp_path, args, message):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS)
    result = runner.invoke(app, ["analyze", str(results), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code != 0 and message in str(result.exception)


def main_error(table, out, monkeypatch, capsys) -> str:
    """What ``tasktransfer analyze TABLE`` prints on stderr; it must exit with status 1."""
    from tasktransfer.cli import main

    monkeypatch.setattr("sys.argv", ["tasktransfer", "analyze", str(table), "--out", str(out)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    return capsys.readouterr().err


def test_main_turns_a_bad_table_into_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS.replace("Jigsaw,Counting,6,10", "Jigsaw,Counting,16,10"))
    err = main_error(results, tmp_path, monkeypatch, capsys)
    assert (
        err.startswith("Error: ") and "line 6, column 'n_correct'" in err and "Traceback" not in err
    )


def test_main_refuses_a_binary_file_in_one_sentence(tmp_path, monkeypatch, capsys):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(bytes(range(256)) * 8)
    err = main_error(weights, tmp_path, monkeypatch, capsys)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: {weights} is not a UTF-8 CSV text file")


def test_labels_yaml_moves_a_task_to_another_level(tmp_path):
    results = tmp_path / "results.csv"
    results.write_text(RESULTS)
    labels = tmp_path / "labels.yaml"
    labels.write_text("Counting: {level: low}\nJigsaw: {level: low}\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["analyze", str(results), "--labels", str(labels), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    entry = json.loads((out / "analysis.json").read_text())["models"]["Qwen/Qwen2.5-VL-3B-Instruct"]
    assert list(entry["categories"]["level"]["means"]) == ["low"]
    labels.write_text("Counting: {level: lowest}\n")
    result = runner.invoke(
        app, ["analyze", str(results), "--labels", str(labels), "--out", str(out)]
    )
    assert result.exit_code != 0 and str(labels) in str(result.exception)

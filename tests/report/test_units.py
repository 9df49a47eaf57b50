"""Analyses as units: a new unit reaches analysis.json, summary.md and report.html alone."""

import json

import pytest

from tasktransfer.contracts import read_analysis
from tasktransfer.report import analyze_to_folder, render_folder
from tasktransfer.units import UNITS, AnalysisUnit, Contribution, ReportSection, fragment

KEY = "largest_gain"


def _compute(models, analysis, options):
    """Per model, the source -> target pair of the largest mean PGF, off the diagonal."""
    out = {}
    for label, entry in analysis.models.items():
        pairs = [
            (value, entry.tasks[i], entry.tasks[j])
            for i, row in enumerate(entry.pgf_mean)
            for j, value in enumerate(row)
            if i != j
        ]
        value, source, target = max(pairs)
        out[label] = {KEY: {"source": source, "target": target, "pgf": value}}
    return Contribution(models=out, shared={KEY: sorted(analysis.models)})


def _model_findings(label, entry, analysis):
    found = entry.sections[KEY]
    return [f"**Largest gain.** {found['source']} → {found['target']} <toy>."]


def _model_section(label, entry, analysis, prefix):
    found = entry.sections[KEY]
    html = fragment(
        '<p class="toy">{{ source }} helps {{ target }} most</p><div id="{{ div }}"></div>',
        source=found["source"],
        target=found["target"],
        div=f"{prefix}-toy",
    )
    figure = {"data": [{"type": "bar", "y": [found["pgf"]]}], "layout": {}}
    return ReportSection("Largest gain", html, figures={f"{prefix}-toy": figure})


def _section(analysis):
    return ReportSection("Toy across models", "<p>all models</p>", nav="Toy")


TOY = AnalysisUnit(
    "toy",
    compute=_compute,
    model_findings=_model_findings,
    model_section=_model_section,
    section=_section,
)


@pytest.fixture
def with_toy(study_dir):
    out = study_dir / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, units=[*UNITS, TOY])
    return out


def test_a_registered_unit_reaches_every_output(with_toy):
    analysis = json.loads((with_toy / "analysis.json").read_text())
    (entry,) = analysis["models"].values()
    assert entry[KEY]["source"] != entry[KEY]["target"]
    assert analysis[KEY] == ["Qwen/Qwen2.5-VL-3B-Instruct"]
    summary = (with_toy / "summary.md").read_text()
    assert f"**Largest gain.** {entry[KEY]['source']} → {entry[KEY]['target']}" in summary
    html = (with_toy / "report.html").read_text()
    assert "<h3>Largest gain</h3>" in html and 'id="m0-toy"' in html
    assert '<h2 id="section-toy">Toy across models</h2>' in html and 'href="#section-toy"' in html
    assert '"m0-toy":' in html  # its figure travels with the page's others
    assert "&lt;toy&gt;" in html and "<toy>" not in html  # findings are escaped on the page


def test_the_production_list_renders_without_the_unit(with_toy):
    """``tasktransfer report`` re-renders with UNITS: the toy's keys stay, unshown."""
    html = render_folder(with_toy).read_text()
    summary = (with_toy / "summary.md").read_text()
    assert "Largest gain" not in html and "Largest gain" not in summary
    assert KEY in read_analysis(with_toy).sections


def test_every_production_unit_shows_in_its_place(study_dir):
    html = analyze_to_folder([study_dir / "results.csv"], study_dir / "analysis").read_text()
    titles = [
        "Transfer matrix",
        "Transfer graph",
        "Transferability and malleability",
        "Personas (sign-flip over runs, α = 0.05)",
        "Cliques (mean PGF beyond ±0.0 in both directions, three or more tasks)",
        "Categories",
        "Confidence intervals",
        "PGF, raw gain and the floor",
    ]
    positions = [html.index(f"<h3>{t}</h3>") for t in titles]
    assert positions == sorted(positions)
    assert [u.name for u in UNITS] == [
        "pgf", "graph", "transferability", "steps", "personas", "cliques", "format_control",
        "categories",
        "lora_similarity", "recovery", "scale",
        "selection", "uncertainty", "views",
    ]  # fmt: skip

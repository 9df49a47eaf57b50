"""``report.html``: one self-contained interactive page from the analysis folder.

The page is a frame: the findings (``summary.md``), each model's part with the sections of
the analysis units (:data:`tasktransfer.units.UNITS`) in order, their sections across
models, and the study the analysis came from.

plotly.js, the page's script and its styles are inlined, so the page opens offline and
makes no request. Figures travel as JSON in ``<script type="application/json">`` blocks
(see :func:`script_json`); every name from a user file is escaped, by jinja2's
autoescape in the HTML and by :func:`tasktransfer.report.figures.text` inside figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tasktransfer.contracts.analysis import Analysis, Study
from tasktransfer.report import figures
from tasktransfer.units.base import ReportSection
from tasktransfer.units.text import matrix_shape

TEMPLATES = Path(__file__).parent / "templates"


def script_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&`` as escapes.

    Examples
    --------
    >>> print(script_json({"task": "</script><b>&"}))
    {"task":"\\u003c\\u002fscript\\u003e\\u003cb\\u003e\\u0026"}
    """
    from plotly.io.json import to_json_plotly

    text = to_json_plotly(value)  # numpy-aware; NaN becomes null
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def markdown_html(markdown: str) -> str:
    """The little Markdown of ``summary.md`` as HTML: headings, paragraphs, lists, bold, code.

    The text is escaped first, so a name in it can never become markup.

    Examples
    --------
    >>> print(markdown_html("# Title\\n\\n**Donors**: <b>x</b> & `y`\\n\\n- one\\n- two"))
    <h3>Title</h3>
    <p><strong>Donors</strong>: &lt;b&gt;x&lt;/b&gt; &amp; <code>y</code></p>
    <ul><li>one</li><li>two</li></ul>
    """
    from markupsafe import escape

    def inline(line: str) -> str:
        out = str(escape(line))
        out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", out)

    blocks = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = block.splitlines()
        heading = re.match(r"(#+)\s+(.*)", lines[0])
        if heading and len(lines) == 1:
            level = min(len(heading.group(1)) + 2, 6)  # the page's own h1/h2 come first
            blocks.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{inline(' '.join(lines))}</p>")
    return "\n".join(blocks)


def render_html(
    analysis: Analysis,
    summary: str,
    *,
    study: Study | None = None,
    units: Sequence | None = None,
) -> str:
    """The HTML text of ``report.html``.

    Parameters
    ----------
    analysis : Analysis
        As read by :func:`tasktransfer.contracts.read_analysis`.
    summary : str
        The text of ``summary.md``.
    study : Study or None
        ``study.json`` (see :func:`tasktransfer.report.study.collect_study`): adds the
        answer letters, the configuration and the environment.
    units : sequence of AnalysisUnit or None, default=None
        Whose sections the page shows, in order; None means :data:`tasktransfer.units.UNITS`.
    """
    import jinja2
    from plotly.offline import get_plotlyjs

    from tasktransfer.units import UNITS

    units = UNITS if units is None else units
    page_figures: dict[str, dict] = {}
    graphs: dict[str, dict] = {}

    def collect(found: ReportSection | None, anchor: str | None = None) -> dict | None:
        if found is None:
            return None
        page_figures.update(found.figures)
        graphs.update(found.graphs)
        nav = found.nav or found.title
        return {"title": found.title, "html": found.html, "anchor": anchor, "nav": nav}

    models_view = []
    for k, (label, entry) in enumerate(analysis.models.items()):
        sections = [
            collect(unit.model_section(label, entry, analysis, f"m{k}"))
            for unit in units
            if unit.model_section is not None
        ]
        models_view.append(
            {
                "label": label,
                "runs": entry.runs,
                "origin": entry.origin,
                "key": list(zip(entry.abbrev, entry.tasks, strict=True)),
                "shape": matrix_shape(entry.sources, entry.targets),
                "sections": [s for s in sections if s],
            }
        )
    shared = [
        collect(unit.section(analysis), f"section-{unit.name}")
        for unit in units
        if unit.section is not None
    ]
    study_view = _study_view(study, analysis, page_figures) if study else None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return env.get_template("report.html.j2").render(
        models=list(analysis.models),
        models_view=models_view,
        sections=[s for s in shared if s],
        options=analysis.options,
        summary_html=markdown_html(summary),
        study=study_view,
        figures_json=script_json(page_figures),
        graphs_json=script_json(graphs),
        plotly_js=get_plotlyjs(),
        script=(TEMPLATES / "report.js").read_text(),
        style=(TEMPLATES / "report.css").read_text(),
    )


def _study_view(study: Study, analysis: Analysis, page_figures: dict) -> dict:
    answers = []
    for k, (label, rows) in enumerate(study["answers"].items()):
        entry = analysis.models.get(label)
        tasks = entry.tasks if entry else sorted({r["target"] for r in rows})
        abbrev = dict(zip(tasks, entry.abbrev, strict=True)) if entry else {}
        div = f"s{k}-answers"
        page_figures[div] = figures.answers_figure(label, rows, tasks, abbrev)
        collapsed = [r for r in rows if r["collapsed"]]
        mismatched = [r for r in rows if r.get("format_mismatch")]
        answers.append(
            {"label": label, "id": div, "collapsed": collapsed, "mismatched": mismatched}
        )
    environment = study["environment"] or {}
    return {
        "answers": answers,
        "config": study["config"],
        "environment": _flatten(environment),
    }


def _flatten(mapping: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts as ``(dotted.key, value)`` rows.

    Examples
    --------
    >>> _flatten({"device": "cpu", "packages": {"torch": "2.4", "ray": None}})
    [('device', 'cpu'), ('packages.torch', '2.4'), ('packages.ray', 'unknown')]
    """
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, f"{name}.")
        else:
            rows.append((name, "unknown" if value is None else str(value)))
    return rows

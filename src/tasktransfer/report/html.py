"""``report.html``: one self-contained interactive page from the analysis folder.

plotly.js, the page's script and its styles are inlined, so the page opens offline and
makes no request. Figures travel as JSON in ``<script type="application/json">`` blocks
(see :func:`script_json`); every name from a user file is escaped, by jinja2's
autoescape in the HTML and by :func:`tasktransfer.report.figures.text` inside figures.
"""

from __future__ import annotations

import re
from pathlib import Path

from tasktransfer.analysis import PERSONAS, TRANSFERABILITY_METRICS
from tasktransfer.report import figures
from tasktransfer.report.summary import SYMBOL, fmt, fmt_p

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
    analysis: dict,
    summary: str,
    runs_pgf: dict[str, dict] | None = None,
    study: dict | None = None,
    selection: dict | None = None,
) -> str:
    """The HTML text of ``report.html``.

    Parameters
    ----------
    analysis : dict
        ``analysis.json``, loaded.
    summary : str
        The text of ``summary.md``.
    runs_pgf : dict or None
        Per model label, ``(run, source, target) -> PGF`` from ``pgf_<model>.csv``.
    study : dict or None
        ``study.json`` (see :func:`tasktransfer.report.study.collect_study`): adds the
        answer letters, the configuration and the environment.
    selection : dict or None
        ``selection.json`` of a study with a selection section (see
        :func:`tasktransfer.study.selection.write_selection`): adds its table and plot.
    """
    import jinja2
    from plotly.offline import get_plotlyjs

    runs_pgf = runs_pgf or {}
    page_figures: dict[str, dict] = {}
    graphs: dict[str, dict] = {}
    models_view = []
    for k, (label, entry) in enumerate(analysis["models"].items()):
        entry = {**entry, "abbrev": _abbrev(entry)}
        ids = {name: f"m{k}-{name}" for name in ("heatmap", "graph", "bars", "categories")}
        page_figures[ids["heatmap"]] = figures.heatmap_figure(label, entry, runs_pgf.get(label))
        page_figures[ids["graph"]], edges = figures.graph_figure(label, entry)
        page_figures[ids["bars"]] = figures.metric_bars_figure(label, entry)
        page_figures[ids["categories"]] = figures.category_figure(label, entry)
        graphs[ids["graph"]] = {"tasks": entry["tasks"], "edges": edges}
        models_view.append(_model_view(label, entry, ids, edges))
    trend = analysis.get("scale_trend")
    scale = trend if trend and len(trend["order"]) > 1 else None
    if scale:
        page_figures["scale"] = figures.scale_figure(scale)
    study_view = _study_view(study, analysis, page_figures) if study else None
    selection_view = None
    if selection and selection.get("targets"):
        page_figures["selection"] = figures.selection_figure(selection["targets"])
        selection_view = selection["targets"]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return env.get_template("report.html.j2").render(
        models=list(analysis["models"]),
        models_view=models_view,
        options=analysis.get("options", {}),
        summary_html=markdown_html(summary),
        pooled=_pooled_view(analysis.get("pooled")),
        scale=scale,
        study=study_view,
        selection=selection_view,
        figures_json=script_json(page_figures),
        graphs_json=script_json(graphs),
        plotly_js=get_plotlyjs(),
        script=(TEMPLATES / "report.js").read_text(),
        style=(TEMPLATES / "report.css").read_text(),
        fmt=fmt,
        symbol=SYMBOL,
    )


def _abbrev(entry: dict) -> list[str]:
    """The stored abbreviations; an older ``analysis.json`` without them uses the registry."""
    if "abbrev" in entry:
        return entry["abbrev"]
    from tasktransfer.report.plots import abbreviations

    return abbreviations(entry["tasks"])


def _model_view(label: str, entry: dict, ids: dict, edges: list[dict]) -> dict:
    tests, alpha = entry["personas"]["tests"], entry["personas"]["alpha"]
    threshold = entry["graph"]["threshold"]
    largest = max((abs(e["pgf"]) for e in edges), default=threshold)
    rows = [
        {
            "task": task,
            "abbrev": abbrev,
            "metrics": [fmt(entry["transferability"][task][m]) for m in TRANSFERABILITY_METRICS],
            "pvalues": [
                (fmt_p(tests[task][f"{p}_p"]), task in entry["personas"][p]) for p in PERSONAS
            ],
        }
        for task, abbrev in zip(entry["tasks"], entry["abbrev"], strict=True)
    ]
    cliques = entry["cliques"]
    return {
        "label": label,
        "ids": ids,
        "runs": entry["runs"],
        "origin": entry.get("origin"),
        "key": list(zip(entry["abbrev"], entry["tasks"], strict=True)),
        "alpha": alpha,
        "rows": rows,
        "personas": [(p, entry["personas"][p]) for p in PERSONAS],
        "cliques": [
            (sign, cliques[sign], _support(cliques.get("edges", {}).get(sign, [])))
            for sign in ("positive", "negative")
        ],
        "tau": cliques.get("tau", 0),
        "threshold": threshold,
        # The slider spans every edge; rounded up so the strongest edge can be isolated.
        "slider_max": max(threshold, int(largest * 100 + 1) / 100),
        "metrics": [SYMBOL[m] for m in TRANSFERABILITY_METRICS],
    }


def _support(edges: list[dict]) -> str | None:
    support = [e["support"] for e in edges if e.get("support") is not None]
    return f"{min(support):.0%}–{max(support):.0%}" if support else None


def _pooled_view(pooled: dict | None) -> dict | None:
    if not pooled:
        return None
    personas = pooled["personas"]
    return {
        "models": pooled["models"],
        "alpha": personas["alpha"],
        "rows": [
            (
                task,
                [(fmt_p(personas["tests"][task][f"{p}_p"]), task in personas[p]) for p in PERSONAS],
            )
            for task in pooled["tasks"]
        ],
    }


def _study_view(study: dict, analysis: dict, page_figures: dict) -> dict:
    answers = []
    for k, (label, rows) in enumerate(study.get("answers", {}).items()):
        entry = analysis["models"].get(label)
        tasks = entry["tasks"] if entry else sorted({r["target"] for r in rows})
        abbrev = dict(zip(tasks, _abbrev(entry), strict=True)) if entry else {}
        div = f"s{k}-answers"
        page_figures[div] = figures.answers_figure(label, rows, tasks, abbrev)
        collapsed = [r for r in rows if r["collapsed"]]
        answers.append({"label": label, "id": div, "collapsed": collapsed})
    environment = study.get("environment") or {}
    return {
        "answers": answers,
        "config": study.get("config"),
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

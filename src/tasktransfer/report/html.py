"""``report.html``: one self-contained page (figures inlined) from the analysis folder."""

from __future__ import annotations

import base64
from pathlib import Path

from tasktransfer.analysis import PERSONAS, TRANSFERABILITY_METRICS
from tasktransfer.report.summary import fmt, fmt_p

TEMPLATES = Path(__file__).parent / "templates"


def _inline(path: Path) -> str | None:
    return base64.b64encode(path.read_bytes()).decode() if path.exists() else None


def render_html(analysis: dict, summary: str, figures: dict[str, dict[str, Path]]) -> str:
    """The HTML text; ``figures[label]`` maps ``"heatmap"``/``"graph"`` to PNG paths.

    Every value reaching the page is escaped (jinja2 autoescape): model labels and task
    names come from user files.
    """
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    models_view = []
    for label, m in analysis["models"].items():
        tests, alpha = m["personas"]["tests"], m["personas"]["alpha"]
        rows = [
            {
                "task": task,
                "metrics": [fmt(m["transferability"][task][k]) for k in TRANSFERABILITY_METRICS],
                "pvalues": [
                    (fmt_p(tests[task][f"{p}_p"]), task in m["personas"][p]) for p in PERSONAS
                ],
            }
            for task in m["tasks"]
        ]
        models_view.append(
            {
                "label": label,
                "runs": m["runs"],
                "tasks": m["tasks"],
                "alpha": alpha,
                "rows": rows,
                "cliques": [(s, m["cliques"][s]) for s in ("positive", "negative")],
                "heatmap": _inline(figures[label]["heatmap"]),
                "graph": _inline(figures[label]["graph"]),
            }
        )
    scale = analysis.get("scale_trend")
    return env.get_template("report.html.j2").render(
        models=list(analysis["models"]),
        models_view=models_view,
        options=analysis.get("options", {}),
        summary=summary,
        scale=scale if scale and len(scale["order"]) > 1 else None,
        fmt=fmt,
    )

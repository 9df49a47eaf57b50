"""report.html opened in headless chromium, every non-file request aborted and counted."""

import json

import pytest

from tasktransfer.report import analyze_to_folder

pytestmark = pytest.mark.usefixtures("browser")


def expected_edges(pgf_mean, threshold, sign="all"):
    """Directed edges i != j with |mean PGF| >= threshold, counted here from analysis.json."""
    count = 0
    for i, row in enumerate(pgf_mean):
        for j, value in enumerate(row):
            if i == j or value is None or abs(value) < threshold:
                continue
            count += sign == "all" or (value > 0) == (sign == "positive")
    return count


def visible_edges(page, graph_id):
    """Arrows plotly actually drew, and the count the page states."""
    drawn = page.evaluate(f"document.querySelectorAll('#{graph_id} g.annotation').length")
    stated = page.evaluate(f"document.getElementById('{graph_id}').dataset.visibleEdges")
    return drawn, int(stated)


def set_threshold(page, graph_id, value):
    page.evaluate(
        """([id, value]) => {
            const slider = document.getElementById(id + "-threshold");
            slider.value = value;
            slider.dispatchEvent(new Event("input"));
        }""",
        [graph_id, value],
    )


def test_published_32b_report(report32, open_page, tmp_path):
    opened = open_page(report32)
    page = opened.page
    entry = json.loads((report32.parent / "analysis.json").read_text())["models"][
        "qwen-2.5vl-32B-instruct"
    ]
    # The heatmap: a 13 x 13 matrix, one drawn value label per cell.
    shape = page.evaluate(
        "(() => { const z = document.getElementById('m0-heatmap').data[0].z;"
        " return [z.length, ...new Set(z.map(r => r.length))]; })()"
    )
    assert shape == [13, 13]
    assert (
        page.evaluate("document.querySelectorAll('#m0-heatmap .heatmaplayer text').length") == 169
    )
    ticks = page.evaluate(
        "[...document.querySelectorAll('#m0-heatmap .xtick text')].map(t => t.textContent)"
    )
    assert ticks == entry["abbrev"]
    # The graph starts at the analysis threshold; the slider moves it.
    pgf_mean = entry["pgf_mean"]
    initial = expected_edges(pgf_mean, entry["graph"]["threshold"])
    assert initial == len(entry["graph"]["edges"]) == 45
    assert visible_edges(page, "m0-graph") == (initial, initial)
    for threshold in ("0.5", "0.1", "0.62", "0"):
        set_threshold(page, "m0-graph", threshold)
        want = expected_edges(pgf_mean, float(threshold))
        assert visible_edges(page, "m0-graph") == (want, want), threshold
    assert want == 13 * 12  # threshold 0: every pair
    set_threshold(page, "m0-graph", "0.3")
    for sign in ("negative", "positive", "all"):
        page.check(f"input[name='m0-graph-sign'][value='{sign}']")
        want = expected_edges(pgf_mean, 0.3, sign)
        assert visible_edges(page, "m0-graph") == (want, want), sign
    # Clicking a task keeps its edges (and only them) in full colour.
    node = page.locator("#m0-graph .scatterlayer .trace").nth(1).locator(".point").nth(0)
    node.scroll_into_view_if_needed()
    box = node.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    strong = page.evaluate(
        "document.getElementById('m0-graph').layout.annotations.filter(a => a.opacity > 0.5).length"
    )
    touching = sum(
        1
        for i in range(13)
        for j in range(13)
        if i != j and 0 in (i, j) and abs(pgf_mean[i][j]) >= 0.3
    )
    assert strong == touching and 0 < touching < want
    assert page.inner_text("#m0-graph-selected").startswith("Visual_Similarity: finetuning")
    page.screenshot(path=str(tmp_path / "report32.png"), full_page=True)
    assert (tmp_path / "report32.png").stat().st_size > 100_000
    assert opened.errors == [] and opened.requests == [] and opened.dialogs == []


def test_hover_shows_runs_and_accuracies(study_dir, open_page):
    """A results table of counts: the hover names each run's PGF and accuracies."""
    report = analyze_to_folder([study_dir / "results.csv"], study_dir / "analysis")
    page = open_page(report).page
    tasks = page.evaluate("document.getElementById('m0-heatmap').data[0].customdata")
    # Counting -> Jigsaw, seed_0 (conftest): zero-shot 7/20 on Jigsaw, finetuned 7 + 3 = 10/20,
    # so PGF = (0.50 - 0.35) / (1 - 0.35).
    order = json.loads((report.parent / "analysis.json").read_text())
    order = order["models"]["Qwen/Qwen2.5-VL-3B-Instruct"]["tasks"]
    hover = tasks[order.index("Counting")][order.index("Jigsaw")]
    assert f"seed_0: {0.15 / 0.65:.3f}" in hover
    assert "seed_0: 0.350 → 0.500" in hover
    assert "<b>Counting</b> → <b>Jigsaw</b>" in hover


def test_hostile_names_render_as_text(tmp_path, open_page):
    # Task names are checked by the registry (letters, digits, _ and -); model and run
    # labels are free text from the user's table.
    model = "<script>alert('model')</script> & \"co\""
    evil_runs = ("<script>alert(1)</script>", "Quote\"'&amp;<img src=x onerror=alert(2)>")
    rows = ["model,run,source,target,n_correct,n_total"]

    def quoted(name):
        return '"' + name.replace('"', '""') + '"'

    tasks = ("Counting", "Jigsaw", "Relative_Depth")
    for run in evil_runs:
        for k, target in enumerate(tasks):
            rows.append(f"{quoted(model)},{quoted(run)},zero-shot,{target},{4 + k},10")
            for s, source in enumerate(tasks):
                rows.append(f"{quoted(model)},{quoted(run)},{source},{target},{5 + (s + k) % 4},10")
    results = tmp_path / "results.csv"
    results.write_text("\n".join(rows) + "\n")
    report = analyze_to_folder([results], tmp_path / "out")
    raw = report.read_text()
    for needle in ("<script>alert", "<img src=x"):
        assert needle not in raw
    opened = open_page(report)
    page = opened.page
    text = page.inner_text("body")
    assert all(run in text for run in evil_runs) and model in text
    hover = page.evaluate("document.getElementById('m0-heatmap').data[0].customdata[0][1]")
    assert "&lt;script&gt;alert(1)" in hover  # plotly shows it as text, not a tag
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert opened.dialogs == [] and opened.errors == [] and opened.requests == []


def test_study_report_shows_answers_config_and_environment(study_dir, open_page, tmp_path):
    report = analyze_to_folder(
        [study_dir / "results.csv"], study_dir / "analysis", study_dir=study_dir
    )
    opened = open_page(report)
    page = opened.page
    answers = page.evaluate("document.getElementById('s0-answers').data[0]")
    # Rows: zero-shot, then the three sources; the collapsed cell (Jigsaw -> Counting) is
    # all "A" in both runs and is the one outlined cell.
    assert len(answers["z"]) == 4 and all(len(r) == 3 for r in answers["z"])
    shapes = page.evaluate("document.getElementById('s0-answers').layout.shapes")
    assert len(shapes) == 1
    sources = page.evaluate("document.getElementById('s0-answers').layout.yaxis.ticktext")
    targets = page.evaluate("document.getElementById('s0-answers').layout.xaxis.ticktext")
    row, col = round(shapes[0]["y0"] + 0.5), round(shapes[0]["x0"] + 0.5)
    assert (sources[row], targets[col]) == ("JG", "CN")
    assert answers["z"][row][col] == 1.0 and answers["text"][row][col] == "A 100%"
    body = page.inner_text("body")
    assert "2 collapsed cells: Jigsaw → Counting (seed_0); Jigsaw → Counting (seed_1)" in body
    assert "name: quickstart" in body and "packages.torch\t2.13.0" in body
    page.screenshot(path=str(tmp_path / "study.png"), full_page=True)
    assert opened.errors == [] and opened.requests == []


def test_three_published_models_render(tmp_path, open_page, reference_dir):
    report = analyze_to_folder(
        ["sachdeva2026:3B", "sachdeva2026:7B", "sachdeva2026:32B"],
        tmp_path,
        reference_dir=reference_dir,
    )
    opened = open_page(report)
    page = opened.page
    for k in range(3):
        cells = page.evaluate(
            f"document.querySelectorAll('#m{k}-heatmap .heatmaplayer text').length"
        )
        assert cells == 169
    scale = page.evaluate("document.getElementById('scale').data.map(t => t.name)")
    assert len(scale) == 6 and scale[0].startswith("Δ+")
    assert "Across models: pooled personas" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "three.png"), full_page=True)
    assert opened.errors == [] and opened.requests == []

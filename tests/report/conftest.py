"""Fixtures of the report tests: the 32B report, a hand-made study, a browser."""

import json
import shutil
from pathlib import Path

import pytest

from tasktransfer.contracts import ResultRow, StudyLayout, write_results

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags that keep headless chromium from phoning home; the page itself must need nothing.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"
TASKS = ("Counting", "Jigsaw", "Relative_Depth")
RUNS = ("seed_0", "seed_1")
N = 20  # questions per target
# Questions gained (or lost) over zero-shot on each target (columns) by finetuning on each
# source (rows): some transfer helps, some hurts.
GAIN = ((6, 3, -4), (-3, 7, 2), (4, -5, 8))


def _row(run: int, source: str, target: str) -> ResultRow:
    """One row of a quickstart-like study; Jigsaw -> Counting collapses onto "A"."""
    n_correct = 6 + 2 * run + TASKS.index(target)
    if source in TASKS:
        n_correct += GAIN[TASKS.index(source)][TASKS.index(target)]
    if (source, target) == ("Jigsaw", "Counting"):
        counts = {"A": N}
    else:
        counts = {"A": 8 + run, "B": 7, "C": N - 15 - run}
    return ResultRow(
        MODEL, RUNS[run], source, target, n_correct, N,
        answer_counts=counts, n_unparsed=0, collapsed=len(counts) == 1,
    )  # fmt: skip


def make_study(folder: Path) -> Path:
    """A study folder as ``tasktransfer run`` writes it, built by hand (no model needed).

    No ``cells/``: the report reads only the tables at the top of the folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    layout = StudyLayout(folder)
    rows = [
        _row(r, source, target)
        for r in range(len(RUNS))
        for source in ("zero-shot", *TASKS)
        for target in TASKS
    ]
    write_results(layout.results, rows)
    layout.config.write_text(
        "name: quickstart\nmodels:\n  - name: tiny-qwen\n"
        "tasks: [Counting, Jigsaw, Relative_Depth]\nseeds: [0, 1]\n"
    )
    layout.environment.write_text(
        json.dumps({"python": "3.11.2", "device": "cpu", "packages": {"torch": "2.13.0"}})
    )
    return folder


@pytest.fixture
def study_dir(tmp_path) -> Path:
    return make_study(tmp_path / "study")


@pytest.fixture(scope="session")
def report32(tmp_path_factory, reference_dir) -> Path:
    """The report of the published 32B table."""
    from tasktransfer.report import analyze_to_folder

    out = tmp_path_factory.mktemp("report32")
    return analyze_to_folder(["sachdeva2026:32B"], out, reference_dir=reference_dir)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by playwright; skipped only when it is absent."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OpenedPage:
    """A report opened with every non-file request aborted and counted."""

    def __init__(self, browser, path: Path):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1440, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => window.Plotly && document.querySelector('.main-svg')")

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def open_page(browser):
    pages = []

    def _open(path: Path) -> OpenedPage:
        opened = OpenedPage(browser, path)
        pages.append(opened)
        return opened

    yield _open
    for opened in pages:
        opened.page.close()

"""LoRA-weight similarity from a study folder's adapters, through analysis.json to the page.

The study is the hand-made one of ``conftest.py`` plus a ``plan.json`` and PEFT adapter
folders written from 1 x 3 updates, whose cosines are known by hand.
"""

import json
import math
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file
from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.contracts import StudyLayout
from tasktransfer.files import slugs
from tasktransfer.report import analyze_to_folder

from .conftest import MODEL, RUNS, TASKS

MODULE = "model.language_model.layers.0.self_attn.q_proj"
# With B = [[1]], each adapter's update is its row A (alpha = r = 1): per run and task.
#   run 0: CN (1,0,0), JG (1,1,0), RD (0,0,1): CN·JG 1/√2, CN·RD 0,    JG·RD 0
#   run 1: CN (1,0,0), JG (1,1,0), RD (1,0,1): CN·JG 1/√2, CN·RD 1/√2, JG·RD 1/2
UPDATES = {
    "seed_0": {"Counting": (1, 0, 0), "Jigsaw": (1, 1, 0), "Relative_Depth": (0, 0, 1)},
    "seed_1": {"Counting": (1, 0, 0), "Jigsaw": (1, 1, 0), "Relative_Depth": (1, 0, 1)},
}
R2 = 1 / math.sqrt(2)
# Run means: CN·JG 1/√2, CN·RD 1/(2√2), JG·RD 1/4.
COSINE = {("Counting", "Jigsaw"): R2, ("Counting", "Relative_Depth"): R2 / 2}
COSINE[("Jigsaw", "Relative_Depth")] = 0.25


def expected(tasks):
    """The run-mean cosines in the analysis's task order (the registry's)."""
    return [
        [1.0 if a == b else COSINE.get((a, b), COSINE.get((b, a))) for b in tasks] for a in tasks
    ]


def _plan(study, write_adapter):
    """plan.json of the study and, per finetune cell, ``write_adapter(folder, run, task)``."""
    layout = StudyLayout(study)
    slug = slugs([MODEL])[MODEL]
    plan = []
    for run in RUNS:
        for source in ("zero-shot", *TASKS):
            cell = layout.cell(slug, run, source)
            plan.append(
                {
                    "cell": f"{MODEL}/{run}/{source}",
                    "key": "0" * 64,
                    "folder": str(cell.folder.relative_to(study)),
                }
            )
            if source != "zero-shot":
                write_adapter(cell.adapter, run, source)
    layout.plan.write_text(json.dumps(plan))
    return study


def _lora(folder, run, task):
    folder.mkdir(parents=True)
    row = np.array([UPDATES[run][task]], dtype=np.float32)
    save_file(
        {
            f"base_model.model.{MODULE}.lora_A.weight": row,
            f"base_model.model.{MODULE}.lora_B.weight": np.ones((1, 1), dtype=np.float32),
        },
        str(folder / "adapter_model.safetensors"),
    )
    (folder / "adapter_config.json").write_text(json.dumps({"r": 1, "lora_alpha": 1}))


def _full(folder, run, task):
    # What full finetuning leaves: a whole model folder, no low-rank factors.
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(folder / "model.safetensors"))


@pytest.fixture
def lora_study(study_dir):
    return _plan(study_dir, _lora)


def _entry(out):
    (entry,) = json.loads((out / "analysis.json").read_text())["models"].values()
    return entry


def test_the_cosines_of_a_study_s_adapters(lora_study, tmp_path):
    out = tmp_path / "out"
    analyze_to_folder([lora_study / "results.csv"], out, study_dir=lora_study)
    found = _entry(out)["lora_similarity"]
    tasks = found["tasks"]
    assert sorted(tasks) == sorted(TASKS) and found["runs"] == list(RUNS)
    assert found["n_adapters"] == 6 and found["n_full"] == 0
    np.testing.assert_allclose(found["matrix"], expected(tasks))
    assert found["layers"] == ["model.language_model.layers.0"]
    np.testing.assert_allclose(found["per_layer"][0], expected(tasks))  # one layer: all
    # Across runs, one task's two seeds: CN and JG identical, RD (0,0,1) vs (1,0,1).
    same = dict(zip(tasks, np.diagonal(found["across_runs"]), strict=True))
    assert same == pytest.approx({"Counting": 1.0, "Jigsaw": 1.0, "Relative_Depth": R2})


def test_the_correlation_with_the_symmetrised_pgf(lora_study, tmp_path):
    """The conftest's gains make the symmetrised mean PGF, pair by pair (runs 0 and 1):
    CN–JG (0.2517 - 0.2321) / 2 > CN–RD (-0.3667 + 0.3095) / 2 > JG–RD (0.1833 - 0.4196) / 2,
    the order of the cosines: Spearman 1. Three tasks have six relabellings; the identity
    and the reversal reach |r| = 1: p = 2/6."""
    out = tmp_path / "out"
    analyze_to_folder([lora_study / "results.csv"], out, study_dir=lora_study)
    entry = _entry(out)
    correlation = entry["lora_similarity"]["correlation"]
    spearman = correlation["spearman"]
    assert spearman["r"] == pytest.approx(1.0)
    assert spearman["p"] == pytest.approx(2 / 6)
    assert spearman["exact"] and spearman["permutations"] == 6 and spearman["n_pairs"] == 3
    tasks = entry["lora_similarity"]["tasks"]
    assert tasks == entry["tasks"]
    pgf = np.array(entry["pgf_mean"])
    symmetric = (pgf + pgf.T) / 2
    pairs = [("Counting", "Jigsaw"), ("Counting", "Relative_Depth"), ("Jigsaw", "Relative_Depth")]
    at = [(tasks.index(a), tasks.index(b)) for a, b in pairs]
    assert [symmetric[i, j] for i, j in at] == pytest.approx([0.0098, -0.0286, -0.1181], abs=1e-4)
    pearson = np.corrcoef([COSINE[p] for p in pairs], [symmetric[i, j] for i, j in at])[0, 1]
    assert correlation["pearson"]["r"] == pytest.approx(pearson)


def test_the_summary_and_the_page_show_it(lora_study, tmp_path):
    out = tmp_path / "out"
    page = analyze_to_folder([lora_study / "results.csv"], out, study_dir=lora_study)
    summary = (out / "summary.md").read_text()
    assert "**LoRA-weight similarity** (cosine of the weight updates, mean over 2 runs)" in summary
    # Pairs are named in the analysis's task order (the registry's), most alike first.
    assert "most alike Jigsaw–Counting 0.707; Relative_Depth–Counting 0.354; " in summary
    assert "Spearman 1.000 (permutation p 0.333, all relabellings of the tasks)" in summary
    html = page.read_text()
    assert "<h3>LoRA-weight similarity</h3>" in html and 'id="m0-lora"' in html
    assert '"m0-lora":' in html  # the heatmap travels with the page's figures


def test_a_study_of_full_finetunes_says_it_has_no_lora_adapters(study_dir, tmp_path):
    study = _plan(study_dir, _full)
    out = tmp_path / "out"
    page = analyze_to_folder([study / "results.csv"], out, study_dir=study)
    found = _entry(out)["lora_similarity"]
    assert found["n_adapters"] == 0 and found["n_full"] == 6 and "matrix" not in found
    summary = (out / "summary.md").read_text()
    assert "No LoRA adapters in this study (6 full finetunes)." in summary
    assert "No LoRA adapters in this study (6 full finetune(s)" in page.read_text()


def test_tables_alone_carry_no_adapters(lora_study, tmp_path):
    out = tmp_path / "out"
    page = analyze_to_folder([lora_study / "results.csv"], out)
    assert "lora_similarity" not in _entry(out)
    assert "LoRA-weight similarity" not in page.read_text()


def test_analyze_takes_a_study_folder(lora_study, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyze", str(lora_study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = _entry(out)["lora_similarity"]
    np.testing.assert_allclose(found["matrix"], expected(found["tasks"]))
    assert (out / "study.json").is_file()  # the page shows the study, as `report` does


def test_analyze_refuses_a_study_folder_among_other_inputs(lora_study, tmp_path):
    args = ["analyze", str(lora_study), str(lora_study / "results.csv"), "--out", str(tmp_path)]
    # The InputError that `tasktransfer` turns into one sentence and exit 1.
    result = CliRunner().invoke(app, args)
    assert "a study folder is analysed on its own" in str(result.exception)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["analyze", str(empty), "--out", str(tmp_path / "o")])
    assert "holds no results.csv" in str(result.exception)


def test_a_zero_update_has_no_direction(study_dir, tmp_path):
    """Relative_Depth's adapters moved nothing (B = 0, as LoRA starts): no cosine, and two
    tasks left are too few to correlate."""

    def unmoved(folder, run, task):
        _lora(folder, run, task)
        if task == "Relative_Depth":
            save_file(
                {
                    f"base_model.model.{MODULE}.lora_A.weight": np.ones((1, 3), np.float32),
                    f"base_model.model.{MODULE}.lora_B.weight": np.zeros((1, 1), np.float32),
                },
                str(folder / "adapter_model.safetensors"),
            )

    study = _plan(study_dir, unmoved)
    out = tmp_path / "out"
    analyze_to_folder([study / "results.csv"], out, study_dir=study)
    found = _entry(out)["lora_similarity"]
    rd = found["tasks"].index("Relative_Depth")
    assert all(v is None for v in found["matrix"][rd])
    assert found["correlation"] is None
    assert "Too few tasks (fewer than three)" in (out / "summary.md").read_text()


def test_an_unreadable_adapter_costs_only_this_section(lora_study, tmp_path):
    slug = slugs([MODEL])[MODEL]
    cell = StudyLayout(lora_study).cell(slug, "seed_1", "Jigsaw")
    (cell.adapter / "adapter_model.safetensors").write_bytes(b"not safetensors")
    out = tmp_path / "out"
    page = analyze_to_folder([lora_study / "results.csv"], out, study_dir=lora_study)
    entry = _entry(out)
    assert "adapter_model.safetensors" in entry["lora_similarity"]["skipped"]
    assert "transferability" in entry  # the rest of the analysis stands
    assert "<h3>LoRA-weight similarity</h3>" in page.read_text()
    assert "**LoRA-weight similarity.** Not computed:" in (out / "summary.md").read_text()


def test_without_safetensors_the_section_says_what_to_install(lora_study, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)  # an install without the model extra
    out = tmp_path / "out"
    analyze_to_folder([lora_study / "results.csv"], out, study_dir=lora_study)
    assert "pip install safetensors" in _entry(out)["lora_similarity"]["skipped"]

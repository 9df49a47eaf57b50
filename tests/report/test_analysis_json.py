"""analysis.json through its contract: round trip, the folder's names, clear errors."""

import json

import pytest

from tasktransfer.contracts import Analysis, AnalysisLayout, read_analysis
from tasktransfer.errors import InputError
from tasktransfer.report import analyze_to_folder
from tasktransfer.report.study import collect_study


@pytest.fixture
def folder(study_dir):
    out = study_dir / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, study_dir=study_dir)
    return out


def test_the_typed_analysis_round_trips_analysis_json(folder):
    data = json.loads((folder / "analysis.json").read_text())
    analysis = Analysis.from_json(data)
    assert analysis.to_json() == data
    (entry,) = analysis.models.values()
    assert entry.tasks == ["Relative_Depth", "Jigsaw", "Counting"]  # registry order
    assert entry.abbrev == ["RD", "JG", "CN"] and len(entry.pgf_runs) == 2
    assert {"personas", "cliques", "graph"} <= set(entry.sections)
    assert {"scale", "scale_trend"} <= set(analysis.sections)


def test_every_file_the_folder_names_is_written(folder):
    layout = AnalysisLayout(folder)
    analysis = read_analysis(folder)
    (label,) = analysis.models
    files = analysis.models[label].files
    assert all((folder / name).is_file() for name in files.values())
    for path in (layout.analysis_json, layout.summary, layout.report, layout.study):
        assert path.is_file()


def test_a_folder_without_or_with_a_broken_analysis_is_one_sentence(tmp_path):
    with pytest.raises(InputError, match="holds no analysis.json"):
        read_analysis(tmp_path)
    (tmp_path / "analysis.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(InputError, match="analysis.json is not a JSON file"):
        read_analysis(tmp_path)
    (tmp_path / "analysis.json").write_text('{"models": {"m": {"runs": []}}}')
    with pytest.raises(InputError, match="analysis.json: not an analysis"):
        read_analysis(tmp_path)


def test_the_study_section_never_reads_the_cells(study_dir):
    """collapsed comes from results.csv: a cells/ folder, even a broken one, changes nothing."""
    before = collect_study(study_dir)
    marker = study_dir / "cells" / "m" / "seed_0" / "Jigsaw" / "done.json"
    marker.parent.mkdir(parents=True)
    marker.write_text("not json")
    assert collect_study(study_dir) == before

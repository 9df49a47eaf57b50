"""Rectangular studies: ``targets:`` beyond the tasks are evaluated, never finetuned on.

A square study's plan must not move (its cell keys are those of the formula before
``targets:`` existed); a rectangular one (2 sources, 3 targets, one of them read from
``target_data``) runs end to end on the tiny model.
"""

import json
import shutil

import pytest

import tasktransfer
from tasktransfer.contracts import StudyLayout, read_predictions, read_results
from tasktransfer.data import fingerprint, load_examples
from tasktransfer.data.folder import write_folder
from tasktransfer.errors import InputError
from tasktransfer.study import load_study_config, run_study
from tasktransfer.study.cells import content_key
from tasktransfer.study.runner import plan_study
from tasktransfer.tasks import REGISTRY

SOURCES = ["Relative_Depth", "Counting"]
SMALL = [
    f"tasks=[{', '.join(SOURCES)}]",
    "seeds=[0]",
    "eval_data.limit=8",
    "train_data.limit=8",
    "finetune.steps=2",
    "finetune.batch_size=4",
    "executor.workers=1",
]


def test_targets_resolve_through_the_registry_and_add_to_the_tasks():
    config = load_study_config("quickstart", [*SMALL, "targets=[CN, AS, Jigsaw]"])
    assert config.targets == ["Counting", "Art_Style", "Jigsaw"]
    assert config.extra_targets == ["Art_Style", "Jigsaw"]
    assert config.evaluated == [*SOURCES, "Art_Style", "Jigsaw"]
    assert load_study_config("quickstart", SMALL).evaluated == SOURCES
    with pytest.raises(InputError, match="Did you mean: Counting"):
        load_study_config("quickstart", [*SMALL, "targets=[Countng]"])
    with pytest.raises(InputError, match="target_data reads the targets that are not tasks"):
        load_study_config("quickstart", [*SMALL, "target_data={split: val}"])


def test_a_square_study_keeps_its_plan():
    square = plan_study(load_study_config("quickstart", SMALL))
    listed = plan_study(load_study_config("quickstart", [*SMALL, "targets=[Counting]"]))
    assert [(c.name, c.key) for c in listed] == [(c.name, c.key) for c in square]
    # The zero-shot key is still the formula of every study planned before targets existed.
    config = load_study_config("quickstart", SMALL)
    evaluation = config.eval_data.load(SOURCES)
    expected = content_key(
        {
            "version": tasktransfer.__version__,
            "tasks": SOURCES,
            "eval_data": fingerprint([ex for t in SOURCES for ex in evaluation[t]]),
            "evaluation": config.evaluation.model_dump(mode="json"),
            "model": config.models[0].model_dump(mode="json"),
            "seed": 0,
        }
    )
    assert square[0].name == "tiny/seed_0/zero-shot" and square[0].key == expected


def test_a_rectangular_plan_finetunes_only_the_tasks():
    config = load_study_config("quickstart", [*SMALL, "targets=[Art_Style]"])
    cells = plan_study(config)
    assert [c.name for c in cells] == [
        "tiny/seed_0/zero-shot",
        *(f"tiny/seed_0/{s}" for s in SOURCES),
    ]
    square = plan_study(load_study_config("quickstart", SMALL))
    assert not {c.key for c in cells} & {c.key for c in square}  # more targets: new results


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    # Art_Style comes from its own folder of 5 questions, the sources from the suite (8 each).
    folder = tmp_path_factory.mktemp("targets")
    art = load_examples("synthetic", ["Art_Style"], "val", limit=5)
    write_folder(folder, "val", art)
    out = tmp_path_factory.mktemp("rectangular")
    overrides = [*SMALL, "targets=[Counting, Art_Style]", f"target_data.source={folder}"]
    overrides.append("target_data.split=val")
    outcome = run_study(load_study_config("quickstart", overrides, output=out), progress=False)
    return out, outcome, [e.idx for e in art["Art_Style"]], overrides


def test_every_cell_answers_every_target_and_trains_on_its_source_only(study):
    out, outcome, art_ids, _ = study
    assert outcome.ran == ["tiny/seed_0/zero-shot", *(f"tiny/seed_0/{s}" for s in SOURCES)]
    rows = read_results(StudyLayout(out).results)
    targets = [*SOURCES, "Art_Style"]
    assert [(r.source, r.target) for r in rows] == [
        (s, t) for s in ("zero-shot", *SOURCES) for t in targets
    ]
    assert {r.target: r.n_total for r in rows} == {
        "Relative_Depth": 8,
        "Counting": 8,
        "Art_Style": 5,
    }
    art = [p.idx for p in read_predictions(StudyLayout(out).predictions) if p.target == "Art_Style"]
    assert art == art_ids * 3  # read from target_data, by each of the three model states
    for source in SOURCES:
        cell = StudyLayout(out).cell("tiny", "seed_0", source)
        assert list(json.loads(cell.train_questions.read_text())) == [source]


def test_the_analysis_reads_the_rectangle(study):
    out, outcome, _, _ = study
    assert outcome.report is not None and outcome.report.is_file()
    model = json.loads((out / "analysis" / "analysis.json").read_text())["models"]["tiny"]
    acc = {(r.source, r.target): r.accuracy for r in read_results(StudyLayout(out).results)}
    tasks = model["tasks"]
    for source in SOURCES:
        for target in [*SOURCES, "Art_Style"]:
            acc0 = acc[("zero-shot", target)]
            expected = (acc[(source, target)] - acc0) / (1 - acc0)
            value = model["pgf_mean"][tasks.index(source)][tasks.index(target)]
            assert value == pytest.approx(expected, abs=1e-12)


def test_a_rectangular_study_resumes_the_cell_it_lost(study, tmp_path):
    out, _, _, overrides = study
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    layout = StudyLayout(tmp_path)
    layout.cell("tiny", "seed_0", "Counting").done.unlink()  # killed before its marker
    config = load_study_config("quickstart", overrides, output=tmp_path)
    outcome = run_study(config, progress=False)
    assert outcome.ran == ["tiny/seed_0/Counting"]
    assert sorted(outcome.skipped) == ["tiny/seed_0/Relative_Depth", "tiny/seed_0/zero-shot"]
    assert layout.results.read_bytes() == StudyLayout(out).results.read_bytes()


@pytest.mark.parametrize("size", ["3b", "7b"])
def test_the_shipped_vsibench_configs_add_video_targets_to_the_paper_configs(size):
    video = load_study_config(f"blink-to-vsibench-qwen2.5-vl-{size}")
    paper = load_study_config(f"blink-qwen2.5-vl-{size}")
    assert video.tasks == paper.tasks and video.extra_targets == video.targets
    assert {REGISTRY[t].modality for t in video.targets} == {"video"}
    assert len(video.targets) == 8
    assert (video.target_data.source, video.target_data.split) == ("nyu-visionx/VSI-Bench", "test")
    differ = {"name", "output", "targets", "target_data"}
    assert paper.model_dump(exclude=differ) == video.model_dump(exclude=differ)


def test_a_data_sections_frames_reach_the_loader(monkeypatch):
    from tasktransfer.data.video import FrameSampling
    from tasktransfer.study import config as study_config

    config = load_study_config(
        "blink-to-vsibench-qwen2.5-vl-3b", ["target_data.frames={num_frames: 3, fps_cap: 2}"]
    )
    calls = []
    monkeypatch.setattr(study_config, "load_examples", lambda *a, **kw: calls.append(kw) or {})
    config.target_data.load(["VSI_Object_Count"])
    assert calls[0]["sampling"] == FrameSampling(num_frames=3, fps_cap=2.0)
    monkeypatch.undo()
    fewer = load_study_config("synthetic-video", ["eval_data.frames={num_frames: 4}"])
    clips = fewer.eval_data.load(["Video_Counting"])["Video_Counting"][:2]
    assert [len(clip.video.frames) for clip in clips] == [4, 4]


def test_the_synthetic_video_study_runs_with_tiny_limits(tmp_path):
    overrides = ["seeds=[0]", "eval_data.limit=3", "train_data.limit=4", "finetune.steps=1"]
    overrides += ["finetune.batch_size=2", "executor.workers=1"]
    config = load_study_config("synthetic-video", overrides, output=tmp_path)
    assert all(REGISTRY[t].modality == "image" for t in config.tasks)
    assert all(REGISTRY[t].modality == "video" for t in config.extra_targets)
    run_study(config, progress=False, analyse=False)
    rows = read_results(StudyLayout(tmp_path).results)
    assert {(r.source, r.target) for r in rows} == {
        (s, t) for s in ("zero-shot", *config.tasks) for t in config.evaluated
    }
    assert {r.n_total for r in rows} == {3}
    numeric = [r for r in rows if REGISTRY[r.target].answer_type == "number"]
    assert numeric and all(0 <= r.n_correct <= r.n_total for r in numeric)

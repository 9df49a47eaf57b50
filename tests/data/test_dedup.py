import json

import imagehash
import numpy as np
import pytest
from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.data import dedup, marks
from tasktransfer.data.dedup import blink_hashes, dedup_folder, nearest, phash
from tasktransfer.data.example import Example, format_prompt
from tasktransfer.data.folder import read_folder, write_folder
from tasktransfer.errors import InputError

runner = CliRunner()


def _question(task, idx, images, n_choices=2, answer="(A)"):
    choices = [f"option {k}" for k in range(n_choices)]
    return Example(
        idx=idx,
        sub_task=task,
        question="Which?",
        choices=tuple(choices),
        answer=answer,
        prompt=format_prompt("Which?", choices),
        images=tuple(images),
    )


@pytest.fixture
def blink(tmp_path, photo):
    """A BLINK folder: Relative_Depth val and test, Visual_Similarity val (photo seeds 100+)."""
    root = tmp_path / "blink"
    write_folder(
        root,
        "val",
        {
            "Relative_Depth": [
                _question("Relative_Depth", f"val_RD_{i}", [photo(100 + i)]) for i in range(3)
            ],
            "Visual_Similarity": [
                _question("Visual_Similarity", "val_VS_0", [photo(110), photo(111), photo(112)])
            ],
        },
    )
    write_folder(
        root,
        "test",
        {
            "Relative_Depth": [
                _question("Relative_Depth", "test_RD_0", [photo(120)], answer="hidden")
            ]
        },
    )
    return root


def _marked(image, seed, letters="ABCD"):
    """``image`` with the renderer's points (ring and letter tag) at random places."""
    image = image.copy()
    style = marks.photo_style(image.size)
    rng = np.random.default_rng(seed)
    edge = marks.margin(style)
    for letter in letters:
        x, y = rng.integers(edge, image.width - edge), rng.integers(edge, image.height - edge)
        marks.point(image, (x, y), letter, style)
    return image


def _distance(a, b):
    return imagehash.hex_to_hash(phash(a)) - imagehash.hex_to_hash(phash(b))


def test_nearest_agrees_with_imagehash_distances():
    rng = np.random.default_rng(0)
    queries = [f"{v:016x}" for v in rng.integers(0, 2**63, size=7)]
    index = [f"{v:016x}" for v in rng.integers(0, 2**63, size=11)]
    position, distance = nearest(queries, index, chunk=3)
    for q, pos, dist in zip(queries, position, distance, strict=True):
        truth = [imagehash.hex_to_hash(q) - imagehash.hex_to_hash(i) for i in index]
        assert dist == min(truth)
        assert truth[pos] == min(truth)


def test_copies_with_other_marks_or_size_match_and_other_photos_do_not(photo):
    # BLINK's copy and a built copy of one photo carry different marks.
    for seed in range(10):
        base = photo(seed, (640, 480))
        assert _distance(_marked(base, 1), _marked(base, 2)) <= dedup.DEFAULT_MAX_DISTANCE
        assert _distance(base, _marked(base.resize((400, 300)), 3)) <= dedup.DEFAULT_MAX_DISTANCE
    reference = photo(0, (640, 480))
    others = [photo(seed, (640, 480)) for seed in range(10, 40)]
    assert min(_distance(reference, other) for other in others) > dedup.DEFAULT_MAX_DISTANCE


def test_without_marks_removes_the_marks_and_keeps_an_unmarked_image(photo):
    base = photo(3, (256, 192))
    marked = np.asarray(dedup.without_marks(_marked(base, 4)), dtype=float)
    plain = np.asarray(dedup.without_marks(base), dtype=float)
    assert np.array_equal(plain, np.asarray(base, dtype=float))
    # Filled from their surroundings: no saturated red is left, and the pixels stay near
    # the unmarked photo's (smooth, so neighbours are close in colour).
    red = (marked[..., 0] > 120) & (marked[..., 0] - marked[..., 1] > 70)
    assert not red.any()
    assert np.abs(marked - plain).mean() < 2.0


def test_blink_hashes_reads_val_and_test_of_every_task_and_caches_them(
    blink, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    hashed = blink_hashes(str(blink), cache_dir=cache, progress=False)
    assert sorted((h.task, h.split, h.idx, h.image) for h in hashed) == sorted(
        [("Relative_Depth", "val", f"val_RD_{i}", 1) for i in range(3)]
        + [("Relative_Depth", "test", "test_RD_0", 1)]
        + [("Visual_Similarity", "val", "val_VS_0", k) for k in (1, 2, 3)]
    )
    assert len(list(cache.glob("*.json"))) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("BLINK was loaded again despite the cache")

    monkeypatch.setattr(dedup, "load_examples", refuse)
    assert blink_hashes(str(blink), cache_dir=cache, progress=False) == hashed


def test_a_changed_blink_folder_is_hashed_again(blink, tmp_path, photo):
    cache = tmp_path / "cache"
    blink_hashes(str(blink), cache_dir=cache, progress=False)
    write_folder(
        blink,
        "test",
        {
            "Relative_Depth": [
                _question("Relative_Depth", "test_RD_9", [photo(130)], answer="hidden")
            ]
        },
    )
    again = blink_hashes(str(blink), cache_dir=cache, progress=False)
    assert ("test", "test_RD_9") in {(h.split, h.idx) for h in again}
    assert len(list(cache.glob("*.json"))) == 2


def test_a_folder_without_blink_splits_is_refused(tmp_path, photo):
    write_folder(
        tmp_path / "b", "train", {"Relative_Depth": [_question("Relative_Depth", "t0", [photo(1)])]}
    )
    with pytest.raises(InputError, match="no <task>/val or <task>/test"):
        blink_hashes(str(tmp_path / "b"), cache_dir=tmp_path / "c", progress=False)


@pytest.fixture
def built(tmp_path, photo, blink):
    """A built folder: VS rows (one holds BLINK's val_VS_0 image_2) and RD rows (one holds
    BLINK's test_RD_0 image), each BLINK image re-marked and resized as a builder would."""
    from tasktransfer.data.builders.base import Build, Manifest, ManifestRow, write_build

    out = tmp_path / "built"
    planted = {
        "Visual_Similarity": (1, 2, _marked(photo(111).resize((200, 150)), 7)),
        "Relative_Depth": (2, 1, _marked(photo(120), 8, "AB")),
    }
    for task, (row, image_k, image) in planted.items():
        n_images = 3 if task == "Visual_Similarity" else 1
        examples = []
        for i in range(4):
            images = [photo(1000 + 10 * i + k) for k in range(n_images)]
            if i == row:
                images[image_k - 1] = image
            answer = "(A)" if i % 2 == 0 else "(B)"
            examples.append(_question(task, f"train_{task}_{i + 1}", images, answer=answer))
        manifest = Manifest(
            task=task,
            source="fixture",
            source_split="train",
            licence="test images",
            source_dir=str(tmp_path),
            builder_version=1,
            seed=0,
            n_requested=None,
            rows=tuple(ManifestRow(e.idx, (f"item-{i}",)) for i, e in enumerate(examples)),
            answer_counts={"A": 2, "B": 2},
            skipped={"balance": 0, "render": 0},
        )
        write_build(out, Build(examples=tuple(examples), manifest=manifest))
    return out


def test_dedup_drops_the_rows_holding_a_blink_image_and_rewrites_the_manifest(
    built, blink, tmp_path
):
    from tasktransfer.data.builders.base import read_manifest

    reports = dedup_folder(built, str(blink), cache_dir=tmp_path / "cache", progress=False)
    by_task = {r.task: r for r in reports}
    assert {t: (r.kept, r.dropped) for t, r in by_task.items()} == {
        "Relative_Depth": (3, 1),
        "Visual_Similarity": (3, 1),
    }
    (vs_match,) = by_task["Visual_Similarity"].matches
    assert (vs_match["idx"], vs_match["image"], vs_match["blink"]) == (
        "train_Visual_Similarity_2",
        2,
        "Visual_Similarity/val/val_VS_0/image_2",
    )
    (rd_match,) = by_task["Relative_Depth"].matches
    assert rd_match["blink"] == "Relative_Depth/test/test_RD_0/image_1"

    left = [e.idx for e in read_folder(built, "Relative_Depth", "train")]
    assert left == ["train_Relative_Depth_1", "train_Relative_Depth_2", "train_Relative_Depth_4"]
    manifest = read_manifest(built, "Relative_Depth")
    assert [r.idx for r in manifest.rows] == left
    assert [r.source_ids for r in manifest.rows] == [("item-0",), ("item-1",), ("item-3",)]
    # Row 3 (answer A) went: the letters are recounted.
    assert manifest.answer_counts == {"A": 1, "B": 2}
    assert manifest.dedup["dropped"] == 1 and manifest.dedup["kept"] == 3
    assert manifest.dedup["against"] == str(blink)
    assert manifest.dedup["blink_images"] == 7


def test_a_second_dedup_drops_nothing_more_and_reads_the_cache(built, blink, tmp_path, monkeypatch):
    from tasktransfer.data.builders.base import read_manifest

    dedup_folder(built, str(blink), cache_dir=tmp_path / "cache", progress=False)
    monkeypatch.setattr(dedup, "load_examples", lambda *a, **k: pytest.fail("BLINK reloaded"))
    again = dedup_folder(built, str(blink), cache_dir=tmp_path / "cache", progress=False)
    assert [(r.kept, r.dropped) for r in again] == [(3, 0), (3, 0)]
    assert read_manifest(built, "Visual_Similarity").dedup["dropped"] == 0


def test_a_folder_that_was_not_built_is_refused(blink, tmp_path):
    with pytest.raises(InputError, match="train.manifest.json"):
        dedup_folder(blink, str(blink), cache_dir=tmp_path / "cache", progress=False)


def test_cli_dedup_reports_the_rows_dropped_per_task(built, blink, tmp_path):
    result = runner.invoke(
        app,
        [
            "data",
            "dedup",
            str(built),
            "--against",
            str(blink),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["task"]: r["dropped"] for r in rows} == {"Relative_Depth": 1, "Visual_Similarity": 1}
    stats = runner.invoke(
        app, ["data", "stats", "--source", str(built), "--split", "train", "--json"]
    )
    assert stats.exit_code == 0, stats.output
    assert {r["task"]: r["n"] for r in json.loads(stats.output)} == {
        "Relative_Depth": 3,
        "Visual_Similarity": 3,
    }


def test_a_jigsaw_photo_is_rebuilt_from_its_hole_and_its_right_piece(tmp_path, photo):
    from tasktransfer.data.builders import jigsaw
    from tasktransfer.data.builders.base import build_examples

    (tmp_path / "photos").mkdir()
    for i in range(4):
        photo(i, (200, 150)).save(tmp_path / "photos" / f"{i}.png")
    build = build_examples(jigsaw.BUILDER, tmp_path / "photos")
    for example, row in zip(build.examples, build.manifest.rows, strict=True):
        original = np.asarray(photo(int(row.source_ids[0][0]), (200, 150)))
        assert np.array_equal(np.asarray(dedup.rebuilt_jigsaw_photo(example)), original)
    # Without a black square of the piece's size there is nothing to rebuild.
    plain = _question("Jigsaw", "j", [photo(1), photo(2, (30, 30)), photo(3, (30, 30))])
    assert dedup.rebuilt_jigsaw_photo(plain) is None


def test_dedup_drops_a_jigsaw_row_whose_photo_is_in_blink(tmp_path, photo, blink):
    from tasktransfer.data.builders import build

    (tmp_path / "photos").mkdir()
    for i in range(3):
        photo(2000 + i, (320, 240)).save(tmp_path / "photos" / f"{i}.png")
    photo(101).resize((320, 240)).save(tmp_path / "photos" / "blink.png")  # val_RD_1
    build("Jigsaw", tmp_path / "photos", tmp_path / "built")
    (report,) = dedup_folder(
        tmp_path / "built", str(blink), cache_dir=tmp_path / "cache", progress=False
    )
    assert (report.kept, report.dropped) == (3, 1)
    (match,) = report.matches
    assert (match["image"], match["blink"]) == (0, "Relative_Depth/val/val_RD_1/image_1")


def test_a_hub_source_is_read_for_blink_tasks_val_and_test(tmp_path, photo, monkeypatch):
    from tasktransfer.tasks import BLINK_TASKS

    asked = []

    def fake_load(source, tasks, split):
        (task,) = tasks
        asked.append((source, task, split))
        return {task: [_question(task, f"{split}_{task}_0", [photo(len(asked))])]}

    monkeypatch.setattr(dedup, "load_examples", fake_load)
    hashed = blink_hashes("BLINK-Benchmark/BLINK", cache_dir=tmp_path / "cache", progress=False)
    expected = [("BLINK-Benchmark/BLINK", t.name, s) for t in BLINK_TASKS for s in ("val", "test")]
    assert sorted(asked) == sorted(expected)  # 13 tasks, no video task of the registry
    assert len(hashed) == 26
    assert blink_hashes("BLINK-Benchmark/BLINK", cache_dir=tmp_path / "cache") == hashed
    assert len(asked) == 26  # the second call read the cache

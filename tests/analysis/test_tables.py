"""Reading results tables and PGF tables: baselines, labels, every bad-input error, round trip."""

import hashlib
import io
import warnings

import numpy as np
import pytest

from tasktransfer.analysis import (
    IncompleteTableWarning,
    UndefinedPGFWarning,
    read_inputs,
    read_table,
    reference,
)
from tasktransfer.errors import InputError
from tasktransfer.report import write_pgf_csv

HEADER = "model,run,source,target,n_correct,n_total"
# Two tasks, two runs, each run with its own baseline.
RESULTS = f"""
{HEADER}
m-3B,seed_0,zero-shot,Counting,5,10
m-3B,seed_0,zero-shot,Jigsaw,4,8
m-3B,seed_0,Counting,Counting,9,10
m-3B,seed_0,Counting,Jigsaw,2,8
m-3B,seed_0,Jigsaw,Counting,6,10
m-3B,seed_0,Jigsaw,Jigsaw,8,8
m-3B,seed_1,zero-shot,Counting,6,10
m-3B,seed_1,zero-shot,Jigsaw,4,8
m-3B,seed_1,Counting,Counting,8,10
m-3B,seed_1,Counting,Jigsaw,5,8
m-3B,seed_1,Jigsaw,Counting,6,10
m-3B,seed_1,Jigsaw,Jigsaw,7,8
"""


def test_counts_become_pgf_with_each_runs_own_baseline(write_csv):
    (m,) = read_table(write_csv(RESULTS))
    assert m.model == "m-3B" and m.runs == ("seed_0", "seed_1")
    assert m.tasks == ("Jigsaw", "Counting")  # registry order, not file order
    # Rows: source, columns: target, in (Jigsaw, Counting) order.
    seed_0 = [[(1.0 - 0.5) / 0.5, (0.6 - 0.5) / 0.5], [(0.25 - 0.5) / 0.5, (0.9 - 0.5) / 0.5]]
    seed_1 = [[(0.875 - 0.5) / 0.5, (0.6 - 0.6) / 0.4], [(0.625 - 0.5) / 0.5, (0.8 - 0.6) / 0.4]]
    np.testing.assert_allclose(m.pgf, [seed_0, seed_1], atol=1e-15)
    np.testing.assert_allclose(m.acc0, [[0.5, 0.5], [0.5, 0.6]])


def test_runs_sharing_the_models_only_baseline_fall_back_to_it(write_csv):
    text = "\n".join(line for line in RESULTS.splitlines() if "seed_1,zero-shot" not in line)
    (m,) = read_table(write_csv(text))
    np.testing.assert_allclose(m.acc0, [[0.5, 0.5], [0.5, 0.5]])
    assert m.pgf[1, 1, 1] == pytest.approx((0.8 - 0.5) / 0.5)


def test_a_per_task_ceiling_changes_the_gap(write_csv):
    (m,) = read_table(write_csv(RESULTS), ceilings={"Counting": 0.95})
    assert m.pgf[0, 1, 1] == pytest.approx((0.9 - 0.5) / (0.95 - 0.5))
    assert m.pgf[0, 0, 0] == pytest.approx(1.0)  # Jigsaw keeps the ceiling 1


def test_a_baseline_at_the_ceiling_gives_nan_and_a_warning(write_csv):
    text = RESULTS.replace("m-3B,seed_0,zero-shot,Jigsaw,4,8", "m-3B,seed_0,zero-shot,Jigsaw,8,8")
    with pytest.warns(UndefinedPGFWarning):
        (m,) = read_table(write_csv(text))
    assert np.isnan(m.pgf[0, :, 0]).all() and np.isfinite(m.pgf[1]).all()


def test_round_trip_counts_to_published_format_and_back(write_csv, tmp_path):
    (m,) = read_table(write_csv(RESULTS))
    out = write_pgf_csv(m, tmp_path / "pgf_m-3B.csv")
    assert out.read_text().splitlines()[0] == "seed,ft_task,task,perfection_gap_factor"
    (back,) = read_table(out)
    assert back.model == "m-3B" and back.runs == m.runs and back.tasks == m.tasks
    np.testing.assert_allclose(back.pgf, m.pgf, rtol=0, atol=1e-12)


def test_one_file_may_hold_several_models_and_labels_can_be_given(write_csv):
    other = "\n".join(line.replace("m-3B", "m-7B") for line in RESULTS.strip().splitlines()[1:])
    models = read_table(write_csv(RESULTS + other))
    assert [m.model for m in models] == ["m-3B", "m-7B"]
    (renamed,) = read_table(write_csv(RESULTS), model="mine")
    assert renamed.model == "mine"
    no_column = "\n".join(line.split(",", 1)[1] for line in RESULTS.strip().splitlines())
    (named,) = read_table(write_csv(no_column, name="my-model.csv"))
    assert named.model == "my-model"


def test_missing_cells_are_nan_with_a_warning(write_csv):
    text = "\n".join(line for line in RESULTS.splitlines() if "seed_1,Jigsaw,Counting" not in line)
    with pytest.warns(IncompleteTableWarning, match="1 of 8"):
        (m,) = read_table(write_csv(text))
    assert np.isnan(m.pgf[1, 0, 1]) and np.isfinite(m.pgf[0]).all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("Jigsaw,Counting,6,10", "Jigsaw,Countng,6,10"),
         r"line 6, column 'target': Unknown task 'Countng'. Did you mean: Counting\b"),
        (("m-3B,seed_0,Counting,Jigsaw,2,8", "m-3B,seed_0,Counting,Jigsaw,9,8"),
         r"line 5, column 'n_correct': 9 is not within 0..n_total=8"),
        (("m-3B,seed_0,Counting,Jigsaw,2,8", "m-3B,seed_0,Counting,Jigsaw,two,8"),
         r"line 5, column 'n_correct': expected a number, got 'two'"),
        (("m-3B,seed_1,Jigsaw,Jigsaw,7,8", "m-3B,seed_1,Jigsaw,Counting,7,8"),
         r"line 13: duplicate row for model 'm-3B', run 'seed_1', source 'Jigsaw', "
         r"target 'Counting' \(first at line 12\)"),
        ((HEADER, "model,run,source,target,n_correct,total"),
         r"line 1: missing column\(s\) n_total"),
    ],
)  # fmt: skip
def test_bad_rows_name_the_file_line_and_column(write_csv, edit, message):
    path = write_csv(RESULTS.replace(*edit))
    with pytest.raises(InputError, match=message) as err:
        read_table(path)
    assert str(path) in str(err.value)


def test_a_source_without_a_baseline_is_an_error(write_csv):
    # Both runs have baselines, but seed_1 lacks the one on Jigsaw.
    path = write_csv(RESULTS.replace("m-3B,seed_1,zero-shot,Jigsaw,4,8\n", ""))
    with pytest.raises(InputError, match=r"line 10: source 'Counting' .* run 'seed_1' has no "
                       r"zero-shot baseline on target 'Jigsaw'"):  # fmt: skip
        read_table(path)


def test_pgf_table_errors_name_the_line(write_csv):
    path = write_csv("seed,ft_task,task,perfection_gap_factor\ns,Counting,Jigsaw,abc")
    with pytest.raises(InputError, match=r"line 2, column 'perfection_gap_factor'"):
        read_table(path)
    path = write_csv("seed,ft_task,perfection_gap_factor\ns,Counting,0.1")
    with pytest.raises(InputError, match=r"missing column\(s\) task"):
        read_table(path)


def test_labels_per_input_must_match_and_be_unique(write_csv):
    path = write_csv(RESULTS)
    with pytest.raises(InputError, match="1 model label"):
        read_inputs([path, path], models=["a"])
    with pytest.raises(InputError, match="appears in both"):
        read_inputs([path, path])
    with pytest.raises(InputError, match="Unknown published table 'sachdeva2026:8B'"):
        read_inputs(["sachdeva2026:8B"])
    with pytest.raises(InputError, match=r"ceiling of Counting must be a float in \(0, 1\]"):
        read_inputs([path], ceilings={"Counting": 1.5})


def test_alias_reads_the_reference_folder(reference_dir):
    (m,) = read_inputs(["sachdeva2026:7B"], reference_dir=reference_dir)
    assert m.model == "qwen-2.5vl-7B-instruct" and m.pgf.shape == (4, 13, 13)


def test_alias_downloads_once_checks_the_hash_and_caches_atomically(
    monkeypatch, tmp_path, reference_dir
):
    name, _ = reference.PUBLISHED["3B"]
    data = (reference_dir / name).read_bytes()
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return io.BytesIO(data)

    monkeypatch.delenv("TASKTRANSFER_REFERENCE_DIR", raising=False)
    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    path = reference.resolve_alias("sachdeva2026:3b", cache_dir=tmp_path)
    assert calls == [reference.BASE_URL + name]
    assert path.read_bytes() == data and list(tmp_path.iterdir()) == [path]
    assert reference.resolve_alias("sachdeva2026:3B", cache_dir=tmp_path) == path
    assert len(calls) == 1  # cached

    data = data[:-10]  # a truncated download is refused and not cached
    with pytest.raises(InputError, match="SHA-256"):
        reference.resolve_alias("sachdeva2026:3B", cache_dir=tmp_path / "other")
    assert not (tmp_path / "other").exists() or not any((tmp_path / "other").iterdir())
    assert hashlib.sha256(data).hexdigest() != reference.PUBLISHED["3B"][1]


def test_reading_clean_tables_raises_no_warning(write_csv):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_table(write_csv(RESULTS))

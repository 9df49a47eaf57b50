"""Ground-truth recovery: the skill overlap and its correlation with a PGF, by hand."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from tasktransfer.analysis.lora import mantel_test
from tasktransfer.analysis.recovery import recovery, skill_overlap, synthetic_skills

# A {a, b}, B {a, b, c}, C {c, d}: A·B 2/3, A·C 0 (nothing shared), B·C 1/4 ({c} of 4).
SKILLS = {"A": ["a", "b"], "B": ["a", "b", "c"], "C": ["c", "d"]}
OVERLAP = [[1, 2 / 3, 0], [2 / 3, 1, 1 / 4], [0, 1 / 4, 1]]


def test_the_jaccard_overlap_by_hand():
    np.testing.assert_allclose(skill_overlap(SKILLS, ["A", "B", "C"]), OVERLAP)
    # The order of the tasks is the matrix's; a task without skills overlaps nothing.
    np.testing.assert_allclose(
        skill_overlap({**SKILLS, "D": []}, ["C", "A", "D"]),
        [[1, 0, 0], [0, 1, 0], [0, 0, 0]],
    )


def test_a_pgf_equal_to_the_overlap_is_recovered_with_the_smallest_p():
    """Three tasks: the 3! = 6 relabellings permute the three pairs' overlaps in all six
    ways; only the identity orders them as the PGF does (Spearman 1), so the one-sided
    p is 1/6, the smallest six relabellings allow."""
    found = recovery(np.array(OVERLAP), skill_overlap(SKILLS, ["A", "B", "C"]))
    assert found == {
        "spearman": 1.0,
        "p": pytest.approx(1 / 6),
        "n_pairs": 6,
        "n_permutations": 6,
        "exact": True,
    }


def test_every_ordered_pair_counts_and_undefined_ones_leave():
    # A directed PGF: each ordered pair its own value; the diagonal is never compared.
    pgf = np.array([[9.0, 0.5, -0.2], [0.1, 9.0, 0.3], [0.0, np.nan, 9.0]])
    found = recovery(pgf, np.array(OVERLAP))
    pairs = [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0)]
    x = [OVERLAP[i][j] for i, j in pairs]
    y = [pgf[i, j] for i, j in pairs]
    assert found["n_pairs"] == 5
    assert found["spearman"] == pytest.approx(spearmanr(x, y).statistic)


def test_a_constant_overlap_has_no_correlation():
    found = recovery(np.array(OVERLAP), np.eye(3))
    assert found["spearman"] is None and found["p"] is None


def test_off_diagonal_pairs_of_a_symmetric_matrix_agree_with_the_upper_triangle():
    rng = np.random.default_rng(3)
    x, y = rng.random((5, 5)), rng.random((5, 5))
    x, y = x + x.T, y + y.T
    for method in ("spearman", "pearson"):
        upper = mantel_test(x, y, method=method)
        both = mantel_test(x, y, method=method, pairs="off-diagonal")
        assert both["n_pairs"] == 2 * upper["n_pairs"] == 20
        assert both["r"] == pytest.approx(upper["r"]) and both["p"] == pytest.approx(upper["p"])
    with pytest.raises(ValueError, match="pairs must be"):
        mantel_test(x, y, pairs="lower")


def test_the_synthetic_suite_declares_a_skill_per_task():
    from tasktransfer.data.synthetic import TASKS, VIDEO_TASKS

    skills = synthetic_skills()
    assert set(skills) == set(TASKS) | set(VIDEO_TASKS) and all(skills.values())

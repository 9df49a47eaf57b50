"""Which transfer cells exceed run-to-run noise.

Each run of a study is the same experiment with another seed, so the spread of one cell's
PGF across runs is the noise its mean carries. With a few runs a single cell's spread is a
poor estimate (two runs give one degree of freedom), so the spread is pooled over every
measured transfer cell: the cells of one study share their model, data sizes and finetune
recipe, and pooling assumes they share the noise too. A cell's mean then gets a two-sided
t-test against 0 with the pooled variance, and the family of cells a Benjamini-Hochberg
correction: a cell *exceeds run-to-run noise* when its q-value is below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasktransfer.analysis.personas import fdr


@dataclass(frozen=True)
class RunNoise:
    """The pooled run-to-run noise of a set of cells and each cell's test against it.

    Attributes
    ----------
    sd : float
        Pooled standard deviation of one run's PGF around its cell's mean.
    df : int
        Degrees of freedom of ``sd``: the number of cells times (runs - 1).
    n_cells : int
        Cells tested (measured in every run).
    mean, p, q : ndarray of shape (n_sources, n_targets)
        Each cell's mean over runs, two-sided p-value and Benjamini-Hochberg q-value; NaN
        where the cell is not tested.
    """

    sd: float
    df: int
    n_cells: int
    mean: np.ndarray
    p: np.ndarray
    q: np.ndarray

    def exceeding(self, alpha: float) -> list[tuple[int, int]]:
        """The cells ``(i, j)`` with ``q < alpha``, largest ``|mean|`` first."""
        cells = [(int(i), int(j)) for i, j in np.argwhere(np.nan_to_num(self.q, nan=1) < alpha)]
        return sorted(cells, key=lambda c: -abs(self.mean[c]))


def run_noise(pgf_runs, cells) -> RunNoise | None:
    """Test each cell's mean PGF against the run-to-run noise pooled over ``cells``.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_sources, n_targets)
        PGF per run (NaN: not measured).
    cells : array-like of bool, shape (n_sources, n_targets)
        The cells to pool and test, e.g. the transfer (off-diagonal) cells.

    Returns
    -------
    RunNoise or None
        None with fewer than two runs, no cell measured in every run, or no spread at all.

    Examples
    --------
    Two runs, two cells: spreads of ±0.1 around means 0.5 and 0.0 pool to sd 0.1414 on 2
    degrees of freedom; the first cell's t is 0.5 / (0.1414 / sqrt 2) = 5.0.

    >>> runs = [[[0.0, 0.6], [-0.1, 0.0]], [[0.0, 0.4], [0.1, 0.0]]]
    >>> noise = run_noise(runs, ~np.eye(2, dtype=bool))
    >>> round(noise.sd, 4), noise.df, noise.n_cells
    (0.1414, 2, 2)
    >>> round(float(noise.p[0, 1]), 4), noise.exceeding(0.1)
    (0.0377, [(0, 1)])
    """
    from scipy import stats

    runs = np.asarray(pgf_runs, dtype=float)
    n_runs = runs.shape[0]
    tested = np.asarray(cells, dtype=bool) & np.isfinite(runs).all(axis=0)
    n_cells = int(tested.sum())
    if n_runs < 2 or n_cells == 0:
        return None
    variance = runs[:, tested].var(axis=0, ddof=1).mean()
    if variance == 0:
        return None
    df = n_cells * (n_runs - 1)
    mean = np.where(tested, runs.mean(axis=0), np.nan)
    t = mean / np.sqrt(variance / n_runs)
    p = np.where(tested, 2 * stats.t.sf(np.abs(t), df), np.nan)
    q = fdr(p.ravel()).reshape(p.shape)
    return RunNoise(sd=float(np.sqrt(variance)), df=df, n_cells=n_cells, mean=mean, p=p, q=q)

"""Numbers and names in prose: what ``summary.md`` and the page's tables share."""

from __future__ import annotations

SYMBOL = {"delta_pos": "Δ+", "delta_neg": "Δ−", "theta_pos": "Θ+", "theta_neg": "Θ−"}
TOP = 3  # tasks (or cliques) named per finding; the CSVs and the page list them all


def fmt(x, digits=3) -> str:
    """A number for prose: ``n/a`` for None (NaN), otherwise ``digits`` decimals.

    Examples
    --------
    >>> fmt(0.12345), fmt(None), fmt(2, digits=1)
    ('0.123', 'n/a', '2.0')
    """
    return "n/a" if x is None else f"{x:.{digits}f}"


def plural(n: int, word: str) -> str:
    """``1 run``, ``4 runs``.

    Examples
    --------
    >>> plural(1, "run"), plural(4, "run")
    ('1 run', '4 runs')
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_p(p) -> str:
    """A p-value: scientific below 0.001.

    Examples
    --------
    >>> fmt_p(0.0123), fmt_p(0.00001), fmt_p(None)
    ('0.012', '1.0e-05', 'n/a')
    """
    if p is None:
        return "n/a"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def matrix_shape(sources, targets) -> str:
    """``3 tasks`` when the sources are the targets, else ``2 sources x 4 targets``.

    Examples
    --------
    >>> matrix_shape(["A", "B"], ["A", "B"]), matrix_shape(["A"], ["A", "V"])
    ('2 tasks', '1 source x 2 targets')
    """
    if list(sources) == list(targets):
        return plural(len(targets), "task")
    return f"{plural(len(sources), 'source')} x {plural(len(targets), 'target')}"

"""Pure analysis of transfer results: PGF, transferability, personas, cliques, scale.

Arrays in, arrays out (numpy, scipy, networkx); the only I/O is reading tables. Never
imports torch. :func:`analyze` runs the analysis units (:mod:`tasktransfer.units`), each
built on these functions. The usual entry points::

    from tasktransfer.analysis import read_inputs, analyze
    result = analyze(read_inputs(["sachdeva2026:32B"]))
"""

from tasktransfer.analysis.analyze import analyze
from tasktransfer.analysis.categories import block_means, category_means, parse_size, scale_trend
from tasktransfer.analysis.graphs import cliques, transfer_graph
from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    UndefinedPGFWarning,
    breadth,
    breadth_weighted_sums,
    finite_mean,
    mean_std,
    pgf,
    transferability,
)
from tasktransfer.analysis.personas import (
    PERSONAS,
    personas,
    pooled_personas,
    signed_rank_test,
)
from tasktransfer.analysis.reference import resolve_alias
from tasktransfer.analysis.tables import (
    ZERO_SHOT,
    IncompleteTableWarning,
    ModelRuns,
    infer_label,
    read_inputs,
    read_table,
)

__all__ = [
    "PERSONAS",
    "TRANSFERABILITY_METRICS",
    "ZERO_SHOT",
    "IncompleteTableWarning",
    "ModelRuns",
    "UndefinedPGFWarning",
    "analyze",
    "block_means",
    "breadth",
    "breadth_weighted_sums",
    "category_means",
    "cliques",
    "finite_mean",
    "infer_label",
    "mean_std",
    "parse_size",
    "personas",
    "pgf",
    "pooled_personas",
    "read_inputs",
    "read_table",
    "resolve_alias",
    "scale_trend",
    "signed_rank_test",
    "transfer_graph",
    "transferability",
]

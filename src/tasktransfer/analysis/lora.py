"""LoRA-weight similarity: how alike the weight updates of finetuning on two tasks are.

A LoRA adapter changes each adapted linear layer by ``ΔW = s · B @ A`` (``B`` of shape
(out, r), ``A`` of shape (r, in), ``s = lora_alpha / r``, or ``lora_alpha / sqrt(r)`` under
rsLoRA). Two adapters are compared by the cosine of their updates, flattened and
concatenated over the modules of a layer (per layer) or of the whole model (overall),
as in the appendix of Sachdeva et al. (2026).

``ΔW`` is never formed: for a 3B model it is billions of numbers per adapter. The
Frobenius inner product of two updates only needs the rank-sized Gram matrices of the
factors, ``<B1 A1, B2 A2> = sum((B1ᵀ B2) * (A1 A2ᵀ))``, so :func:`lora_gram` reads one
module of every adapter at a time and accumulates the inner products of all pairs.

Adapters are read from PEFT folders (``adapter_model.safetensors`` and
``adapter_config.json``) with ``safetensors`` only: no torch, no pickle.

Within a run, every source's adapter starts from the same random ``A`` (the run's seed
draws the LoRA initialisation), so part of their similarity is that shared start;
:func:`run_means` also returns the similarity across runs, whose diagonal (one task, two
seeds) says how much of an update the task itself determines.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from tasktransfer.analysis.metrics import mean_std

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
_FACTOR = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<factor>[AB])\.weight$")
_LAYER = re.compile(r"^(.*?\.\d+)(?:\.|$)")


def is_lora_adapter(folder: str | Path) -> bool:
    """Whether ``folder`` holds a PEFT LoRA adapter (a full finetune holds a whole model)."""
    folder = Path(folder)
    return (folder / ADAPTER_CONFIG).is_file() and (folder / ADAPTER_WEIGHTS).is_file()


def lora_scale(config: Mapping) -> float:
    """The factor ``s`` of ``ΔW = s · B @ A`` from a PEFT ``adapter_config.json``.

    Parameters
    ----------
    config : mapping
        The adapter's configuration: ``r``, ``lora_alpha``, optionally ``use_rslora``.

    Returns
    -------
    float
        ``lora_alpha / r``, or ``lora_alpha / sqrt(r)`` with ``use_rslora``.

    Raises
    ------
    ValueError
        For adapters whose update is not ``s · B @ A`` with one ``s``: DoRA (a learned
        magnitude rescales each column) and per-module ``alpha_pattern``/``rank_pattern``.

    Examples
    --------
    >>> lora_scale({"r": 16, "lora_alpha": 32.0})
    2.0
    >>> lora_scale({"r": 16, "lora_alpha": 32.0, "use_rslora": True})
    8.0
    """
    if config.get("use_dora"):
        raise ValueError("DoRA adapters are not supported: their update is not s · B @ A")
    if config.get("alpha_pattern") or config.get("rank_pattern"):
        raise ValueError(
            "adapters with a per-module alpha_pattern or rank_pattern are not supported"
        )
    r = config["r"]
    return config["lora_alpha"] / (math.sqrt(r) if config.get("use_rslora") else r)


def layer_of(module: str) -> str:
    """The layer a module belongs to: its name up to the first numeric part.

    A module outside any numbered block (a projector) is a layer of its own.

    Examples
    --------
    >>> layer_of("model.language_model.layers.11.self_attn.q_proj")
    'model.language_model.layers.11'
    >>> layer_of("model.multi_modal_projector.linear_1")
    'model.multi_modal_projector.linear_1'
    """
    found = _LAYER.match(module)
    return found.group(1) if found else module


def update_gram(factors: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Frobenius inner products between the updates ``B @ A`` of one module, never formed.

    Parameters
    ----------
    factors : sequence of (ndarray of shape (out, r_k), ndarray of shape (r_k, in))
        ``(B, A)`` of each adapter, its scale already in ``B``; ranks may differ.

    Returns
    -------
    ndarray of shape (n_adapters, n_adapters)
        ``[k, l] = <B_k @ A_k, B_l @ A_l>``, the sum of the elementwise products.

    Examples
    --------
    >>> b1, a1 = np.array([[1.0], [0.0]]), np.array([[1.0, 2.0]])
    >>> b2, a2 = np.array([[1.0], [1.0]]), np.array([[0.0, 1.0]])
    >>> update_gram([(b1, a1), (b2, a2)])  # b1 @ a1 = [[1, 2], [0, 0]]; b2 @ a2 = [[0, 1], [0, 1]]
    array([[5., 2.],
           [2., 2.]])
    """
    ranks = [a.shape[0] for _, a in factors]
    b = np.concatenate([np.asarray(b, dtype=float) for b, _ in factors], axis=1)
    a = np.concatenate([np.asarray(a, dtype=float) for _, a in factors], axis=0)
    # Blocks (k, l) of B'B and AA' are B_k'B_l and A_k A_l'; their elementwise product summed
    # over a block is trace(B_k'B_l A_l A_k') = <B_k A_k, B_l A_l>.
    products = (b.T @ b) * (a @ a.T)
    owner = np.repeat(np.arange(len(factors)), ranks)
    pick = np.zeros((len(factors), len(owner)))
    pick[owner, np.arange(len(owner))] = 1.0
    return pick @ products @ pick.T


def lora_gram(folders: Sequence[str | Path]) -> tuple[list[str], np.ndarray]:
    """Inner products between the weight updates of LoRA adapters, per layer.

    Reads one module of every adapter at a time, so memory holds one module's factors,
    never a whole ``ΔW``. A module that an adapter does not adapt is a zero update there.

    Parameters
    ----------
    folders : sequence of str or Path
        PEFT LoRA adapter folders of one base model.

    Returns
    -------
    layers : list of str
        The layers (:func:`layer_of`) of every adapted module, by name (numbers compared
        as numbers: ``layers.9`` before ``layers.10``).
    gram : ndarray of shape (n_layers, n_adapters, n_adapters)
        ``[g, k, l]``: sum over the modules of layer ``g`` of ``<ΔW_k, ΔW_l>``. The whole
        model's inner products are ``gram.sum(axis=0)``.

    Raises
    ------
    ValueError
        When a folder is no LoRA adapter, its weights are no safetensors file, a factor
        lacks its pair, or two adapters give one module different shapes (different base
        models).
    """
    from safetensors import SafetensorError, safe_open

    with contextlib.ExitStack() as stack:
        files, scales, modules = [], [], []
        for folder in map(Path, folders):
            if not is_lora_adapter(folder):
                raise ValueError(
                    f"{folder} is no LoRA adapter ({ADAPTER_CONFIG} + {ADAPTER_WEIGHTS})"
                )
            scales.append(lora_scale(json.loads((folder / ADAPTER_CONFIG).read_text())))
            try:
                opened = stack.enter_context(safe_open(folder / ADAPTER_WEIGHTS, framework="numpy"))
            except SafetensorError as err:
                raise ValueError(f"{folder / ADAPTER_WEIGHTS}: {err}") from None
            files.append(opened)
            modules.append(_factor_keys(folder, opened.keys()))
        names = sorted(set().union(*modules), key=_natural)
        layers = list(dict.fromkeys(layer_of(m) for m in names))
        gram = np.zeros((len(layers), len(files), len(files)))
        for name in names:
            having = [k for k, found in enumerate(modules) if name in found]
            factors = []
            for k in having:
                key_b, key_a = modules[k][name]
                factors.append((scales[k] * files[k].get_tensor(key_b), files[k].get_tensor(key_a)))
            shapes = {(b.shape[0], a.shape[1]) for b, a in factors}
            if len(shapes) > 1:
                raise ValueError(f"module {name} has different shapes across adapters: {shapes}")
            gram[layers.index(layer_of(name))][np.ix_(having, having)] += update_gram(factors)
    return layers, gram


def _factor_keys(folder: Path, keys) -> dict[str, tuple[str, str]]:
    """Module name -> (key of B, key of A) in one adapter's weights."""
    found: dict[str, dict[str, str]] = {}
    for key in keys:
        match = _FACTOR.match(key)
        if match:
            found.setdefault(match["module"], {})[match["factor"]] = key
    unpaired = sorted(m for m, f in found.items() if len(f) != 2)
    if unpaired:
        raise ValueError(f"{folder}: lora_A without lora_B (or the reverse) for {unpaired[:3]}")
    if not found:
        raise ValueError(f"{folder}/{ADAPTER_WEIGHTS} holds no lora_A/lora_B weights")
    return {m: (f["B"], f["A"]) for m, f in found.items()}


def _natural(name: str) -> list:
    # layers.10 after layers.9: digits compare as numbers.
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name)]


def cosine(gram) -> np.ndarray:
    """Cosine similarities from inner products: ``gram[k, l] / sqrt(gram[k, k] gram[l, l])``.

    Parameters
    ----------
    gram : array-like of shape (..., n, n)

    Returns
    -------
    ndarray of shape (..., n, n)
        NaN for an adapter whose update is zero (no direction to compare).

    Examples
    --------
    >>> cosine([[4.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    array([[1. , 0.5, nan],
           [0.5, 1. , nan],
           [nan, nan, nan]])
    """
    gram = np.asarray(gram, dtype=float)
    norms = np.sqrt(np.diagonal(gram, axis1=-2, axis2=-1))
    outer = norms[..., :, None] * norms[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(outer > 0, gram / outer, np.nan)


def run_means(similarity, runs: Sequence[int], tasks: Sequence[int], *, n_tasks: int):
    """Task x task means of a similarity between adapters, within runs and across them.

    Parameters
    ----------
    similarity : array-like of shape (n_adapters, n_adapters)
        E.g. :func:`cosine` of :func:`lora_gram`.
    runs, tasks : sequence of int, length n_adapters
        The run and the task (index into ``0..n_tasks - 1``) of each adapter.
    n_tasks : int

    Returns
    -------
    within : ndarray of shape (n_tasks, n_tasks)
        ``[i, j]``: the mean over runs of the similarity between the adapters of tasks ``i``
        and ``j`` of the same run (the diagonal is each adapter with itself).
    across : ndarray of shape (n_tasks, n_tasks)
        The mean over pairs of different runs; its diagonal compares one task's adapters
        of different seeds. NaN with a single run.

    NaN where no pair exists; NaN similarities are left out of the means.

    Examples
    --------
    >>> s = np.array([[1.0, 0.5, 0.25, 0.0], [0.5, 1.0, 0.25, 0.125],
    ...               [0.25, 0.25, 1.0, 0.5], [0.0, 0.125, 0.5, 1.0]])
    >>> within, across = run_means(s, [0, 0, 1, 1], [0, 1, 0, 1], n_tasks=2)
    >>> within
    array([[1. , 0.5],
           [0.5, 1. ]])
    >>> across  # [0, 1]: the mean of s[0, 3] and s[2, 1]
    array([[0.25 , 0.125],
           [0.125, 0.125]])
    """
    similarity = np.asarray(similarity, dtype=float)
    runs, tasks = np.asarray(runs), np.asarray(tasks)
    same_run = runs[:, None] == runs[None, :]
    out = []
    for keep in (same_run, ~same_run):
        cells = [[[] for _ in range(n_tasks)] for _ in range(n_tasks)]
        for k, m in zip(*np.nonzero(keep), strict=True):
            cells[tasks[k]][tasks[m]].append(similarity[k, m])
        out.append(
            np.array([[mean_std(c)[0] if c else np.nan for c in row] for row in cells], dtype=float)
        )
    return out[0], out[1]


def mantel_test(
    x,
    y,
    *,
    method: str = "spearman",
    n_permutations: int = 10_000,
    alternative: str = "two-sided",
    seed: int = 0,
    pairs: str = "upper",
) -> dict:
    """Correlation of two task x task matrices, with a permutation p-value.

    The correlation is taken over the pairs of tasks above the diagonal (``pairs="upper"``,
    two symmetric matrices) or over every ordered pair ``i != j`` (``pairs="off-diagonal"``,
    for a directed ``y`` such as the mean PGF, source -> target). Its null
    distribution permutes the task labels of ``x`` (rows and columns together), which
    keeps the dependence between pairs that share a task (a Mantel test). All ``n!``
    permutations are enumerated when that is at most ``n_permutations``; otherwise
    ``n_permutations`` are drawn with ``seed``, and the observed labelling counts as one of
    them (the p-value is never 0).

    Parameters
    ----------
    x : array-like of shape (n_tasks, n_tasks)
        Finite at the pairs compared (the permuted matrix).
    y : array-like of shape (n_tasks, n_tasks)
        A pair that is NaN here is left out (before and after permuting ``x``).
    method : {"spearman", "pearson"}, default="spearman"
    n_permutations : int, default=10000
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
    seed : int, default=0
    pairs : {"upper", "off-diagonal"}, default="upper"
        The pairs compared: above the diagonal, or every ordered pair off it.

    Returns
    -------
    dict
        ``r`` (NaN with fewer than 3 pairs or a constant matrix), ``p`` (None then), ``n_pairs``,
        ``permutations`` (the number compared), ``exact`` (whether all were enumerated),
        ``method`` and ``alternative``.

    Examples
    --------
    On three tasks the six relabellings are six orders of the three pairs; only the
    identity (and no other) reaches r = 1:

    >>> x = np.array([[1.0, 0.9, 0.5], [0.9, 1.0, 0.1], [0.5, 0.1, 1.0]])
    >>> y = np.array([[0.0, 0.3, 0.2], [0.3, 0.0, 0.1], [0.2, 0.1, 0.0]])
    >>> found = mantel_test(x, y, alternative="greater")
    >>> round(found["r"], 12), found["p"], found["permutations"], found["exact"]
    (1.0, 0.16666666666666666, 6, True)
    """
    if method not in ("spearman", "pearson"):
        raise ValueError(f"method must be 'spearman' or 'pearson'; got {method!r}")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(
            f"alternative must be 'two-sided', 'greater' or 'less'; got {alternative!r}"
        )
    if pairs not in ("upper", "off-diagonal"):
        raise ValueError(f"pairs must be 'upper' or 'off-diagonal'; got {pairs!r}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if pairs == "upper":
        rows, cols = np.triu_indices(n, k=1)
    else:
        rows, cols = np.nonzero(~np.eye(n, dtype=bool))
    if not np.isfinite(x[rows, cols]).all():
        raise ValueError(f"x must be finite at the pairs compared ({pairs})")
    keep = np.isfinite(y[rows, cols])
    rows, cols, target = rows[keep], cols[keep], y[rows, cols][keep]
    exact = math.factorial(n) <= n_permutations
    result = {"n_pairs": int(keep.sum()), "method": method, "alternative": alternative}
    if len(target) < 3:
        return {**result, "r": math.nan, "p": None, "permutations": 0, "exact": exact}
    if exact:
        orders = np.array(list(itertools.permutations(range(n))))
    else:
        rng = np.random.default_rng(seed)
        drawn = np.array([rng.permutation(n) for _ in range(n_permutations)])
        orders = np.concatenate([np.arange(n)[None, :], drawn])
    # Row 0 of ``orders`` is the identity in both cases: the observed correlation.
    r = _correlations(x[orders[:, rows], orders[:, cols]], target, method)
    observed, tolerance = r[0], 1e-12  # equal correlations must count as reached
    if not np.isfinite(observed):  # a constant matrix has no correlation to test
        return {**result, "r": math.nan, "p": None, "permutations": len(orders), "exact": exact}
    if alternative == "greater":
        reached = r >= observed - tolerance
    elif alternative == "less":
        reached = r <= observed + tolerance
    else:
        reached = np.abs(r) >= abs(observed) - tolerance
    return {
        **result,
        "r": float(observed),
        "p": float(reached.mean()),
        "permutations": len(orders),
        "exact": exact,
    }


def _correlations(samples, target, method):
    """The correlation of each row of ``samples`` with ``target``."""
    if method == "spearman":
        samples, target = rankdata(samples, axis=1), rankdata(target)
    samples = samples - samples.mean(axis=1, keepdims=True)
    target = target - target.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return (samples @ target) / (np.linalg.norm(samples, axis=1) * np.linalg.norm(target))

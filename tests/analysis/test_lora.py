"""LoRA-weight similarity: inner products from the factors, cosines, run means, Mantel test.

Adapters are PEFT folders written here from small arrays, so each expected cosine is the
plain cosine of ``scale * B @ A`` formed in full, flattened and concatenated by hand.
"""

import itertools
import json

import numpy as np
import pytest
from safetensors.numpy import save_file
from scipy.stats import pearsonr, spearmanr

from tasktransfer.analysis.lora import (
    cosine,
    layer_of,
    lora_gram,
    lora_scale,
    mantel_test,
    run_means,
    update_gram,
)

PREFIX = "base_model.model."


def write_adapter(folder, factors, *, r, alpha, **config):
    """A PEFT LoRA folder: ``factors`` maps module name -> (B, A)."""
    folder.mkdir(parents=True)
    weights = {}
    for module, (b, a) in factors.items():
        weights[f"{PREFIX}{module}.lora_B.weight"] = np.asarray(b, dtype=np.float32)
        weights[f"{PREFIX}{module}.lora_A.weight"] = np.asarray(a, dtype=np.float32)
    save_file(weights, str(folder / "adapter_model.safetensors"))
    settings = {"peft_type": "LORA", "r": r, "lora_alpha": alpha, **config}
    (folder / "adapter_config.json").write_text(json.dumps(settings))
    return folder


def test_two_rank_one_adapters_by_hand(tmp_path):
    # One module, rank 1, alpha = r (scale 1):
    # ΔW1 = [1, 0]ᵀ [1, 2] = [[1, 2], [0, 0]];  ΔW2 = [1, 1]ᵀ [0, 1] = [[0, 1], [0, 1]].
    # <ΔW1, ΔW2> = 2, |ΔW1|² = 5, |ΔW2|² = 2: cosine 2 / sqrt(10).
    one = write_adapter(tmp_path / "one", {"m.layers.0.q": ([[1], [0]], [[1, 2]])}, r=1, alpha=1)
    two = write_adapter(tmp_path / "two", {"m.layers.0.q": ([[1], [1]], [[0, 1]])}, r=1, alpha=1)
    layers, gram = lora_gram([one, two])
    assert layers == ["m.layers.0"]
    np.testing.assert_allclose(gram[0], [[5, 2], [2, 2]])
    assert cosine(gram.sum(axis=0))[0, 1] == pytest.approx(2 / np.sqrt(10))


def test_the_scale_weighs_modules_in_the_overall_cosine(tmp_path):
    # Module q: ΔW equal in both adapters up to scale; module v: orthogonal updates.
    # Scale 2 (alpha 4, r 1) for the first, 1 for the second:
    # ΔW1 = 2·(q: [[1]], v: [[1, 0]]), ΔW2 = 1·(q: [[1]], v: [[0, 1]]), flattened
    # (2, 2, 0) and (1, 0, 1): cosine 2 / (sqrt(8) sqrt(2)) = 0.5.
    first = {"m.layers.0.q": ([[1]], [[1]]), "m.layers.1.v": ([[1]], [[1, 0]])}
    second = {"m.layers.0.q": ([[1]], [[1]]), "m.layers.1.v": ([[1]], [[0, 1]])}
    a = write_adapter(tmp_path / "a", first, r=1, alpha=4)
    b = write_adapter(tmp_path / "b", second, r=1, alpha=1)
    layers, gram = lora_gram([a, b])
    assert layers == ["m.layers.0", "m.layers.1"]
    assert cosine(gram.sum(axis=0))[0, 1] == pytest.approx(0.5)
    per_layer = cosine(gram)
    assert per_layer[0, 0, 1] == pytest.approx(1.0) and per_layer[1, 0, 1] == pytest.approx(0.0)


def test_random_adapters_match_the_formed_updates(tmp_path):
    """Ranks differ, one module is missing from one adapter: a zero update there."""
    rng = np.random.default_rng(0)
    shapes = {
        "model.language_model.layers.2.self_attn.q_proj": (6, 5),
        "model.language_model.layers.10.mlp.down_proj": (4, 7),
        "model.multi_modal_projector.linear_1": (3, 3),
    }
    specs = [(4, 8.0, {}), (2, 2.0, {"use_rslora": True}), (3, 6.0, {})]
    folders, updates = [], []
    for k, (r, alpha, extra) in enumerate(specs):
        modules = list(shapes) if k != 1 else list(shapes)[:2]
        factors = {
            m: (rng.normal(size=(shapes[m][0], r)), rng.normal(size=(r, shapes[m][1])))
            for m in modules
        }
        folders.append(write_adapter(tmp_path / f"a{k}", factors, r=r, alpha=alpha, **extra))
        scale = alpha / (np.sqrt(r) if extra else r)
        updates.append(
            {
                m: scale * _f32(factors[m][0]) @ _f32(factors[m][1])
                if m in factors
                else np.zeros(shapes[m])
                for m in shapes
            }
        )
    layers, gram = lora_gram(folders)
    # Model order: layer 2 before layer 10, then the projector.
    assert layers == [
        "model.language_model.layers.2",
        "model.language_model.layers.10",
        "model.multi_modal_projector.linear_1",
    ]
    flat = np.array([np.concatenate([u[m].ravel() for m in shapes]) for u in updates])
    norms = np.linalg.norm(flat, axis=1)
    expected = flat @ flat.T / np.outer(norms, norms)
    np.testing.assert_allclose(cosine(gram.sum(axis=0)), expected, rtol=1e-5)
    # Per layer: the projector's cosine with the adapter that lacks it is undefined.
    projector = cosine(gram[2])
    assert np.isnan(projector[1]).all()
    p0, p2 = updates[0][list(shapes)[2]].ravel(), updates[2][list(shapes)[2]].ravel()
    assert projector[0, 2] == pytest.approx(p0 @ p2 / np.linalg.norm(p0) / np.linalg.norm(p2))


def test_update_gram_equals_the_formed_products():
    rng = np.random.default_rng(1)
    factors = [(rng.normal(size=(5, r)), rng.normal(size=(r, 4))) for r in (1, 3, 2)]
    formed = [b @ a for b, a in factors]
    expected = [[np.sum(x * y) for y in formed] for x in formed]
    np.testing.assert_allclose(update_gram(factors), expected)


def test_adapters_that_are_not_plain_lora_are_refused(tmp_path):
    assert lora_scale({"r": 4, "lora_alpha": 8}) == 2.0
    with pytest.raises(ValueError, match="DoRA"):
        lora_scale({"r": 4, "lora_alpha": 8, "use_dora": True})
    with pytest.raises(ValueError, match="rank_pattern"):
        lora_scale({"r": 4, "lora_alpha": 8, "rank_pattern": {"q_proj": 2}})
    full = tmp_path / "full"
    full.mkdir()
    (full / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="no LoRA adapter"):
        lora_gram([full])
    one = write_adapter(tmp_path / "one", {"m.layers.0.q": ([[1]], [[1, 2]])}, r=1, alpha=1)
    other = write_adapter(tmp_path / "two", {"m.layers.0.q": ([[1]], [[1, 2, 3]])}, r=1, alpha=1)
    with pytest.raises(ValueError, match="different shapes"):
        lora_gram([one, other])


def test_layer_of_groups_by_the_first_numbered_block():
    assert layer_of("model.visual.blocks.3.attn.qkv") == "model.visual.blocks.3"
    assert layer_of("lm_head") == "lm_head"


def test_run_means_leave_out_undefined_cosines():
    # Two runs of tasks 0 and 1; run 1's adapter of task 1 is a zero update (NaN cosines).
    s = np.array(
        [
            [1.0, 0.2, 0.6, np.nan],
            [0.2, 1.0, 0.3, np.nan],
            [0.6, 0.3, 1.0, np.nan],
            [np.nan, np.nan, np.nan, np.nan],
        ]
    )
    within, across = run_means(s, [0, 0, 1, 1], [0, 1, 0, 1], n_tasks=2)
    np.testing.assert_allclose(within, [[1.0, 0.2], [0.2, 1.0]])
    np.testing.assert_allclose(across, [[0.6, 0.3], [0.3, np.nan]])
    _, single = run_means(s[:2, :2], [0, 0], [0, 1], n_tasks=2)
    assert np.isnan(single).all()


def _brute_force(x, y, method):
    """Every relabelling of x, by scipy: the exact two-sided p-value."""
    n = len(x)
    rows, cols = np.triu_indices(n, k=1)
    correlate = spearmanr if method == "spearman" else pearsonr
    observed = correlate(x[rows, cols], y[rows, cols])[0]
    reached = [
        abs(correlate(x[np.ix_(order, order)][rows, cols], y[rows, cols])[0])
        >= abs(observed) - 1e-12
        for order in map(list, itertools.permutations(range(n)))
    ]
    return observed, np.mean(reached)


def _symmetric(rng, n):
    m = rng.normal(size=(n, n))
    return (m + m.T) / 2


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_mantel_enumerates_small_studies_exactly(method):
    rng = np.random.default_rng(2)
    x, y = _symmetric(rng, 5), _symmetric(rng, 5)
    y = y + 0.8 * x  # some association
    found = mantel_test(x, y, method=method)
    r, p = _brute_force(x, y, method)
    assert found["exact"] and found["permutations"] == 120 and found["n_pairs"] == 10
    assert found["r"] == pytest.approx(r) and found["p"] == pytest.approx(p)


def test_mantel_on_three_tasks_by_hand():
    # Pairs (0,1), (0,2), (1,2): x = (3, 2, 1), y = (1, 3, 2). The six relabellings give
    # the six orders of x's pairs; Spearman with y per order:
    # (3,2,1) -0.5, (3,1,2) -1, (2,3,1) 0.5, (2,1,3) -0.5, (1,3,2) 1, (1,2,3) 0.5.
    x = np.array([[0, 3, 2], [3, 0, 1], [2, 1, 0]], dtype=float)
    y = np.array([[0, 1, 3], [1, 0, 2], [3, 2, 0]], dtype=float)
    two_sided = mantel_test(x, y)
    assert two_sided["r"] == pytest.approx(-0.5)
    assert two_sided["p"] == pytest.approx(6 / 6)  # every |r| >= 0.5
    assert mantel_test(x, y, alternative="less")["p"] == pytest.approx(3 / 6)
    assert mantel_test(x, y, alternative="greater")["p"] == pytest.approx(5 / 6)


def test_mantel_samples_with_a_seed_when_enumeration_is_too_long():
    rng = np.random.default_rng(3)
    x = _symmetric(rng, 9)
    y = x + _symmetric(rng, 9)
    found = mantel_test(x, y, n_permutations=2000, seed=7)
    assert not found["exact"] and found["permutations"] == 2001
    assert found == mantel_test(x, y, n_permutations=2000, seed=7)
    assert found["p"] >= 1 / 2001  # the observed labelling is one of them
    assert found["p"] < 0.01  # y is x plus noise of the same size


def test_mantel_leaves_out_undefined_pgf_pairs():
    x = np.array([[0, 3, 2, 1], [3, 0, 1, 2], [2, 1, 0, 3], [1, 2, 3, 0]], dtype=float)
    y = x.copy()
    y[0, 1] = y[1, 0] = np.nan
    found = mantel_test(x, y)
    assert found["n_pairs"] == 5
    with pytest.raises(ValueError, match="finite"):
        mantel_test(y, x)
    few = mantel_test(x[:2, :2], y[:2, :2])
    assert np.isnan(few["r"]) and few["p"] is None


def _f32(values):
    """The values as the adapter file stores them (float32), in float64."""
    return np.asarray(values, dtype=np.float32).astype(float)

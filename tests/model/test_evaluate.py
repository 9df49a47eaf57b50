"""Evaluation: scores, many adapters sharing image features, generate mode, rows, files."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from peft import LoraConfig, get_peft_model

import tasktransfer.model.load as load_module
from tasktransfer.contracts import read_predictions, read_results
from tasktransfer.data.synthetic import generic_examples
from tasktransfer.errors import InputError
from tasktransfer.model.architectures import get_architecture
from tasktransfer.model.evaluate import EvalConfig, evaluate, is_collapsed, summarize
from tasktransfer.model.prompting import encode, letter_token_ids
from tasktransfer.model.tiny import TINY_BUILDERS, build_tiny_llava

BUILDERS = TINY_BUILDERS
QUIET = {"progress": False}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: these tiny models gain nothing from two, and on a busy CPU two
    threads waiting on each other make the module several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _examples():
    """Two targets of generic questions: 1-2 images, 2-4 choices, so rows pad differently."""
    examples = generic_examples(14, seed=3)
    return {"First": examples[:8], "Second": examples[8:]}


def _save_adapter(builder, folder, *, seed, targets):
    """A LoRA adapter with random (non-zero) weights, so that it changes the predictions."""
    base, _ = builder(seed=0)
    torch.manual_seed(seed)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(folder)
    return folder


# Extra LoRA targets (PEFT full-matches a string target) in the vision tower or projector.
# The LLaVA family's CLIP and SigLIP towers name their layers alike.
_LLAVA_EXTRA = {
    "vision_tower": r".*vision_tower.*\.(q_proj|fc1)",
    "projector": r".*multi_modal_projector\.linear_1",
}
EXTRA_TARGETS = {
    "llava": _LLAVA_EXTRA,
    "llava_next": _LLAVA_EXTRA,
    "llava_onevision": _LLAVA_EXTRA,
    "qwen2_5_vl": {
        "vision_tower": r".*visual\.blocks.*\.qkv",
        "projector": r".*visual\.merger\.mlp\.0",
    },
}


def _targets(model_type, *parts):
    """Language-model LoRA targets of the architecture, plus the given parts."""
    lm = get_architecture(model_type).language_model_targets
    return "|".join([lm] + [EXTRA_TARGETS[model_type][part] for part in parts])


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def saved(request, tmp_path_factory):
    """A saved tiny base and adapters: 2 language-model-only, 1 with the vision tower, 1 with
    the projector."""
    model_type = request.param
    builder = BUILDERS[model_type]
    root = tmp_path_factory.mktemp(model_type)
    model, processor = builder(seed=0)
    model.save_pretrained(root / "base")
    processor.save_pretrained(root / "base")
    adapters = {
        f"lm{i}": _save_adapter(builder, root / f"lm{i}", seed=i, targets=_targets(model_type))
        for i in range(2)
    }
    adapters["vision"] = _save_adapter(
        builder, root / "vision", seed=7, targets=_targets(model_type, "vision_tower")
    )
    adapters["projector"] = _save_adapter(
        builder, root / "projector", seed=8, targets=_targets(model_type, "projector")
    )
    return model_type, root / "base", adapters


def _by_key(result):
    return {(p["adapter"], p["target"], p["idx"]): p for p in result.predictions}


def test_many_adapters_at_once_equal_each_alone(saved):
    _, base, adapters = saved
    states = {"base": None, **adapters}
    together = evaluate(
        str(base), _examples(), adapters=states, config=EvalConfig(batch_size=5), **QUIET
    )
    assert together.meta["shared_image_features"] == ["base", "lm0", "lm1"]
    alone = {}
    for label, path in states.items():
        result = evaluate(
            str(base),
            _examples(),
            adapters={label: path},
            config=EvalConfig(batch_size=3, share_image_features=False),
            **QUIET,
        )
        alone.update(_by_key(result))
    together_by_key = _by_key(together)
    assert together_by_key.keys() == alone.keys()
    for key, p in together_by_key.items():
        assert p["predicted"] == alone[key]["predicted"], key
        for letter, score in p["scores"].items():
            assert score == pytest.approx(alone[key]["scores"][letter], abs=1e-5), key
    # The adapters really differ from the base, so the comparison above could fail.
    for label in adapters:
        assert any(
            p["scores"] != together_by_key[("base", p["target"], p["idx"])]["scores"]
            for p in together.predictions
            if p["adapter"] == label
        ), label


def test_image_features_are_computed_once_per_batch_for_shared_adapters(saved, monkeypatch):
    _, base, adapters = saved
    calls = []
    real_load = load_module.load_model

    def counting_load(config):
        loaded = real_load(config)
        tower = getattr(loaded.model.model, "vision_tower", None) or loaded.model.model.visual
        tower.register_forward_hook(lambda *args: calls.append(1))
        return loaded

    monkeypatch.setattr(load_module, "load_model", counting_load)
    lm_only = {label: adapters[label] for label in ("lm0", "lm1")}
    examples = _examples()
    n_batches = -(-sum(len(v) for v in examples.values()) // 4)  # tasks are batched together

    evaluate(
        str(base),
        examples,
        adapters={"base": None, **lm_only},
        config=EvalConfig(batch_size=4),
        **QUIET,
    )
    assert len(calls) == n_batches
    calls.clear()
    evaluate(
        str(base),
        examples,
        adapters={**lm_only, "vision": adapters["vision"]},
        config=EvalConfig(batch_size=4),
        **QUIET,
    )
    assert len(calls) == 2 * n_batches  # one shared pass + the vision adapter's own
    calls.clear()
    no_share = EvalConfig(batch_size=4, share_image_features=False)
    evaluate(str(base), examples, adapters=lm_only, config=no_share, **QUIET)
    assert len(calls) == 2 * n_batches


def test_scores_equal_full_logits_of_one_question_at_a_time(saved):
    model_type, base, _ = saved
    model, processor = BUILDERS[model_type](seed=0)
    arch = get_architecture(model_type)
    examples = _examples()
    result = evaluate(str(base), examples, config=EvalConfig(batch_size=7), **QUIET)
    # Batches are formed across tasks in order of length; the output keeps the input order.
    expected_order = [(task, ex.idx) for task, exs in examples.items() for ex in exs]
    assert [(p["target"], p["idx"]) for p in result.predictions] == expected_order
    by_key = _by_key(result)
    letter_ids = [processor.tokenizer.convert_tokens_to_ids(x) for x in "ABCD"]
    for task, questions in examples.items():
        for ex in questions:
            inputs = encode([ex], processor, arch).inputs
            with torch.no_grad():
                last = model(**inputs).logits[0, -1].log_softmax(-1)
            expected = {x: last[letter_ids[i]].item() for i, x in enumerate(ex.letters)}
            got = by_key[("base", task, ex.idx)]
            assert got["scores"] == pytest.approx(expected, abs=1e-5)
            assert got["predicted"] == max(expected, key=expected.get)
            assert got["correct"] == (got["predicted"] == ex.answer_letter)


@pytest.fixture(scope="module")
def letter_model(tmp_path_factory):
    """A tiny LLaVA whose greedy answers are varied letters, without training.

    Its output layer is untied and knows only A-D: each letter's row reads one principal
    direction of the answer-position hidden states of the test questions (the mean direction
    projected out), every other row is zero. So the first generated token is the letter whose
    direction the question leans to most, or an unparsable token when all four lean negative.
    """
    model, processor = build_tiny_llava(seed=0)
    questions = [ex for examples in _examples().values() for ex in examples]
    batch = encode(questions, processor, get_architecture("llava"))
    seen = []
    hook = model.lm_head.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    with torch.no_grad():
        model(**batch.inputs)
    hook.remove()
    hidden = seen[0][torch.arange(len(questions)), batch.answer_index]
    mean = hidden.mean(0) / hidden.mean(0).norm()
    directions = torch.linalg.svd(hidden - hidden.mean(0), full_matrices=False).Vh[:4]
    directions -= (directions @ mean)[:, None] * mean[None]
    weight = torch.zeros_like(model.lm_head.weight)
    weight[letter_token_ids(processor.tokenizer)] = 100 * directions
    model.config.tie_word_embeddings = False
    model.config.text_config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(weight)
    folder = tmp_path_factory.mktemp("letters")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def test_generate_agrees_with_likelihood_on_clean_letters(letter_model):
    examples = _examples()
    likelihood = _by_key(
        evaluate(str(letter_model), examples, config=EvalConfig(batch_size=6), **QUIET)
    )
    generated = evaluate(
        str(letter_model),
        examples,
        config=EvalConfig(mode="generate", batch_size=6, max_new_tokens=1),
        **QUIET,
    )
    clean = [p for p in generated.predictions if p["predicted"] is not None]
    assert len(clean) >= len(generated.predictions) // 2, "the model should answer with letters"
    assert len({p["predicted"] for p in clean}) >= 3, "varied letters, so rows cannot be mixed up"
    for p in clean:
        assert p["output"].strip() == p["predicted"]
        assert p["predicted"] == likelihood[(p["adapter"], p["target"], p["idx"])]["predicted"]
    unparsed = sum(p["predicted"] is None for p in generated.predictions)
    assert sum(row["n_unparsed"] for row in generated.rows) == unparsed


def test_generate_batched_equals_one_question_at_a_time(letter_model):
    examples = _examples()
    # Questions of 1 and 2 images differ in length, so the batched rows are padded.
    batched, single = (
        evaluate(
            str(letter_model),
            examples,
            config=EvalConfig(mode="generate", max_new_tokens=3, batch_size=size),
            **QUIET,
        )
        for size in (8, 1)
    )
    outputs = [p["output"] for p in batched.predictions]
    assert outputs == [p["output"] for p in single.predictions]
    assert len(set(outputs)) > 1


def test_generate_pads_left_correctly_on_every_architecture(saved):
    # Qwen2.5-VL also carries token-type ids and 3D positions through the padding.
    _, base, _ = saved
    outputs = [
        [
            p["output"]
            for p in evaluate(
                str(base),
                _examples(),
                config=EvalConfig(mode="generate", max_new_tokens=3, batch_size=size),
                **QUIET,
            ).predictions
        ]
        for size in (5, 1)
    ]
    assert outputs[0] == outputs[1]


def test_full_model_folder_is_evaluated_as_its_own_model(letter_model):
    examples = _examples()
    as_adapter = evaluate(str(letter_model), examples, adapters={"full": letter_model}, **QUIET)
    as_base = evaluate(str(letter_model), examples, adapters={"full": None}, **QUIET)
    assert as_adapter.meta["adapter_kinds"] == {"full": "full"}
    assert "model" not in as_adapter.meta, "the base is not loaded when no state needs it"
    assert as_adapter.predictions == as_base.predictions


def test_summarize_counts_and_collapse():
    def p(adapter, predicted, answer):
        return {
            "adapter": adapter,
            "target": "T",
            "predicted": predicted,
            "answer": answer,
            "correct": predicted == answer,
        }

    gold = list("ABABABABAB")
    predictions = [p("biased", "A", g) for g in gold] + [
        p("mixed", g if i % 3 else None, g) for i, g in enumerate(gold)
    ]
    rows = {row["adapter"]: row for row in summarize(predictions)}
    assert rows["biased"] == {
        "adapter": "biased",
        "target": "T",
        "n_correct": 5,
        "n_total": 10,
        "answer_counts": {"A": 10, "B": 0},
        "n_unparsed": 0,
        "collapsed": True,
        "letter_mass": None,  # generated answers carry no letter mass
        "format_mismatch": None,
    }
    # Questions 0, 3, 6, 9 unparsed; the other six are correct.
    assert rows["mixed"]["n_unparsed"] == 4
    assert rows["mixed"]["n_correct"] == 6
    assert rows["mixed"]["answer_counts"] == {"A": 3, "B": 3}
    assert not rows["mixed"]["collapsed"]


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ("AAAAAAAAAA", "ABCDABCDAB", True),
        ("AAAAAAAAAB", "ABCDABCDAB", True),  # 90 % is enough
        ("AAAAAAAABB", "ABCDABCDAB", False),
        ("AAAAAAAAAA", "AAAAAAAAAA", False),  # gold is one letter: answering it is no bias
        ("A", "A", False),
        ("AA", "AB", True),
    ],
)
def test_collapse_rule(predicted, gold, expected):
    assert is_collapsed(list(predicted), list(gold)) is expected


def test_unparsed_answers_do_not_count_as_a_collapse_letter():
    assert not is_collapsed([None] * 10, list("ABABABABAB"))


def test_save_writes_a_results_table_of_what_the_result_holds(saved, tmp_path):
    _, base, adapters = saved
    states = {"zero-shot": None, "First": adapters["lm0"]}
    result = evaluate(str(base), _examples(), adapters=states, **QUIET)
    paths = result.save(tmp_path / "out", model="m", run="seed_3")
    records = read_predictions(paths["predictions"])
    assert len(records) == len(result.predictions)
    for record, p in zip(records, result.predictions, strict=True):
        assert (record.model, record.run, record.source) == ("m", "seed_3", p["adapter"])
        assert (record.idx, record.predicted, record.scores) == (
            p["idx"],
            p["predicted"],
            p["scores"],
        )
    rows = read_results(paths["rows"])
    assert len(rows) == 4  # 2 states x 2 targets
    for written, row in zip(rows, result.rows, strict=True):
        assert (written.model, written.run) == ("m", "seed_3")
        assert (written.source, written.target) == (row["adapter"], row["target"])
        assert (written.n_correct, written.n_total) == (row["n_correct"], row["n_total"])
        assert written.answer_counts == row["answer_counts"]
        assert written.collapsed is row["collapsed"]
    meta = json.loads(paths["meta"].read_text())
    assert meta["tasks"]["First"]["n"] == 8
    assert meta["model"]["image_max_pixels"] == 1280 * 28 * 28  # a folder: hub-lora's cap
    assert not list((tmp_path / "out").glob(".*tmp")), "no temporary files left behind"


def test_bad_inputs_name_the_problem(saved, tmp_path):
    _, base, _ = saved
    examples = _examples()
    hidden = {"First": [replace(examples["First"][0], answer="hidden")]}
    with pytest.raises(InputError, match=r"task First, idx .*hidden"):
        evaluate(str(base), hidden, **QUIET)
    with pytest.raises(InputError, match="neither adapter_config.json"):
        evaluate(str(base), examples, adapters={"x": tmp_path}, **QUIET)
    with pytest.raises(InputError, match="no examples"):
        evaluate(str(base), {}, **QUIET)

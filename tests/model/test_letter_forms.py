"""Option scores over every form of a letter: a tokenizer that merges "(A" as Qwen2's does."""

from __future__ import annotations

import json
import math

import pytest
import torch
from transformers import Qwen2Tokenizer

from tasktransfer.contracts import read_predictions, read_results
from tasktransfer.data import LETTERS
from tasktransfer.data.synthetic import generic_examples
from tasktransfer.errors import InputError
from tasktransfer.model.architectures import get_architecture
from tasktransfer.model.evaluate import EvalConfig, evaluate
from tasktransfer.model.prompting import (
    answer_log_probs,
    encode,
    letter_forms,
    letter_log_probs,
    letter_mass,
)
from tasktransfer.model.tiny import TOKENIZER_FILE, build_tiny_llava, build_tiny_qwen2_5_vl

QUIET = {"progress": False}
# The answer-position logit of "(B" in the merging model: with V tokens, "(B" holds
# e^L / (e^L + V - 1) of the probability and every other token 1 / (e^L + V - 1).
LOGIT = 12.0


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: the tiny models gain nothing from more on a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def merging_tokenizer(base):
    """``base`` (a tiny model's tokenizer) plus Qwen2's merge of "(" with a capital letter.

    The tiny vocabulary and its ids are kept (special tokens included), "(A" .. "(D" are
    appended with their merges, as Qwen2's byte-level BPE has them.
    """
    frozen = json.loads(TOKENIZER_FILE.read_text(encoding="utf-8"))
    vocab = base.get_vocab()
    merged = [f"({letter}" for letter in LETTERS]
    for token in merged:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=[tuple(pair) for pair in frozen["merges"]] + [("(", x) for x in LETTERS],
        unk_token=None,
        eos_token=base.eos_token,
        pad_token=base.pad_token,
    )
    tokenizer.add_special_tokens({"additional_special_tokens": base.all_special_tokens})
    return tokenizer


@pytest.fixture(scope="module")
def merging_qwen(tmp_path_factory):
    """A tiny Qwen2.5-VL with the merging tokenizer whose answer is "(B" with a set mass.

    The last layer's attention writes one constant vector (values are the v_proj bias, so
    every weighted mean of them is that bias) far larger than the rest of the residual
    stream, and its MLP writes nothing: the final norm's output is ``sqrt(64) = 8`` on
    dimension 0 and ~0 elsewhere, whatever the input. The untied output layer reads only
    dimension 0, into "(B" alone: logit ``LOGIT`` for "(B", 0 for every other token.
    """
    model, processor = build_tiny_qwen2_5_vl(seed=0)
    tokenizer = merging_tokenizer(processor.tokenizer)
    processor.tokenizer = tokenizer
    model.resize_token_embeddings(len(tokenizer))
    layer = model.model.language_model.layers[-1]
    with torch.no_grad():
        layer.self_attn.v_proj.weight.zero_()
        layer.self_attn.v_proj.bias.zero_()
        layer.self_attn.v_proj.bias[0] = 1.0
        layer.self_attn.o_proj.weight.zero_()
        layer.self_attn.o_proj.weight[0, 0] = 1e4
        layer.mlp.down_proj.weight.zero_()
        weight = torch.zeros_like(model.lm_head.weight)
        weight[tokenizer.convert_tokens_to_ids("(B"), 0] = LOGIT / 8
    model.config.tie_word_embeddings = False
    model.config.text_config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(weight)
    folder = tmp_path_factory.mktemp("merging-qwen")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder, len(tokenizer)


def test_the_merging_tokenizer_writes_option_labels_as_qwen2_does():
    _, processor = build_tiny_qwen2_5_vl(seed=0)
    tokenizer = merging_tokenizer(processor.tokenizer)
    assert tokenizer.tokenize("(A) red\n(B) blue") == ["(A", ")", "Ġred", "Ċ", "(B", ")", "Ġblue"]
    forms = letter_forms(tokenizer)
    ids = tokenizer.convert_tokens_to_ids
    assert forms == [[ids(x), ids(f"({x}")] for x in LETTERS]


def test_the_tiny_tokenizer_has_one_form_per_letter():
    # "(A)" starts with a bare "(", shared by every option: it is no form of A, so the tiny
    # models' scores are their bare letters' log-probabilities, as before forms were read.
    _, processor = build_tiny_llava(seed=0)
    assert processor.tokenizer.tokenize("(A)") == ["(", "A", ")"]
    ids = processor.tokenizer.convert_tokens_to_ids
    assert letter_forms(processor.tokenizer) == [[ids(x)] for x in LETTERS]


def test_a_letter_split_in_two_tokens_is_refused():
    _, processor = build_tiny_llava(seed=0)
    tokenizer = processor.tokenizer

    class Splitting:
        def encode(self, text, add_special_tokens=False):
            return tokenizer.encode(text, add_special_tokens=False) * 2

        decode = tokenizer.decode

    with pytest.raises(InputError, match="splits the answer letter 'A' into 2 tokens"):
        letter_forms(Splitting())


def test_scores_are_the_log_sum_exp_of_each_options_forms():
    _, processor = build_tiny_qwen2_5_vl(seed=0)
    processor.tokenizer = merging_tokenizer(processor.tokenizer)
    examples = generic_examples(4, seed=3)[:2]
    batch = encode(examples, processor, get_architecture("qwen2_5_vl"))
    ids = processor.tokenizer.convert_tokens_to_ids
    n_vocab = len(processor.tokenizer)
    # Row 0: a quarter on "A", a quarter on "(A"; row 1: a half on "(B".
    probs = torch.full((2, n_vocab), 0.0)
    probs[0, ids("A")] = probs[0, ids("(A")] = 0.25
    probs[0, ids("B")] = 0.125
    probs[1, ids("(B")] = 0.5
    probs[:, ids("Ġthe")] = 1 - probs.sum(dim=1)  # the rest on a word
    logits = torch.full((2, batch.answer_index.max() + 1, n_vocab), -50.0)
    logits[torch.arange(2), batch.answer_index] = probs.clamp(min=1e-30).log()
    scores = letter_log_probs(logits, batch, forms=True)
    bare = letter_log_probs(logits, batch)
    n = [len(ex.choices) for ex in examples]
    assert scores[0, :2].exp().tolist() == pytest.approx([0.5, 0.125])
    assert bare[0, :2].exp().tolist() == pytest.approx([0.25, 0.125])
    assert scores[1, 1].exp().item() == pytest.approx(0.5)
    assert bare[1, 1].exp().item() == pytest.approx(0, abs=1e-20)
    assert torch.isinf(scores[0, n[0] :]).all() and torch.isinf(scores[1, n[1] :]).all()
    assert letter_mass(scores).tolist() == pytest.approx([0.625, 0.5])


def test_a_model_answering_b_in_the_prompts_format_is_scored_b(merging_qwen):
    folder, n_vocab = merging_qwen
    examples = generic_examples(6, seed=3)
    result = evaluate(str(folder), {"T": examples}, config=EvalConfig(batch_size=4), **QUIET)
    top = math.exp(LOGIT) / (math.exp(LOGIT) + n_vocab - 1)
    other = 1 / (math.exp(LOGIT) + n_vocab - 1)
    masses = []
    for ex, p in zip(examples, result.predictions, strict=True):
        assert p["predicted"] == "B"
        # Offered: two forms per letter, one of them "(B".
        mass = top + (2 * len(ex.choices) - 1) * other
        assert p["letter_mass"] == pytest.approx(mass, rel=1e-4)
        assert p["scores"]["B"] == pytest.approx(math.log(top + other), rel=1e-4)
        masses.append(mass)
    (row,) = result.rows
    assert row["letter_mass"] == pytest.approx(sum(masses) / len(masses), rel=1e-4)
    assert row["format_mismatch"] is (row["letter_mass"] < 0.5)


def test_letter_mass_reaches_the_files_and_flags_a_mismatch(merging_qwen, tmp_path):
    folder, _ = merging_qwen
    examples = {"T": generic_examples(4, seed=3)}
    strict = EvalConfig(batch_size=4, format_mismatch_below=1.0)
    paths = evaluate(str(folder), examples, config=strict, **QUIET).save(
        tmp_path, model="m", run="seed_0"
    )
    records = read_predictions(paths["predictions"])
    assert all(0 < r.letter_mass <= 1 for r in records)
    (row,) = read_results(paths["rows"])
    assert row.letter_mass == pytest.approx(sum(r.letter_mass for r in records) / 4)
    assert row.format_mismatch is True
    generated = evaluate(
        str(folder), examples, config=EvalConfig(mode="generate", max_new_tokens=1), **QUIET
    )
    assert [p.get("letter_mass") for p in generated.predictions] == [None] * 4
    assert generated.rows[0]["letter_mass"] is None
    assert generated.rows[0]["format_mismatch"] is None


def test_the_scoring_forward_pass_keeps_no_cache():
    model, processor = build_tiny_llava(seed=0)
    batch = encode(generic_examples(2, seed=3), processor, get_architecture("llava"))
    seen = []
    forward = model.forward

    def recording(*args, **kwargs):
        seen.append(kwargs.get("use_cache"))
        return forward(*args, **kwargs)

    model.forward = recording
    with torch.no_grad():
        answer_log_probs(model, batch, forms=True)
    assert seen == [False]

"""Learn the tiny model's byte-level BPE merges and freeze them in the package.

Writes ``src/tasktransfer/model/tiny_tokenizer.json`` (vocabulary and merges), which
:func:`tasktransfer.model.tiny._tokenizer` loads. The corpus is the prompts of the generic
questions and of 20 questions per synthetic task (``--seed``, an instance no study uses),
each with the answer instruction, so the merges cover the English of BLINK's prompt
templates. Rerun it only to take in new prompt wording: a new file moves the tiny base's
cache key (:func:`tasktransfer.model.tiny.recipe_key`), so every study rebuilds its base
and every calibration in docs/tiny-model.md must be measured again.

    .venv/bin/python scripts/train_tiny_tokenizer.py
"""

from __future__ import annotations

import argparse
import json

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from tasktransfer.data.synthetic import TASKS, generate, generic_examples
from tasktransfer.files import write_atomic
from tasktransfer.model.prompting import ANSWER_INSTRUCTION
from tasktransfer.model.tiny import TOKENIZER_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=9973, help="synthetic suite instance")
    parser.add_argument("--vocab-size", type=int, default=1024, help="upper bound")
    args = parser.parse_args()

    examples = generic_examples(400, seed=0)
    for task in TASKS:
        examples += generate(task, "train", 20, seed=args.seed)
    corpus = [f"{e.prompt}\n{ANSWER_INSTRUCTION}" for e in examples] + ["user assistant"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus, trainer)
    vocab = dict(sorted(bpe.get_vocab().items(), key=lambda item: item[1]))
    merges = json.loads(bpe.to_str())["model"]["merges"]
    text = json.dumps({"vocab": vocab, "merges": merges}, ensure_ascii=False, indent=0)
    write_atomic(TOKENIZER_FILE, text)
    print(f"{TOKENIZER_FILE}: {len(vocab)} tokens, {len(merges)} merges")


if __name__ == "__main__":
    main()

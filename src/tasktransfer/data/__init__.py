"""Data: examples in the BLINK schema, loaders, validation, and the synthetic suite."""

from tasktransfer.data.example import HIDDEN, LETTERS, Example, format_prompt, letter_of
from tasktransfer.data.fingerprint import fingerprint
from tasktransfer.data.loaders import load_examples, split_train_eval, subsample
from tasktransfer.data.validate import DataError, validate_examples

__all__ = [
    "HIDDEN",
    "LETTERS",
    "DataError",
    "Example",
    "fingerprint",
    "format_prompt",
    "letter_of",
    "load_examples",
    "split_train_eval",
    "subsample",
    "validate_examples",
]

"""Data: examples in the BLINK schema, loaders, validation, and the synthetic suite."""

from tasktransfer.data.example import HIDDEN, LETTERS, Example, format_prompt, letter_of

__all__ = ["HIDDEN", "LETTERS", "Example", "format_prompt", "letter_of"]

"""Exceptions that the CLI turns into a one-sentence message and exit code 1."""


class TaskTransferError(Exception):
    """Base class of the errors a user can fix (bad input, missing data, bad config)."""


class InputError(TaskTransferError, ValueError):
    """A file, row or field that cannot be used; the message names where it is."""

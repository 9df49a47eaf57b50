"""Quiet third-party output: no progress bars or warnings from the libraries we drive.

A normal run shows our own rich progress bars (one per long step) and our own messages.
transformers, datasets and huggingface_hub would add a tqdm bar per model load and save
("Loading weights", "Writing model shards") and their warning-level logs, accelerate
its warnings, Ray a line per cluster start, and each of them its Python warnings
(deprecations addressed to us, not to the person running the study). The top-level
command enters :func:`quiet_libraries` unless ``--verbose`` is given.

Nothing is imported here: a library already imported is silenced through its own API
(``set_verbosity_error``, ``disable_progress_bar(s)``); one imported later reads the
environment variables set here, and so do the processes started meanwhile (a local Ray
cluster's workers, accelerate's launcher). A variable the user set keeps its value.
Everything is restored on exit, so that a test process running commands one after another
sees each with its own setting.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

# Read by each library when it is imported.
QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # huggingface_hub, and transformers' bars with it
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "DATASETS_VERBOSITY": "error",
    "HF_HUB_VERBOSITY": "error",
    "RAY_LOGGER_LEVEL": "error",  # "Started a local Ray instance." and its token warning
}


def _transformers():
    from transformers.utils import logging as hf_logging

    state = (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled())
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    def restore():
        hf_logging.set_verbosity(state[0])
        (hf_logging.enable_progress_bar if state[1] else hf_logging.disable_progress_bar)()

    return restore


def _hub_style(package: str):
    # datasets and huggingface_hub share one API in their `utils` package.
    utils = importlib.import_module(f"{package}.utils")
    state = (utils.logging.get_verbosity(), utils.are_progress_bars_disabled())
    utils.logging.set_verbosity_error()
    utils.disable_progress_bars()

    def restore():
        utils.logging.set_verbosity(state[0])
        (utils.disable_progress_bars if state[1] else utils.enable_progress_bars)()

    return restore


def _accelerate():
    # accelerate logs through the standard library, with no verbosity API of its own.
    logger = logging.getLogger("accelerate")
    level = logger.level
    logger.setLevel(logging.ERROR)
    return lambda: logger.setLevel(level)


# Python warnings raised in these packages (deprecations meant for their callers, such as
# transformers' `is_gradient_checkpointing` FutureWarning on each LoRA save); ours still show.
THIRD_PARTY_WARNINGS = r"(transformers|peft|accelerate|datasets|huggingface_hub|torch)(\.|$)"

_LIBRARIES = {
    "transformers": _transformers,
    "datasets": lambda: _hub_style("datasets"),
    "huggingface_hub": lambda: _hub_style("huggingface_hub"),
}


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Silence the libraries' progress bars, logs below ERROR and warnings, then restore.

    Examples
    --------
    >>> import os
    >>> with quiet_libraries():
    ...     os.environ["TRANSFORMERS_VERBOSITY"]
    'error'
    """
    saved_env = {name: os.environ.get(name) for name in QUIET_ENV}
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    restores = [_accelerate()]
    restores += [quiet() for module, quiet in _LIBRARIES.items() if module in sys.modules]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=THIRD_PARTY_WARNINGS)
            yield
    finally:
        for restore in reversed(restores):
            restore()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

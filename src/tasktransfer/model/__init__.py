"""Model layer: load a VLM (hub id, folder, or the offline tiny model), finetune, evaluate.

Public API
----------
ModelConfig, FinetuneConfig            settings (:mod:`.config`)
FINETUNE_PRESETS                       named finetune settings (``tiny``, ``hub-lora``)
load_model(model) -> LoadedModel       (:mod:`.load`; never trains)
prepare_models(models)                 build the tiny base when missing (:mod:`.tiny_base`)
finetune(model, examples, out_dir, *, config, seed) -> Path   (:mod:`.finetune`)
EvalConfig, EvalResult, evaluate(...)  (:mod:`.evaluate`)
encode, answer_log_probs, letter_log_probs, PromptBatch   the shared prompt (:mod:`.prompting`)
get_architecture, ARCHITECTURES        the per-architecture table (:mod:`.architectures`)
build_tiny_base, ensure_tiny_base, tiny_base_path   the offline tiny model's base

Every module here imports torch, transformers, peft and filelock inside its functions only, so
these imports are cheap. They are eager on purpose: ``finetune`` and ``evaluate`` are both a module
and a function, and a lazy ``__getattr__`` would hand out the module once it was imported.
"""

from tasktransfer.model.architectures import ARCHITECTURES, get_architecture
from tasktransfer.model.config import FINETUNE_PRESETS, FinetuneConfig, ModelConfig
from tasktransfer.model.evaluate import EvalConfig, EvalResult, evaluate
from tasktransfer.model.finetune import finetune
from tasktransfer.model.load import LoadedModel, load_model
from tasktransfer.model.prompting import (
    PromptBatch,
    answer_log_probs,
    encode,
    letter_log_probs,
)
from tasktransfer.model.tiny import tiny_base_path
from tasktransfer.model.tiny_base import build_tiny_base, ensure_tiny_base, prepare_models

__all__ = [
    "ARCHITECTURES",
    "FINETUNE_PRESETS",
    "EvalConfig",
    "EvalResult",
    "FinetuneConfig",
    "LoadedModel",
    "ModelConfig",
    "PromptBatch",
    "answer_log_probs",
    "build_tiny_base",
    "encode",
    "ensure_tiny_base",
    "evaluate",
    "finetune",
    "get_architecture",
    "letter_log_probs",
    "load_model",
    "prepare_models",
    "tiny_base_path",
]

"""Model layer: load a VLM (hub id, folder, or the offline tiny model), finetune, evaluate.

Public API
----------
ModelConfig, FinetuneConfig            settings (:mod:`.config`)
load_model(model) -> LoadedModel       (:mod:`.load`)
finetune(model, examples, out_dir, *, config, seed) -> Path   (:mod:`.finetune`)
EvalConfig, EvalResult, evaluate(...)  (:mod:`.evaluate`)
encode, answer_log_probs, letter_log_probs, PromptBatch   the shared prompt (:mod:`.prompting`)
get_architecture, ARCHITECTURES        the per-architecture table (:mod:`.architectures`)
build_tiny_base, tiny_base_path        the offline tiny model (:mod:`.tiny`)

Every module here imports torch, transformers and peft inside its functions only, so these
imports are cheap. They are eager on purpose: ``finetune`` and ``evaluate`` are both a module
and a function, and a lazy ``__getattr__`` would hand out the module once it was imported.
"""

from tasktransfer.model.architectures import ARCHITECTURES, get_architecture
from tasktransfer.model.config import FinetuneConfig, ModelConfig
from tasktransfer.model.evaluate import EvalConfig, EvalResult, evaluate
from tasktransfer.model.finetune import finetune
from tasktransfer.model.load import LoadedModel, load_model
from tasktransfer.model.prompting import (
    PromptBatch,
    answer_log_probs,
    encode,
    letter_log_probs,
)
from tasktransfer.model.tiny import build_tiny_base, tiny_base_path

__all__ = [
    "ARCHITECTURES",
    "EvalConfig",
    "EvalResult",
    "FinetuneConfig",
    "LoadedModel",
    "ModelConfig",
    "PromptBatch",
    "answer_log_probs",
    "build_tiny_base",
    "encode",
    "evaluate",
    "finetune",
    "get_architecture",
    "letter_log_probs",
    "load_model",
    "tiny_base_path",
]

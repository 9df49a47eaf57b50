"""Model layer: load a VLM (hub id, folder, or the offline tiny model), finetune, evaluate.

Public API (imported lazily, so ``import tasktransfer.model`` never imports torch)
----------
ModelConfig, FinetuneConfig            settings (:mod:`.config`)
load_model(model) -> LoadedModel       (:mod:`.load`)
finetune(model, examples, out_dir, *, config, seed) -> Path   (:mod:`.finetune`)
EvalConfig, EvalResult, evaluate(...)  (:mod:`.evaluate`)
encode, letter_log_probs, PromptBatch  the shared prompt format (:mod:`.prompting`)
get_architecture, ARCHITECTURES        the per-architecture table (:mod:`.architectures`)
build_tiny_base, tiny_base_path        the offline tiny model (:mod:`.tiny`)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ModelConfig": "tasktransfer.model.config",
    "FinetuneConfig": "tasktransfer.model.config",
    "LoadedModel": "tasktransfer.model.load",
    "load_model": "tasktransfer.model.load",
    "finetune": "tasktransfer.model.finetune",
    "EvalConfig": "tasktransfer.model.evaluate",
    "EvalResult": "tasktransfer.model.evaluate",
    "evaluate": "tasktransfer.model.evaluate",
    "PromptBatch": "tasktransfer.model.prompting",
    "encode": "tasktransfer.model.prompting",
    "letter_log_probs": "tasktransfer.model.prompting",
    "ARCHITECTURES": "tasktransfer.model.architectures",
    "get_architecture": "tasktransfer.model.architectures",
    "build_tiny_base": "tasktransfer.model.tiny",
    "tiny_base_path": "tasktransfer.model.tiny",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'tasktransfer.model' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)

"""Task registry: the perception tasks a study can train and evaluate on."""

from tasktransfer.tasks.registry import (
    ANSWER_TYPES,
    BLINK_TASKS,
    GRANULARITIES,
    LEVELS,
    MODALITIES,
    REGISTRY,
    SYNTHETIC_VIDEO_TASKS,
    VSIBENCH_TASKS,
    Registry,
    Task,
    UnknownTaskError,
    load_registry,
    registry_in,
    unknown_task_message,
)

__all__ = [
    "ANSWER_TYPES",
    "BLINK_TASKS",
    "GRANULARITIES",
    "LEVELS",
    "MODALITIES",
    "REGISTRY",
    "SYNTHETIC_VIDEO_TASKS",
    "VSIBENCH_TASKS",
    "Registry",
    "Task",
    "UnknownTaskError",
    "load_registry",
    "registry_in",
    "unknown_task_message",
]

"""Task registry: the perception tasks a study can train and evaluate on."""

from tasktransfer.tasks.registry import (
    BLINK_TASKS,
    GRANULARITIES,
    LEVELS,
    REGISTRY,
    Registry,
    Task,
    UnknownTaskError,
    load_registry,
    registry_in,
    unknown_task_message,
)

__all__ = [
    "BLINK_TASKS",
    "GRANULARITIES",
    "LEVELS",
    "REGISTRY",
    "Registry",
    "Task",
    "UnknownTaskError",
    "load_registry",
    "registry_in",
    "unknown_task_message",
]

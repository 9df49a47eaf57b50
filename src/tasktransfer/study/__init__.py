"""Studies: configuration, cell planning, executors (local, Ray), the store, resume.

Public API: :func:`load_study_config`, :class:`StudyConfig`, :func:`run_study`,
:func:`study_status`.
"""

from tasktransfer.study.config import StudyConfig, load_study_config, shipped_configs
from tasktransfer.study.runner import StudyFailed, run_study
from tasktransfer.study.status import study_status

__all__ = [
    "StudyConfig",
    "StudyFailed",
    "load_study_config",
    "run_study",
    "shipped_configs",
    "study_status",
]

"""``key=value`` settings with dotted keys: the one override parser of the package.

A study's command-line overrides (``tasktransfer run quickstart finetune.steps=50``) and the
``--set`` option of ``tasktransfer finetune`` and ``evaluate`` (``--set lora_rank=8``) both go
through :func:`apply_overrides`: the key is a dotted path into the settings, the value is
read as YAML (``50`` is an int, ``[0, 1]`` a list, ``null`` None, ``false`` a bool). The
settings are then validated by their pydantic model, whose ``extra="forbid"`` makes an
unknown key fail by name; :func:`describe_errors` writes pydantic's errors one per line,
``finetune.lrr: Extra inputs are not permitted``.

Imports only PyYAML: the analysis commands and ``--help`` stay free of torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from tasktransfer.errors import InputError


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides; values are parsed as YAML (``steps=50`` is an int).

    Parameters
    ----------
    data : dict
        The settings, nested by section; changed in place and returned.
    overrides : sequence of str
        ``key=value`` strings, applied in order (a later one wins).

    Returns
    -------
    dict
        ``data``.

    Raises
    ------
    InputError
        When an override has no ``=``, its path runs through a value that is not a
        section, or its value is not valid YAML.

    Examples
    --------
    >>> apply_overrides({"finetune": {"steps": 10}}, ["finetune.steps=50", "seeds=[0, 1]"])
    {'finetune': {'steps': 50}, 'seeds': [0, 1]}
    """
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise InputError(f"Override {override!r} is not of the form key=value.")
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(f"Override {override!r}: {part!r} is not a section.")
            node = child
        try:
            node[leaf] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InputError(f"Override {override!r}: the value is not valid YAML.") from None
    return data


def describe_errors(errors: Iterable[dict[str, Any]], *, prefix: str = "") -> str:
    """Pydantic's validation errors, one ``  location: message`` line each.

    Parameters
    ----------
    errors : iterable of dict
        ``ValidationError.errors()``.
    prefix : str, default=""
        Prepended to every location, e.g. ``"finetune."`` for a section's own model.

    Examples
    --------
    >>> print(describe_errors([{"loc": ("lrr",), "msg": "Extra inputs are not permitted"}],
    ...                       prefix="finetune."))
      finetune.lrr: Extra inputs are not permitted
    """
    return "\n".join(
        f"  {prefix}{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
        for e in errors
    )

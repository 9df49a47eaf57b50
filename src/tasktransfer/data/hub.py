"""The Hugging Face hub path: one ``datasets`` config per task (``BLINK-Benchmark/BLINK``)."""

from __future__ import annotations

from tasktransfer.data.example import Example
from tasktransfer.data.validate import DataError


def read_hub(dataset: str, task: str, split: str) -> list[Example]:
    """Rows of config ``task``, split ``split`` of ``dataset`` via ``datasets.load_dataset``.

    ``dataset`` is a hub id or anything ``load_dataset`` accepts in its place (a local
    copy with the hub's ``README.md`` config section). BLINK has splits ``val`` and
    ``test``; images arrive decoded as PIL images.
    """
    import datasets

    try:
        rows = datasets.load_dataset(dataset, task, split=split)
    except ValueError as err:
        # datasets reports an unknown config or split as ValueError listing what exists.
        raise DataError(f"{dataset}: cannot load task {task!r}, split {split!r}: {err}") from err
    return [Example.from_blink_row(row) for row in rows]

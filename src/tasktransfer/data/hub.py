"""The Hugging Face hub path: one ``datasets`` config per task (``BLINK-Benchmark/BLINK``)."""

from __future__ import annotations

from tasktransfer.data.example import MAX_IMAGES, Example
from tasktransfer.data.images import plain_image
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
    images = [f"image_{k}" for k in range(1, MAX_IMAGES + 1)]
    return [
        Example.from_blink_row(
            {**row, **{k: plain_image(row[k]) for k in images if row.get(k) is not None}}
        )
        for row in rows
    ]

"""Torch's CPU thread count, set for a block and restored after it.

Float sums on the CPU depend on how many threads split them, so a model that must give the
same answers on every machine pins its count (``ModelConfig.torch_threads``); parallelism
then comes from running cells side by side (``executor.workers``, or Ray).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the caller's count.

    Parameters
    ----------
    n : int or None
        Threads for the block; None leaves the count as it is.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import torch

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)

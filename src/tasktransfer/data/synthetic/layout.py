"""Random placement helpers: where objects and marked points go in an image."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.data.synthetic import draw


def scatter(
    rng: np.random.Generator,
    radii: Sequence[float],
    size: int | tuple[int, int],
    *,
    gap: float = 2.0,
    margin: float = 1.0,
    avoid: Sequence[tuple[float, float, float]] = (),
    tries: int = 200,
    restarts: int = 50,
) -> list[tuple[int, int]]:
    """Integer centres for objects of half-extent ``radii`` that neither overlap nor touch.

    Each object occupies the square ``centre +- radius`` (the bounding box of every shape
    :func:`~tasktransfer.data.synthetic.draw.shape` draws). Squares keep ``gap`` pixels
    between them and ``margin`` pixels from the border, and stay clear of the ``avoid``
    squares ``(x, y, r)``. Rejection sampling, restarted from scratch when an object finds
    no room.

    Raises
    ------
    RuntimeError
        When no placement is found: the scene is too crowded for the image.
    """
    w, h = (size, size) if isinstance(size, int) else size
    for _ in range(restarts):
        placed: list[tuple[float, float, float]] = list(avoid)
        for r in radii:
            lo = r + margin
            for _ in range(tries):
                x = round(float(rng.uniform(lo, w - 1 - lo)))
                y = round(float(rng.uniform(lo, h - 1 - lo)))
                limit = [r + pr + gap for _, _, pr in placed]
                if all(
                    abs(x - px) > d or abs(y - py) > d
                    for (px, py, _), d in zip(placed, limit, strict=True)
                ):
                    placed.append((x, y, r))
                    break
            else:
                break
        else:
            return [(int(x), int(y)) for x, y, _ in placed[len(avoid) :]]
    raise RuntimeError(f"cannot place {len(radii)} objects of radii {radii} in {w}x{h}")


def choose(rng: np.random.Generator, options: Sequence, k: int | None = None):
    """``k`` distinct items of ``options`` (one item when ``k`` is None), as Python values."""
    if k is None:
        return options[int(rng.integers(len(options)))]
    return [options[int(i)] for i in rng.choice(len(options), size=k, replace=False)]


def quadrant(point, size) -> int:
    """0-3 for top-left, top-right, bottom-left, bottom-right of a ``size`` image.

    Examples
    --------
    >>> [quadrant(p, 64) for p in [(10, 10), (40, 10), (10, 40), (40, 40)]]
    [0, 1, 2, 3]
    """
    return int(point[0] >= size / 2) + 2 * int(point[1] >= size / 2)


def hard_question(rng: np.random.Generator, difficulty: float) -> bool:
    """Whether a question of a task with easy and hard kinds is hard.

    Every question is hard from difficulty 0.5 on; below it, a share of ``2 * difficulty``.
    Draws one number from ``rng`` whatever the difficulty, so the rest of the scene's draws
    do not depend on it.
    """
    return bool(rng.random() < 2 * difficulty)


def points_on(
    rng, ids: np.ndarray, objects, size: int, *, avoid=(), margin: int = 1
) -> list | None:
    """One visible interior pixel per object, far enough apart to circle them all; or None.

    ``ids`` is a label image (0 = background, ``i + 1`` = object ``i``). Each point lies at
    least ``margin`` pixels inside its object (1: not on its edge; the marker's radius: the
    whole ring on the object). Points keep
    :func:`~tasktransfer.data.synthetic.draw.marker_footprint` pixels between them and from
    the ``avoid`` points, so their circles and tags never cover each other.
    """
    keep = draw.marker_footprint(size)
    inset = draw.marker_radius(size) // 2
    points = list(avoid)
    for obj in objects:
        mask = ids == obj + 1
        inside = mask
        for _ in range(margin):
            inside = interior(inside)
        ys, xs = np.nonzero(mask)
        ok = (xs >= inset) & (xs < size - inset) & (ys >= inset) & (ys < size - inset)
        ok &= inside[ys, xs]
        for p in points:
            ok &= (xs - p[0]) ** 2 + (ys - p[1]) ** 2 >= keep**2
        if not ok.any():
            return None
        j = int(rng.choice(np.nonzero(ok)[0]))
        points.append((int(xs[j]), int(ys[j])))
    return points[len(avoid) :]


def interior(mask: np.ndarray) -> np.ndarray:
    """Pixels whose four neighbours are in ``mask`` too (not on an edge)."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return inner

"""Drop built training rows whose images appear in BLINK, by perceptual hash.

BLINK drew its val and test questions from the *test* splits of public datasets, but those
datasets share images across splits (SPair-71k, VSR, COCO), and a training set built from
COCO can hold a BLINK Counting image. So a built row is dropped when *any* of its images
matches *any* image of BLINK's val or test split of *any* of its 13 perception tasks: one
pass removes same-task and cross-task leakage alike.

Two images match when their 64-bit perceptual hashes (``imagehash.phash``: a DCT of the
32x32 grey image, thresholded at the median) differ in at most ``max_distance`` bits. The
hash survives resizing and JPEG re-encoding, but not the red circles and letter tags that
BLINK and the builders draw: BLINK's copy of a photo and a built copy carry *different*
marks, and on smooth images those alone moved the hash by up to 24 bits, as far as two
unrelated images. So before hashing, :func:`without_marks` shrinks the image to 256 px and
fills every saturated red pixel (and a 2 px rim, which takes the white glyphs inside the
tags) from the nearest unmarked one; differently marked copies then stay within a few bits,
and the default tolerance of 8 bits leaves a wide gap to unrelated images (about 32 bits
apart). A Jigsaw question's holed photo is also hashed with its right piece put back
(:func:`rebuilt_jigsaw_photo`). Every match is reported with its distance. IQ_Test is not
a perception task of the study, so its images are not read.

BLINK's hashes are cached under ``cache_dir`` (one JSON file per BLINK source), so a second
dedup reads the cache instead of loading and hashing BLINK again. A folder source is keyed
by its data files' names, sizes and modification times, so editing the folder invalidates
its cache; a hub source is keyed by its id (``refresh=True`` rehashes it).

A built folder (``<task>/<split>.parquet``, written by
:func:`tasktransfer.data.builders.build`) is rewritten without the matching rows, and the
dedup report of each task's manifest is replaced, both atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from tasktransfer.data.builders.base import SPLIT, manifest_path, read_manifest
from tasktransfer.data.example import Example
from tasktransfer.data.folder import folder_tasks, read_folder, split_files, write_folder
from tasktransfer.data.loaders import load_examples
from tasktransfer.data.validate import DataError
from tasktransfer.errors import InputError
from tasktransfer.files import slugs, write_json_atomic
from tasktransfer.tasks import BLINK_TASKS

BLINK_SPLITS = ("val", "test")
# BLINK's 13 perception tasks; the registry also holds video tasks that BLINK has not.
BLINK_TASK_NAMES = tuple(task.name for task in BLINK_TASKS)
DEFAULT_MAX_DISTANCE = 8
# Side the image is cut to before its marks are filled: phash itself looks at 32x32.
MARK_FILL_SIDE = 256
HASH_BITS = 64
CACHE_VERSION = 2  # bumped when hashing changes: 2 fills marks from the nearest pixel
# Bits set in each byte value: the Hamming distance of two hashes is the sum over their bytes.
_POPCOUNT = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class HashedImage:
    """One image of one question and its perceptual hash.

    Attributes
    ----------
    task, split, idx : str
        The question it belongs to.
    image : int
        1 for ``image_1`` .. 4 for ``image_4``; 0 for a Jigsaw photo rebuilt from its piece
        (:func:`rebuilt_jigsaw_photo`).
    phash : str
        16 hex digits (64 bits).
    """

    task: str
    split: str
    idx: str
    image: int
    phash: str


@dataclass(frozen=True)
class TaskDedup:
    """What dedup did to one task of a built folder.

    Attributes
    ----------
    task, split : str
    kept, dropped : int
        Rows kept and rows dropped.
    matches : tuple of dict
        One per dropped row: its ``idx``, the image that matched (``image``), the BLINK
        image it matched (``blink``: ``"<task>/<split>/<idx>/image_<k>"``) and the Hamming
        ``distance`` between their hashes.
    """

    task: str
    split: str
    kept: int
    dropped: int
    matches: tuple[dict, ...]


def default_cache_dir() -> Path:
    """``$TASKTRANSFER_CACHE/blink-phash`` (``~/.cache/tasktransfer`` when unset).

    The same root as the tiny model's cache, so one variable moves every cache.
    """
    root = Path(os.environ.get("TASKTRANSFER_CACHE", "~/.cache/tasktransfer")).expanduser()
    return root / "blink-phash"


def phash(image: Image.Image) -> str:
    """The 64-bit perceptual hash of ``image`` without its marks, as 16 hex digits."""
    import imagehash

    return str(imagehash.phash(without_marks(image)))


def without_marks(image: Image.Image) -> Image.Image:
    """``image`` cut to :data:`MARK_FILL_SIDE` px with its red marks filled from beside them.

    A pixel is a mark when it is saturated red (red above 120 and at least 70 above green
    and blue); the mask grows by 2 px to take the white glyphs of a tag and the blended rim.
    Each masked pixel takes the colour of the nearest unmasked one, which keeps the broad
    structure that phash reads. An image that is mostly red is left as it is.
    """
    from scipy import ndimage

    image = image.convert("RGB")
    factor = MARK_FILL_SIDE / max(image.size)
    if factor < 1:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    rgb = np.asarray(image)
    red, green, blue = (rgb[..., c].astype(int) for c in range(3))
    mark = (red > 120) & (red - green > 70) & (red - blue > 70)
    if not mark.any():
        return image
    mark = ndimage.binary_dilation(mark, iterations=2)
    if mark.mean() > 0.5:
        return image
    _, (rows, cols) = ndimage.distance_transform_edt(mark, return_indices=True)
    return Image.fromarray(rgb[rows, cols])


def rebuilt_jigsaw_photo(example: Example) -> Image.Image | None:
    """A Jigsaw question's photo with its right piece put back in the black hole, or None.

    The holed ``image_1`` of :mod:`tasktransfer.data.builders.jigsaw` escapes a hash match
    with its own photo (the hole moves the hash by up to 30 bits), so the dedup hashes the
    photo rebuilt from the hole and the answer's piece as well. None when the question has
    no answer, or ``image_1`` has no all-black square of the piece's size.
    """
    letter = example.answer_letter
    if letter is None or len(example.images) < 2:
        return None
    holed, piece = example.images[0].convert("RGB"), example.images[1 + "ABCD".index(letter)]
    w, h = piece.size
    black = (np.asarray(holed) == 0).all(axis=2)
    # Summed-area table: the black pixels of every w x h window in one pass.
    table = np.pad(black.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    windows = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]
    found = np.argwhere(windows == w * h)
    if not len(found):
        return None
    y, x = found[0]
    rebuilt = holed.copy()
    rebuilt.paste(piece.convert("RGB"), (int(x), int(y)))
    return rebuilt


def hash_examples(examples: Iterable[Example], *, task: str, split: str) -> list[HashedImage]:
    """The hash of every image of every example, in order."""
    return [
        HashedImage(task, split, example.idx, k, phash(image))
        for example in examples
        for k, image in enumerate(example.images, start=1)
    ]


def nearest(
    queries: Sequence[str], index: Sequence[str], *, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """For each query hash, the position of the nearest index hash and its Hamming distance.

    Parameters
    ----------
    queries, index : sequence of str
        Hashes as 16 hex digits; ``index`` must not be empty.
    chunk : int, default=256
        Queries compared at once (memory is ``chunk * len(index) * 8`` bytes).

    Returns
    -------
    position : ndarray of int of shape (len(queries),)
    distance : ndarray of int of shape (len(queries),)

    Examples
    --------
    >>> position, distance = nearest(["00000000000000ff"], ["ffffffffffffffff", "000000000000000f"])
    >>> position.tolist(), distance.tolist()
    ([1], [4])
    """
    if not index:
        raise ValueError("nearest needs at least one index hash")
    to_bytes = lambda hashes: np.array([bytearray.fromhex(h) for h in hashes], dtype=np.uint8)  # noqa: E731
    table = to_bytes(index).reshape(len(index), HASH_BITS // 8)
    position = np.zeros(len(queries), dtype=int)
    distance = np.zeros(len(queries), dtype=int)
    for start in range(0, len(queries), chunk):
        block = to_bytes(queries[start : start + chunk]).reshape(-1, HASH_BITS // 8)
        bits = _POPCOUNT[block[:, None, :] ^ table[None, :, :]].sum(axis=2, dtype=int)
        position[start : start + len(block)] = bits.argmin(axis=1)
        distance[start : start + len(block)] = bits.min(axis=1)
    return position, distance


def blink_hashes(
    source: str,
    *,
    cache_dir: str | Path | None = None,
    refresh: bool = False,
    progress: bool = True,
) -> list[HashedImage]:
    """Hashes of every image in BLINK's val and test splits, from the cache when it is there.

    Parameters
    ----------
    source : str
        A hub id (``"BLINK-Benchmark/BLINK"``) or a local folder in the BLINK schema, read
        through :func:`tasktransfer.data.loaders.load_examples`: every one of BLINK's 13
        perception tasks (:data:`BLINK_TASK_NAMES`) and both splits; a folder, for the
        tasks it has a sub-folder for and the splits it holds.
    cache_dir : str or Path or None, default=None
        Where the hashes are kept; None means :func:`default_cache_dir`.
    refresh : bool, default=False
        Rehash even when a cache file exists.
    progress : bool, default=True
        Show a progress bar while hashing.

    Returns
    -------
    list of HashedImage

    Raises
    ------
    InputError
        The source has no images to compare against, or a split cannot be read.
    """
    cache = _cache_file(source, Path(cache_dir or default_cache_dir()))
    if cache.is_file() and not refresh:
        return _read_cache(cache)
    hashed: list[HashedImage] = []
    parts = _blink_parts(source)
    with _progress(progress) as bar:
        job = bar.add_task(f"hashing {source}", total=len(parts))
        for task, split in parts:
            examples = load_examples(source, [task], split)[task]
            hashed.extend(hash_examples(examples, task=task, split=split))
            bar.advance(job)
    if not hashed:
        raise InputError(f"{source}: no BLINK val or test images to compare against")
    write_json_atomic(
        cache,
        {
            "version": CACHE_VERSION,
            "source": source,
            "hashes": [asdict(h) for h in hashed],
        },
    )
    return hashed


def _blink_parts(source: str) -> list[tuple[str, str]]:
    """(task, split) pairs to hash: every BLINK task and split the source has."""
    root = Path(source)
    if not root.is_dir():
        return [(task, split) for task in BLINK_TASK_NAMES for split in BLINK_SPLITS]
    parts = []
    for task in folder_tasks(root):
        if task not in BLINK_TASK_NAMES:
            continue
        for split in BLINK_SPLITS:
            try:
                split_files(root, task, split)
            except DataError:  # a folder may hold val only; test images are public but optional
                continue
            parts.append((task, split))
    if not parts:
        raise InputError(
            f"{root}: no <task>/val or <task>/test file of a BLINK task; expected a "
            "folder in the BLINK schema such as a snapshot of BLINK-Benchmark/BLINK"
        )
    return parts


def _cache_file(source: str, cache_dir: Path) -> Path:
    """The cache file of ``source``: its name, plus a key of its data files for a folder."""
    root = Path(source)
    key = source
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix in (".parquet", ".jsonl"))
        key = json.dumps(
            [(str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
        )
        source = str(root.resolve())
    digest = hashlib.sha256(f"{source}\n{key}".encode()).hexdigest()[:16]
    return cache_dir / f"{slugs([source])[source]}-{digest}.json"


def _read_cache(path: Path) -> list[HashedImage]:
    try:
        data = json.loads(path.read_text())
        if data.get("version") != CACHE_VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {CACHE_VERSION}")
        return [HashedImage(**h) for h in data["hashes"]]
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"{path}: not a readable BLINK hash cache ({err}); delete it or pass --rehash"
        ) from err


def dedup_folder(
    folder: str | Path,
    against: str,
    *,
    max_distance: int = DEFAULT_MAX_DISTANCE,
    cache_dir: str | Path | None = None,
    refresh: bool = False,
    progress: bool = True,
) -> list[TaskDedup]:
    """Drop every row of a built folder that has an image matching a BLINK image.

    Parameters
    ----------
    folder : str or Path
        A built folder: ``<Task>/train.parquet`` and ``<Task>/train.manifest.json`` per
        task (:func:`tasktransfer.data.builders.build`).
    against : str
        The BLINK source: a hub id or a local folder in the BLINK schema
        (see :func:`blink_hashes`).
    max_distance : int, default=8
        Largest Hamming distance (of 64 bits) that counts as a match.
    cache_dir : str or Path or None, default=None
        Where BLINK's hashes are cached; None means :func:`default_cache_dir`.
    refresh : bool, default=False
        Rehash BLINK even when its cache exists.
    progress : bool, default=True
        Show progress bars.

    Returns
    -------
    list of TaskDedup
        One per task of the folder, in folder order.

    Notes
    -----
    The rows left keep their ``idx``; the manifest keeps their source ids, recounts the
    answer letters (dropping rows can unbalance them by a few) and replaces its ``dedup``
    report, which a second dedup overwrites rather than adds to.
    """
    if not 0 <= max_distance < HASH_BITS:
        raise InputError(f"max_distance must be in [0, {HASH_BITS}), got {max_distance}")
    folder = Path(folder)
    tasks = [t for t in folder_tasks(folder) if manifest_path(folder, t).is_file()]
    if not tasks:
        raise InputError(
            f"{folder}: no <Task>/{SPLIT}.manifest.json; build the folder with "
            "`tasktransfer data build` first"
        )
    manifests = {task: read_manifest(folder, task) for task in tasks}
    index = blink_hashes(against, cache_dir=cache_dir, refresh=refresh, progress=progress)
    index_hashes = [h.phash for h in index]
    reports = []
    with _progress(progress) as bar:
        job = bar.add_task("dedup", total=len(tasks))
        for task in tasks:
            examples = read_folder(folder, task, SPLIT)
            hashed = hash_examples(examples, task=task, split=SPLIT)
            if task == "Jigsaw":
                hashed += _rebuilt_hashes(examples)
            position, distance = nearest([h.phash for h in hashed], index_hashes)
            matches: dict[str, dict] = {}
            for image, pos, dist in zip(hashed, position, distance, strict=True):
                if dist <= max_distance and image.idx not in matches:
                    twin = index[pos]
                    matches[image.idx] = {
                        "idx": image.idx,
                        "image": image.image,
                        "blink": f"{twin.task}/{twin.split}/{twin.idx}/image_{twin.image}",
                        "distance": int(dist),
                    }
            kept = [e for e in examples if e.idx not in matches]
            report = TaskDedup(task, SPLIT, len(kept), len(matches), tuple(matches.values()))
            if matches:
                write_folder(folder, SPLIT, {task: kept})
            _record(folder, manifests[task], kept, report, against, max_distance, len(index))
            reports.append(report)
            bar.advance(job)
    return reports


def _rebuilt_hashes(examples: Iterable[Example]) -> list[HashedImage]:
    """Hashes of the Jigsaw photos rebuilt from their pieces, as image 0 of their row."""
    out = []
    for example in examples:
        photo = rebuilt_jigsaw_photo(example)
        if photo is not None:
            out.append(HashedImage("Jigsaw", SPLIT, example.idx, 0, phash(photo)))
    return out


def _record(folder, manifest, kept, report, against, max_distance, n_blink) -> None:
    """Rewrite the task's manifest for the rows kept, with the dedup report (atomically)."""
    kept_idx = {e.idx for e in kept}
    updated = replace(
        manifest,
        rows=tuple(r for r in manifest.rows if r.idx in kept_idx),
        answer_counts=dict(sorted(Counter(e.answer_letter for e in kept).items())),
        dedup={
            "against": against,
            "hash": "imagehash.phash, red marks filled",
            "max_distance": max_distance,
            "blink_images": n_blink,
            "kept": report.kept,
            "dropped": report.dropped,
            "matches": list(report.matches),
        },
    )
    write_json_atomic(manifest_path(folder, manifest.task), updated.to_json())


def _progress(enabled: bool):
    from rich.progress import Progress

    return Progress(transient=True, disable=not enabled)

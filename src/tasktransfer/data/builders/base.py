"""The contract of a builder and the machinery every builder shares.

A builder is one :class:`Builder` record: what the source is (name, split, licence), how
to check its layout, how to list its usable items (:class:`Candidate`) and how to turn one
item into a question with a chosen answer (:class:`BuiltQuestion`). :func:`build_examples`
does the rest, the same way for every task:

1. ``check_layout(source_dir)`` raises :class:`~tasktransfer.errors.InputError` naming
   the first missing file;
2. ``candidates(source_dir)`` lists the items in a fixed order (sort what a file system
   lists); each says which answer indices it can be built with (``answers``) and how
   many choices its question has;
3. the candidates are shuffled by the seed; one by one, each gets an answer index among
   the letters with the fewest answers so far (ties broken by the seed) that it can take;
   one that can take none of them waits until it can (those still waiting at the end are
   counted as skipped for balance). The letters' counts then differ by at most one for
   each number of choices, at every prefix, so ``--n`` keeps the balance;
4. ``render(candidate, answer, rng)`` draws the question (``None`` skips the candidate,
   counted in the manifest); ``rng`` is seeded by the seed and the candidate's key, so a
   row depends on nothing but the two;
5. rows become :class:`~tasktransfer.data.example.Example` objects with BLINK's prompt
   (:func:`~tasktransfer.data.example.format_prompt`) and ``idx`` ``train_<Task>_<n>``, and
   pass :func:`~tasktransfer.data.validate.validate_examples`.

:func:`write_build` writes ``<out>/<Task>/train.parquet`` (read back by
``tasktransfer.data.folder``) and ``<out>/<Task>/train.manifest.json`` (:class:`Manifest`),
both atomically.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from tasktransfer.data.example import Example, format_prompt, letter_of
from tasktransfer.data.images import plain_image
from tasktransfer.data.validate import validate_examples
from tasktransfer.errors import InputError
from tasktransfer.files import write_json_atomic

SPLIT = "train"
MANIFEST_FORMAT = 1
# Longest image side kept: BLINK's images are about this size, and larger photos only
# make the parquet files heavier. Builders scale source coordinates by the returned factor.
MAX_SIDE = 1024


@dataclass(frozen=True)
class Candidate:
    """One usable item of a source, before its answer letter is chosen.

    Attributes
    ----------
    key : str
        Unique and stable within the source (an annotation id, a file name and row):
        it seeds the candidate's own random generator.
    answers : tuple of int
        The answer indices the item can be built with: ``(0, 1, 2, 3)`` when the options
        can be shuffled freely, ``(0,)`` for a "yes" caption, ``(2,)`` for "About the same".
    n_choices : int
        The number of options of its question.
    record : Any
        The builder's own data for :attr:`Builder.render` (parsed annotations, paths).
    """

    key: str
    answers: tuple[int, ...]
    n_choices: int
    record: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class BuiltQuestion:
    """A question drawn from one candidate with the answer index it was asked for.

    Attributes
    ----------
    question : str
        BLINK's short ``question`` field.
    choices : tuple of str
        The option strings, in letter order, as BLINK writes them (``"A is closer"``).
    answer : int
        0-based index of the right option.
    images : tuple of PIL.Image.Image
        ``image_1`` .. in order, with every mark already drawn.
    source_ids : tuple of str
        What the row came from in the source (image file, annotation or question id), for
        the manifest and deduplication.
    task_text : str or None, default=None
        The text before "Select from the following choices." in ``prompt`` when it is
        longer than ``question`` (a fixed task description); ``None`` uses ``question``.
    """

    question: str
    choices: tuple[str, ...]
    answer: int
    images: tuple[Image.Image, ...]
    source_ids: tuple[str, ...]
    task_text: str | None = None


@dataclass(frozen=True)
class Builder:
    """One task's builder: a source dataset's train split to BLINK-schema rows.

    Attributes
    ----------
    task : str
        BLINK task name (``"Counting"``).
    source : str
        The source dataset, as a reader would cite it (``"TallyQA"``).
    source_split : str
        Which part of the source is read, with the rule when the source has no split
        (``"train (images whose id mod 5 != 0)"``).
    licence : str
        The source's terms in one or two sentences, copied into the manifest.
    layout : str
        The expected folder layout, one line, added to the layout errors.
    version : int
        Bumped whenever a change can change the rows built from the same source and seed.
    check_layout : callable
        ``check_layout(source_dir)``; raises :class:`InputError` naming a missing file.
    candidates : callable
        ``candidates(source_dir) -> iterable of Candidate``, in a fixed order.
    render : callable
        ``render(candidate, answer, rng) -> BuiltQuestion or None``.
    """

    task: str
    source: str
    source_split: str
    licence: str
    layout: str
    version: int
    check_layout: Callable[[Path], None]
    candidates: Callable[[Path], Iterable[Candidate]]
    render: Callable[[Candidate, int, random.Random], BuiltQuestion | None]


@dataclass(frozen=True)
class ManifestRow:
    """Where one built row came from."""

    idx: str
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    """The sidecar record of one built split (``<Task>/train.manifest.json``).

    Attributes
    ----------
    task, source, source_split, licence : str
        From the :class:`Builder`.
    source_dir : str
        The folder read.
    builder_version : int
    seed : int
    n_requested : int or None
        ``--n``; ``None`` when every usable candidate was asked for.
    rows : tuple of ManifestRow
        In row order.
    answer_counts : dict of str to int
        Answer letter -> rows (``"A"``: 12, ...).
    skipped : dict of str to int
        Candidates not built and why: ``"balance"`` (no free letter it could take),
        ``"render"`` (the builder refused it: marks would not fit, a box jitter failed).
    dedup : dict
        Filled by deduplication against BLINK's images; empty until it runs.
    format : int
        The manifest's own format version.
    """

    task: str
    source: str
    source_split: str
    licence: str
    source_dir: str
    builder_version: int
    seed: int
    n_requested: int | None
    rows: tuple[ManifestRow, ...]
    answer_counts: dict[str, int]
    skipped: dict[str, int]
    dedup: dict[str, Any] = field(default_factory=dict)
    format: int = MANIFEST_FORMAT

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | str = "manifest") -> Manifest:
        """Read a manifest back; an unknown or missing key raises :class:`InputError`."""
        names = {f for f in cls.__dataclass_fields__}
        missing = sorted(names - set(data) - {"dedup", "format"})
        unknown = sorted(set(data) - names)
        if missing or unknown:
            raise InputError(
                f"{path}: not a builder manifest (missing keys: {missing or 'none'}, "
                f"unknown keys: {unknown or 'none'})"
            )
        rows = tuple(
            ManifestRow(idx=str(r["idx"]), source_ids=tuple(r["source_ids"])) for r in data["rows"]
        )
        return cls(**{**data, "rows": rows})


def manifest_path(out_dir: Path | str, task: str) -> Path:
    """Where the manifest of ``task`` lives in a built folder."""
    return Path(out_dir) / task / f"{SPLIT}.manifest.json"


def read_manifest(out_dir: Path | str, task: str) -> Manifest:
    """The manifest of ``task`` in a built folder; a missing file raises :class:`InputError`."""
    path = manifest_path(out_dir, task)
    if not path.is_file():
        raise InputError(f"{path}: no builder manifest; build the task first")
    return Manifest.from_json(read_json(path), path)


@dataclass(frozen=True)
class Build:
    """What :func:`build_examples` returns: the rows and their manifest."""

    examples: tuple[Example, ...]
    manifest: Manifest


def require_files(source_dir: Path, names: Sequence[str], *, source: str) -> None:
    """Raise :class:`InputError` naming the first of ``names`` missing under ``source_dir``."""
    if not source_dir.is_dir():
        raise InputError(f"{source_dir}: no such folder; pass the {source} folder to --from")
    for name in names:
        if not (source_dir / name).exists():
            raise InputError(f"{source_dir / name}: missing; a {source} folder must hold {name}")


def source_file(source_dir: Path, name: str, *, what: str) -> Path:
    """``source_dir / name`` for a name read from an annotation, refused if it leaves the folder.

    Annotations name images (``"JPEGImages/cat/2008_000123.jpg"``); a name with ``..`` or
    an absolute path must not reach files outside the source. ``what`` says where the name
    was read, for the message.
    """
    root = source_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"{what}: image path {name!r} leaves the source folder {root}")
    return path


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm")


def photo_files(source_dir: Path, *, source: str) -> list[Path]:
    """Every photo under ``source_dir`` (any depth, :data:`PHOTO_SUFFIXES`), sorted.

    For builders that take "any photo folder"; an empty folder raises :class:`InputError`.
    """
    if not source_dir.is_dir():
        raise InputError(f"{source_dir}: no such folder; pass the {source} folder to --from")
    photos = sorted(
        p
        for p in source_dir.rglob("*")
        if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )
    if not photos:
        raise InputError(
            f"{source_dir}: no photo ({', '.join(PHOTO_SUFFIXES)}) in the folder or below it"
        )
    return photos


def read_json(path: Path) -> Any:
    """A JSON file's content; a broken file raises :class:`InputError` naming it."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not a readable JSON file ({err})") from err


def read_train_rows(path: Path, columns: Sequence[str], *, source: str) -> list[tuple[int, dict]]:
    """The rows of a metadata CSV whose ``split`` is ``train``, with their line numbers.

    Every name in ``columns`` (``split`` among them) must be in the header, else an
    :class:`InputError` names the file, the column and ``source``. Line numbers count the
    header as line 1, as an editor shows them, for the errors the reader raises.
    """
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: column {missing[0]!r} is missing ({source})")
        rows = list(reader)
    return [(line, row) for line, row in enumerate(rows, start=2) if row["split"] == "train"]


def get_field(record: Any, name: str, kind: type | tuple[type, ...], *, at: str) -> Any:
    """``record[name]``, checked to be of ``kind``; else :class:`InputError` naming ``at``.

    ``bool`` is not accepted where ``int`` is asked for (JSON ``true`` is no count).

    Examples
    --------
    >>> get_field({"answer": 3}, "answer", int, at="train.json, record 1")
    3
    """
    if not isinstance(record, Mapping):
        raise InputError(f"{at}: expected a JSON object, got {type(record).__name__}")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value = record.get(name)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise InputError(f"{at}: field {name!r} must be {names}, got {value!r}")
    return value


def load_image(path: Path, *, what: str) -> tuple[Image.Image, float]:
    """An RGB image, its longer side cut to :data:`MAX_SIDE`, and the factor applied.

    Multiply a source's pixel coordinates by the factor to draw on the returned image.
    A missing or undecodable file raises :class:`InputError` naming it and ``what``
    referred to it.
    """
    if not path.is_file():
        raise InputError(f"{path}: image file missing (named by {what})")
    try:
        with Image.open(path) as opened:
            image = plain_image(opened.convert("RGB"))
    except Exception as err:  # PIL raises several types for an undecodable file
        raise InputError(f"{path}: cannot decode the image named by {what} ({err})") from err
    factor = min(1.0, MAX_SIDE / max(image.size))
    if factor < 1.0:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image, factor


def build_examples(
    builder: Builder,
    source_dir: Path | str,
    *,
    n: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Build:
    """Build balanced BLINK-schema rows for ``builder.task`` from ``source_dir``.

    Parameters
    ----------
    builder : Builder
    source_dir : path
        The source dataset's folder, laid out as ``builder.layout`` says.
    n : int or None, default=None
        At most this many rows; ``None`` builds from every usable candidate.
    seed : int, default=0
        The same source, builder version and seed give the same rows.
    progress : callable or None
        Called as ``progress(done, total)`` after each row.

    Returns
    -------
    Build
        The validated examples and their manifest.
    """
    source_dir = Path(source_dir)
    if n is not None and n < 1:
        raise InputError(f"--n must be a positive number of rows; got {n}")
    try:
        builder.check_layout(source_dir)
    except InputError as err:
        raise InputError(f"{err} (expected: {builder.layout})") from None
    pool = list(builder.candidates(source_dir))
    keys = Counter(c.key for c in pool)
    repeated = [k for k, count in keys.items() if count > 1]
    if repeated:
        raise ValueError(f"builder {builder.task}: candidate key {repeated[0]!r} is not unique")
    random.Random(seed).shuffle(pool)
    total = len(pool) if n is None else min(n, len(pool))
    counts: Counter[tuple[int, int]] = Counter()
    render_skips = 0
    rows: list[BuiltQuestion] = []
    # Candidates with no free letter wait, grouped by what they can take, and come back
    # as soon as one of their letters is among the least used again.
    waiting: dict[tuple[int, tuple[int, ...]], deque[Candidate]] = {}
    stream = iter(pool)
    tie_break = random.Random(f"{seed}/letters")
    while len(rows) < total:
        candidate = _waiting_that_fits(waiting, counts) or next(stream, None)
        if candidate is None:
            break
        answer = _balanced_answer(candidate, counts, tie_break)
        if answer is None:
            waiting.setdefault((candidate.n_choices, candidate.answers), deque()).append(candidate)
            continue
        built = builder.render(candidate, answer, random.Random(f"{seed}/{candidate.key}"))
        if built is None:
            render_skips += 1
            continue
        _check_built(builder, candidate, answer, built)
        counts[(candidate.n_choices, answer)] += 1
        rows.append(built)
        if progress is not None:
            progress(len(rows), total)
    skipped = {"balance": sum(map(len, waiting.values())), "render": render_skips}
    examples = tuple(_example(builder.task, i, built) for i, built in enumerate(rows))
    if not examples:
        raise InputError(
            f"{source_dir}: no usable {builder.source} item for {builder.task} "
            f"({len(pool)} found, {render_skips} unusable)"
        )
    validate_examples(
        examples, source=str(source_dir), task=builder.task, split=SPLIT, require_answers=True
    )
    letters = Counter(e.answer_letter for e in examples)
    manifest = Manifest(
        task=builder.task,
        source=builder.source,
        source_split=builder.source_split,
        licence=builder.licence,
        source_dir=str(source_dir.resolve()),
        builder_version=builder.version,
        seed=seed,
        n_requested=n,
        rows=tuple(
            ManifestRow(idx=e.idx, source_ids=built.source_ids)
            for e, built in zip(examples, rows, strict=True)
        ),
        answer_counts=dict(sorted(letters.items())),
        skipped=skipped,
    )
    return Build(examples=examples, manifest=manifest)


def _waiting_that_fits(
    waiting: dict[tuple[int, tuple[int, ...]], deque[Candidate]],
    counts: Counter[tuple[int, int]],
) -> Candidate | None:
    """The first waiting candidate (by group) that can take a least-used letter now."""
    for (n_choices, answers), queue in sorted(waiting.items()):
        used = [counts[(n_choices, a)] for a in range(n_choices)]
        if queue and any(used[a] == min(used) for a in answers):
            return queue.popleft()
    return None


def _balanced_answer(
    candidate: Candidate, counts: Counter[tuple[int, int]], rng: random.Random
) -> int | None:
    """An answer index the candidate can take among the least-used letters, or None.

    Taking only least-used letters keeps max - min <= 1 for each number of choices.
    """
    used = [counts[(candidate.n_choices, a)] for a in range(candidate.n_choices)]
    free = [a for a in sorted(set(candidate.answers)) if used[a] == min(used)]
    return rng.choice(free) if free else None


def _check_built(builder: Builder, candidate: Candidate, answer: int, built: BuiltQuestion):
    """A builder bug (not bad input) when the question breaks what the candidate promised."""
    if built.answer != answer or len(built.choices) != candidate.n_choices:
        raise ValueError(
            f"builder {builder.task}: candidate {candidate.key!r} asked for answer {answer} of "
            f"{candidate.n_choices} choices, got {built.answer} of {len(built.choices)}"
        )


def _example(task: str, i: int, built: BuiltQuestion) -> Example:
    text = built.task_text if built.task_text is not None else built.question
    return Example(
        idx=f"{SPLIT}_{task}_{i + 1}",
        sub_task=task,
        question=built.question,
        choices=built.choices,
        answer=f"({letter_of(built.answer)})",
        prompt=format_prompt(text, built.choices),
        images=built.images,
    )


def write_build(out_dir: Path | str, build: Build) -> tuple[Path, Path]:
    """Write the rows as ``<out>/<Task>/train.parquet`` and the manifest beside them.

    Returns the two paths. Both writes are atomic; the manifest is written last, so a
    folder with a manifest has its rows.
    """
    from tasktransfer.data.folder import write_folder

    task = build.manifest.task
    (parquet,) = write_folder(out_dir, SPLIT, {task: build.examples})
    manifest = write_json_atomic(manifest_path(out_dir, task), build.manifest.to_json())
    return parquet, manifest

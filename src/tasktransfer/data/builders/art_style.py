"""Art_Style from paintings sorted by style: ArtBench-10 or WikiArt folders.

BLINK's Art_Style probably comes from WikiArt-like paintings (not confirmed; see
``docs/training-data.md``). Two layouts are read:

- **ArtBench-10** (Liao et al., 2022), the 256x256 ImageFolder release with its metadata
  CSV: ``ArtBench-10.csv`` (columns ``name``, ``artist``, ``label``, ``split`` among
  others) and ``artbench-10-imagefolder-split/train/<label>/<name>``. Rows with
  ``split == train`` are used.
- **WikiArt** folders (the ArtGAN release): ``<Style>/<artist>_<title>.jpg``. There is no
  split; every image is used, and the artist is the file name before the first ``_``.

BLINK's question: the first image is a reference painting; of the second and third, which
shares its style? The prompt first names a few common styles. Options "the second image" /
"the third image". The same-style candidate is another painting of the reference's style,
by another artist when the style has one; the other candidate is a painting of another
style (the style drawn uniformly, then the painting).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tasktransfer.data.builders.base import (
    PHOTO_SUFFIXES,
    Builder,
    BuiltQuestion,
    Candidate,
    load_image,
    read_train_rows,
    require_files,
    source_file,
)
from tasktransfer.errors import InputError

ARTBENCH_CSV = "ArtBench-10.csv"
ARTBENCH_IMAGES = "artbench-10-imagefolder-split/train"
ARTBENCH_COLUMNS = ("name", "artist", "label", "split")
CHOICES = ("the second image", "the third image")
QUESTION = "Which image shares the same style as the reference image?"
TASK_TEXT = (
    "Paintings come in styles such as Realism, Impressionism, Expressionism, Pop Art and "
    "Cubism. The first image is the reference painting. Which of the second and the third "
    "image is painted in the same style as the reference?"
)


@dataclass(frozen=True)
class Painting:
    """One painting: its name in the source (for the manifest), file, artist and style."""

    name: str
    file: Path
    artist: str
    style: str


@dataclass(frozen=True)
class _Reference:
    """A candidate's record: the reference painting, and every painting by style (shared)."""

    painting: Painting
    by_style: Mapping[str, tuple[Painting, ...]]


def check_layout(source_dir: Path) -> None:
    """ArtBench-10's CSV and image folder, or at least two style folders with images."""
    if (source_dir / ARTBENCH_CSV).is_file():
        require_files(source_dir, [ARTBENCH_IMAGES], source="ArtBench-10")
        return
    require_files(source_dir, [], source="WikiArt or ArtBench-10")
    styles = [
        p
        for p in sorted(source_dir.iterdir())
        if p.is_dir() and not p.name.startswith(".") and _images(p)
    ]
    if len(styles) < 2:
        raise InputError(
            f"{source_dir}: expected {ARTBENCH_CSV} with {ARTBENCH_IMAGES}/, or WikiArt's "
            f"<Style>/<image>.jpg folders (at least two styles); found {len(styles)} style "
            "folder(s) with images"
        )


def candidates(source_dir: Path) -> list[Candidate]:
    """Every painting as a reference, in name order, once its style has a second painting."""
    paintings = (
        _artbench(source_dir) if (source_dir / ARTBENCH_CSV).is_file() else _wikiart(source_dir)
    )
    by_style: dict[str, list[Painting]] = {}
    for painting in paintings:
        by_style.setdefault(painting.style, []).append(painting)
    frozen = {style: tuple(items) for style, items in sorted(by_style.items())}
    if len(frozen) < 2:
        raise InputError(
            f"{source_dir}: paintings of at least two styles are needed, found {len(frozen)}"
        )
    return [
        Candidate(key=p.name, answers=(0, 1), n_choices=2, record=_Reference(p, frozen))
        for style, items in frozen.items()
        if len(items) >= 2
        for p in items
    ]


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())


def _wikiart(source_dir: Path) -> list[Painting]:
    return [
        Painting(
            name=f"{style.name}/{file.name}",
            file=file,
            artist=file.stem.split("_", 1)[0],
            style=style.name,
        )
        for style in sorted(source_dir.iterdir())
        if style.is_dir() and not style.name.startswith(".")
        for file in _images(style)
    ]


def _artbench(source_dir: Path) -> list[Painting]:
    path = source_dir / ARTBENCH_CSV
    paintings = []
    for line, row in read_train_rows(path, ARTBENCH_COLUMNS, source="ArtBench-10 metadata"):
        at = f"{path}, line {line}"
        name = f"{ARTBENCH_IMAGES}/{row['label']}/{row['name']}"
        file = source_file(source_dir, name, what=at)
        paintings.append(Painting(name=name, file=file, artist=row["artist"], style=row["label"]))
    return sorted(paintings, key=lambda p: p.name)


def render(candidate: Candidate, answer: int, rng: random.Random) -> BuiltQuestion:
    """The reference, a same-style painting and another style's, the former at ``answer``."""
    reference: _Reference = candidate.record
    ref = reference.painting
    same_style = [p for p in reference.by_style[ref.style] if p.name != ref.name]
    other_artist = [p for p in same_style if p.artist != ref.artist]
    positive = rng.choice(other_artist or same_style)
    negative = rng.choice(
        reference.by_style[rng.choice([s for s in reference.by_style if s != ref.style])]
    )
    pair = (positive, negative) if answer == 0 else (negative, positive)
    images = tuple(load_image(p.file, what=f"painting {p.name}")[0] for p in (ref, *pair))
    return BuiltQuestion(
        question=QUESTION,
        choices=CHOICES,
        answer=answer,
        images=images,
        source_ids=tuple(f"{p.style}: {p.name}" for p in (ref, *pair)),
        task_text=TASK_TEXT,
    )


BUILDER = Builder(
    task="Art_Style",
    source="ArtBench-10 (Liao et al., 2022) or WikiArt style folders",
    source_split="ArtBench-10: split == train in ArtBench-10.csv; WikiArt: every image (no split)",
    licence=(
        "Paintings from WikiArt and other art sites, released by ArtBench-10 under fair use "
        "(its metadata and code are MIT); WikiArt's terms restrict use to research. Do not "
        "redistribute the images."
    ),
    layout="ArtBench-10.csv + artbench-10-imagefolder-split/train/<style>/<name>, "
    "or <Style>/<artist>_<title>.jpg",
    version=1,
    check_layout=check_layout,
    candidates=candidates,
    render=render,
)

"""Evaluation: every model state (base, adapters, full finetunes) on every target task.

Public API
----------
EvalConfig
    ``mode`` (``"likelihood"`` or ``"generate"``), ``batch_size``, ``max_new_tokens``,
    ``share_image_features``, ``collapse_share``, ``format_mismatch_below``, ``parser``.
EvalResult
    ``predictions`` (one dict per question and model state), ``rows`` (one dict per
    (adapter, target)), ``meta``; ``results``/``records`` turn them into the contracts'
    results rows and prediction records, ``save(out_dir, model=, run=)`` writes them.
evaluate(model, examples_by_task, *, adapters=None, config=None, progress=True) -> EvalResult
generation_settings(config) -> dict
    The decoding settings of generate mode (pure greedy), as recorded in the metadata.
summarize(predictions, *, collapse_share=0.9, format_mismatch_below=0.5) -> list of dict
    The rows of a list of predictions (pure; also what :class:`EvalResult` holds).
is_collapsed(predicted, gold, *, share=0.9) -> bool
    The collapse rule (below).
touches_vision(network, adapter_name, arch) -> bool
    Whether a loaded adapter changes the vision tower or the projector.
image_features(network, inputs)
    The vision tower + projector output for a batch, reusable as ``mm_encoder_outputs``.
left_padded(inputs, last_index) -> dict
    Right-padded processor outputs rolled into left-padded ones, for ``generate``.

Modes
-----
``likelihood`` (default) runs one forward pass per question, in batches, and predicts the
offered option with the highest log-probability at the answer position
(:func:`tasktransfer.model.prompting.answer_log_probs`, the same position and prompt that
training uses); an option's score is the log-sum-exp over the first tokens of the forms it
may be written in (``A``, ``(A``: see :mod:`tasktransfer.model.prompting`).
``generate`` decodes greedily (batches are turned from right- to left-padded)
and reads the letter with the strict BLINK-style parser
(:func:`tasktransfer.model.answers.parse_answer`); an output that names no single offered
letter counts as wrong and as unparsed (``parser="lenient"`` also reads ``"A)"``, ``"A."``
and ``"Answer: A"``). ``batch_size=1`` is BLINK's own one-at-a-time loop.

Decoding is pure greedy whatever the checkpoint says: transformers fills every setting that
the caller leaves unset from the checkpoint's ``generation_config.json`` (Qwen2.5-VL-Instruct's
holds ``repetition_penalty`` 1.05, which penalises an option letter already written in the
prompt), so :func:`generation_settings` sets sampling, beams, the repetition penalty, the
n-gram ban and the minimum number of new tokens explicitly, and the metadata records them.

Numeric questions
-----------------
A question whose answer is a number (``answer_type == "number"``: VSI-Bench's counts,
distances and sizes) is answered by greedy generation in either mode, with the same
decoding settings (:func:`generation_settings`), read by the strict number parser and scored
by mean relative accuracy (:mod:`tasktransfer.scoring`). Its prediction keeps the generated
``output``, the parsed number as ``predicted`` (None when the output is not one number,
counted in ``n_unparsed``) and the ``score``; its row's ``n_correct`` is the sum of the
scores, a float (:class:`~tasktransfer.contracts.ResultRow`). Letters, letter mass and
collapse do not apply to numeric questions.

Videos
------
A question about a video reaches the model through its processor's video path or as its
frames shown as images (:func:`tasktransfer.model.prompting.video_route`). ``meta`` records
which for every model state (``video_routes``), so does every video question's prediction
(``video_route``, so that a study's ``predictions.jsonl`` keeps it), and a model whose
architecture takes videos but whose processor has no video processor (Qwen2.5-VL without
torchvision) is also logged as a warning.

Questions of all tasks are batched together in order of length (number of images, pixels,
prompt), so batches are full and padding is small. A question's scores do not depend on its
batch (right padding, per-row answer positions), and the output keeps task and question
order.

Many adapters, one base
-----------------------
All LoRA adapters of ``adapters`` are loaded into one copy of the base
(``PeftModel.load_adapter``). Each batch of questions is encoded once; in likelihood mode the
images of the batch go through the vision tower and projector once
(``model.get_image_features``), and every adapter that leaves those modules untouched (read
from the LoRA layers actually injected, so regex and name-list targets are treated alike)
reuses the features (``mm_encoder_outputs``) with its own language model pass. Adapters that
adapt the vision tower or the projector encode the images themselves. A folder holding a full
model (``config.json``, no ``adapter_config.json``) is loaded and evaluated on its own.

Collapse
--------
A target's predictions *collapse* when one letter takes at least ``collapse_share`` (90 %) of
its questions while the gold answers are not themselves that skewed (their most common letter
holds less than ``collapse_share``). It flags a finetune that learned an answer bias instead
of a skill; with balanced gold letters, a model that answers "A" to everything is caught even
when its accuracy looks plausible.

Letter mass
-----------
Each likelihood prediction records ``letter_mass``, the probability at the answer position on
every form of every offered option (:func:`tasktransfer.model.prompting.letter_mass`); a row
holds its mean over the target's questions. A row whose mean is below
``format_mismatch_below`` (0.5) is a *format mismatch*: most of the model's answer is
something the scores do not read (another answer format, a word, a space before the letter),
so its accuracy is read from leftover probability, and a finetune that moves that mass onto
the letters gains accuracy by format, not by skill. Generate mode reads no probabilities:
both are None there.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tasktransfer import __version__, scoring
from tasktransfer.contracts import Prediction, ResultRow, predictions_jsonl_text, write_results
from tasktransfer.data import Example
from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic, write_json_atomic
from tasktransfer.model.config import ModelConfig
from tasktransfer.model.threads import torch_threads

# What a model state's rows are labelled with: (source, step), step None for a final state.
State = tuple[str, float | None]

log = logging.getLogger(__name__)


class EvalConfig(BaseModel):
    """How to evaluate.

    Attributes
    ----------
    mode : {"likelihood", "generate"}, default="likelihood"
        ``likelihood``: argmax of the offered letters' log-probabilities at the answer
        position. ``generate``: greedy decoding (:func:`generation_settings`) read by the
        answer parser, as BLINK's official evaluation runs (slower; unparsable outputs count
        as wrong).
    batch_size : int, default=16
        Questions per forward pass (or per ``generate`` call).
    max_new_tokens : int, default=16
        Generation budget in ``generate`` mode. The offline tiny model is trained on the
        answer letter only and never learned to stop ("BBBB" is unparsable): use 1 with it.
    share_image_features : bool, default=True
        Encode each batch's images once for all adapters that leave the vision tower and the
        projector untouched (likelihood mode). Off: every adapter encodes them itself.
    collapse_share : float, default=0.9
        Share of one predicted letter above which a target's predictions count as collapsed
        (see the module docstring).
    parser : {"strict", "lenient"}, default="strict"
        How generate mode reads an output (:func:`tasktransfer.model.answers.parse_answer`):
        ``strict`` follows BLINK's rules; ``lenient`` also accepts ``"A)"``, ``"A."``,
        ``"A:"`` at the start and ``"Answer: A"`` / ``"the answer is A"``.
    format_mismatch_below : float, default=0.5
        Mean ``letter_mass`` below which a likelihood row is flagged ``format_mismatch``:
        below one half, most of the answer-position probability is on no form of an offered
        option (see the module docstring).
    allow_pixel_cap_mismatch : bool, default=False
        Evaluate an adapter whose ``meta.json`` records another ``image_max_pixels`` than
        the model's: it then sees images at another resolution than it was trained on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["likelihood", "generate"] = "likelihood"
    batch_size: int = Field(default=16, gt=0)
    max_new_tokens: int = Field(default=16, gt=0)
    share_image_features: bool = True
    collapse_share: float = Field(default=0.9, gt=0.5, le=1.0)
    parser: Literal["strict", "lenient"] = "strict"
    format_mismatch_below: float = Field(default=0.5, gt=0.0, le=1.0)
    # Left out of dumps when off, so the cell keys of existing studies stay valid.
    allow_pixel_cap_mismatch: bool = Field(default=False, exclude_if=lambda allow: not allow)


@dataclass
class EvalResult:
    """What :func:`evaluate` returns.

    Attributes
    ----------
    predictions : list of dict
        One per (adapter, target, question): ``adapter``, ``target``, ``idx``, ``predicted``
        (letter or None when unparsed), ``answer`` (gold letter), ``correct``, ``scores``
        ({letter: log-probability} over the offered letters; empty in generate mode),
        ``letter_mass`` (likelihood mode), and ``output`` (the generated text) in generate
        mode. A numeric question has ``output``, ``predicted`` (the parsed number as text, or
        None), ``answer`` (the ground truth as text) and ``score`` (mean relative accuracy).
        A video question has ``video_route``.
    rows : list of dict
        One per (adapter, target): ``adapter``, ``target``, ``n_correct`` (a float sum of
        scores for a numeric target), ``n_total``, ``answer_counts`` ({letter: count of
        predictions}), ``n_unparsed``, ``collapsed``, ``letter_mass`` (mean) and
        ``format_mismatch`` (None in generate mode); the letter columns are None for a
        numeric target.
    meta : dict
        What was evaluated and how: model description (incl. ``image_max_pixels``), config,
        adapters, which adapters shared image features, tasks with data fingerprints, wall time,
        ``generation`` (:func:`generation_settings`; None in likelihood mode unless a target
        is numeric), and ``video_routes`` (adapter label -> ``"processor_video"`` or
        ``"frames_as_images"``; None when no question has a video).
    """

    predictions: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def results(
        self, *, model: str, run: str, states: Mapping[str, State] | None = None
    ) -> list[ResultRow]:
        """The rows as results-table rows.

        ``states`` maps an adapter label to the ``(source, step)`` of its rows; a label it
        leaves out is its own ``source``, with no step.
        """
        return [
            ResultRow(model=model, run=run, **_state(row, states), **_without(row, "adapter"))
            for row in self.rows
        ]

    def records(
        self, *, model: str, run: str, states: Mapping[str, State] | None = None
    ) -> list[Prediction]:
        """The predictions as prediction records; ``states`` as in :meth:`results`."""
        return [
            Prediction(model=model, run=run, **_state(p, states), **_without(p, "adapter"))
            for p in self.predictions
        ]

    def save(self, out_dir: str | Path, *, model: str, run: str) -> dict[str, Path]:
        """Write ``predictions.jsonl``, ``rows.csv`` and ``meta.json`` into ``out_dir``.

        ``rows.csv`` is a results table (:mod:`tasktransfer.contracts.results`) whose
        ``source`` is each adapter's label, so that evaluations of a zero-shot base
        (labelled ``zero-shot``) and of finetunes labelled by their task can be analysed
        as they are. Each file is written atomically.

        Returns
        -------
        dict of str to Path
            ``{"predictions": ..., "rows": ..., "meta": ...}``.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {
            "predictions": out_dir / "predictions.jsonl",
            "rows": out_dir / "rows.csv",
            "meta": out_dir / "meta.json",
        }
        records = self.records(model=model, run=run)
        write_atomic(paths["predictions"], predictions_jsonl_text(records))
        write_results(paths["rows"], self.results(model=model, run=run))
        write_json_atomic(paths["meta"], self.meta)
        return paths


def _state(record: Mapping[str, Any], states: Mapping[str, State] | None) -> dict[str, Any]:
    """``source`` and ``step`` of a record, from its adapter label."""
    source, step = (states or {}).get(record["adapter"], (record["adapter"], None))
    return {"source": source, "step": step}


def _without(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def is_collapsed(
    predicted: Sequence[str | None], gold: Sequence[str], *, share: float = 0.9
) -> bool:
    """Whether predictions collapse onto one letter while the gold letters do not.

    Parameters
    ----------
    predicted : sequence of str or None
        Predicted letters of one target (None = unparsed, never a collapse letter).
    gold : sequence of str
        Gold letters of the same questions.
    share : float, default=0.9

    Examples
    --------
    >>> is_collapsed(list("AAAAAAAAAA"), list("ABABABABAB"))
    True
    >>> is_collapsed(list("AAAAAAAAAA"), list("AAAAAAAAAB"))  # the gold is that skewed too
    False
    >>> is_collapsed(list("AAAAAAAABB"), list("ABABABABAB"))
    False
    """
    if not predicted:
        return False
    top_predicted = max(Counter(p for p in predicted if p is not None).values(), default=0)
    top_gold = max(Counter(gold).values())
    return top_predicted >= share * len(predicted) and top_gold < share * len(gold)


def summarize(
    predictions: Sequence[Mapping[str, Any]],
    *,
    collapse_share: float = 0.9,
    format_mismatch_below: float = 0.5,
) -> list:
    """Rows of the results table, one per (adapter, target), in first-seen order.

    ``answer_counts`` lists every letter predicted or gold in the target (zero counts
    included), so a letter the model never chooses is visible. A prediction with a
    ``score`` (a numeric question) adds its score to ``n_correct``, which is then a float;
    the letter columns (``answer_counts``, ``collapsed``) read the multiple-choice
    predictions only and are None without any. ``letter_mass`` is the mean of
    the predictions' ``letter_mass`` and ``format_mismatch`` whether it is below
    ``format_mismatch_below``; both None unless every prediction has a letter mass.

    Examples
    --------
    >>> preds = [
    ...     {"adapter": "a", "target": "T", "predicted": "A", "answer": "A", "correct": True},
    ...     {"adapter": "a", "target": "T", "predicted": None, "answer": "B", "correct": False},
    ... ]
    >>> summarize(preds)  # doctest: +NORMALIZE_WHITESPACE
    [{'adapter': 'a', 'target': 'T', 'n_correct': 1, 'n_total': 2,
      'answer_counts': {'A': 1, 'B': 0}, 'n_unparsed': 1, 'collapsed': False,
      'letter_mass': None, 'format_mismatch': None}]
    >>> for p, mass in zip(preds, [0.25, 0.5]):
    ...     p["letter_mass"] = mass
    >>> row = summarize(preds)[0]
    >>> row["letter_mass"], row["format_mismatch"]
    (0.375, True)
    """
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for p in predictions:
        groups.setdefault((p["adapter"], p["target"]), []).append(p)
    rows = []
    for (adapter, target), group in groups.items():
        choice = [p for p in group if p.get("score") is None]
        predicted = [p["predicted"] for p in choice]
        gold = [p["answer"] for p in choice]
        letters = sorted({*gold, *(x for x in predicted if x is not None)})
        counts = Counter(predicted)
        masses = [p.get("letter_mass") for p in group]
        mass = None if None in masses else sum(masses) / len(masses)
        collapsed = is_collapsed(predicted, gold, share=collapse_share) if choice else None
        rows.append(
            {
                "adapter": adapter,
                "target": target,
                "n_correct": _n_correct(group),
                "n_total": len(group),
                "answer_counts": {x: counts[x] for x in letters} if choice else None,
                "n_unparsed": sum(p["predicted"] is None for p in group),
                "collapsed": collapsed,
                "letter_mass": mass,
                "format_mismatch": None if mass is None else mass < format_mismatch_below,
            }
        )
    return rows


def _n_correct(group: Sequence[Mapping[str, Any]]) -> int | float:
    """Correct answers counted, or with numeric questions the float sum of every credit."""
    if all(p.get("score") is None for p in group):
        return sum(bool(p["correct"]) for p in group)
    credits = [float(p["correct"]) if p.get("score") is None else p["score"] for p in group]
    return math.fsum(credits)


def _check_examples(examples_by_task: Mapping[str, Sequence[Example]]) -> dict[str, list[Example]]:
    tasks = {task: list(examples) for task, examples in examples_by_task.items()}
    if not tasks or not any(tasks.values()):
        raise InputError("evaluate() got no examples")
    for task, examples in tasks.items():
        for ex in examples:
            if ex.answer_type == "number":
                gt = ex.answer_number
                if gt is None or not math.isfinite(gt) or gt == 0:
                    raise InputError(
                        f"task {task}, idx {ex.idx}: numeric answer {ex.answer!r} is hidden, "
                        "not a number, or zero; mean relative accuracy needs a non-zero "
                        "ground truth"
                    )
            elif ex.answer_letter is None:
                raise InputError(
                    f"task {task}, idx {ex.idx}: answer {ex.answer!r} is hidden or malformed; "
                    "evaluation needs gold answers (BLINK's test split hides them: use val)"
                )
    return tasks


def _adapter_kind(label: str, path: Path | None) -> str:
    """``"base"``, ``"lora"`` (PEFT adapter folder) or ``"full"`` (a saved model folder)."""
    if path is None:
        return "base"
    path = Path(path)
    if (path / "adapter_config.json").is_file():
        return "lora"
    if (path / "config.json").is_file():
        return "full"
    raise InputError(
        f"adapter {label!r}: {path} holds neither adapter_config.json (a LoRA adapter) nor "
        "config.json (a full model)"
    )


def _check_pixel_cap(label: str, path: Path | None, cap: int | None) -> None:
    """Refuse an adapter trained with another ``image_max_pixels`` than ``cap``.

    The cap is read from the adapter's ``meta.json`` (its model description); a folder
    without one (not written by :func:`tasktransfer.model.finetune`) has nothing to compare.
    """
    meta = None if path is None else Path(path) / "meta.json"
    if meta is None or not meta.is_file():
        return
    described = json.loads(meta.read_text()).get("model", {})
    if "image_max_pixels" in described and described["image_max_pixels"] != cap:
        trained = described["image_max_pixels"]
        raise InputError(
            f"adapter {label!r} was trained with image_max_pixels={trained} but this "
            f"evaluation caps images at {cap}; set model.image_max_pixels={trained}, or "
            "allow_pixel_cap_mismatch=true (a study's evaluation section) to evaluate it anyway"
        )


def evaluate(
    model: ModelConfig | str,
    examples_by_task: Mapping[str, Sequence[Example]],
    *,
    adapters: Mapping[str, Path | str | None] | None = None,
    config: EvalConfig | None = None,
    progress: bool = True,
) -> EvalResult:
    """Evaluate the base model and/or finetuned states of it on every task given.

    Parameters
    ----------
    model : ModelConfig or str
        The base model (``"tiny"``, a folder, a hub id, or a full :class:`ModelConfig`).
    examples_by_task : mapping of str to sequence of Example
        Target task -> its questions (gold answers required).
    adapters : mapping of str to path or None, default=None
        Label -> LoRA adapter folder, full-model folder, or None for the base model itself.
        None means ``{"base": None}``.
    config : EvalConfig, default=None
        None means ``EvalConfig()``.
    progress : bool, default=True
        Show a progress bar over questions.

    Returns
    -------
    EvalResult

    Raises
    ------
    InputError
        No examples, a hidden gold answer, an adapter path that is neither kind of folder,
        or an adapter trained at another ``image_max_pixels`` (unless
        ``config.allow_pixel_cap_mismatch``).
    """
    config = EvalConfig() if config is None else config
    model_config = ModelConfig(name=model) if isinstance(model, str) else model
    tasks = _check_examples(examples_by_task)
    adapters = {"base": None} if adapters is None else dict(adapters)
    if not adapters:
        raise InputError("evaluate() got an empty adapters mapping; use None for the base")
    kinds = {label: _adapter_kind(label, path) for label, path in adapters.items()}
    if not config.allow_pixel_cap_mismatch:
        for label, path in adapters.items():
            _check_pixel_cap(label, path, model_config.image_max_pixels)
    on_base = {label: adapters[label] for label, kind in kinds.items() if kind != "full"}
    n_questions = sum(len(examples) for examples in tasks.values())

    from tasktransfer.model.load import load_model

    started = time.perf_counter()
    found: dict[str, list[dict[str, Any]]] = {}
    meta: dict[str, Any] = {"models": {}, "shared_image_features": []}
    has_video = any(ex.video is not None for examples in tasks.values() for ex in examples)
    routes: dict[str, str] = {}
    bar = _progress_bar(n_questions * len(adapters), enabled=progress)
    with torch_threads(model_config.torch_threads), bar as advance:
        if on_base:
            loaded = load_model(model_config)
            meta["model"] = loaded.describe()
            if has_video:
                routes.update(dict.fromkeys(on_base, _video_route(loaded)))
            records, shared = _evaluate_states(loaded, on_base, tasks, config, advance)
            found.update(records)
            meta["shared_image_features"] = shared
            del loaded
        for label, kind in kinds.items():
            if kind == "full":
                full_config = model_config.model_copy(update={"name": str(adapters[label])})
                loaded = load_model(full_config)
                meta["models"][label] = loaded.describe()
                if has_video:
                    routes[label] = _video_route(loaded)
                records, _ = _evaluate_states(loaded, {label: None}, tasks, config, advance)
                found.update(records)
                del loaded

    from tasktransfer.data import fingerprint

    predictions = [p for label in adapters for p in found[label]]
    numeric = any(ex.answer_type == "number" for examples in tasks.values() for ex in examples)
    generates = config.mode == "generate" or numeric
    meta.update(
        config=config.model_dump(),
        model_config=model_config.model_dump(),
        adapters={label: None if p is None else str(p) for label, p in adapters.items()},
        adapter_kinds=kinds,
        generation=generation_settings(config) if generates else None,
        video_routes={label: routes[label] for label in adapters} if has_video else None,
        tasks={task: {"n": len(ex), "fingerprint": fingerprint(ex)} for task, ex in tasks.items()},
        wall_s=round(time.perf_counter() - started, 3),
        tasktransfer_version=__version__,
    )
    rows = summarize(
        predictions,
        collapse_share=config.collapse_share,
        format_mismatch_below=config.format_mismatch_below,
    )
    return EvalResult(predictions=predictions, rows=rows, meta=meta)


def _evaluate_states(loaded, states, tasks, config, advance):
    """Evaluate the base (path None) and LoRA adapters of one loaded model.

    Batches follow :func:`_length_key` across tasks; each batch is encoded once for every
    state, and the predictions are put back in task and question order.

    Returns
    -------
    records : dict of str to list of dict
        Label -> its predictions, in task and question order.
    shared : list of str
        The labels that reused the batch's image features.
    """
    import torch

    from tasktransfer.model.prompting import encode, video_route

    network, names = _load_adapters(loaded.model, states)
    route = video_route(loaded.processor, loaded.arch)
    shared = []
    if config.mode == "likelihood" and config.share_image_features:
        shared = [
            label
            for label, name in names.items()
            if name is None or not touches_vision(network, name, loaded.arch)
        ]
    items = [(task, ex) for task, examples in tasks.items() for ex in examples]
    order = sorted(range(len(items)), key=lambda i: _length_key(items[i][1]))
    records: dict[str, list] = {label: [None] * len(items) for label in names}
    batches = [
        part
        for start in range(0, len(order), config.batch_size)
        for part in _by_answer_type(order[start : start + config.batch_size], items)
    ]
    with torch.inference_mode():
        for positions in batches:
            chunk = [items[i][1] for i in positions]
            numeric = chunk[0].answer_type == "number"
            batch = encode(
                chunk,
                loaded.processor,
                loaded.arch,
                image_max_pixels=loaded.config.image_max_pixels,
            ).to(loaded.device)
            features = None
            # Only images are shared: a batch on the processor's video path may hold none,
            # and Qwen2.5-VL takes encoder outputs only in place of every pixel input.
            inputs = batch.inputs
            if (
                shared
                and not numeric
                and "pixel_values" in inputs
                and "pixel_values_videos" not in inputs
            ):
                with _active(network, None):
                    features = image_features(network, batch.inputs)
            for label, name in names.items():
                with _active(network, name):
                    if numeric:
                        answers = _generate_numbers(network, batch, chunk, loaded, config)
                    elif config.mode == "likelihood":
                        reuse = features if label in shared else None
                        answers = _score(network, batch, chunk, reuse)
                    else:
                        answers = _generate(network, batch, chunk, loaded, config)
                for i, answer in zip(positions, answers, strict=True):
                    record = {"adapter": label, "target": items[i][0], **answer}
                    if items[i][1].video is not None:
                        record["video_route"] = route
                    records[label][i] = record
                advance(len(chunk))
    return records, shared


def _by_answer_type(positions: Sequence[int], items) -> list[list[int]]:
    """``positions`` split into runs of one answer type (choice and numeric differ in how
    they are answered); the order is kept, so a batch sorted by answer type splits once."""
    parts: list[list[int]] = []
    for i in positions:
        kind = items[i][1].answer_type
        if parts and items[parts[-1][0]][1].answer_type == kind:
            parts[-1].append(i)
        else:
            parts.append([i])
    return parts


def _video_route(loaded) -> str:
    """The route a loaded model's videos take, with a warning when it falls back to frames."""
    from tasktransfer.model.prompting import FRAMES_AS_IMAGES, video_route

    route = video_route(loaded.processor, loaded.arch)
    if route == FRAMES_AS_IMAGES and loaded.arch.video_content is not None:
        log.warning(
            "%s takes videos through its processor's video path, but its processor has no "
            "video processor (torchvision is not installed): videos are shown as frames "
            "(images) instead; the metadata records video_routes",
            loaded.arch.model_type,
        )
    return route


def _length_key(ex: Example) -> tuple[bool, int, int, int]:
    """Sort key: answer type (so batches are of one type), then the prompt's token count:
    images and video frames, then their pixels, then text."""
    frames = ex.video.frames if ex.video is not None else ()
    visuals = (*frames, *ex.images)
    pixels = sum(image.width * image.height for image in visuals)
    return ex.answer_type == "number", len(visuals), pixels, len(ex.prompt)


def _load_adapters(network, states: Mapping[str, Path | None]):
    """The model with every LoRA adapter of ``states`` loaded, and label -> adapter name.

    PEFT adapter names become module keys, so labels (which may hold dots or slashes) are
    mapped to ``adapter_<i>``; the base model's label maps to None.
    """
    names: dict[str, str | None] = {}
    for label, path in states.items():
        if path is None:
            names[label] = None
            continue
        name = f"adapter_{len(names)}"
        if not hasattr(network, "load_adapter") or not hasattr(network, "peft_config"):
            from peft import PeftModel

            network = PeftModel.from_pretrained(network, str(path), adapter_name=name)
        else:
            network.load_adapter(str(path), adapter_name=name)
        names[label] = name
    network.eval()
    return network, names


def touches_vision(network, adapter_name: str, arch) -> bool:
    """Whether adapter ``adapter_name`` changes a module of the vision tower or projector.

    Looks at the adapter layers PEFT injected (LoRA layers and ``modules_to_save`` copies),
    so it holds for target regexes and name lists alike.
    """
    for name, module in network.named_modules():
        if not (arch.is_vision_tower(name) or arch.is_projector(name)):
            continue
        for layer_name in getattr(module, "adapter_layer_names", ()):
            if adapter_name in getattr(module, layer_name, {}):
                return True
    return False


@contextmanager
def _active(network, adapter_name: str | None) -> Iterator[None]:
    """Run with ``adapter_name`` active, or with every adapter off for None (the base)."""
    if adapter_name is None:
        with network.disable_adapter() if hasattr(network, "peft_config") else nullcontext():
            yield
    else:
        network.set_adapter(adapter_name)
        yield


def image_features(network, inputs: Mapping[str, Any]):
    """Vision tower + projector output for the images in ``inputs`` (``get_image_features``).

    Passes the processor outputs that the model's ``get_image_features`` accepts
    (``pixel_values``, and ``image_grid_thw`` for Qwen2.5-VL), so the result is what the
    model's own forward pass would compute and can go back in as ``mm_encoder_outputs``.
    """
    import inspect

    accepted = inspect.signature(network.get_image_features).parameters
    kwargs = {key: value for key, value in inputs.items() if key in accepted}
    return network.get_image_features(**kwargs, return_dict=True)


def _score(network, batch, chunk: Sequence[Example], features) -> list[dict[str, Any]]:
    from tasktransfer.model.prompting import answer_log_probs, letter_mass

    if features is not None:
        inputs = {k: v for k, v in batch.inputs.items() if k != "pixel_values"}
        batch = replace(batch, inputs={**inputs, "mm_encoder_outputs": {"image": features}})
    log_probs = answer_log_probs(network, batch, forms=True)
    masses = letter_mass(log_probs).cpu().tolist()
    records = []
    for ex, row, mass in zip(chunk, log_probs.cpu().tolist(), masses, strict=True):
        scores = {letter: row[i] for i, letter in enumerate(ex.letters)}
        predicted = max(scores, key=scores.__getitem__)
        records.append({**_record(ex, predicted, scores), "letter_mass": mass})
    return records


def generation_settings(config: EvalConfig) -> dict[str, Any]:
    """The decoding settings of generate mode: greedy, one beam, no penalty, no length floor.

    Each is set explicitly, so that none comes from the checkpoint's ``generation_config.json``
    (see the module docstring); the end and padding tokens come from the tokenizer. The
    sampling parameters hold the values transformers treats as unset: without sampling they
    are not applied, and a checkpoint's own (Qwen2.5-VL-Instruct's file sets sampling values)
    would only bring a warning with every call.

    Examples
    --------
    >>> generation_settings(EvalConfig(max_new_tokens=4))  # doctest: +NORMALIZE_WHITESPACE
    {'do_sample': False, 'num_beams': 1, 'repetition_penalty': 1.0, 'no_repeat_ngram_size': 0,
     'min_new_tokens': 0, 'max_new_tokens': 4, 'temperature': 1.0, 'top_p': 1.0, 'top_k': 50}
    """
    return {
        "do_sample": False,
        "num_beams": 1,
        "repetition_penalty": 1.0,
        "no_repeat_ngram_size": 0,
        "min_new_tokens": 0,
        "max_new_tokens": config.max_new_tokens,
        "temperature": 1.0,
        "top_p": 1.0,
        "top_k": 50,
    }


def _generate(network, batch, chunk: Sequence[Example], loaded, config) -> list[dict[str, Any]]:
    """Multiple-choice questions answered by generation, read by the answer parser."""
    from tasktransfer.model.answers import parse_answer

    records = []
    for ex, text in zip(chunk, _generated_texts(network, batch, loaded, config), strict=True):
        record = _record(ex, parse_answer(text, ex.letters, mode=config.parser), {})
        records.append({**record, "output": text})
    return records


def _generate_numbers(network, batch, chunk: Sequence[Example], loaded, config) -> list[dict]:
    """Numeric questions answered by generation, parsed strictly and scored by MRA."""
    records = []
    for ex, text in zip(chunk, _generated_texts(network, batch, loaded, config), strict=True):
        number = scoring.parse_number(text)
        score = scoring.mean_relative_accuracy(number, ex.answer_number)
        records.append(
            {
                "idx": ex.idx,
                "predicted": None if number is None else str(number),
                "answer": ex.answer,
                "correct": score == 1.0,
                "scores": {},
                "output": text,
                "score": score,
            }
        )
    return records


def _generated_texts(network, batch, loaded, config) -> list[str]:
    """Greedy continuations of a batch (:func:`generation_settings`), decoded."""
    from transformers import GenerationConfig

    tokenizer = loaded.processor.tokenizer
    generation = GenerationConfig(
        **generation_settings(config),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    inputs = left_padded(batch.inputs, batch.answer_index)
    output = network.generate(**inputs, generation_config=generation)
    return loaded.processor.batch_decode(
        output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True
    )


def _record(ex: Example, predicted: str | None, scores: dict[str, float]) -> dict[str, Any]:
    return {
        "idx": ex.idx,
        "predicted": predicted,
        "answer": ex.answer_letter,
        "correct": predicted == ex.answer_letter,
        "scores": scores,
    }


def left_padded(inputs: Mapping[str, Any], last_index) -> dict[str, Any]:
    """Right-padded processor outputs turned into left-padded ones, for ``generate``.

    Every integer tensor shaped like ``input_ids`` (ids, attention mask, token-type ids) is
    rolled row by row so that each row's last real token (``last_index``) ends the row; the
    order of tokens, and so of image tokens, is unchanged. Images are untouched.
    """
    import torch

    ids = inputs["input_ids"]
    length = ids.shape[1]
    shift = (length - 1 - last_index).to(ids.device)
    source = (torch.arange(length, device=ids.device)[None, :] - shift[:, None]) % length
    out = dict(inputs)
    for key, value in inputs.items():
        if (
            isinstance(value, torch.Tensor)
            and value.shape == ids.shape
            and not value.is_floating_point()
        ):
            out[key] = value.gather(1, source)
    return out


@contextmanager
def _progress_bar(total: int, *, enabled: bool) -> Iterator:
    """A rich progress bar over questions; yields ``advance(n)``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    from rich.console import Console

    # On stderr, so that a command printing JSON on stdout stays parseable.
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("evaluate", total=total)
        yield lambda n: bar.advance(task, n)

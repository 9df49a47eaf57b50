"""A content hash of a list of examples, for cache keys and adapter metadata."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

from tasktransfer.data.example import Example
from tasktransfer.data.images import pixel_digest_parts


def fingerprint(examples: Sequence[Example]) -> str:
    """SHA-256 hex digest over every example's fields and image pixels, in order.

    Covers ``idx``, ``sub_task``, ``question``, ``choices``, ``answer``, ``prompt``,
    ``explanation`` and each image's mode, size and pixels; for a video or numeric
    question also the answer type, the sampling rule, the timestamps and each frame's
    pixels. ``meta`` is left out (it is not shown to a model). Pixels rather than file
    bytes, so an image reads the same whether it came from a PNG, a parquet cell or a
    generator.

    Examples
    --------
    >>> from tasktransfer.data.synthetic import generate
    >>> a = generate("Counting", "val", 3)
    >>> fingerprint(a) == fingerprint(generate("Counting", "val", 3))
    True
    >>> fingerprint(a) == fingerprint(a[:2])
    False
    """
    digest = hashlib.sha256()
    for example in examples:
        fields = [
            example.idx,
            example.sub_task,
            example.question,
            list(example.choices),
            example.answer,
            example.prompt,
            example.explanation,
            len(example.images),
        ]
        # Only video and numeric questions hash the new fields, so that every image
        # question keeps the fingerprint it had before videos existed (caches stay valid).
        video = example.video
        if video is not None or example.answer_type != "choice":
            fields.append(example.answer_type)
        if video is not None:
            fields.append([dataclasses.astuple(video.sampling), list(video.timestamps)])
        digest.update(json.dumps(fields).encode())
        frames = video.frames if video is not None else ()
        for image in (*example.images, *frames):
            for part in pixel_digest_parts(image):
                digest.update(len(part).to_bytes(8, "little"))
                digest.update(part)
    return digest.hexdigest()

"""Tiny mp4 files for the video tests, written with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def write_mp4(path: Path, n_frames: int, *, fps: int = 10, size: int = 32) -> Path:
    """An ``n_frames`` clip whose frame ``i`` is a flat red of level ``12 * i``.

    The red level tells which frame a decoder returned (lossy coding moves it by a few
    units, far less than the 12 between frames).
    """
    if n_frames > 21:  # 12 * 21 = 252: the last red level a byte holds
        raise ValueError(f"write_mp4 tells at most 21 frames apart, not {n_frames}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(n_frames):
            pixels = np.zeros((size, size, 3), np.uint8)
            pixels[..., 0] = 12 * i
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def frame_number(image) -> int:
    """Which frame of :func:`write_mp4` an image is, from its red level."""
    return round(np.asarray(image.convert("RGB"))[..., 0].mean() / 12)

"""Videos as a few sampled frames: the sampling rule, the frames, and where they came from.

A question about a video is shown to a model as ``num_frames`` still frames taken at evenly
spaced positions of the video (the rule of lmms-eval's VSI-Bench evaluation: the first and
the last frame and evenly spaced ones between). The rule and the timestamps it chose travel
with the frames, so a result can say exactly what the model saw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from tasktransfer.data.images import limit_pixels, plain_image
from tasktransfer.errors import InputError


@dataclass(frozen=True)
class FrameSampling:
    """How frames are taken from a video.

    Attributes
    ----------
    num_frames : int, default=8
        Frames to take (fewer when the video is shorter, or when ``fps_cap`` allows fewer).
    fps_cap : float or None, default=None
        At most this many frames per second of video; ``None`` for no cap.
    max_pixels : int or None, default=None
        Pixel cap per frame: larger frames are downscaled (aspect kept) when sampled, which
        also bounds the memory a long benchmark holds. ``None`` keeps them at full size and
        leaves the cap to the model layer (its image cap).
    """

    num_frames: int = 8
    fps_cap: float | None = None
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.num_frames, bool) or not isinstance(self.num_frames, int):
            raise ValueError(f"num_frames must be a whole number, got {self.num_frames!r}")
        if self.num_frames < 1:
            raise ValueError(f"num_frames must be at least 1, got {self.num_frames}")
        if self.fps_cap is not None and not (math.isfinite(self.fps_cap) and self.fps_cap > 0):
            raise ValueError(f"fps_cap must be a positive number or None, got {self.fps_cap!r}")
        if self.max_pixels is not None and (
            isinstance(self.max_pixels, bool)
            or not isinstance(self.max_pixels, int)
            or self.max_pixels < 1
        ):
            raise ValueError(
                f"max_pixels must be a positive whole number or None, got {self.max_pixels!r}"
            )

    def frame_indices(self, total_frames: int, fps: float) -> tuple[int, ...]:
        """Which of a video's ``total_frames`` frames (at ``fps`` frames a second) to take.

        ``k = min(num_frames, total_frames, floor(duration * fps_cap))`` frames (at least
        one), at ``floor(linspace(0, total_frames - 1, k))``: the first and the last frame
        and evenly spaced ones between.

        Examples
        --------
        >>> FrameSampling(num_frames=3).frame_indices(10, fps=5.0)
        (0, 4, 9)
        >>> FrameSampling(num_frames=8, fps_cap=1.0).frame_indices(10, fps=5.0)
        (0, 9)
        """
        if total_frames < 1:
            raise ValueError("a video needs at least one frame")
        count = min(self.num_frames, total_frames)
        if self.fps_cap is not None:
            duration = total_frames / fps
            count = min(count, max(1, math.floor(duration * self.fps_cap)))
        if count == 1:
            return (0,)
        # Integer arithmetic: exactly lmms-eval's ``np.linspace(..., dtype=int)`` (floor).
        return tuple(i * (total_frames - 1) // (count - 1) for i in range(count))


@dataclass(frozen=True)
class Video:
    """The frames a model is shown for one video question.

    Attributes
    ----------
    frames : tuple of PIL.Image.Image
        The sampled frames, in time order (at least one).
    sampling : FrameSampling
        The rule that chose them.
    timestamps : tuple of float
        Seconds from the start of the video, one per frame, non-decreasing.
    source : str or None
        The file the frames were decoded from, for provenance; ``None`` for frames made in
        memory (a generator).
    """

    frames: tuple[Image.Image, ...]
    sampling: FrameSampling
    timestamps: tuple[float, ...]
    source: str | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError("a video needs at least one frame")
        if len(self.timestamps) != len(self.frames):
            raise ValueError(
                f"a video has {len(self.frames)} frames but {len(self.timestamps)} timestamps"
            )
        if any(b < a for a, b in zip(self.timestamps, self.timestamps[1:], strict=False)):
            raise ValueError(f"timestamps must not decrease, got {self.timestamps}")

    @classmethod
    def from_frames(
        cls,
        frames: Sequence[Image.Image],
        sampling: FrameSampling | None = None,
        *,
        fps: float = 1.0,
        source: str | None = None,
    ) -> Video:
        """A video from in-memory frames, sampled by the same rule as a decoded file.

        Parameters
        ----------
        frames : sequence of PIL.Image.Image
            Every frame of the clip, in time order, ``fps`` frames a second.
        sampling : FrameSampling, optional
            Default ``FrameSampling(num_frames=len(frames))``: keep every frame.
        fps : float, default=1.0
        source : str or None

        Examples
        --------
        >>> clip = [Image.new("RGB", (4, 4), (i, 0, 0)) for i in range(5)]
        >>> video = Video.from_frames(clip, FrameSampling(num_frames=3), fps=2.0)
        >>> [f.getpixel((0, 0))[0] for f in video.frames], video.timestamps
        ([0, 2, 4], (0.0, 1.0, 2.0))
        """
        if not frames:
            raise ValueError("a video needs at least one frame")
        sampling = sampling or FrameSampling(num_frames=len(frames))
        picked = sampling.frame_indices(len(frames), fps)
        return cls(
            frames=tuple(_capped(plain_image(frames[i]), sampling) for i in picked),
            sampling=sampling,
            timestamps=tuple(i / fps for i in picked),
            source=source,
        )


def resample(video: Video, sampling: FrameSampling) -> Video:
    """``video``'s frames taken again by ``sampling``, as if they were the whole clip.

    The frame rate is read from the timestamps, so ``fps_cap`` means what it means for a
    file; the source is kept.

    Examples
    --------
    >>> clip = Video.from_frames([Image.new("RGB", (4, 4))] * 8, fps=2.0)
    >>> resample(clip, FrameSampling(num_frames=3)).timestamps
    (0.0, 1.5, 3.5)
    """
    times = video.timestamps
    span = times[-1] - times[0]
    fps = (len(times) - 1) / span if span > 0 else 1.0
    picked = sampling.frame_indices(len(video.frames), fps)
    return Video(
        frames=tuple(_capped(video.frames[i], sampling) for i in picked),
        sampling=sampling,
        timestamps=tuple(times[i] for i in picked),
        source=video.source,
    )


def sample_frames(path: str | Path, sampling: FrameSampling | None = None) -> Video:
    """Decode a video file and keep the frames ``sampling`` chooses (PyAV, RGB frames).

    Parameters
    ----------
    path : str or Path
        Any container FFmpeg reads (``.mp4``, ``.webm``, ...).
    sampling : FrameSampling, default=FrameSampling()

    Returns
    -------
    Video
        ``source`` is ``str(path)``; ``timestamps`` are the frames' presentation times.

    Raises
    ------
    InputError
        No such file, or no decodable video stream in it; the message names the file.
    """
    import av  # Only video loading needs PyAV (the ``data`` extra).

    sampling = sampling or FrameSampling()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no video file {str(path)!r}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fps = float(stream.average_rate or 1)
            # MP4 records its frame count; other containers may not, so count by decoding.
            total = stream.frames or sum(1 for _ in container.decode(stream))
            if total == 0:
                raise ValueError("the video has no frames")
            picked = sampling.frame_indices(total, fps)
            container.seek(0)
            frames = _decode_frames(container.decode(stream), set(picked), fps, sampling)
    except (av.FFmpegError, ValueError) as err:
        raise InputError(f"{path}: not a readable video ({err})") from None
    if len(frames) != len(picked):
        raise InputError(
            f"{path}: the container lists {total} frames but only "
            f"{len(frames)} of the {len(picked)} sampled ones decoded"
        )
    return Video(
        frames=tuple(image for _, image in frames),
        sampling=sampling,
        timestamps=tuple(seconds for seconds, _ in frames),
        source=str(path),
    )


def _decode_frames(
    decoded, keep: set[int], fps: float, sampling: FrameSampling
) -> list[tuple[float, Image.Image]]:
    """``(seconds, RGB image)`` of the decoded frames whose position is in ``keep``."""
    frames = []
    for index, frame in enumerate(decoded):
        if index in keep:
            seconds = frame.time if frame.time is not None else index / fps
            frames.append((float(seconds), _capped(frame.to_image(), sampling)))
        if len(frames) == len(keep):
            break
    return frames


def _capped(frame: Image.Image, sampling: FrameSampling) -> Image.Image:
    """``frame`` within the sampling's pixel cap; untouched when there is none."""
    return frame if sampling.max_pixels is None else limit_pixels(frame, sampling.max_pixels)

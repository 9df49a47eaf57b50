import os

# No network: datasets and huggingface_hub read these when they are first imported.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


def _photo(seed: int, size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A photo-like RGB image: smooth random colour fields, distinct for each seed.

    Builders and the dedup need images whose perceptual hashes differ as real photos do
    (flat synthetic drawings collide); a cumulative-sum field upscaled bicubically has
    broad structure like a photograph.
    """
    field = np.random.default_rng(seed).normal(size=(12, 16, 3)).cumsum(0).cumsum(1)
    field = (field - field.min()) / np.ptp(field) * 255
    return Image.fromarray(field.astype(np.uint8)).resize(size, Image.BICUBIC)


@pytest.fixture
def photo():
    """``photo(seed, size=(160, 120))``: a distinct photo-like image per seed."""
    return _photo

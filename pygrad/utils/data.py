"""``pygrad.utils.data``: PyTorch's import path for the data pipeline; the same objects as ``pygrad.data``."""

from pygrad.data import *  # noqa: F403  (the same objects under PyTorch's import path)
from pygrad.data import (
    __all__,  # noqa: F401
    transforms,  # noqa: F401
)

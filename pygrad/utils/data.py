"""``pygrad.utils.data``: PyTorch's import path for the data pipeline; the same objects as ``pygrad.data``."""

from pygrad.data import *
from pygrad.data import (
    __all__,  # noqa: F401
    transforms,  # noqa: F401
)

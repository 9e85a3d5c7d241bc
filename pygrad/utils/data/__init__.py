"""``pygrad.utils.data``: PyTorch's import path for the data pipeline; the same objects as
``pygrad.data``, plus ``pygrad.utils.data.distributed.DistributedSampler``."""

from pygrad.data import *  # noqa: F403  (the same objects under PyTorch's import path)
from pygrad.data import __all__ as _data_all
from pygrad.data import transforms  # noqa: F401
from pygrad.utils.data import distributed
from pygrad.utils.data.distributed import DistributedSampler  # noqa: F401  (pygrad.data's __getattr__ gives it too; bound here for speed)

__all__ = [*_data_all, "distributed"]  # DistributedSampler: already in pygrad.data's

"""``pygrad.utils.data``: PyTorch's import path for the data pipeline; the same objects as
``pygrad.data``, plus torch's submodule paths: ``dataset``, ``sampler``, ``dataloader`` and
``distributed`` (``DistributedSampler``)."""

from pygrad.data import *  # noqa: F403  (the same objects under PyTorch's import path)
from pygrad.data import __all__ as _data_all
from pygrad.data import transforms  # noqa: F401
from pygrad.utils.data import dataloader, dataset, distributed, sampler
from pygrad.utils.data.distributed import DistributedSampler  # noqa: F401  (pygrad.data's __getattr__ gives it too; bound here for speed)

# DistributedSampler: already in pygrad.data's __all__
__all__ = [*_data_all, "dataloader", "dataset", "distributed", "sampler"]

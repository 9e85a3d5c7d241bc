"""Data pipeline, PyTorch's names (also importable as ``pygrad.utils.data``).

- ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``, ``random_split``, the
  combinators ``ConcatDataset``, ``ChainDataset``, ``StackDataset``, and ``DataLoader``
  (``num_workers`` worker processes, batches returned through shared memory),
  ``get_worker_info``, ``default_collate``, ``default_convert``
- samplers (``pygrad.data.sampler``): ``Sampler``, ``SequentialSampler``, ``RandomSampler``,
  ``SubsetRandomSampler``, ``WeightedRandomSampler``, ``BatchSampler``
- the bundled 8x8 digits (``load_digits``) and loaders for user files: ``load_idx``,
  ``load_mnist``, ``load_csv``, ``load_npz``
- batch augmentation (``pygrad.data.transforms``): ``RandomShift``, ``RandomCrop``,
  ``RandomHorizontalFlip``, ``GaussianNoise``, ``Normalize``, ``Compose``
- ``DistributedSampler`` (each rank's shard; defined in ``pygrad.utils.data.distributed``)
"""

from typing import Any

from pygrad.data._workers import get_worker_info
from pygrad.data.dataloader import DataLoader, default_collate, default_convert
from pygrad.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from pygrad.data.datasets import load_csv, load_digits, load_idx, load_mnist, load_npz
from pygrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from pygrad.data.transforms import (
    Compose,
    GaussianNoise,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "Compose",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "GaussianNoise",
    "IterableDataset",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomSampler",
    "RandomShift",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "load_csv",
    "load_digits",
    "load_idx",
    "load_mnist",
    "load_npz",
    "random_split",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: pygrad.utils.data imports this package, so not at import time.
    if name == "DistributedSampler":
        from pygrad.utils.data.distributed import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module 'pygrad.data' has no attribute {name!r}")

"""Data pipeline, PyTorch's names (also importable as ``pygrad.utils.data``).

- ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``, ``DataLoader``, ``default_collate``
- the bundled 8x8 digits (``load_digits``) and loaders for user files: ``load_idx``,
  ``load_mnist``, ``load_csv``, ``load_npz``
- batch augmentation (``pygrad.data.transforms``): ``RandomShift``, ``RandomCrop``,
  ``RandomHorizontalFlip``, ``GaussianNoise``, ``Normalize``, ``Compose``
"""

from pygrad.data.dataloader import DataLoader, default_collate
from pygrad.data.dataset import Dataset, Subset, TensorDataset, random_split
from pygrad.data.datasets import load_csv, load_digits, load_idx, load_mnist, load_npz
from pygrad.data.transforms import (
    Compose,
    GaussianNoise,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
)

__all__ = [
    "Compose",
    "DataLoader",
    "Dataset",
    "GaussianNoise",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomShift",
    "Subset",
    "TensorDataset",
    "default_collate",
    "load_csv",
    "load_digits",
    "load_idx",
    "load_mnist",
    "load_npz",
    "random_split",
]

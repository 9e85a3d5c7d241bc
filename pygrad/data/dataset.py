"""Datasets with PyTorch's interface: Dataset, IterableDataset, TensorDataset, Subset and random_split."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, Union

import numpy as np

from pygrad._C import Tensor
from pygrad._factories import as_tensor, randperm

__all__ = ["Dataset", "IterableDataset", "Subset", "TensorDataset", "random_split"]

_T_co = TypeVar("_T_co", covariant=True)

# What generator= takes: a numpy Generator, or an int seed.
_GeneratorLike = Union[np.random.Generator, int]


def _is_int(x: object) -> bool:
    """True for ints and numpy integers, not for bools."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


class Dataset(Generic[_T_co]):
    """A map-style dataset: ``dataset[i]`` returns one sample, ``len(dataset)`` counts them.

    Subclasses implement ``__getitem__`` and ``__len__``.
    """

    def __getitem__(self, index: int) -> _T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """An iterable-style dataset: ``iter(dataset)`` yields the samples, as torch's IterableDataset.

    Subclasses implement ``__iter__``. A DataLoader with workers iterates one copy of the dataset
    per worker: shard the data there with ``pygrad.data.get_worker_info()`` (None in the main
    process), or each worker yields every sample.
    """

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset["tuple[Tensor, ...]"]):
    """Samples are the i-th rows of tensors that share their first dimension.

    Args:
        *tensors: pygrad tensors (or numpy arrays, converted once) with the same size of dim 0.

    ``dataset[i]`` is ``(t[i] for t in tensors)`` as a tuple. A DataLoader over a TensorDataset
    builds each batch with one ``index_select`` per tensor, without a per-sample loop.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        converted: list[Tensor] = []
        for t in tensors:
            if not isinstance(t, Tensor):
                t = as_tensor(np.asarray(t))
            if t.dim() == 0:
                raise ValueError("[TensorDataset] tensors need at least one dimension")
            converted.append(t)
        sizes = [t.shape[0] for t in converted]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"[TensorDataset] size mismatch between tensors: first dims {sizes}")
        self.tensors: tuple[Tensor, ...] = tuple(converted)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[_T_co]):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset[_T_co], indices: Sequence[int] | Tensor) -> None:
        self.dataset = dataset
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index: int) -> _T_co:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def _rng(generator: _GeneratorLike | None, seed: int | None, op: str) -> np.random.Generator | None:
    """A numpy Generator from ``generator`` / ``seed``, or None to use pygrad's global generator."""
    if generator is not None and seed is not None:
        raise ValueError(f"[{op}] pass either generator or seed, not both")
    if generator is not None:
        if isinstance(generator, np.random.Generator):
            return generator
        if isinstance(generator, numbers.Integral):
            return np.random.default_rng(int(generator))
        raise TypeError(
            f"[{op}] generator must be a numpy.random.Generator or an int seed, "
            f"got {type(generator).__name__}"
        )
    if seed is not None:
        return np.random.default_rng(int(seed))
    return None


def _permutation(n: int, rng: np.random.Generator | None) -> np.ndarray:
    """A random permutation of 0..n-1 as an int64 numpy array."""
    if rng is None:
        return randperm(n).numpy()
    return rng.permutation(n).astype(np.int64)


def random_split(
    dataset: Dataset[_T_co],
    lengths: Sequence[int | float],
    generator: _GeneratorLike | None = None,
    seed: int | None = None,
) -> list[Subset[_T_co]]:
    """Splits a dataset into non-overlapping random subsets.

    Args:
        dataset: the dataset to split.
        lengths: lengths that sum to ``len(dataset)``, or fractions that sum to 1 (the remainder
            of flooring is handed out one by one from the first subset on, as in PyTorch).
        generator: a numpy Generator (or an int seed) for the permutation.
        seed: an int seed; with neither, pygrad's global generator (``pygrad.manual_seed``).
    Returns:
        A list of Subset objects.
    """
    n = len(dataset)
    given = list(lengths)
    if not given:
        raise ValueError("[random_split] lengths must not be empty")
    if all(isinstance(x, numbers.Integral) for x in given):
        counts = [int(x) for x in given]
    elif math.isclose(sum(given), 1.0) and sum(given) <= 1.0 + 1e-9:
        for frac in given:
            if not 0 <= frac <= 1:
                raise ValueError(f"[random_split] fraction {frac} is not within [0, 1]")
        counts = [math.floor(n * frac) for frac in given]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(
            f"[random_split] lengths must be integers summing to {n} or fractions summing to 1, "
            f"got {given}"
        )
    if any(x < 0 for x in counts):
        raise ValueError(f"[random_split] lengths must be non-negative, got {counts}")
    if sum(counts) != n:
        raise ValueError(
            f"[random_split] sum of lengths {sum(counts)} does not equal the dataset's length {n}"
        )
    order = _permutation(n, _rng(generator, seed, "random_split")).tolist()
    subsets: list[Subset[_T_co]] = []
    start = 0
    for length in counts:
        subsets.append(Subset(dataset, order[start : start + length]))
        start += length
    return subsets

"""Datasets with PyTorch's interface: Dataset, IterableDataset, TensorDataset, Subset, random_split
and the combinators ConcatDataset, ChainDataset and StackDataset (``a + b`` concatenates, as torch)."""

from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, Union

import numpy as np

from pygrad._C import Tensor
from pygrad._factories import as_tensor, randperm

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

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

    def __add__(self, other: Dataset[_T_co]) -> ConcatDataset[_T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """An iterable-style dataset: ``iter(dataset)`` yields the samples, as torch's IterableDataset.

    Subclasses implement ``__iter__``. A DataLoader with workers iterates one copy of the dataset
    per worker: shard the data there with ``pygrad.data.get_worker_info()`` (None in the main
    process), or each worker yields every sample.
    """

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset[_T_co]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


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


class ConcatDataset(Dataset[_T_co]):
    """The samples of several map-style datasets one after the other, as torch's ConcatDataset.

    Args:
        datasets: a non-empty iterable of map-style datasets (not IterableDatasets).

    ``cumulative_sizes[i]`` is the total length of ``datasets[0..i]``; an index is looked up by
    bisection there, and negative indices count from the end.
    """

    datasets: list[Dataset[_T_co]]
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        """The running totals of the lengths of ``sequence``'s elements."""
        totals, total = [], 0
        for element in sequence:
            total += len(element)
            totals.append(total)
        return totals

    def __init__(self, datasets: Iterable[Dataset[_T_co]]) -> None:
        self.datasets = list(datasets)
        # torch raises AssertionError here (its asserts became explicit raises)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> _T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]

    @property
    def cummulative_sizes(self) -> list[int]:
        """torch's old misspelt name of ``cumulative_sizes``."""
        warnings.warn(
            "`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
            FutureWarning,
            stacklevel=2,
        )
        return self.cumulative_sizes


class ChainDataset(IterableDataset[Any]):
    """Several IterableDatasets streamed one after the other, as torch's ChainDataset.

    Args:
        datasets: an iterable of IterableDatasets, read lazily (each ``iter()`` walks it again).

    A map-style dataset among them raises AssertionError when it is reached, as in torch.
    """

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class StackDataset(Dataset[Any]):
    """Datasets of the same length side by side: ``StackDataset(a, b)[i] == (a[i], b[i])`` and
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``, as torch's StackDataset.

    Args:
        *args: datasets whose samples come as a tuple.
        **kwargs: datasets whose samples come as a dict (not together with ``args``).
    """

    datasets: tuple[Dataset[Any], ...] | dict[str, Dataset[Any]]

    def __init__(self, *args: Dataset[Any], **kwargs: Dataset[Any]) -> None:
        if args:
            if kwargs:
                # torch's text, its missing space included
                raise ValueError(
                    "Supported either ``tuple``- (via ``args``) or"
                    "``dict``- (via ``kwargs``) like input/output, but both types are given."
                )
            self._length = len(args[0])
            if any(self._length != len(dataset) for dataset in args):
                raise ValueError("Size mismatch between datasets")
            self.datasets = args
        elif kwargs:
            values = list(kwargs.values())
            self._length = len(values[0])
            if any(self._length != len(dataset) for dataset in values):
                raise ValueError("Size mismatch between datasets")
            self.datasets = kwargs
        else:
            raise ValueError("At least one dataset should be passed")

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at ``indices``, batched through each dataset's own ``__getitems__``."""
        named = (
            list(self.datasets.items())
            if isinstance(self.datasets, dict)
            else list(enumerate(self.datasets))
        )
        columns = []
        for _, dataset in named:
            getitems = getattr(dataset, "__getitems__", None)
            if callable(getitems):
                items = getitems(indices)
                if len(items) != len(indices):
                    raise ValueError(
                        "Nested dataset's output size mismatch."
                        f" Expected {len(indices)}, got {len(items)}"
                    )
            else:
                items = [dataset[i] for i in indices]
            columns.append(items)
        if isinstance(self.datasets, dict):
            keys = [k for k, _ in named]
            return [dict(zip(keys, row)) for row in zip(*columns)]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self) -> int:
        return self._length


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

"""Datasets with PyTorch's interface: Dataset, TensorDataset, Subset and random_split."""

import math
import numbers

import numpy as np

import pygrad


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns one sample, ``len(dataset)`` counts them.

    Subclasses implement ``__getitem__`` and ``__len__``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors that share their first dimension.

    Args:
        *tensors: pygrad tensors (or numpy arrays, converted once) with the same size of dim 0.

    ``dataset[i]`` is ``(t[i] for t in tensors)`` as a tuple. A DataLoader over a TensorDataset
    builds each batch with one ``index_select`` per tensor, without a per-sample loop.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        converted = []
        for t in tensors:
            if not isinstance(t, pygrad.Tensor):
                t = pygrad.as_tensor(np.asarray(t))
            if t.dim() == 0:
                raise ValueError("[TensorDataset] tensors need at least one dimension")
            converted.append(t)
        sizes = [t.shape[0] for t in converted]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"[TensorDataset] size mismatch between tensors: first dims {sizes}")
        self.tensors = tuple(converted)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        if isinstance(indices, pygrad.Tensor):
            indices = indices.tolist()
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def _rng(generator, seed, op):
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


def _permutation(n, rng):
    """A random permutation of 0..n-1 as an int64 numpy array."""
    if rng is None:
        return pygrad.randperm(n).numpy()
    return rng.permutation(n).astype(np.int64)


def random_split(dataset, lengths, generator=None, seed=None):
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
    lengths = list(lengths)
    if not lengths:
        raise ValueError("[random_split] lengths must not be empty")
    if all(isinstance(x, numbers.Integral) for x in lengths):
        lengths = [int(x) for x in lengths]
    elif math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1.0 + 1e-9:
        for frac in lengths:
            if not 0 <= frac <= 1:
                raise ValueError(f"[random_split] fraction {frac} is not within [0, 1]")
        counts = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    else:
        raise ValueError(
            f"[random_split] lengths must be integers summing to {n} or fractions summing to 1, "
            f"got {lengths}"
        )
    if any(x < 0 for x in lengths):
        raise ValueError(f"[random_split] lengths must be non-negative, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(
            f"[random_split] sum of lengths {sum(lengths)} does not equal the dataset's length {n}"
        )
    order = _permutation(n, _rng(generator, seed, "random_split")).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start : start + length]))
        start += length
    return subsets

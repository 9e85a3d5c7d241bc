"""DataLoader: batches of a dataset, optionally shuffled per epoch from a seed, and default_collate."""

from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import tensor
from pygrad.data.dataset import (
    Dataset,
    Subset,
    TensorDataset,
    _GeneratorLike,
    _is_int,
    _permutation,
    _rng,
)

__all__ = ["DataLoader", "default_collate"]


def _numpy_to_tensor(array: np.ndarray) -> Tensor:
    """A pygrad tensor sharing ``array``'s memory when its dtype is one pygrad has, else a copy."""
    kind = array.dtype.kind
    target: type[np.generic]
    if kind == "b":
        target = np.bool_
    elif kind in "iu":
        target = np.int64
    elif kind == "f":
        target = np.float64 if array.dtype == np.float64 else np.float32
    else:
        raise TypeError(f"[default_collate] can't collate numpy arrays of dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=target)
    return _C.from_numpy(array)


def default_collate(batch: Sequence[Any]) -> Any:
    """Merges a list of samples into a batch, as PyTorch's default_collate.

    Tensors are stacked along a new first dimension; numpy arrays and numpy scalars are stacked
    into one buffer that the resulting tensor shares (integers become int64, floats keep float32 /
    float64); Python floats become a float64 tensor, ints int64, bools bool; tuples and lists are
    collated position by position into a list (a namedtuple keeps its type), dicts key by key;
    strings are returned as a list.

    Args:
        batch: a non-empty list of samples of the same structure.
    Returns:
        The collated batch.
    """
    if len(batch) == 0:
        raise ValueError("[default_collate] got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack([t.detach() if t.requires_grad else t for t in batch], 0)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        shapes = {np.shape(b) for b in batch}
        if len(shapes) != 1:
            raise ValueError(f"[default_collate] samples have different shapes: {sorted(shapes)}")
        return _numpy_to_tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool):
        return tensor(batch, dtype=_C.bool)
    if isinstance(elem, numbers.Integral):
        return tensor(batch, dtype=_C.int64)
    if isinstance(elem, numbers.Real):
        return tensor(batch, dtype=_C.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise ValueError("[default_collate] each sample in a batch must have the same length")
        columns = [default_collate(list(column)) for column in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
            return type(elem)(*columns)
        return columns
    raise TypeError(f"[default_collate] can't collate samples of type {type(elem).__name__}")


def _tensor_source(dataset: object) -> tuple[tuple[Tensor, ...], Tensor | None] | None:
    """(tensors, base index tensor or None) when batches can be gathered with index_select."""
    base: np.ndarray | None = None
    while isinstance(dataset, Subset):
        index = np.asarray(dataset.indices, dtype=np.int64)
        base = index if base is None else index[base]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    return dataset.tensors, (None if base is None else _C.from_numpy(np.ascontiguousarray(base)))


class DataLoader:
    """Iterates over a dataset in batches, as torch.utils.data.DataLoader (single process).

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: draw a new order each epoch (each ``iter()``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a numpy Generator (or an int seed) that the epochs' orders are drawn from.
        seed: an int seed: the sequence of epoch orders is the same for every loader built with
            it, and each epoch's order differs. With neither, each epoch draws its order from
            pygrad's global generator, so ``pygrad.manual_seed`` makes it reproducible.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        batch_transform: applied to the inputs of each batch (the first element of a tuple or
            list batch, or the whole batch when it is a tensor): the place for augmentation,
            e.g. ``Compose([RandomShift(2), Normalize(...)])``.

    Batches of tuple samples come as lists ``[inputs, targets]``, as in PyTorch. For a
    TensorDataset (or a Subset of one, as random_split returns) and the default collate_fn, each
    batch is one ``index_select`` per stored tensor: no per-sample Python loop and no intermediate
    copies.
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: _GeneratorLike | None = None,
        seed: int | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        batch_transform: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(
                f"[DataLoader] batch_size must be a positive integer, got {batch_size!r}"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("[DataLoader] collate_fn must be callable")
        if batch_transform is not None and not callable(batch_transform):
            raise TypeError("[DataLoader] batch_transform must be callable")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.batch_transform = batch_transform
        self.generator = _rng(generator, seed, "DataLoader")
        self.epoch = 0
        self._source = _tensor_source(dataset) if collate_fn is None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return _permutation(n, self.generator)
        return np.arange(n, dtype=np.int64)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._order()
        self.epoch += 1
        stop = n - n % self.batch_size if self.drop_last else n
        if self._source is not None:
            tensors, base = self._source
            index = _C.from_numpy(order)
            if base is not None:
                index = _C.index_select(base, 0, index)
            for start in range(0, stop, self.batch_size):
                rows = index.narrow(0, start, min(self.batch_size, stop - start))
                batch = [_C.index_select(t, 0, rows) for t in tensors]
                yield self._transform(batch)
            return
        collate = default_collate if self.collate_fn is None else self.collate_fn
        indices = order.tolist()
        for start in range(0, stop, self.batch_size):
            samples = [self.dataset[i] for i in indices[start : start + self.batch_size]]
            yield self._transform(collate(samples))

    def _transform(self, batch: Any) -> Any:
        if self.batch_transform is None:
            return batch
        if isinstance(batch, Tensor):
            return self.batch_transform(batch)
        if isinstance(batch, (tuple, list)) and batch:
            out = [self.batch_transform(batch[0]), *batch[1:]]
            return tuple(out) if isinstance(batch, tuple) else out
        raise TypeError(
            f"[DataLoader] batch_transform needs batches that are tensors, tuples or lists, "
            f"got {type(batch).__name__}"
        )

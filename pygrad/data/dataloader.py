"""DataLoader: batches of a dataset, in the main process or in worker processes, and the collate functions."""

from __future__ import annotations

import collections.abc
import itertools
import multiprocessing
import numbers
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import randint, tensor
from pygrad._random import Generator
from pygrad.data import _workers
from pygrad.data.dataset import Dataset, IterableDataset, Subset, TensorDataset, _is_int, _rng
from pygrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _InfiniteConstantSampler,
)

__all__ = ["DataLoader", "default_collate", "default_convert"]

# What DataLoader's generator= takes: a pygrad.Generator, a numpy Generator or an int seed.
_LoaderGenerator = Union[Generator, np.random.Generator, int]


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


def default_convert(data: Any) -> Any:
    """Converts one sample without batching it (the collate_fn of ``batch_size=None``), as torch.

    Args:
        data: a sample: numpy arrays and numpy scalars become tensors, mappings and sequences are
            converted element by element (tuples become lists, a namedtuple keeps its type);
            anything else is returned unchanged.
    Returns:
        The converted sample.
    """
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in "biuf":
        return _numpy_to_tensor(np.asarray(data))
    if isinstance(data, (str, bytes, Tensor)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, collections.abc.Sequence):
        return [default_convert(d) for d in data]
    return data


def _tensor_source(dataset: object) -> tuple[tuple[Tensor, ...], np.ndarray | None] | None:
    """(tensors, base index array or None) when batches can be gathered with index_select."""
    base: np.ndarray | None = None
    while isinstance(dataset, Subset):
        index = np.asarray(dataset.indices, dtype=np.int64)
        base = index if base is None else index[base]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    return dataset.tensors, base


def _mp_context(context: Any, num_workers: int) -> Any:
    """The multiprocessing context the workers start from, checked as torch checks it."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={context!r}"
            )
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context}"
        )
    return context


def _default_context() -> Any:
    """fork on Linux, as torch (the C++ core re-arms its OpenMP pool in a forked child)."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


class DataLoader:
    """Iterates over a dataset in batches, as torch.utils.data.DataLoader.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``) or an IterableDataset.
        batch_size: samples per batch; None yields the samples one by one, unbatched.
        shuffle: draw a new order each epoch (each ``iter()``): ``sampler`` is then a
            RandomSampler on the loader's generator, else a SequentialSampler.
        sampler: a Sampler or any iterable of indices (with ``__len__`` for ``len(loader)``),
            instead of shuffle.
        batch_sampler: a Sampler or iterable of lists of indices, instead of batch_size /
            shuffle / sampler / drop_last (default: ``BatchSampler(sampler, batch_size,
            drop_last)``, or None with ``batch_size=None``).
        num_workers: worker processes that load batches (0: in the main process).
        collate_fn: merges a list of samples into a batch (default: ``default_collate``; with
            ``batch_size=None``, ``default_convert``).
        pin_memory: accepted for torch scripts; CPU tensors need no pinning (a no-op).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a worker's batch before RuntimeError (0: no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: None (fork on Linux), a start method name or a context object.
        generator: a pygrad.Generator, numpy Generator or int seed for the epochs' orders and
            the workers' base seed; with none of generator / seed, pygrad's global generator.
        prefetch_factor: batches loaded in advance per worker (default 2 with workers).
        persistent_workers: keep the workers alive from one epoch to the next.
        pin_memory_device: accepted for torch scripts, unused.
        in_order: yield batches in sampler order (False: as workers finish them).
        seed: an int seed: the same sequence of epoch orders for every loader built with it.
        batch_transform: applied to the inputs of each batch (the first element of a tuple or
            list batch, or the whole batch when it is a tensor), in the worker that loads it:
            the place for augmentation, e.g. ``Compose([RandomShift(2), Normalize(...)])``.

    As in torch, ``loader.sampler`` and ``loader.batch_sampler`` are the samplers the loader
    iterates (built from shuffle / batch_size / drop_last when not given; an IterableDataset gets
    a sampler of None forever, its batches coming from the dataset itself).
    Batches of tuple samples come as lists ``[inputs, targets]``, as in PyTorch. For a
    TensorDataset (or a Subset of one) and the default collate_fn, each batch is one
    ``index_select`` per stored tensor. Workers return their batches through shared memory: only
    small metadata crosses the pipe, and the tensors the main process gets share that memory.
    Worker ``i`` seeds pygrad, ``random`` and numpy's global generator from ``base_seed + i``,
    base_seed being drawn once per epoch (in every mode, so the orders match ``num_workers=0``).
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[Sequence[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: _LoaderGenerator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
        batch_transform: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        if not _is_int(num_workers) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None or batch_sampler is not None:
                which = "sampler" if sampler is not None else "batch_sampler"
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified {which} option, "
                    f"but got {which}={sampler if sampler is not None else batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        self.generator: Generator | np.random.Generator | None = (
            generator
            if isinstance(generator, Generator) and seed is None
            else _rng(generator, seed, "DataLoader")  # type: ignore[arg-type]
        )
        if sampler is None:  # torch's defaults, drawing from the loader's generator
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            # BatchSampler checks batch_size and drop_last with torch's messages
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("[DataLoader] collate_fn must be callable")
        if batch_transform is not None and not callable(batch_transform):
            raise TypeError("[DataLoader] batch_transform must be callable")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError("[DataLoader] worker_init_fn must be callable")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _mp_context(multiprocessing_context, self.num_workers)
        self.in_order = bool(in_order)
        self.persistent_workers = bool(persistent_workers)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.sampler: Sampler[Any] | Iterable[Any] = sampler
        self.batch_sampler: Sampler[Any] | Iterable[Sequence[Any]] | None = batch_sampler
        auto = batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if auto else default_convert)
        self.batch_transform = batch_transform
        self.epoch = 0
        self._source = (
            _tensor_source(dataset) if collate_fn is None and auto and not self._iterable else None
        )
        self._iterator: _workers.MultiProcessIter | None = None

    def __len__(self) -> int:
        if self._iterable:  # the dataset's own length, batched as the fetcher batches it
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            if self.drop_last:
                return n // self.batch_size
            return (n + self.batch_size - 1) // self.batch_size
        index_sampler = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return len(index_sampler)  # type: ignore[arg-type]

    def _base_seed(self) -> int:
        """The epoch's seed for the workers, from the loader's generator or the global one."""
        if isinstance(self.generator, np.random.Generator):
            return int(self.generator.integers(0, 2**62))
        gen = self.generator if isinstance(self.generator, Generator) else None
        return int(randint(0, 2**62, (1,), generator=gen).item())

    def _tasks(self) -> Iterator[Any]:
        """The epoch's work items: lists of indices, single indices, or None per batch of an
        IterableDataset (workers stop by themselves)."""
        if self._iterable:
            return itertools.repeat(None)
        if self.batch_sampler is None:
            return iter(self.sampler)
        if type(self.batch_sampler) is BatchSampler:  # its batches are fresh lists already
            return iter(self.batch_sampler)
        return (list(batch) for batch in self.batch_sampler)

    def _fetcher(self) -> _workers.Fetcher:
        return _workers.Fetcher(
            self.dataset,
            iterable=self._iterable,
            auto_collation=self.batch_sampler is not None,
            batch_size=self.batch_size,
            drop_last=self.drop_last,
            collate_fn=self.collate_fn,
            source=self._source,
            batch_transform=self.batch_transform,
        )

    def __iter__(self) -> Iterator[Any]:
        tasks = self._tasks()
        base_seed = self._base_seed()
        self.epoch += 1
        if self.pin_memory and not _C.cuda_is_available():
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=2,
            )
        if self.num_workers == 0:
            return _workers.single_process(self._fetcher(), tasks)
        if self.persistent_workers and self._iterator is not None:
            self._iterator.reset(tasks)
            return self._iterator
        iterator = _workers.MultiProcessIter(
            self._fetcher(),
            tasks,
            num_workers=self.num_workers,
            prefetch_factor=max(1, self.prefetch_factor or 0),
            timeout=self.timeout,
            worker_init_fn=self.worker_init_fn,
            context=self.multiprocessing_context or _default_context(),
            base_seed=base_seed,
            in_order=self.in_order,
            persistent=self.persistent_workers,
        )
        if self.persistent_workers:
            self._iterator = iterator
        return iterator

"""Samplers with torch.utils.data's names, arguments and errors: Sampler, SequentialSampler,
RandomSampler, SubsetRandomSampler, WeightedRandomSampler and BatchSampler.

``generator=`` takes what DataLoader's does: a pygrad.Generator, a numpy Generator, an int seed
(a numpy Generator made from it once, so each epoch draws a new order and a run repeats them),
or None for pygrad's global generator (``pygrad.manual_seed``). The index sequences are pygrad's,
not torch's: the two libraries' random streams differ.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import device as _device
from pygrad._factories import as_tensor, randint
from pygrad._random import Generator, multinomial
from pygrad.data.dataset import _permutation

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

_T_co = TypeVar("_T_co", covariant=True)

# What generator= takes: a pygrad.Generator, a numpy Generator or an int seed.
_SamplerGenerator = Union[Generator, np.random.Generator, int]


def _generator(
    generator: _SamplerGenerator | None, op: str
) -> Generator | np.random.Generator | None:
    """The stream a sampler draws from; an int seed becomes a numpy Generator once, here."""
    if generator is None or isinstance(generator, (Generator, np.random.Generator)):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"[{op}] generator must be a pygrad.Generator, a numpy.random.Generator or an int seed, "
        f"got {type(generator).__name__}"
    )


def _shared(rng: np.random.Generator) -> Generator:
    """A pygrad.Generator drawing from ``rng`` itself, for pygrad functions that take only those."""
    view = Generator.__new__(Generator)
    view.device = _device("cpu")
    view._initial = 0
    view._rng = rng
    return view


def _permutation_of(n: int, generator: Generator | np.random.Generator | None) -> np.ndarray:
    """A permutation of 0..n-1 drawn as DataLoader(shuffle=True) draws its epoch's order."""
    if isinstance(generator, Generator):
        from pygrad._factories import randperm

        return randperm(n, generator=generator).numpy()
    return _permutation(n, generator)


def _positive_int(value: object) -> bool:
    """torch's test for num_samples / batch_size, numpy integers accepted too."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0


class Sampler(Generic[_T_co]):
    """Base class of the samplers: ``__iter__`` yields indices (or lists of indices, for a batch
    sampler); ``__len__``, when defined, is what ``len(DataLoader)`` counts from."""

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Yields 0, 1, ..., len(data_source) - 1, every epoch the same."""

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Yields the indices of ``data_source`` in a random order.

    Args:
        data_source: anything with ``__len__``.
        replacement: draw each index independently (uniformly, with repeats) instead of
            permuting.
        num_samples: how many indices an epoch yields (default ``len(data_source)``); without
            replacement, more than ``len(data_source)`` chains whole fresh permutations, as torch.
        generator: a pygrad.Generator, numpy Generator or int seed (None: the global generator).

    Each ``iter()`` draws its whole epoch at once (one permutation per ``len(data_source)``
    indices), so a DataLoader's order is drawn before its workers' seed, in every mode.
    """

    data_source: Sized
    replacement: bool

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: _SamplerGenerator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _generator(generator, "RandomSampler")
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not _positive_int(self.num_samples):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        # Read at each epoch: a data_source that grows is followed, as in torch.
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        count = int(self.num_samples)
        if n == 0:  # nothing to draw from
            return iter(())
        gen = self.generator
        if self.replacement:
            if isinstance(gen, np.random.Generator):
                drawn = gen.integers(0, n, count, dtype=np.int64)
            else:
                drawn = randint(0, n, (count,), generator=gen).numpy()
            return iter(drawn.tolist())
        if count == n:  # the DataLoader(shuffle=True) case: one permutation
            return iter(_permutation_of(n, gen).tolist())
        parts = [_permutation_of(n, gen) for _ in range(count // n)]
        if count % n:
            parts.append(_permutation_of(n, gen)[: count % n])
        return iter(np.concatenate(parts).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """Yields the elements of ``indices`` in a random order (a new permutation each epoch).

    Args:
        indices: a sequence of dataset indices.
        generator: a pygrad.Generator, numpy Generator or int seed (None: the global generator).
    """

    indices: Sequence[int]

    def __init__(self, indices: Sequence[int], generator: _SamplerGenerator | None = None) -> None:
        self.indices = indices
        self.generator = _generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        order = _permutation_of(len(self.indices), self.generator).tolist()
        indices = self.indices
        return iter([indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Yields ``num_samples`` indices of ``0..len(weights)-1``, index i with probability
    proportional to ``weights[i]`` (as ``multinomial``).

    Args:
        weights: a 1-d sequence (or tensor) of non-negative weights, not necessarily summing to 1.
        num_samples: how many indices an epoch yields.
        replacement: with False, an index is drawn at most once per epoch (then ``num_samples``
            may not exceed the number of non-zero weights: ``multinomial``'s RuntimeError).
        generator: a pygrad.Generator, numpy Generator or int seed (None: the global generator).
    """

    weights: Tensor
    num_samples: int
    replacement: bool

    def __init__(
        self,
        weights: Sequence[float] | Tensor,
        num_samples: int,
        replacement: bool = True,
        generator: _SamplerGenerator | None = None,
    ) -> None:
        if not _positive_int(num_samples):
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights_tensor = as_tensor(weights, dtype=_C.float64)
        if weights_tensor.dim() != 1:
            raise ValueError(
                "weights should be a 1d sequence but given "
                f"weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = _generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        gen = self.generator
        drawn = multinomial(
            self.weights,
            self.num_samples,
            self.replacement,
            generator=_shared(gen) if isinstance(gen, np.random.Generator) else gen,
        )
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: a Sampler or any iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last batch when it is shorter than ``batch_size``.

    ``iter()`` starts the sampler's epoch at once (a RandomSampler draws its order then).
    """

    def __init__(
        self, sampler: Sampler[Any] | Iterable[Any], batch_size: int, drop_last: bool
    ) -> None:
        if not _positive_int(batch_size):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        return self._batches(iter(self.sampler))

    def _batches(self, indices: Iterator[Any]) -> Iterator[list[Any]]:
        size = self.batch_size
        if self.drop_last:
            # zip of one iterator repeated: full batches only, the short tail dropped
            for full in zip(*([indices] * size)):
                yield list(full)
            return
        while batch := list(itertools.islice(indices, size)):
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler torch gives a DataLoader over an IterableDataset: None forever (the dataset
    itself says when the epoch ends)."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)

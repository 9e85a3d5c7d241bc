"""``DistributedSampler``: each rank's shard of a dataset, torch's ordering and padding rules."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from pygrad.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Yields the indices of this rank's shard of ``dataset``; pass it as a DataLoader's sampler.

    Every rank builds the same order (a permutation drawn from ``seed + epoch`` when shuffling,
    else 0..n-1), pads it by repeating indices from its start until its length divides by
    ``num_replicas`` (or, with ``drop_last``, cuts the tail instead), and takes every
    ``num_replicas``-th index from ``rank``: the shards are disjoint and together cover the data.
    Call ``set_epoch(epoch)`` before each epoch for a new order (``fit`` does).

    Args:
        dataset: anything with ``__len__``.
        num_replicas, rank: default to the process group's world size and rank.
        shuffle: a new permutation per epoch (from ``seed + epoch``, the same on every rank).
        seed: must be the same on every rank.
        drop_last: drop the tail instead of padding, so no sample is seen twice in an epoch.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from pygrad import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "[DistributedSampler] num_replicas / rank default to the process group's, but "
                    "none is initialised: call pygrad.distributed.init_process_group() or pass them"
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"[DistributedSampler] num_replicas must be >= 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            # Every rank gets the same count and none repeats a sample.
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _order(self) -> list[int]:
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        from pygrad._factories import randperm
        from pygrad._random import Generator

        g = Generator().manual_seed(self.seed + self.epoch)
        return list(randperm(n, generator=g).tolist())

    def __iter__(self) -> Iterator[int]:
        indices = self._order()
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            elif indices:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size or not indices
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, so that shuffling draws this epoch's order (the same on every rank)."""
        self.epoch = epoch

    def __repr__(self) -> str:
        return (
            f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
            f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})"
        )

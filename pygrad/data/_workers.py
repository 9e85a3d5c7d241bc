"""DataLoader workers: the fetcher that makes a batch, the worker processes that run it, and the
main-process iterator that feeds them tasks and yields their batches (through pygrad.data._shared)."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import multiprocessing.util  # noqa: F401  (its atexit hook is registered first, so ours runs before it)
import os
import random
import secrets
import signal
import time
import weakref
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from typing import Any, NoReturn

import numpy as np

from pygrad import _C
from pygrad.data._shared import (
    discard,
    error_payload,
    from_shared,
    release,
    reraise,
    to_shared,
    track_segments,
)

__all__ = ["Fetcher", "MultiProcessIter", "WorkerInfo", "get_worker_info", "single_process"]

_POLL_S = 0.1  # how often a waiting side checks that the other one is still alive
_JOIN_S = 5.0  # how long shutdown waits for a worker before terminating it


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: id, num_workers, seed and dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        for key, value in (("id", id), ("num_workers", num_workers), ("seed", seed)):
            object.__setattr__(self, key, value)
        object.__setattr__(self, "dataset", dataset)

    def __setattr__(self, key: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        return (
            f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
            f"dataset={self.dataset!r})"
        )


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Information about the current DataLoader worker, as torch.utils.data.get_worker_info.

    Returns:
        A WorkerInfo (``id``, ``num_workers``, ``seed``, ``dataset``: this worker's copy) inside a
        worker process, None in the main process. An IterableDataset uses it to shard its data.
    """
    return _worker_info


class Fetcher:
    """Turns one task into a batch: a list of indices, one index (no auto-batching), or None for
    the next batch of an IterableDataset (StopIteration when it is exhausted)."""

    def __init__(
        self,
        dataset: Any,
        *,
        iterable: bool,
        auto_collation: bool,
        batch_size: int | None,
        drop_last: bool,
        collate_fn: Callable[[Any], Any],
        source: tuple[tuple[Any, ...], np.ndarray | None] | None,
        batch_transform: Callable[[Any], Any] | None,
    ) -> None:
        self.dataset = dataset
        self.iterable = iterable
        self.auto_collation = auto_collation
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.source = source
        self.batch_transform = batch_transform
        self._iter: Iterator[Any] | None = None

    def reset(self) -> None:
        """Starts an IterableDataset over (a new epoch)."""
        self._iter = None

    def fetch(self, task: Any) -> Any:
        """The batch of one task."""
        if self.iterable:
            if self._iter is None:
                self._iter = iter(self.dataset)
            if not self.auto_collation:
                return self._transform(self.collate_fn(next(self._iter)))
            samples = list(itertools.islice(self._iter, self.batch_size))
            if not samples or (self.drop_last and len(samples) < (self.batch_size or 0)):
                raise StopIteration
            return self._transform(self.collate_fn(samples))
        if not self.auto_collation:
            return self._transform(self.collate_fn(self.dataset[task]))
        if self.source is not None:  # TensorDataset: one index_select per tensor
            tensors, base = self.source
            rows = np.asarray(task, dtype=np.int64)
            index = _C.from_numpy(rows if base is None else base[rows])
            return self._transform([_C.index_select(t, 0, index) for t in tensors])
        return self._transform(self.collate_fn([self.dataset[i] for i in task]))

    def _transform(self, batch: Any) -> Any:
        if self.batch_transform is None:
            return batch
        if isinstance(batch, _C.Tensor):
            return self.batch_transform(batch)
        if isinstance(batch, (tuple, list)) and batch:
            out = [self.batch_transform(batch[0]), *batch[1:]]
            return tuple(out) if isinstance(batch, tuple) else out
        raise TypeError(
            f"[DataLoader] batch_transform needs batches that are tensors, tuples or lists, "
            f"got {type(batch).__name__}"
        )


def single_process(fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
    """The batches of an epoch loaded in the main process (num_workers=0)."""
    for task in tasks:
        try:
            batch = fetcher.fetch(task)
        except StopIteration:
            if fetcher.iterable:
                return
            raise
        yield batch


# --- the worker process ---------------------------------------------------------------------


def _worker_loop(
    fetcher: Fetcher,
    tasks: Any,
    replies: Any,
    worker_id: int,
    num_workers: int,
    base_seed: int,
    worker_init_fn: Callable[[int], None] | None,
    parent_pid: int,
    stopping: Any,
) -> None:
    """Answers each task read from ``tasks`` on ``replies`` (this worker's own pipes) until told
    to stop (None) or orphaned; every task gets one reply: a batch, an error or the end of data."""
    global _worker_info
    from pygrad import manual_seed, set_num_threads

    try:
        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
        set_num_threads(1)  # the workers already run side by side: no OpenMP pool per worker
        _worker_info = WorkerInfo(worker_id, num_workers, seed, fetcher.dataset)
        init_error = None
        if worker_init_fn is not None:
            try:
                worker_init_fn(worker_id)
            except Exception:
                init_error = error_payload(worker_id)
        exhausted = False
        while True:
            if not tasks.poll(_POLL_S):
                if os.getppid() != parent_pid:  # the main process is gone
                    return
                continue
            task = tasks.recv()
            if task is None or stopping.value:  # shutting down: skip the tasks still queued
                return
            if task[0] == "resume":  # persistent workers: a new epoch starts
                fetcher.reset()
                exhausted = False
                replies.send((worker_id, -1, "resumed", None))
                continue
            _, index, item, name = task
            kind, payload = "end", None
            if init_error is not None:
                kind, payload = "error", init_error
            elif not exhausted:
                try:
                    kind, payload = "batch", to_shared(fetcher.fetch(item), name)
                except StopIteration:
                    if not fetcher.iterable:
                        kind, payload = "error", error_payload(worker_id)
                    exhausted = fetcher.iterable
                except Exception:
                    kind, payload = "error", error_payload(worker_id)
            replies.send((worker_id, index, kind, payload))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):  # the main process stops or is gone
        pass


_live: weakref.WeakSet[MultiProcessIter] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Stops the workers still running at exit (persistent ones), freeing their segments."""
    for iterator in list(_live):
        iterator.shutdown()


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class MultiProcessIter:
    """An epoch's batches loaded by worker processes (the workers outlive it when persistent).

    The sampler runs here; each task goes round-robin to a worker with room (at most
    ``prefetch_factor`` tasks each) through that worker's own pipe, so a worker that dies can
    take no lock or message of another one with it; batches come back through shared memory and
    are yielded in task order (``in_order``) or as they arrive.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        tasks: Iterator[Any],
        *,
        num_workers: int,
        prefetch_factor: int,
        timeout: float,
        worker_init_fn: Callable[[int], None] | None,
        context: Any,
        base_seed: int,
        in_order: bool,
        persistent: bool,
    ) -> None:
        self._num_workers = num_workers
        self._prefetch = prefetch_factor
        self._timeout = timeout
        self._in_order = in_order
        self._persistent = persistent
        self._owner = os.getpid()
        self._closed = False
        self._token = secrets.token_hex(4)  # segment names: pgdl_<token>_<serial>, short for macOS
        self._serial = 0
        self._names: dict[int, str] = {}  # task index -> the segment its reply may use
        self._ready: dict[int, tuple[str, Any]] = {}
        self._task_pipes: list[Any] = []
        self._reply_pipes: list[Any] = []
        self._workers: list[Any] = []
        # A lock-free shared flag: a worker killed while reading it can leave no lock held.
        self._stopping = context.RawValue("b", 0)
        track_segments()
        _live.add(self)
        try:
            for worker_id in range(num_workers):
                task_r, task_w = context.Pipe(duplex=False)
                reply_r, reply_w = context.Pipe(duplex=False)
                worker = context.Process(
                    target=_worker_loop,
                    args=(
                        fetcher,
                        task_r,
                        reply_w,
                        worker_id,
                        num_workers,
                        base_seed,
                        worker_init_fn,
                        self._owner,
                        self._stopping,
                    ),
                    daemon=True,
                )
                self._task_pipes.append(task_w)
                self._reply_pipes.append(reply_r)
                try:
                    worker.start()
                finally:
                    task_r.close()
                    reply_w.close()
                self._workers.append(worker)
        except BaseException:
            self.shutdown()
            raise
        self._start(tasks)

    def _start(self, tasks: Iterator[Any]) -> None:
        self._tasks: Iterator[Any] | None = tasks
        self._active = [True] * self._num_workers
        self._in_flight = [0] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        self._sent = 0
        self._consumed = 0
        self._ready = {}
        self._release_names()
        for _ in range(self._prefetch * self._num_workers):
            self._put_task()

    def __iter__(self) -> MultiProcessIter:
        return self

    def __next__(self) -> Any:
        while True:
            if self._consumed == self._sent:
                self._put_task()
                if self._consumed == self._sent:  # the sampler is exhausted, nothing in flight
                    if not self._persistent:
                        self.shutdown()
                    raise StopIteration
            if self._in_order:
                while self._consumed not in self._ready:
                    self._receive()
                kind, payload = self._ready.pop(self._consumed)
            else:
                if not self._ready:
                    self._receive()
                kind, payload = self._ready.pop(min(self._ready))
            self._consumed += 1
            if kind == "end":
                continue
            batch = from_shared(payload) if kind == "batch" else None  # unlinked before all else
            self._put_task()
            if kind == "error":
                reraise(payload)
            return batch

    def _put_task(self) -> None:
        """Sends the next task to the next worker with room, if any."""
        if self._tasks is None or self._closed:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._cycle)
            if self._active[worker_id] and self._in_flight[worker_id] < self._prefetch:
                break
        else:
            return
        try:
            item = next(self._tasks)
        except StopIteration:
            self._tasks = None
            return
        name = f"pgdl_{self._token}_{self._serial}"
        self._serial += 1
        self._names[self._sent] = name
        try:
            self._task_pipes[worker_id].send(("task", self._sent, item, name))
        except OSError:  # its reading end is closed: the worker died
            self._died(worker_id)
        self._in_flight[worker_id] += 1
        self._sent += 1

    def _reply(self) -> tuple[int, int, str, Any]:
        """The next reply of any worker; RuntimeError when one died or ``timeout`` ran out."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            waiting = [w for w in range(self._num_workers) if self._active[w] or self._in_flight[w]]
            pipes = [self._reply_pipes[w] for w in waiting]
            sentinels = {self._workers[w].sentinel: w for w in waiting}
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(pipes + list(sentinels), left)
            for pipe in pipes:
                if pipe in ready:
                    with contextlib.suppress(EOFError, OSError):
                        reply: tuple[int, int, str, Any] = pipe.recv()
                        self._names.pop(reply[1], None)
                        return reply
            for sentinel, worker_id in sentinels.items():
                if sentinel in ready:  # it exited, and nothing is left in its pipe
                    self._died(worker_id)
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _died(self, worker_id: int) -> NoReturn:
        """Shuts the loader down and raises for a worker that exited while it had work."""
        worker = self._workers[worker_id]
        worker.join(_JOIN_S)  # its pipes close a moment before it can be reaped
        code, pid = worker.exitcode, worker.pid
        self.shutdown()
        raise RuntimeError(
            f"DataLoader worker (pid(s) {pid}) exited unexpectedly: worker {worker_id} "
            f"{_exit_text(code)}"
        )

    def _receive(self) -> None:
        worker_id, index, kind, payload = self._reply()
        self._in_flight[worker_id] -= 1
        if kind == "end":  # an IterableDataset copy ran out: no more tasks for this worker
            self._active[worker_id] = False
        self._ready[index] = (kind, payload)

    def reset(self, tasks: Iterator[Any]) -> None:
        """Starts a new epoch on the same (persistent) workers, dropping what is still in flight."""
        if self._closed:
            raise RuntimeError("[DataLoader] the persistent workers were shut down")
        self._active = [True] * self._num_workers
        for pipe in self._task_pipes:
            pipe.send(("resume",))
        self._in_flight = [n + 1 for n in self._in_flight]  # the resume acknowledgements
        resumed = 0
        while resumed < self._num_workers:
            worker_id, _, kind, payload = self._reply()
            self._in_flight[worker_id] -= 1
            if kind == "resumed":
                resumed += 1
            elif kind == "batch":
                discard(payload)
        self._discard_ready()
        self._start(tasks)

    def _discard_ready(self) -> None:
        for kind, payload in self._ready.values():
            if kind == "batch":
                discard(payload)
        self._ready = {}

    def _release_names(self) -> None:
        """Frees the segments of tasks that will get no reply (their worker died or was stopped)."""
        for name in self._names.values():
            release(name)
        self._names = {}

    def _drain(self) -> None:
        """Frees the segments of the replies waiting in the pipes."""
        for pipe in self._reply_pipes:
            with contextlib.suppress(EOFError, OSError):
                while pipe.poll():
                    _, index, kind, payload = pipe.recv()
                    self._names.pop(index, None)
                    if kind == "batch":
                        discard(payload)

    def shutdown(self) -> None:
        """Stops the workers (joining them, terminating those that hang) and frees every segment."""
        if self._closed or os.getpid() != self._owner:
            return
        self._closed = True
        _live.discard(self)
        self._stopping.value = 1
        for pipe in self._task_pipes:
            with contextlib.suppress(OSError):  # a worker already gone
                pipe.send(None)
        deadline = time.monotonic() + _JOIN_S
        while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
            self._drain()  # a worker blocked on a full pipe exits once it is read
            wait([w.sentinel for w in self._workers], 0.01)
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        self._drain()
        self._discard_ready()
        self._release_names()
        for pipe in [*self._task_pipes, *self._reply_pipes]:
            pipe.close()
        for worker in self._workers:
            worker.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter teardown
            self.shutdown()

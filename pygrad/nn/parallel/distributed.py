"""``DistributedDataParallel``: gradient averaging over MPI ranks, overlapped with backward.

How it works (torch's Reducer, in Python on mpi4py):

- At wrap time rank 0's parameters and buffers are broadcast, and the parameters that require grad
  are laid out, in reverse registration order (roughly the order backward produces them), in flat
  per-dtype buckets of at most ``bucket_cap_mb``.
- Each parameter gets a ``register_post_accumulate_grad_hook``: it copies the accumulated grad,
  times 1/world size, into the parameter's slot of its bucket; a full bucket is handed to the
  reduction at once. Buckets are reduced in index order (a bucket waits for the ones before it),
  so every rank issues the same collectives in the same order even when hooks fire differently.
- MPI moves data only inside MPI calls. With MPI_THREAD_MULTIPLE a communication thread runs each
  full bucket's blocking ``Allreduce`` while backward computes (pygrad's engine and mpi4py both
  release the GIL); otherwise the hooks start ``Iallreduce`` calls and poll them (``Testall``).
- pygrad's engine has no end-of-backward callback; the hook of the last parameter to get its
  gradient is the end of backward for the parameters: it waits for the remaining reductions and
  writes the averages back into each ``param.grad`` (in place, or as views of the buckets with
  ``gradient_as_bucket_view=True``), all inside ``backward()``.
- ``find_unused_parameters=True`` walks the autograd graph from the forward's outputs
  (``grad_fn.next_functions``) and marks the parameters it does not reach as ready at forward
  time (their slot holds their current grad or zeros); a small allreduce of used-flags keeps a
  parameter that no rank used at ``grad = None``, as torch does.
- ``join()`` lets ranks with fewer batches finish: each step the active ranks allreduce a
  "still training" count before forward; a rank that has left the loop answers that count with
  0 and shadows the step's bucket allreduces with zeros, until the count is 0 everywhere; then
  the model of the rank that ran the most steps is broadcast to all.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from pygrad import distributed as dist
from pygrad._grad_mode import enable_grad, no_grad
from pygrad.nn.modules.module import Module

if TYPE_CHECKING:
    from pygrad._C import Node, Tensor
    from pygrad.nn.parameter import Parameter

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """A flat buffer holding the grads of some parameters of one dtype, reduced as one message."""

    def __init__(self, index: int, params: list[int], sizes: list[int], dtype: np.dtype) -> None:
        self.index = index
        self.params = params  # indices into DDP._params
        self.offsets: list[int] = []
        offset = 0
        for n in sizes:
            self.offsets.append(offset)
            offset += n
        self.sizes = sizes
        self.buffer = np.zeros(offset, dtype=dtype)
        self.pending = len(params)
        self.request: Any = None


class _Progress:
    """Reduces the full buckets in index order while backward goes on computing.

    With MPI_THREAD_MULTIPLE (what mpi4py asks for) a communication thread runs each full
    bucket's blocking ``Allreduce``: a blocking collective drives its own transfer at full speed
    (MPI moves data only inside MPI calls, and a non-blocking one advances only as far as each
    ``Test`` lets it: polled between backward's kernels it fell far behind), and mpi4py and
    pygrad's engine both release the GIL, so the reduction and backward's kernels run at once.
    Without MPI_THREAD_MULTIPLE the hooks start non-blocking ``Iallreduce`` calls and poll them
    (``Testall``) each time a gradient arrives. Either way buckets are reduced in index order, so
    every rank issues the same collectives in the same order.
    """

    def __init__(self, world: Any, buckets: list[_Bucket]) -> None:
        self.world = world
        self.buckets = buckets
        self.threaded = world.size > 1 and world.MPI.Query_thread() == world.MPI.THREAD_MULTIPLE
        self.cond = threading.Condition()
        self.done = threading.Event()
        self.full = [False] * len(buckets)
        self.next = 0  # the next bucket to start
        self.busy = False  # the thread is inside a collective
        self.thread: threading.Thread | None = None
        # (start, end) perf_counter times of each bucket's reduction in the last iteration
        # (thread mode; diagnostics for benchmarks/bench_distributed.py).
        self.spans: list[tuple[float, float]] = []

    def reset(self) -> None:
        with self.cond:
            self.cond.wait_for(lambda: not self.busy)
            self.full = [False] * len(self.buckets)
            self.next = 0
            self.spans = []
            self.done.clear()

    def bucket_full(self, index: int) -> None:
        if not self.threaded:
            self.full[index] = True
            self._launch()
            self._test()
            return
        if self.thread is None:
            self.thread = threading.Thread(
                target=_reduce_loop, args=(weakref.ref(self),), daemon=True, name="pygrad-ddp"
            )
            self.thread.start()
        with self.cond:
            self.full[index] = True
            self.cond.notify_all()

    def poke(self) -> None:
        """A hook without a full bucket: in polling mode, one progress call."""
        if not self.threaded and self.next:
            self._test()

    # polling mode (no MPI_THREAD_MULTIPLE)
    def _launch(self) -> None:
        comm, mpi = self.world.comm, self.world.MPI
        while self.next < len(self.buckets) and self.full[self.next]:
            bucket = self.buckets[self.next]
            bucket.request = comm.Iallreduce(mpi.IN_PLACE, bucket.buffer, op=mpi.SUM)
            self.next += 1

    def _test(self) -> None:
        requests = [b.request for b in self.buckets[: self.next]]
        if requests:
            self.world.MPI.Request.Testall(requests)

    # thread mode
    def take(self, timeout: float) -> int | None:
        """The next full bucket for the thread to reduce (None after timeout)."""
        with self.cond:
            ready = self.cond.wait_for(
                lambda: self.next < len(self.buckets) and self.full[self.next], timeout
            )
            if not ready:
                return None
            self.busy = True
            return self.next

    def reduced(self, index: int) -> None:
        with self.cond:
            self.busy = False
            self.next = index + 1
            if self.next == len(self.buckets):
                self.done.set()
            self.cond.notify_all()

    def wait_all(self) -> None:
        if self.threaded:
            self.done.wait()
            return
        self._launch()
        self.world.MPI.Request.Waitall([b.request for b in self.buckets])

    def abandon(self) -> None:
        if self.threaded:
            with self.cond:
                self.cond.wait_for(lambda: not self.busy)
                self.full = [False] * len(self.buckets)
            return
        started = [b.request for b in self.buckets[: self.next]]
        if started:
            self.world.MPI.Request.Waitall(started)


def _reduce_loop(ref: Any) -> None:
    """The communication thread: reduce each bucket as it fills, in index order."""
    while True:
        progress = ref()
        if progress is None:
            return  # the wrapper is gone
        index = progress.take(timeout=1.0)
        if index is not None:
            comm, mpi = progress.world.comm, progress.world.MPI
            start = time.perf_counter()
            comm.Allreduce(mpi.IN_PLACE, progress.buckets[index].buffer, op=mpi.SUM)
            progress.spans.append((start, time.perf_counter()))
            progress.reduced(index)
        del progress  # no strong reference while waiting: the wrapper may be collected


def _tensors_out(value: Any) -> Iterator[Tensor]:
    """The tensors in a forward's output (a tensor, or nested tuples / lists / dicts of them)."""
    from pygrad._C import Tensor

    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors_out(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors_out(v)


def _grad_array(grad: Tensor) -> np.ndarray:
    return grad.detach().numpy().reshape(-1) if grad.is_contiguous() else np.asarray(grad).ravel()


def _grad_ready(ref: Any, i: int, leaf: Tensor) -> None:
    """Parameter i's post-accumulate-grad hook."""
    self = ref()
    if self is None or not self._sync:
        return
    if self._ready[i]:
        raise RuntimeError(
            "[DistributedDataParallel] a parameter got its gradient twice in one iteration "
            "(two backward passes through one forward); use no_sync() for all but the last"
        )
    self._mark_ready(i)


class DistributedDataParallel(Module):
    """Wraps a model for data-parallel training: each rank computes on its own batch, and by the
    end of ``backward()`` every rank's ``param.grad`` is the average over ranks.

    ``model = DistributedDataParallel(model)`` after ``init_process_group``; use ``model`` as
    before (``model(x)``, ``model.parameters()``), with a ``DistributedSampler`` giving each rank
    its shard. Parameters stay bit for bit identical on every rank (identical averaged grads,
    identical optimizer arithmetic).

    Args:
        module: the model.
        bucket_cap_mb: the largest bucket in MiB (smaller buckets start their allreduce earlier
            in backward; larger ones cost fewer latencies).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running stats) to all ranks before
            each training forward, as torch does.
        find_unused_parameters: handle parameters that a forward does not use (otherwise their
            bucket never completes and the next forward raises).
        gradient_as_bucket_view: after the reduction each ``param.grad`` is a view of its bucket
            slot (no copy back; the next backward accumulates into the bucket directly).
        device_ids, output_device, dim, process_group, static_graph: accepted for torch scripts;
            CPU ranks only, the default process group.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = 25,
        find_unused_parameters: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError(
                "[DistributedDataParallel] the default process group is not initialised: call "
                "pygrad.distributed.init_process_group('mpi') first"
            )
        if not isinstance(module, Module):
            raise TypeError(
                f"[DistributedDataParallel] module must be a pygrad Module, got {type(module).__name__}"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if cap <= 0:
            raise ValueError(f"[DistributedDataParallel] bucket_cap_mb must be > 0, got {cap}")
        self.bucket_cap_bytes = int(cap * 1024 * 1024)
        self._world = dist._require("DistributedDataParallel")
        dist.broadcast_parameters(module, src=0)
        dist._seed_rank_streams()
        self._params: list[Parameter] = [p for p in module.parameters() if p.requires_grad]
        self.gradient_as_bucket_view = gradient_as_bucket_view
        # How long the last backward waited for its allreduces after its last gradient: the
        # communication that backward did not hide (diagnostics; benchmarks/bench_distributed.py).
        self.comm_wait_seconds = 0.0
        self.last_grad_time = 0.0  # perf_counter time of the last gradient of the last backward
        self._build_buckets()
        self._progress = _Progress(self._world, self._buckets)
        self._nodes: list[Node | None] | None = None
        self._join_active = False
        self._steps = 0
        self._reset_iteration(sync=False)
        # A weak reference: the hooks live as long as the parameters, the wrapper may not.
        ref = weakref.ref(self)
        for i, p in enumerate(self._params):
            p.register_post_accumulate_grad_hook(functools.partial(_grad_ready, ref, i))

    # ------------------------------------------------------------------------------------------
    # layout

    def _build_buckets(self) -> None:
        """Buckets in reverse parameter order, split by dtype and by the size cap."""
        self._buckets: list[_Bucket] = []
        self._where: list[tuple[int, int]] = [(0, 0)] * len(self._params)
        open_: dict[str, tuple[list[int], int]] = {}

        def close(key: str) -> None:
            members, _ = open_.pop(key)
            bucket = _Bucket(
                len(self._buckets),
                members,
                [self._params[i].numel() for i in members],
                np.dtype(key),
            )
            for slot, i in enumerate(members):
                self._where[i] = (bucket.index, slot)
            self._buckets.append(bucket)

        for i in reversed(range(len(self._params))):
            p = self._params[i]
            if not p.is_floating_point():
                raise TypeError(f"[DistributedDataParallel] parameter {i} is not floating point")
            key = np.dtype(p.detach().numpy().dtype).str
            nbytes = p.numel() * p.element_size()
            members, used = open_.get(key, ([], 0))
            if members and used + nbytes > self.bucket_cap_bytes:
                close(key)
                members, used = [], 0
            open_[key] = ([*members, i], used + nbytes)
        for key in list(open_):
            close(key)

    @property
    def bucket_sizes(self) -> list[int]:
        """The number of elements of each bucket, in reduction order."""
        return [b.buffer.size for b in self._buckets]

    # ------------------------------------------------------------------------------------------
    # forward

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Runs the wrapped module; in grad mode it prepares the gradient reduction of backward."""
        from pygrad._grad_mode import is_grad_enabled

        if self._join_active and self.training and is_grad_enabled():
            # Join's per-step handshake: this rank is still training.
            self._join_count(1)
        self._check_previous_iteration()
        if self.broadcast_buffers and self.training and self._world.size > 1:
            self._broadcast_buffers()
        out = self.module(*inputs, **kwargs)
        sync = is_grad_enabled() and self.require_backward_grad_sync and self._world.size > 1
        self._reset_iteration(sync)
        if sync:
            self._steps += 1
            if self.find_unused_parameters:
                self._mark_unused(out)
        return out

    def _broadcast_buffers(self) -> None:
        bufs = list(self.module.buffers())
        if bufs:
            with no_grad():
                for b in bufs:
                    dist.broadcast(b, 0)

    def _check_previous_iteration(self) -> None:
        if self._sync and self._started and not self._finished:
            waiting = [
                n
                for n, p in self.module.named_parameters()
                if p.requires_grad and not self._ready[self._index_of(p)]
            ]
            self._abandon()
            raise RuntimeError(
                "[DistributedDataParallel] the previous backward did not produce a gradient for "
                f"every parameter (none for {waiting}); pass find_unused_parameters=True when a "
                "forward does not use every parameter"
            )

    def _index_of(self, p: Parameter) -> int:
        for i, q in enumerate(self._params):
            if q is p:
                return i
        return -1

    def _reset_iteration(self, sync: bool) -> None:
        self._sync = sync
        self._started = False
        self._finished = False
        self._ready = [False] * len(self._params)
        self._used = np.ones(len(self._params), dtype=np.int32)
        for b in self._buckets:
            b.pending = len(b.params)
            b.request = None
        self._progress.reset()

    def _abandon(self) -> None:
        """Completes what an interrupted iteration started, so no request is left dangling."""
        self._progress.abandon()
        self._reset_iteration(False)

    def _accumulate_nodes(self) -> list[Node | None]:
        """Each parameter's AccumulateGrad node (what the graph's edges point at for it)."""
        if self._nodes is None:
            with enable_grad():
                fns = [(p * 1).grad_fn for p in self._params]
            self._nodes = [fn.next_functions[0][0] if fn is not None else None for fn in fns]
        return self._nodes

    def _mark_unused(self, out: Any) -> None:
        """Parameters the output does not depend on: ready now (torch's find_unused_parameters)."""
        seen: set[Node] = set()
        stack = [t.grad_fn for t in _tensors_out(out) if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(n for n, _ in node.next_functions if n is not None and n not in seen)
        for i, leaf in enumerate(self._accumulate_nodes()):
            if leaf is None or leaf not in seen:
                self._used[i] = 0
                self._mark_ready(i)

    # ------------------------------------------------------------------------------------------
    # backward

    def _mark_ready(self, i: int) -> None:
        """Parameter i's grad is final for this backward: into its bucket slot, pre-divided by
        the world size (so the allreduced sum is the average, and no pass over it is needed)."""
        self._started = True
        self._ready[i] = True
        b_index, slot = self._where[i]
        bucket = self._buckets[b_index]
        start, n = bucket.offsets[slot], bucket.sizes[slot]
        dest = bucket.buffer[start : start + n]
        scale = dest.dtype.type(1.0 / self._world.size)
        grad = self._params[i].grad
        if grad is None:
            dest[...] = 0
        else:
            src = _grad_array(grad)
            if src.ctypes.data == dest.ctypes.data:
                dest *= scale  # the grad is already a view of its slot (gradient_as_bucket_view)
            else:
                np.multiply(src, scale, out=dest)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._progress.bucket_full(bucket.index)
        else:
            self._progress.poke()
        if all(self._ready):
            self._finalize()

    def _finalize(self) -> None:
        """Every grad is in its bucket: wait for the last allreduces and hand out the averages."""
        from pygrad._C import from_numpy

        if self._finished:
            return
        self._finished = True
        start = self.last_grad_time = time.perf_counter()
        self._progress.wait_all()
        self.comm_wait_seconds = time.perf_counter() - start
        used = None
        if self.find_unused_parameters:
            used = self._used.copy()
            self._world.comm.Allreduce(self._world.MPI.IN_PLACE, used, op=self._world.MPI.MAX)
        with no_grad():
            for bucket in self._buckets:
                for slot, i in enumerate(bucket.params):
                    p = self._params[i]
                    if used is not None and not used[i]:
                        continue  # no rank used it: its grad stays as it was (None)
                    start, n = bucket.offsets[slot], bucket.sizes[slot]
                    avg = bucket.buffer[start : start + n]
                    grad = p.grad
                    if grad is not None and grad.data_ptr() == avg.ctypes.data:
                        continue  # already the bucket's memory
                    if self.gradient_as_bucket_view:
                        p.grad = from_numpy(avg).view(tuple(p.shape))
                    elif grad is not None and grad.is_contiguous():
                        grad.detach().numpy().reshape(-1)[...] = avg
                    else:
                        p.grad = from_numpy(avg.reshape(tuple(p.shape)).copy())

    # ------------------------------------------------------------------------------------------
    # gradient accumulation and uneven inputs

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes of forwards inside the block accumulate local grads without
        communicating; the first backward after the block averages the accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _join_count(self, mine: int) -> int:
        count = np.array([mine], dtype=np.int64)
        mpi = self._world.MPI
        self._world.comm.Allreduce(mpi.IN_PLACE, count, op=mpi.SUM)
        return int(count[0])

    def _shadow_step(self) -> None:
        """What a rank out of batches does for each step the others still take: zeros in."""
        if self.broadcast_buffers and self.training:
            self._broadcast_buffers()
        comm, mpi = self._world.comm, self._world.MPI
        requests = []
        for bucket in self._buckets:
            bucket.buffer[...] = 0
            # The same kind of call as the training ranks (a blocking collective never matches
            # a non-blocking one).
            if self._progress.threaded:
                comm.Allreduce(mpi.IN_PLACE, bucket.buffer, op=mpi.SUM)
            else:
                requests.append(comm.Iallreduce(mpi.IN_PLACE, bucket.buffer, op=mpi.SUM))
        mpi.Request.Waitall(requests)
        if self.find_unused_parameters:
            zeros = np.zeros(len(self._params), dtype=np.int32)
            comm.Allreduce(mpi.IN_PLACE, zeros, op=mpi.MAX)

    @contextlib.contextmanager
    def join(
        self, divide_by_initial_world_size: bool = True, enable: bool = True
    ) -> Iterator[None]:
        """A block inside which ranks may run different numbers of training steps.

        A rank that leaves the block early keeps answering the others' per-step allreduces (with
        zero gradients, so each step still averages over the world size, torch's default) until
        every rank has left; the model of the rank that took the most steps is then broadcast
        so all ranks end with the same parameters. Every step inside must be one forward and one
        backward in training mode.
        """
        if not divide_by_initial_world_size:
            raise NotImplementedError(
                "[DistributedDataParallel.join] only divide_by_initial_world_size=True is supported"
            )
        if not enable or self._world.size == 1:
            yield
            return
        self._join_active = True
        self._steps = 0
        failed = False
        try:
            yield
        except BaseException:
            failed = True  # the excepthook aborts the job; do not enter more collectives
            raise
        finally:
            self._join_active = False
            if not failed:
                while self._join_count(0) > 0:
                    self._shadow_step()
                self._sync_final_model()

    def _sync_final_model(self) -> None:
        mpi = self._world.MPI
        key = np.array([self._steps * self._world.size + self._world.rank], dtype=np.int64)
        self._world.comm.Allreduce(mpi.IN_PLACE, key, op=mpi.MAX)
        dist.broadcast_parameters(self.module, src=int(key[0]) % self._world.size)

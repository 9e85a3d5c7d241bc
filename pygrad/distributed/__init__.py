"""``pygrad.distributed``: torch.distributed's process-group API on MPI (through mpi4py).

Start the script with ``mpiexec -n 4 python train.py`` (or ``srun --mpi=pmix``); without a
launcher ``init_process_group()`` makes a world of size 1. Collectives work in place on the
tensor's own buffer (contiguous CPU tensors; no copies).

```python
import pygrad.distributed as dist

dist.init_process_group("mpi")
dist.all_reduce(t, op=dist.ReduceOp.AVG)   # t changed in place on every rank
```

Importing this module never imports mpi4py; ``init_process_group`` does, and raises an
ImportError saying what to install when it is missing (``pip install "pygrad[mpi]"``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from pygrad._C import Tensor

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "broadcast_parameters",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "reduce_scatter",
]

_INSTALL_HINT = (
    "pygrad.distributed needs mpi4py and an MPI library: pip install 'pygrad[mpi]' (mpi4py and "
    "the mpich wheel, which brings mpiexec), or on a cluster pip install mpi4py against the "
    "site's MPI (module load openmpi; pip install --no-binary mpi4py mpi4py)"
)


class ReduceOp:
    """The reductions of ``all_reduce`` / ``reduce_scatter`` (torch's names)."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


class _World:
    """The process group: mpi4py's MPI module and a duplicate of COMM_WORLD (ours alone)."""

    def __init__(self, mpi: Any, comm: Any) -> None:
        self.MPI = mpi
        self.comm = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.previous_excepthook: Any = None


_world: _World | None = None
# The seed _seed_rank_streams last gave the global generator (so it does not mix twice).
_rank_seed: int | None = None


def _import_mpi() -> Any:
    """mpi4py's MPI module (initialising MPI), or an ImportError saying what to install."""
    import importlib

    try:
        # By name: type checking must not need mpi4py (an optional extra).
        return importlib.import_module("mpi4py.MPI")
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error


def is_available() -> bool:
    """True: the package is importable (MPI itself may still be missing: ``is_mpi_available``)."""
    return True


def is_mpi_available() -> bool:
    """True when mpi4py can be imported (without importing it when it cannot be found)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _world is not None


def _require(where: str) -> _World:
    if _world is None:
        raise RuntimeError(
            f"[{where}] the default process group is not initialised: call "
            "pygrad.distributed.init_process_group('mpi') first"
        )
    return _world


def _abort_on_exception(exc_type: Any, exc: Any, tb: Any) -> None:
    """sys.excepthook under a process group: show the error, then end every rank (MPI_Abort).

    Without it the other ranks would wait forever in their next collective.
    """
    world = _world
    hook = world.previous_excepthook if world is not None else None
    try:
        (hook or sys.__excepthook__)(exc_type, exc, tb)
    except Exception:  # a broken hook must not stop the abort
        traceback.print_exception(exc_type, exc, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    if world is not None and world.size > 1 and not issubclass(exc_type, KeyboardInterrupt):
        rank = world.rank
        print(f"[pygrad.distributed] rank {rank} raised; aborting all ranks", file=sys.stderr)
        sys.stderr.flush()
        world.MPI.COMM_WORLD.Abort(1)


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    **kwargs: Any,
) -> None:
    """Joins the job's ranks into the default process group (MPI_COMM_WORLD).

    Rank and world size come from the launcher (``mpiexec -n 4``, ``srun``); a script started
    without one is a world of size 1. ``world_size`` / ``rank``, when given, must agree with it.
    An uncaught exception on any rank then aborts the whole job (MPI_Abort from sys.excepthook).

    Args:
        backend: "mpi" (the only backend; None means "mpi").
        init_method, timeout: accepted for torch scripts, unused (MPI's launcher rendezvous).
    Raises:
        ImportError: mpi4py is not installed (with what to install).
        RuntimeError: already initialised, or world_size / rank disagree with the launcher.
    """
    global _world
    if backend not in (None, "mpi"):
        raise ValueError(
            f"[init_process_group] backend must be 'mpi' (pygrad runs on MPI), got {backend!r}"
        )
    if _world is not None:
        raise RuntimeError("[init_process_group] the default process group is already initialised")
    mpi = _import_mpi()
    comm = mpi.COMM_WORLD.Dup()  # our own communicator: user MPI traffic cannot interleave
    world = _World(mpi, comm)
    if world_size not in (-1, None) and world_size != world.size:
        raise RuntimeError(
            f"[init_process_group] world_size={world_size} but the launcher started {world.size} "
            "ranks (mpiexec -n N sets it)"
        )
    if rank not in (-1, None) and rank != world.rank:
        raise RuntimeError(
            f"[init_process_group] rank={rank} but MPI says this process is rank {world.rank}"
        )
    world.previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_exception
    _world = world


def _seed_rank_streams() -> None:
    """Moves pygrad's global generator to a stream of this rank's own.

    Called by DistributedDataParallel (after its broadcast: parameter init already drew from the
    seed shared by every rank) and by ``fit``: from then on dropout and augmentation draw from a
    stream derived from ``seed + rank`` (mixed so rank 0 does not replay the init stream). A
    no-op when the generator already runs on such a stream (until the next ``manual_seed``).
    """
    global _rank_seed
    if _world is None or _world.size == 1:
        return
    from pygrad import _C

    seed = _C.initial_seed()
    if seed == _rank_seed:
        return
    _rank_seed = ((seed + _world.rank + 1) * 0x9E3779B97F4A7C15) & (2**63 - 1)
    _C.manual_seed(_rank_seed)


def destroy_process_group(group: Any = None) -> None:
    """Leaves the process group (MPI itself stays initialised until the process exits)."""
    global _world, _rank_seed
    _rank_seed = None
    world = _world
    if world is None:
        return
    if sys.excepthook is _abort_on_exception:
        sys.excepthook = world.previous_excepthook or sys.__excepthook__
    world.comm.Free()
    _world = None


def get_backend(group: Any = None) -> str:
    """'mpi'."""
    _require("get_backend")
    return "mpi"


def get_rank(group: Any = None) -> int:
    """This process's rank (0 when no process group is initialised, as a single process)."""
    return _world.rank if _world is not None else 0


def get_world_size(group: Any = None) -> int:
    """The number of ranks (1 when no process group is initialised)."""
    return _world.size if _world is not None else 1


def _comm() -> Any:
    return _require("distributed").comm


def _buffer(tensor: Tensor, where: str) -> np.ndarray:
    """The tensor's own memory as a numpy array (so the collective writes into the tensor)."""
    from pygrad._C import Tensor as _Tensor

    if not isinstance(tensor, _Tensor):
        raise TypeError(f"[{where}] expected a pygrad Tensor, got {type(tensor).__name__}")
    if not tensor.is_contiguous():
        raise ValueError(
            f"[{where}] the tensor must be contiguous (collectives work in place on its buffer); "
            "call .contiguous() and collect into that tensor"
        )
    if tensor.device.type != "cpu":
        raise ValueError(f"[{where}] MPI collectives take CPU tensors, got {tensor.device}")
    try:
        return tensor.detach().numpy()
    except (TypeError, RuntimeError) as error:
        raise TypeError(f"[{where}] dtype {tensor.dtype} has no MPI buffer type") from error


def _mpi_op(op: Any, where: str) -> Any:
    mpi = _require(where).MPI
    table = {
        ReduceOp.SUM: mpi.SUM,
        ReduceOp.AVG: mpi.SUM,
        ReduceOp.MAX: mpi.MAX,
        ReduceOp.MIN: mpi.MIN,
        ReduceOp.PRODUCT: mpi.PROD,
    }
    if op not in table:
        raise ValueError(
            f"[{where}] op must be a ReduceOp (SUM, AVG, MAX, MIN, PRODUCT), got {op!r}"
        )
    return table[op]


def _average(buf: np.ndarray, where: str) -> None:
    import numpy as np

    if not np.issubdtype(buf.dtype, np.floating):
        raise TypeError(f"[{where}] ReduceOp.AVG needs a floating tensor, got {buf.dtype}")
    buf /= get_world_size()


class Work:
    """What ``async_op=True`` returns: ``wait()`` completes the collective."""

    def __init__(self, request: Any, done: Any = None) -> None:
        self._request = request
        self._done = done
        self._finished = False

    def is_completed(self) -> bool:
        """True once the collective has finished (and its result is in the tensor)."""
        if not self._finished and self._request.Test():
            self._finish()
        return self._finished

    def wait(self, timeout: Any = None) -> bool:
        """Blocks until the collective has finished; returns True."""
        if not self._finished:
            self._request.Wait()
            self._finish()
        return True

    def _finish(self) -> None:
        self._finished = True
        if self._done is not None:
            self._done()


def barrier(group: Any = None, async_op: bool = False) -> Work | None:
    """Waits until every rank has reached the barrier."""
    comm = _comm()
    if async_op:
        return Work(comm.Ibarrier())
    comm.Barrier()
    return None


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> Work | None:
    """Copies rank ``src``'s tensor into the tensor of every other rank, in place."""
    comm = _comm()
    buf = _buffer(tensor, "broadcast")
    if not 0 <= src < comm.Get_size():
        raise ValueError(f"[broadcast] src must be a rank in [0, {comm.Get_size()}), got {src}")
    if async_op:
        return Work(comm.Ibcast(buf, root=src))
    comm.Bcast(buf, root=src)
    return None


def all_reduce(
    tensor: Tensor, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Work | None:
    """Reduces the tensor over all ranks in place: every rank ends with the same result.

    ``ReduceOp.AVG`` is a SUM divided by the world size (floating tensors).
    """
    comm = _comm()
    buf = _buffer(tensor, "all_reduce")
    mpi_op = _mpi_op(op, "all_reduce")
    in_place = _require("all_reduce").MPI.IN_PLACE
    if op == ReduceOp.AVG:
        _average(buf[:0], "all_reduce")  # dtype check before the collective, not after
    done = (lambda: _average(buf, "all_reduce")) if op == ReduceOp.AVG else None
    if async_op:
        return Work(comm.Iallreduce(in_place, buf, op=mpi_op), done)
    comm.Allreduce(in_place, buf, op=mpi_op)
    if done is not None:
        done()
    return None


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Fills ``tensor_list[r]`` with rank r's ``tensor`` on every rank (equal shapes)."""
    import numpy as np

    comm = _comm()
    size = comm.Get_size()
    if len(tensor_list) != size:
        raise ValueError(
            f"[all_gather] tensor_list needs one tensor per rank ({size}), got {len(tensor_list)}"
        )
    send = _buffer(tensor, "all_gather")
    outs = [_buffer(t, "all_gather") for t in tensor_list]
    for out in outs:
        if out.shape != send.shape or out.dtype != send.dtype:
            raise ValueError(
                f"[all_gather] every output must have the input's shape {send.shape} and dtype "
                f"{send.dtype}, got {out.shape} {out.dtype}"
            )
    gathered = np.empty((size, *send.shape), dtype=send.dtype)
    comm.Allgather(np.ascontiguousarray(send), gathered)
    for r, out in enumerate(outs):
        out[...] = gathered[r]
    return _completed() if async_op else None


def broadcast_object_list(object_list: list[Any], src: int = 0, group: Any = None) -> None:
    """Replaces the items of ``object_list`` on every rank with rank ``src``'s (pickled)."""
    received = _comm().bcast(list(object_list), root=src)
    object_list[:] = received


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """Fills ``object_list[r]`` with rank r's ``obj`` (pickled) on every rank."""
    gathered = _comm().allgather(obj)
    if len(object_list) != len(gathered):
        raise ValueError(
            f"[all_gather_object] object_list needs one slot per rank ({len(gathered)}), got "
            f"{len(object_list)}"
        )
    object_list[:] = gathered


def reduce_scatter(
    output: Tensor,
    input_list: Sequence[Tensor],
    op: Any = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Reduces ``input_list[r]`` over all ranks into rank r's ``output`` (equal shapes)."""
    import numpy as np

    comm = _comm()
    size = comm.Get_size()
    if len(input_list) != size:
        raise ValueError(
            f"[reduce_scatter] input_list needs one tensor per rank ({size}), got {len(input_list)}"
        )
    out = _buffer(output, "reduce_scatter")
    ins = [_buffer(t, "reduce_scatter") for t in input_list]
    for x in ins:
        if x.shape != out.shape or x.dtype != out.dtype:
            raise ValueError(
                f"[reduce_scatter] every input must have the output's shape {out.shape} and dtype "
                f"{out.dtype}, got {x.shape} {x.dtype}"
            )
    if op == ReduceOp.AVG:
        _average(out[:0], "reduce_scatter")
    send = np.stack(ins) if ins else np.empty((0, *out.shape), out.dtype)
    comm.Reduce_scatter_block(send, out, op=_mpi_op(op, "reduce_scatter"))
    if op == ReduceOp.AVG:
        _average(out, "reduce_scatter")
    return _completed() if async_op else None


class _Done:
    def Test(self) -> bool:
        return True

    def Wait(self) -> None:
        return None


def _completed() -> Work:
    return Work(_Done())


def _state_tensors(model: Any) -> Iterator[Tensor]:
    yield from model.parameters()
    yield from model.buffers()


def broadcast_parameters(model: Any, src: int = 0) -> None:
    """Copies rank ``src``'s parameters and buffers into the model of every rank, in place.

    One flat message per dtype (not one per tensor): a model's many small tensors cost one
    latency, not hundreds.
    """
    import numpy as np

    comm = _comm()
    if comm.Get_size() == 1:
        return
    groups: dict[Any, list[np.ndarray]] = {}
    for t in _state_tensors(model):
        buf = _buffer(t, "broadcast_parameters")
        groups.setdefault(buf.dtype.str, []).append(buf)
    for key in sorted(groups):  # the same order on every rank
        bufs = groups[key]
        flat = np.concatenate([b.reshape(-1) for b in bufs])
        comm.Bcast(flat, root=src)
        offset = 0
        for b in bufs:
            b.reshape(-1)[...] = flat[offset : offset + b.size]
            offset += b.size

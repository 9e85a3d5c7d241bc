"""Batches across processes: a worker writes a batch's arrays into one shared-memory segment and
sends only small pickled metadata (segment name, layout, nesting); the main process maps the segment,
unlinks it at once and wraps the arrays as tensors that share it. Also a worker's exceptions."""

from __future__ import annotations

import mmap
import os
import pickle
import sys
import traceback
from collections.abc import Mapping
from multiprocessing import resource_tracker, shared_memory
from typing import Any

import numpy as np

from pygrad import _C

try:  # the POSIX shared-memory calls SharedMemory itself uses: attach without a tracker entry
    import _posixshmem  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Windows
    _posixshmem = None

__all__ = [
    "discard",
    "error_payload",
    "from_shared",
    "release",
    "reraise",
    "to_shared",
    "track_segments",
]

_ALIGN = 64  # byte alignment of each array in a batch's segment


class _Ref:
    """Stands for array ``index`` of the segment in the pickled structure of a batch."""

    __slots__ = ("cast", "index", "tensor")

    def __init__(self, index: int, tensor: bool, cast: bool) -> None:
        self.index, self.tensor, self.cast = index, tensor, cast

    def __getstate__(self) -> tuple[int, bool, bool]:
        return self.index, self.tensor, self.cast

    def __setstate__(self, state: tuple[int, bool, bool]) -> None:
        self.index, self.tensor, self.cast = state


class _Node:
    """A namedtuple or a mapping other than a list / tuple, rebuilt with its type."""

    __slots__ = ("items", "kind", "type")

    def __init__(self, kind: str, type_: type, items: list[Any]) -> None:
        self.kind, self.type, self.items = kind, type_, items

    def __getstate__(self) -> tuple[str, type, list[Any]]:
        return self.kind, self.type, self.items

    def __setstate__(self, state: tuple[str, type, list[Any]]) -> None:
        self.kind, self.type, self.items = state


def _pack(obj: Any, arrays: list[np.ndarray]) -> Any:
    """``obj`` with each tensor / numeric ndarray replaced by a _Ref to ``arrays``."""
    if isinstance(obj, _C.Tensor):
        t = obj.detach() if obj.requires_grad else obj
        cast = t.dtype == _C.bfloat16  # numpy has no bfloat16: float32 holds it exactly
        arrays.append((t.float() if cast else t).numpy())
        return _Ref(len(arrays) - 1, True, cast)
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biufc":
        arrays.append(obj)
        return _Ref(len(arrays) - 1, False, False)
    if type(obj) in (list, tuple):
        return type(obj)(_pack(x, arrays) for x in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return _Node("namedtuple", type(obj), [_pack(x, arrays) for x in obj])
    if isinstance(obj, Mapping):
        return _Node("mapping", type(obj), [(k, _pack(v, arrays)) for k, v in obj.items()])
    return obj


def _unpack(obj: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(obj, _Ref):
        array = arrays[obj.index]
        if not obj.tensor:
            return array
        out = _C.from_numpy(array)
        return out.to(_C.bfloat16) if obj.cast else out
    if type(obj) in (list, tuple):
        return type(obj)(_unpack(x, arrays) for x in obj)
    if isinstance(obj, _Node):
        if obj.kind == "namedtuple":
            return obj.type(*(_unpack(x, arrays) for x in obj.items))
        items = {k: _unpack(v, arrays) for k, v in obj.items}
        try:
            return obj.type(items)
        except Exception:  # a mapping type that can't be built from a dict
            return items
    return obj


def _write(buffer: memoryview, arrays: list[np.ndarray], offsets: list[int]) -> None:
    for array, offset in zip(arrays, offsets):
        if array.size:
            np.copyto(np.ndarray(array.shape, array.dtype, buffer=buffer, offset=offset), array)


def to_shared(batch: Any, name: str) -> bytes:
    """Writes the batch's arrays into a new shared-memory segment called ``name`` (its receiver
    unlinks it; the name comes from the receiver, which can so free the segment of a worker that
    died before replying) and returns the pickled metadata: name, array layout and structure."""
    arrays: list[np.ndarray] = []
    tree = _pack(batch, arrays)
    offsets, total = [], 0
    for array in arrays:
        total = -(-total // _ALIGN) * _ALIGN
        offsets.append(total)
        total += array.nbytes
    if total:
        shm = shared_memory.SharedMemory(name, create=True, size=total)
        try:
            _write(shm.buf, arrays, offsets)  # type: ignore[arg-type]
        except BaseException:
            shm.close()
            shm.unlink()
            raise
        shm.close()
    layout = [(o, a.dtype.str, a.shape) for o, a in zip(offsets, arrays)]
    segment = name if total else None
    return pickle.dumps((segment, layout, tree), protocol=pickle.HIGHEST_PROTOCOL)


def release(name: str) -> None:
    """Unlinks a segment a worker created (and drops the tracker entry its creation made); a
    segment that does not exist (any more) is left alone."""
    if _posixshmem is None:  # pragma: no cover - Windows frees a segment with its last handle
        return
    try:
        _posixshmem.shm_unlink("/" + name)
    except FileNotFoundError:
        return
    resource_tracker.unregister("/" + name, "shared_memory")


def _attach(name: str) -> Any:
    """A read-write mapping of the segment, which is unlinked at once: it lives as long as the
    arrays (and the tensors sharing them) that view it."""
    if _posixshmem is None:  # pragma: no cover - Windows: copy out of the segment
        shm = shared_memory.SharedMemory(name)
        data = bytearray(shm.buf)  # type: ignore[arg-type]
        shm.close()
        return data
    fd = _posixshmem.shm_open("/" + name, os.O_RDWR, mode=0o600)
    try:
        return mmap.mmap(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
        release(name)


def from_shared(payload: bytes) -> Any:
    """The batch whose metadata ``to_shared`` returned; its tensors share the segment."""
    name, layout, tree = pickle.loads(payload)
    buffer = _attach(name) if name is not None else None
    arrays = []
    for offset, dtype, shape in layout:
        count = int(np.prod(shape, dtype=np.int64))
        if count == 0 or buffer is None:
            arrays.append(np.empty(shape, dtype=dtype))
        else:
            flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
            arrays.append(flat.reshape(shape))
    return _unpack(tree, arrays)


def discard(payload: bytes) -> None:
    """Frees the segment of a batch that will not be used."""
    name = pickle.loads(payload)[0]
    if name is not None:
        release(name)


# --- errors raised in a worker --------------------------------------------------------------


class _KeyErrorMessage(str):
    """KeyError shows repr(message): keep the traceback readable, as torch does."""

    def __repr__(self) -> str:
        return str(self)


def error_payload(worker_id: int) -> bytes:
    """The exception being handled, as picklable text plus its type when that pickles."""
    exc_type, exc, tb = sys.exc_info()
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    name = exc_type.__name__ if exc_type is not None else "Exception"
    try:
        type_bytes: bytes | None = pickle.dumps(exc_type)
    except Exception:
        type_bytes = None
    return pickle.dumps((type_bytes, name, f"in DataLoader worker process {worker_id}", text))


def reraise(payload: bytes) -> None:
    """Raises a worker's exception in the main process, with its original traceback as text."""
    type_bytes, name, where, text = pickle.loads(payload)
    msg = f"Caught {name} {where}.\nOriginal {text}"
    try:
        exc_type = pickle.loads(type_bytes) if type_bytes is not None else RuntimeError
    except Exception:
        exc_type = RuntimeError
    if exc_type is KeyError:
        msg = _KeyErrorMessage(msg)
    try:
        exception = exc_type(msg)
    except Exception:
        raise RuntimeError(msg) from None
    raise exception


def track_segments() -> None:
    """Starts the resource tracker before the workers do, so that they share it: the segments a
    worker creates are dropped from the same tracker when the main process unlinks them."""
    if _posixshmem is not None:
        resource_tracker.ensure_running()

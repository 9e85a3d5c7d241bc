"""Checkpoints in the safetensors format: pygrad.save / pygrad.load, atomic writes, no pickle.

A file is an 8-byte little-endian header length, a JSON header
``{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}`` and the raw
little-endian tensor data. A flat mapping of names to tensors (a state dict) is stored under its
own names, so the file opens in the ``safetensors`` library and, through it, in PyTorch. Any other
structure (an optimizer's state dict, nested dicts and lists of numbers, strings and tensors) keeps
its tensors under flattened names and its shape, as tagged JSON, in the metadata entry
``pygrad.structure``. Loading parses JSON and copies bytes; it never runs code.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import uuid
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, Union, cast

import numpy as np

from pygrad import _C, _device
from pygrad._C import Tensor
from pygrad._device import check_device

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["load", "save"]

_FORMAT_KEY = "pygrad.format"
_STRUCTURE_KEY = "pygrad.structure"
_MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit

# Where to save to / load from: a path, or a binary file object.
_File = Union[str, "os.PathLike[str]", IO[bytes]]

# pygrad dtype name -> (safetensors dtype, numpy little-endian dtype); bfloat16 is stored as its raw 16 bits.
_TO_FILE: dict[str, tuple[str, np.dtype[Any]]] = {
    "float32": ("F32", np.dtype("<f4")),
    "float64": ("F64", np.dtype("<f8")),
    "float16": ("F16", np.dtype("<f2")),
    "bfloat16": ("BF16", np.dtype("<u2")),
    "int64": ("I64", np.dtype("<i8")),
    "int32": ("I32", np.dtype("<i4")),
    "int16": ("I16", np.dtype("<i2")),
    "int8": ("I8", np.dtype("i1")),
    "uint8": ("U8", np.dtype("u1")),
    "bool": ("BOOL", np.dtype("|b1")),
}
# safetensors dtype -> (numpy dtype as stored, numpy dtype pygrad holds it in); every dtype pygrad has keeps
# its dtype, the unsigned ones it lacks widen to int64.
_FROM_FILE: dict[str, tuple[np.dtype[Any], np.dtype[Any]]] = {
    "F32": (np.dtype("<f4"), np.dtype("float32")),
    "F64": (np.dtype("<f8"), np.dtype("float64")),
    "I64": (np.dtype("<i8"), np.dtype("int64")),
    "BOOL": (np.dtype("|b1"), np.dtype("bool")),
    "F16": (np.dtype("<f2"), np.dtype("float16")),
    "BF16": (np.dtype("<u2"), np.dtype("float32")),
    "I32": (np.dtype("<i4"), np.dtype("int32")),
    "I16": (np.dtype("<i2"), np.dtype("int16")),
    "I8": (np.dtype("i1"), np.dtype("int8")),
    "U32": (np.dtype("<u4"), np.dtype("int64")),
    "U16": (np.dtype("<u2"), np.dtype("int64")),
    "U8": (np.dtype("u1"), np.dtype("uint8")),
}


# ----------------------------------------------------------------------------------------------
# save


def _dtype_name(t: Tensor) -> str:
    return str(t.dtype).rsplit(".", 1)[-1]


def _tensor_array(t: Tensor) -> np.ndarray:
    """The tensor's values as a C-contiguous little-endian numpy array (a copy only when needed)."""
    name = _dtype_name(t)
    if name not in _TO_FILE:
        raise TypeError(f"[save] can't store a tensor of dtype {t.dtype}")
    if name == "bfloat16":  # numpy has no bfloat16: the exact float32 values, top 16 bits
        wide = np.ascontiguousarray(t.detach().float().numpy())
        return (wide.view(np.uint32) >> 16).astype("<u2")
    array = np.asarray(t.detach().numpy())
    return np.asarray(
        array, dtype=_TO_FILE[name][1], order="C"
    )  # (ascontiguousarray makes 0-d 1-d)


class _Flattener:
    """Walks a nested object: collects its tensors under unique flat names, returns tagged JSON."""

    def __init__(self) -> None:
        self.tensors: dict[str, Tensor] = {}

    def _name(self, parts: tuple[str, ...]) -> str:
        base = ".".join(parts) or "tensor"
        name, n = base, 1
        while name in self.tensors or name == "__metadata__":
            name, n = f"{base}.{n}", n + 1
        return name

    def key(self, k: object, where: str) -> Any:
        if k is None or isinstance(k, (bool, int, str)):
            return k
        if isinstance(k, float):
            return self.value(k, where)
        if isinstance(k, tuple):
            return {"tuple": [self.key(x, where) for x in k]}
        if isinstance(k, np.generic):
            return self.key(k.item(), where)
        raise TypeError(
            f"[save] can't store a dict key of type {type(k).__name__} at {where or 'top level'}"
        )

    def value(self, obj: object, where: str, parts: tuple[str, ...] = ()) -> Any:
        if isinstance(obj, Tensor):
            name = self._name(parts)
            self.tensors[name] = obj
            return {"tensor": name}
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, np.generic):
            return self.value(obj.item(), where, parts)
        if isinstance(obj, np.ndarray):
            from pygrad._factories import tensor

            return self.value(tensor(obj), where, parts)
        if isinstance(obj, (list, tuple)):
            items = [self.value(x, f"{where}[{i}]", (*parts, str(i))) for i, x in enumerate(obj)]
            return items if isinstance(obj, list) else {"tuple": items}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            items = [
                [self.key(k, where), self.value(v, f"{where}[{k!r}]", (*parts, str(k)))]
                for k, v in obj.items()
            ]
            return {kind: items}
        hint = " (save its state_dict())" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"[save] can't store an object of type {type(obj).__name__} at {where or 'top level'}{hint}; "
            "supported are tensors, dicts, lists, tuples, numbers, strings, bools and None"
        )


def _layout(
    obj: object, metadata: Mapping[str, str] | None
) -> tuple[dict[str, Tensor], dict[str, str]]:
    """Returns (tensors: {name: Tensor} in header order, metadata: {str: str})."""
    meta: dict[str, str] = {}
    tensors: dict[str, Tensor]
    if isinstance(obj, Tensor):
        tensors = {"tensor": obj}
        meta[_FORMAT_KEY] = "tensor"
    elif (
        isinstance(obj, dict)
        and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
        and "__metadata__" not in obj
    ):
        tensors = dict(obj)
        meta[_FORMAT_KEY] = "state_dict"
    else:
        flat = _Flattener()
        structure = flat.value(obj, "")
        tensors = flat.tensors
        meta[_FORMAT_KEY] = "structure"
        meta[_STRUCTURE_KEY] = json.dumps(structure, separators=(",", ":"), allow_nan=False)
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"[save] metadata must map str to str, got {k!r}: {type(v).__name__}")
        if k.startswith("pygrad."):
            raise ValueError(f"[save] metadata key {k!r}: the 'pygrad.' prefix is reserved")
        meta[k] = v
    return tensors, meta


def _serialize(obj: object, metadata: Mapping[str, str] | None) -> tuple[bytes, list[np.ndarray]]:
    """Returns (header bytes including the 8-byte length, [numpy arrays to write in order])."""
    tensors, meta = _layout(obj, metadata)
    arrays = {name: _tensor_array(t) for name, t in tensors.items()}
    # Data goes in decreasing item size so that every tensor stays aligned; the header keeps the
    # caller's order (readers sort by offset).
    order = sorted(arrays, key=lambda n: -arrays[n].dtype.itemsize)
    offsets: dict[str, tuple[int, int]] = {}
    pos = 0
    for name in order:
        offsets[name] = (pos, pos + arrays[name].nbytes)
        pos += arrays[name].nbytes
    header: dict[str, Any] = {}
    for name, t in tensors.items():
        header[name] = {
            "dtype": _TO_FILE[_dtype_name(t)][0],
            "shape": list(arrays[name].shape),
            "data_offsets": list(offsets[name]),
        }
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # pad so that the data starts 8-byte aligned
    return len(text).to_bytes(8, "little") + text, [arrays[n] for n in order]


def _write(f: IO[bytes], head: bytes, arrays: list[np.ndarray]) -> None:
    f.write(head)
    for array in arrays:
        if array.size:
            f.write(array.reshape(-1).view(np.uint8).data)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows, where directories can't be opened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj: object, f: _File, metadata: Mapping[str, str] | None = None) -> None:
    """Saves tensors, a state dict or an optimizer's state to a safetensors file, atomically.

    The data goes to a temporary file in the same folder, is flushed and fsync'ed, then renamed over
    ``f``: a crash or an exception mid-write leaves any previous file untouched.

    Args:
        obj: a Tensor, a dict of names to tensors (``model.state_dict()``), or a nested structure of
            dicts, lists and tuples holding tensors, ints, floats, strings, bools and None
            (``optimizer.state_dict()``, ``{"model": ..., "epoch": 3}``).
        f: a path (str or os.PathLike), or a binary file object (written directly, not atomically).
        metadata: optional extra ``{str: str}`` stored in the header's ``__metadata__``.
    """
    head, arrays = _serialize(obj, metadata)
    if hasattr(f, "write"):
        _write(cast("IO[bytes]", f), head, arrays)
        return
    path = os.path.abspath(os.fspath(f))
    folder, base = os.path.split(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"[save] {path!r} is a directory")
    while True:
        tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as out:
            _write(out, head, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


# ----------------------------------------------------------------------------------------------
# load


def _bad(path: str, problem: str) -> ValueError:
    return ValueError(f"[load] {path}: not a valid safetensors file: {problem}")


def _no_duplicates(path: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise _bad(path, f"duplicate key {k!r} in the JSON header")
            out[k] = v
        return out

    return hook


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _parse_header(
    buf: bytearray, path: str
) -> tuple[dict[str, tuple[str, list[int], int, int]], dict[str, str], int]:
    size = len(buf)
    if size < 8:
        raise _bad(path, f"truncated: {size} bytes, less than the 8-byte header length")
    n = int.from_bytes(buf[:8], "little")
    if n > size - 8:
        raise _bad(
            path, f"header length {n} is larger than the file ({size} bytes): truncated or corrupt"
        )
    if n > _MAX_HEADER:
        raise _bad(path, f"header length {n} exceeds the {_MAX_HEADER}-byte limit")
    try:
        header = json.loads(
            bytes(buf[8 : 8 + n]).decode("utf-8"), object_pairs_hook=_no_duplicates(path)
        )
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        if str(error).startswith("[load]"):
            raise
        raise _bad(path, f"the header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise _bad(path, f"the header is a JSON {type(header).__name__}, not an object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise _bad(path, "__metadata__ must be an object of strings to strings")
    data_len = size - 8 - n
    entries: dict[str, tuple[str, list[int], int, int]] = {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(
                path, f"tensor {name!r}: an entry needs exactly 'dtype', 'shape' and 'data_offsets'"
            )
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in _FROM_FILE:
            known = ", ".join(sorted(_FROM_FILE))
            raise _bad(
                path,
                f"tensor {name!r}: unknown or unsupported dtype {dtype!r} (supported: {known})",
            )
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise _bad(
                path, f"tensor {name!r}: shape {shape!r} must be a list of non-negative integers"
            )
        if not (
            isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
        ):
            raise _bad(
                path, f"tensor {name!r}: data_offsets {offsets!r} must be two integers [begin, end]"
            )
        begin, end = offsets
        if not 0 <= begin <= end:
            raise _bad(
                path, f"tensor {name!r}: data_offsets {offsets} must satisfy 0 <= begin <= end"
            )
        if end > data_len:
            raise _bad(
                path,
                f"tensor {name!r}: data_offsets {offsets} are out of bounds of the "
                f"{data_len} data bytes (truncated file?)",
            )
        expected = math.prod(shape) * _FROM_FILE[dtype][0].itemsize
        if end - begin != expected:
            raise _bad(
                path,
                f"tensor {name!r}: shape {shape} of {dtype} needs {expected} bytes, but "
                f"data_offsets {offsets} span {end - begin}",
            )
        entries[name] = (dtype, shape, begin, end)
    pos, prev = 0, ""
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin < pos:
            raise _bad(path, f"tensor {name!r} (bytes {begin}..{end}) overlaps tensor {prev!r}")
        if begin > pos:
            raise _bad(
                path,
                f"tensor {name!r} starts at byte {begin}, leaving a gap after byte {pos}: "
                "tensor data must be contiguous",
            )
        pos, prev = end, name
    if pos != data_len:
        raise _bad(path, f"the tensors cover {pos} of the {data_len} data bytes: trailing bytes")
    return entries, meta, 8 + n


def _to_tensor(
    buf: bytearray, start: int, entry: tuple[str, list[int], int, int], name: str, path: str
) -> Tensor:
    dtype, shape, begin, end = entry
    stored, held = _FROM_FILE[dtype]
    count = (end - begin) // stored.itemsize
    array = np.frombuffer(buf, dtype=stored, count=count, offset=start + begin).reshape(shape)
    if dtype == "BOOL" and array.size and array.view(np.uint8).max() > 1:
        raise _bad(path, f"tensor {name!r}: BOOL data holds bytes other than 0 and 1")
    if dtype == "BF16":  # exact in float32, then rounded (exactly) back to bfloat16 in the core
        wide = (array.astype(np.uint32) << 16).view(np.float32)
        return _C.from_numpy(np.ascontiguousarray(wide)).bfloat16()
    if stored != held or not array.dtype.isnative or not array.flags.aligned:
        array = array.astype(held.newbyteorder("="))
    return _C.from_numpy(array)


def _unflatten(node: Any, tensors: Mapping[str, Tensor], used: set[str], path: str) -> Any:
    """Rebuilds a structure from its tagged JSON form; rejects anything it doesn't know."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_unflatten(x, tensors, used, path) for x in node]
    if isinstance(node, dict) and len(node) == 1:
        ((tag, value),) = node.items()
        if tag == "tensor" and isinstance(value, str):
            if value not in tensors:
                raise _bad(
                    path, f"the structure refers to tensor {value!r}, which the file doesn't hold"
                )
            used.add(value)
            return tensors[value]
        if tag == "float" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag == "tuple" and isinstance(value, list):
            return tuple(_unflatten(x, tensors, used, path) for x in value)
        if tag in ("dict", "odict") and isinstance(value, list):
            out: dict[Any, Any] = collections.OrderedDict() if tag == "odict" else {}
            for item in value:
                if not (isinstance(item, list) and len(item) == 2):
                    raise _bad(path, f"the structure has a malformed dict item {item!r}")
                key = _unflatten(item[0], {}, set(), path)
                try:
                    out[key] = _unflatten(item[1], tensors, used, path)
                except TypeError:
                    raise _bad(
                        path, f"the structure has an unhashable dict key {item[0]!r}"
                    ) from None
            return out
    raise _bad(path, f"the structure holds an unknown element {json.dumps(node)[:80]}")


def load(f: _File, map_location: DeviceLike | None = None, weights_only: bool = True) -> Any:
    """Loads what ``pygrad.save`` wrote, or any safetensors file, without running code.

    Args:
        f: a path (str or os.PathLike) or a binary file object.
        map_location: None, "cpu" or a cpu device (the only device of this build); PyTorch's
            functions and dicts are not supported.
        weights_only: PyTorch's guard against unpickling code; loading never unpickles anything,
            so it holds either way.
    Returns:
        A Tensor, an OrderedDict of names to tensors (also for files written by
        ``safetensors.torch.save_file`` / ``safetensors.numpy.save_file``), or the nested
        structure that was saved.
    Raises:
        ValueError: the file is truncated, oversized, overlapping or otherwise malformed.
    """
    if map_location is not None and not isinstance(map_location, (str, _device.device)):
        raise TypeError(
            f"[load] map_location must be None, a device string or a pygrad.device, got "
            f"{type(map_location).__name__} (only the cpu exists in this build)"
        )
    check_device(map_location, "load")
    if hasattr(f, "read"):
        path = repr(getattr(f, "name", "<file object>"))
        buf = bytearray(cast("IO[bytes]", f).read())
    else:
        path = repr(os.fspath(f))
        with open(f, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            buf = bytearray(size)
            got = file.readinto(buf)
            if got != size:
                del buf[got:]
    entries, meta, start = _parse_header(buf, path)
    tensors = collections.OrderedDict(
        (name, _to_tensor(buf, start, entry, name, path)) for name, entry in entries.items()
    )
    kind = meta.get(_FORMAT_KEY)
    if kind == "tensor":
        if list(tensors) != ["tensor"]:
            raise _bad(path, "a pygrad tensor file must hold exactly one tensor named 'tensor'")
        return tensors["tensor"]
    if kind == "structure":
        try:
            structure = json.loads(meta.get(_STRUCTURE_KEY, ""))
        except ValueError as error:
            raise _bad(path, f"the {_STRUCTURE_KEY} metadata is not valid JSON ({error})") from None
        used: set[str] = set()
        out = _unflatten(structure, tensors, used, path)
        unused = sorted(set(tensors) - used)
        if unused:
            raise _bad(path, f"tensors {unused[:5]} are not part of the saved structure")
        return out
    if kind not in (None, "state_dict"):
        raise _bad(path, f"unknown {_FORMAT_KEY} {kind!r} in the metadata")
    return tensors

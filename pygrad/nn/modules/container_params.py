"""ParameterList and ParameterDict: containers of parameters registered under "0", "1", ... or their keys.

Like torch, every entry goes through ``__setitem__``, which wraps a plain Tensor into a Parameter;
other objects are kept as plain attributes (and listed as "Object of type: ..." by extra_repr).
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, KeysView, Mapping
from typing import Any, NoReturn, overload

from pygrad._C import Tensor
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

__all__ = ["ParameterDict", "ParameterList"]

_TYPENAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def _entry_repr(key: object, p: object, typename: bool) -> str:
    if isinstance(p, Tensor):
        size_str = "x".join(str(size) for size in p.shape)
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        if typename:
            name = str(p.dtype).rsplit(".", 1)[-1]
            what = "pygrad." + _TYPENAMES.get(name, "Tensor")
        else:
            what = str(p.dtype)
        return f"  ({key}): {kind} containing: [{what} of size {size_str}]"
    return f"  ({key}): Object of type: {type(p).__name__}"


def _wrap(value: Any) -> Any:
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of parameters registered under "0", "1", ...; plain tensors are wrapped into Parameters.

    Args:
        values: an optional iterable of initial entries.
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx: int) -> str:
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        if idx < 0:
            idx += len(self)
        return str(idx)

    @overload
    def __getitem__(self, idx: slice) -> ParameterList: ...

    @overload
    def __getitem__(self, idx: int) -> Any: ...

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            start, stop, step = idx.indices(len(self))
            out = self.__class__()
            for i in range(start, stop, step):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx: int, param: Any) -> None:
        key = self._get_abs_string_index(idx)
        param = _wrap(param)
        if key in self._parameters and not isinstance(param, Parameter):
            del self._parameters[key]
        setattr(self, key, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Adds a value at the end; returns self."""
        new_idx = len(self)
        self._size += 1
        self[new_idx] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Appends every value of an iterable (not a Tensor); returns self."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "[ParameterList.extend] should be called with an iterable, but got "
                + type(values).__name__
            )
        for value in values:
            self.append(value)
        return self

    def insert(self, index: int, value: Any) -> None:
        """Inserts a value before index (list.insert semantics), renumbering the entries after it."""
        values = list(self)
        values.insert(index, value)
        for i in range(len(self)):
            delattr(self, str(i))
        self._size = 0
        self.extend(values)

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(k, p, False) for k, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("[ParameterList] should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters registered under their (str) keys; plain tensors become Parameters.

    Like torch, ``update`` from a plain (non-Ordered) dict inserts its keys in sorted order.

    Args:
        parameters: an optional mapping or iterable of (key, value) pairs.
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key: str) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "[ParameterDict] Index given to ParameterDict cannot be used as a key as it is "
                f"not a string (type is '{type(key).__name__}')"
            )
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key: str, value: Any) -> None:
        attr = self._key_to_attr(key)
        self._keys[key] = None
        value = _wrap(value)
        if attr in self._parameters and not isinstance(value, Parameter):
            del self._parameters[attr]
        setattr(self, attr, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any | None = None) -> Any:
        """The value at key, inserting default first if key is absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Removes every entry."""
        for k in self._keys.copy():
            del self[k]

    def pop(self, key: str) -> Any:
        """Removes key and returns its value."""
        v = self[key]
        del self[key]
        return v

    def popitem(self) -> tuple[str, Any]:
        """Removes and returns the last inserted (key, value) pair."""
        k, _ = self._keys.popitem()
        self._keys[k] = None
        val = self[k]
        del self[k]
        return k, val

    def get(self, key: str, default: Any | None = None) -> Any:
        """The value at key, or default when absent."""
        return self[key] if key in self else default  # noqa: SIM401

    def fromkeys(self, keys: Iterable[str], default: Any | None = None) -> ParameterDict:
        """A new ParameterDict with every key set to default."""
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> KeysView[str]:
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        """(key, value) pairs, in insertion order."""
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator[Any]:
        """The values, in insertion order."""
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Adds entries from a mapping (a plain dict in sorted key order) or (key, value) pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "[ParameterDict.update] should be called with an iterable of key/value pairs, but got "
                + type(parameters).__name__
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, parameter in parameters.items():
                self[key] = parameter
        elif isinstance(parameters, Mapping):
            for key, parameter in sorted(parameters.items()):
                self[key] = parameter
        else:
            for j, p in enumerate(parameters):
                if not isinstance(p, Iterable):
                    raise TypeError(
                        f"[ParameterDict.update] sequence element #{j} should be Iterable; is {type(p).__name__}"
                    )
                p = list(p)
                if len(p) != 2:
                    raise ValueError(
                        f"[ParameterDict.update] sequence element #{j} has length {len(p)}; 2 is required"
                    )
                self[p[0]] = p[1]

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(k, p, True) for k, p in self.items())

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("[ParameterDict] should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        out = other.copy()
        out.update(self)
        return out

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

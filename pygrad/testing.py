"""pygrad.testing: ``assert_close`` (and the deprecated ``assert_allclose``) with torch.testing's
defaults, checks and messages: per-dtype tolerances, nested sequences and mappings, and a report
of the mismatched elements ("Tensor-likes are not close!")."""

from __future__ import annotations

import collections.abc
import math
from typing import Any, Callable, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._config import default_float

__all__ = ["assert_allclose", "assert_close"]

_Msg = Union[str, Callable[[str], str], None]

# (rtol, atol) per dtype, torch.testing's table; other dtypes compare exactly.
_TOLERANCES = {
    _C.float16: (1e-3, 1e-5),
    _C.bfloat16: (1.6e-2, 1e-5),
    _C.float32: (1.3e-6, 1e-5),
    _C.float64: (1e-7, 1e-7),
}
# assert_allclose's own (older) table.
_ALLCLOSE_TOLERANCES = {
    _C.float16: (1e-3, 1e-3),
    _C.float32: (1e-4, 1e-5),
    _C.float64: (1e-5, 1e-8),
}


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise and its message (before msg= and the path)."""

    def __init__(self, kind: type[Exception], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _tolerances(
    dtypes: list[Any], rtol: float | None, atol: float | None, table: dict[Any, Any] | None = None
) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
        )
    if rtol is not None and atol is not None:
        return rtol, atol
    pairs = [(table or _TOLERANCES).get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _diff_line(kind: str, diff: Any, index: tuple[int, ...] | None, tol: float, exact: bool) -> str:
    text = (
        f"{kind.title()} difference: {diff}"
        if index is None
        else f"Greatest {kind} difference: {diff} at index {index}"
    )
    return text if exact else f"{text} (up to {tol} allowed)"


def _scalar_message(
    actual: Any, expected: Any, rtol: float, atol: float, identifier: str = "Scalars"
) -> str:
    exact = rtol == 0 and atol == 0
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else (math.inf if abs_diff else math.nan)
    lines = [
        f"{identifier} are not {'equal' if exact else 'close'}!",
        "",
        f"Expected {expected} but got {actual}.",
        _diff_line("absolute", abs_diff, None, atol, exact),
        _diff_line("relative", rel_diff, None, rtol, exact),
    ]
    return "\n".join(lines)


def _as_array(t: Tensor) -> np.ndarray[Any, Any]:
    t = t.detach()
    if t.dtype == _C.bfloat16:  # numpy has no bfloat16: its values are exact in float32
        t = t.float()
    return np.asarray(t.numpy())


def _compare_tensors(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
    check_device: bool,
    check_dtype: bool,
    check_stride: bool,
    table: dict[Any, Any] | None,
) -> None:
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Mismatch(
            TypeError,
            "Except for Python scalars, input types need to be equal when 'allow_subclasses=False', "
            f"but got {type(actual)} and {type(expected)}.",
        )
    from pygrad._surface import Size

    actual, expected = (
        t if isinstance(t, Tensor) else _C.from_numpy(np.array(t))  # (keeps 0-d arrays 0-d)
        for t in (actual, expected)
    )
    rtol, atol = _tolerances([actual.dtype, expected.dtype], rtol, atol, table)

    def attribute(name: str, a: Any, b: Any) -> None:
        raise _Mismatch(
            AssertionError, f"The values for attribute '{name}' do not match: {a} != {b}."
        )

    if tuple(actual.shape) != tuple(expected.shape):
        attribute("shape", Size(actual.shape), Size(expected.shape))
    if check_device and actual.device != expected.device:
        attribute("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        attribute("dtype", actual.dtype, expected.dtype)
    if check_stride and actual.stride() != expected.stride():
        attribute("stride()", actual.stride(), expected.stride())
    if actual.dtype != expected.dtype:  # compared in their common dtype, as torch
        common = _C.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual._to_dtype(common), expected._to_dtype(common)
    a, b = _as_array(actual), _as_array(expected)
    floating = actual.dtype.is_floating_point
    if floating or rtol or atol:
        with np.errstate(invalid="ignore", over="ignore"):
            matches = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        matches = a == b
    if matches.all():
        return
    exact = rtol == 0 and atol == 0
    if a.ndim == 0:
        raise _Mismatch(AssertionError, _scalar_message(a.item(), b.item(), rtol, atol))
    n = matches.size
    wrong = n - int(matches.sum())
    lines = [
        f"Tensor-likes are not {'equal' if exact else 'close'}!",
        "",
        f"Mismatched elements: {wrong} / {n} ({wrong / n:.1%})",
    ]
    a, b, same = a.reshape(-1), b.reshape(-1), matches.reshape(-1)
    if not floating:  # integer differences in int64, ratios in the default float dtype (as torch)
        a, b = a.astype(np.int64), b.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        abs_diff = np.abs(a - b)
        abs_diff[same] = 0
        ratio_dtype = a.dtype if floating else np.dtype(str(default_float[0]).split(".")[-1])
        rel_diff = abs_diff.astype(ratio_dtype) / np.abs(b).astype(ratio_dtype)
        rel_diff[same] = 0
    shape = tuple(actual.shape)
    for kind, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        at = int(np.argmax(diff))  # the first greatest (a NaN wins), as torch.max
        index = tuple(int(i) for i in np.unravel_index(at, shape))
        lines.append(_diff_line(kind, diff[at].item(), index, tol, exact))
    raise _Mismatch(AssertionError, "\n".join(lines))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_))


def _compare(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> None:
    """Walks sequences and mappings; raises _Mismatch (with the item's path) on the first failure."""
    tensor_like = (Tensor, np.ndarray)
    try:
        if actual is None or expected is None:
            if actual is not expected:
                raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
            return
        # two tensors or two arrays (a Tensor against an array is refused, as torch)
        both = isinstance(actual, tensor_like) and isinstance(expected, tensor_like)
        if both and isinstance(actual, Tensor) == isinstance(expected, Tensor):
            _compare_tensors(actual, expected, **options)
            return
        if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
            if bool(actual) != bool(expected):
                raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
            return
        if _is_number(actual) and _is_number(expected):
            _compare_numbers(actual, expected, options)
            return
    except _Mismatch as failure:
        if path:
            where = "".join(str([item]) for item in path)
            failure.message += f"\n\nThe failure occurred for item {where}"
        raise
    text = (str, bytes)
    if (
        isinstance(actual, collections.abc.Sequence)
        and isinstance(expected, collections.abc.Sequence)
        and not isinstance(actual, text)
        and not isinstance(expected, text)
    ):
        if len(actual) != len(expected):
            raise _Mismatch(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
            )
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, (*path, i), options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(
        expected, collections.abc.Mapping
    ):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            lines = ["The keys of the mappings do not match:"]
            if missing:
                lines.append(f"Missing keys in the actual mapping: {sorted(missing, key=repr)}")
            if extra:
                lines.append(f"Additional keys in the actual mapping: {sorted(extra, key=repr)}")
            raise _Mismatch(AssertionError, "\n".join(lines))
        for key in expected:
            _compare(actual[key], expected[key], (*path, key), options)
        return
    raise _Mismatch(
        TypeError,
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.",
    )


def _compare_numbers(actual: Any, expected: Any, options: dict[str, Any]) -> None:
    if options["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(
            AssertionError,
            f"The (d)types do not match: {type(actual)} != {type(expected)}.",
        )
    dtypes = [
        _C.float64 if isinstance(x, (float, np.floating)) else _C.int64 for x in (actual, expected)
    ]
    rtol, atol = _tolerances(dtypes, options["rtol"], options["atol"], options["table"])
    a, b = float(actual), float(expected)
    if options["equal_nan"] and math.isnan(a) and math.isnan(b):
        return
    if a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= atol + rtol * abs(b)):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol))


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: _Msg = None,
) -> None:
    """Asserts that actual and expected are close, as ``torch.testing.assert_close``.

    Tensors (and numpy arrays) must match in shape, device (check_device), dtype (check_dtype) and
    strides (check_stride), then satisfy ``|actual - expected| <= atol + rtol * |expected|``
    elementwise. rtol/atol default per dtype: float16 (1e-3, 1e-5), bfloat16 (1.6e-2, 1e-5),
    float32 (1.3e-6, 1e-5), float64 (1e-7, 1e-7), integers and bool exact; give both or neither.
    Python numbers compare as scalars, sequences and mappings item by item.

    Args:
        equal_nan: NaNs in the same places count as equal.
        msg: replaces the failure message; a callable receives the generated message.
    Raises:
        AssertionError: listing how many elements differ and the greatest differences.
    """
    options = {
        "allow_subclasses": allow_subclasses,
        "rtol": rtol,
        "atol": atol,
        "equal_nan": equal_nan,
        "check_device": check_device,
        "check_dtype": check_dtype,
        "check_stride": check_stride,
        "table": None,
    }
    _run(actual, expected, options, msg)


def _run(actual: Any, expected: Any, options: dict[str, Any], msg: _Msg) -> None:
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as failure:
        message = failure.message
        if callable(msg):
            message = msg(message)
        elif msg is not None:
            message = msg
        raise failure.kind(message) from None


def assert_allclose(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """Deprecated (warns, as torch): assert_close with dtype checks off, NaNs equal and its older
    default tolerances (float16 (1e-3, 1e-3), float32 (1e-4, 1e-5), float64 (1e-5, 1e-8))."""
    import warnings

    warnings.warn(
        "`pygrad.testing.assert_allclose()` is deprecated (as torch's since 1.12). Please use "
        "`pygrad.testing.assert_close()` instead.",
        FutureWarning,
        stacklevel=2,
    )
    from pygrad._factories import tensor

    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    table = None
    if rtol is None and atol is None:
        table = _ALLCLOSE_TOLERANCES
    options = {
        "allow_subclasses": True,
        "rtol": rtol,
        "atol": atol,
        "equal_nan": equal_nan,
        "check_device": True,
        "check_dtype": False,
        "check_stride": False,
        "table": table,
    }
    _run(actual, expected, options, msg or None)

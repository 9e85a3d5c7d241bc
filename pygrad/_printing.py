"""Tensor repr with torch's layout rules: one column width per tensor, fixed or scientific notation
chosen from the magnitudes, summarization past ``threshold`` elements, wrapping at ``linewidth``,
all under ``pygrad.set_printoptions`` (pygrad._config.PRINT_OPTS)."""

from __future__ import annotations

import math

from pygrad import _C
from pygrad._config import PRINT_OPTS, default_float

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

    import numpy as np

    from pygrad._C import Tensor


class _Formatter:
    """One width and notation for every element of a tensor (decided on its printed elements)."""

    def __init__(self, values: list[Any], floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = PRINT_OPTS.precision
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:  # nothing to measure: zeros and non-finite print in the whole-number style
            return
        magnitudes = [abs(v) for v in finite]
        low, high = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        if self.sci_mode:
            spec, extra = f".{precision}e", 0
        elif self.int_mode:  # whole numbers print as "3.": one more character for the point
            spec, extra = ".0f", 1
        else:
            spec, extra = f".{precision}f", 0
        self.max_width = max(len(format(v, spec)) for v in finite) + extra

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return (self.max_width - len(text)) * " " + text


def _summarized(data: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The elements a summarized print shows (edgeitems from each end of every dimension)."""
    import numpy as np

    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if data.ndim > 1 and not edge:
        return data[tuple(slice(0, 0) for _ in range(data.ndim))]
    if data.shape[0] > 2 * edge:
        data = np.concatenate([data[:edge], data[data.shape[0] - edge :]])
    if data.ndim == 1:
        return data
    return np.stack([_summarized(row) for row in data])


def _vector(data: np.ndarray[Any, Any], indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        head, tail = data[:edge].tolist(), data[data.shape[0] - edge :].tolist()
        items = [fmt.format(v) for v in head] + [" ..."] + [fmt.format(v) for v in tail]
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(data: np.ndarray[Any, Any], indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector(data, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    n = data.shape[0]
    if summarize and n > 2 * edge:
        rows = [_nested(data[i], indent + 1, summarize, fmt) for i in range(edge)]
        rows += ["..."]
        rows += [_nested(data[i], indent + 1, summarize, fmt) for i in range(n - edge, n)]
    else:
        rows = [_nested(data[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    parts = [body]
    last_line = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t: Tensor) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` as torch prints it under the current options."""
    prefix = "tensor("
    indent = len(prefix)
    dtype = t.dtype
    suffixes = []
    default = default_float[0]
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if dtype != default:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if dtype not in (default, _C.int64, _C.bool):
            suffixes.append(f"dtype={dtype}")
        src = t.detach()
        if dtype in (_C.float16, _C.bfloat16):  # printed through float32, as torch
            src = src.float()
        data = src.numpy()
        summarize = t.numel() > PRINT_OPTS.threshold
        shown = _summarized(data) if summarize else data
        fmt = _Formatter(shown.reshape(-1).tolist(), dtype.is_floating_point)
        body = _nested(data, indent, summarize, fmt)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)

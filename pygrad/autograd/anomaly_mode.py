"""Anomaly detection: ``detect_anomaly``, ``set_detect_anomaly``, ``is_anomaly_enabled``,
``is_anomaly_check_nan_enabled``, ``set_anomaly_enabled``, as torch.autograd's.

With nan checks on, a backward that produces nan values raises ``RuntimeError`` as torch's does. pygrad's
engine (C++) has no per-node hook, so this checks what Python can see, and differs from torch in these ways:

- Custom ``autograd.Function`` backwards are checked as they run, with torch's message
  ("Function 'MyFnBackward' returned nan values in its 0th output.").
- Built-in backward functions are checked through their results: after the backward, the gradients
  ``autograd.grad`` returns, and the gradients newly accumulated into leaves by ``Tensor.backward`` /
  ``autograd.backward``, are checked for nan; the error names the backward function that delivered the
  nan gradient to that tensor (torch names the first function whose output had a nan, which may be one
  further up the graph), and pygrad's node names lack torch's numeric suffix ('SqrtBackward', not
  'SqrtBackward0').
- ``backward()`` without ``inputs=`` checks the leaves Python can enumerate: ``nn.Parameter`` and other
  Tensor subclasses (found through the garbage collector), not plain ``pygrad.tensor(..., requires_grad=True)``
  leaves (pass them as ``inputs=`` to have them checked). A leaf's ``.grad`` already holding nan before the
  backward is not reported.
- The error comes after the backward, so the leaves' ``.grad`` already hold the nan gradients (torch stops
  before accumulating); no forward traceback is recorded or printed.
- ``detect_anomaly`` is also usable as a decorator (torch 2.13's is only a context manager).
"""

from __future__ import annotations

import functools
import gc
import warnings
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad

__all__ = [
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_anomaly_enabled",
    "set_detect_anomaly",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# Process-wide, like torch's AnomalyMode flags (kept here: pygrad's C++ engine has no anomaly mode).
_enabled = False
_check_nan = True
# Tensor.backward as _tensor.py defines it, while anomaly mode has it wrapped.
_plain_backward: Callable[..., None] | None = None


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly detection, if on, raises for nan gradients."""
    return _check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turns anomaly detection on or off (what ``torch.set_anomaly_enabled`` does)."""
    global _enabled, _check_nan
    _enabled = bool(enabled)
    _check_nan = bool(check_nan)
    _install_backward_check(_enabled and _check_nan)


def _checking_nan() -> bool:
    """True when backward results must be checked for nan."""
    return _enabled and _check_nan


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on; see the module docstring for what
    pygrad checks.

    Args:
        check_nan: raise ``RuntimeError`` when backward produces nan values (default True).
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime "
            "and should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn: _F) -> _F:
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with warnings.catch_warnings():  # warned once, at decoration
                warnings.simplefilter("ignore", UserWarning)
                mode = detect_anomaly(check_nan)
            with mode:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps: fn's name and signature


class set_detect_anomaly:
    """Sets anomaly detection on or off, as a call or as a context manager (restoring it on exit).

    Args:
        mode: True to turn anomaly detection on.
        check_nan: raise ``RuntimeError`` when backward produces nan values.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# ---- the checks


def _has_nan(t: Tensor | None) -> bool:
    return t is not None and t.dtype.is_floating_point and bool(t.isnan().any())


def _nan_error(function: str, index: int) -> RuntimeError:
    """torch's error for a backward function whose index-th output has nan values."""
    return RuntimeError(f"Function '{function}' returned nan values in its {index}th output.")


def _consumers(roots: Sequence[Tensor]) -> dict[Any, list[tuple[str, int]]]:
    """For each node reachable from roots: the (name, output index) of the backward functions feeding it."""
    feeds: dict[Any, list[tuple[str, int]]] = {}
    seen: set[Any] = set()
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for index, (child, _) in enumerate(node.next_functions):
            if child is None:
                continue
            feeds.setdefault(child, []).append((node.name(), index))
            stack.append(child)
    return feeds


def _node_of(t: Tensor) -> Any:
    """t's grad_fn, or for a leaf the AccumulateGrad node its uses point to."""
    if t.grad_fn is not None:
        return t.grad_fn
    if not t.requires_grad:
        return None
    with enable_grad():  # a view records an edge to the leaf's AccumulateGrad node
        view = t.view(t.shape).grad_fn
    return None if view is None else view.next_functions[0][0]


def _raise_for(t: Tensor, feeds: dict[Any, list[tuple[str, int]]], what: str) -> None:
    sources = feeds.get(_node_of(t), [])
    if len(sources) == 1:
        raise _nan_error(*sources[0])
    shape = list(t.shape)
    if sources:
        names = ", ".join(f"'{name}' (its {index}th output)" for name, index in sources)
        raise RuntimeError(
            f"One of Functions {names} returned nan values: their outputs add up to the gradient "
            f"of {what} of shape {shape}, which has nan values."
        )
    raise RuntimeError(f"Backward produced nan values in the gradient of {what} of shape {shape}.")


def _check_grads(
    roots: Sequence[Tensor], inputs: Sequence[Tensor], grads: Sequence[Tensor | None]
) -> None:
    """Raises for the first gradient (returned by autograd.grad) that has nan values."""
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if _has_nan(g):
            _raise_for(t, _consumers(roots), f"input {i}")


def _tracked_leaves() -> list[Tensor]:
    """Leaf tensors requiring grad that the garbage collector tracks (Parameters, Tensor subclasses)."""
    return [
        o
        for o in gc.get_objects()
        # type(), not isinstance(): some tracked objects warn when their __class__ is read
        if issubclass(type(o), Tensor) and o.requires_grad and o.is_leaf
    ]


def _checked_backward(
    roots: Sequence[Tensor], inputs: Sequence[Tensor] | None, run: Callable[[], None]
) -> None:
    """Runs an accumulating backward, then raises if it left new nan values in a checked tensor's .grad."""
    candidates = list(inputs) if inputs else _tracked_leaves()
    clean = [t for t in candidates if not _has_nan(t.grad)]
    run()
    for t in clean:
        if _has_nan(t.grad):
            _raise_for(t, _consumers(roots), "a leaf" if t.is_leaf else "a tensor")


def _checking_backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    plain = _plain_backward
    assert plain is not None
    if not _checking_nan():
        plain(self, gradient, retain_graph, create_graph, inputs)
        return
    chosen = None if inputs is None else ([inputs] if isinstance(inputs, Tensor) else list(inputs))
    _checked_backward(
        [self], chosen, lambda: plain(self, gradient, retain_graph, create_graph, inputs)
    )


def _install_backward_check(on: bool) -> None:
    """Wraps Tensor.backward with the nan check while it is wanted (and only then: no cost otherwise)."""
    global _plain_backward
    if on and _plain_backward is None:
        _plain_backward = Tensor.backward
        _checking_backward.__doc__ = Tensor.backward.__doc__
        Tensor.backward = _checking_backward  # type: ignore[method-assign]
    elif not on and _plain_backward is not None:
        Tensor.backward = _plain_backward  # type: ignore[method-assign]
        _plain_backward = None

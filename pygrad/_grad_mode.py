"""Grad mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local, context
manager or decorator)."""

from __future__ import annotations

import functools
import threading

from pygrad import _C

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    _F = TypeVar("_F", bound=Callable[..., Any])
    _G = TypeVar("_G", bound="_GradMode")

is_grad_enabled = _C.is_grad_enabled


class _GradMode:
    _enabled = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self: _G) -> _G:
        self._previous.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc: object) -> None:
        _C.set_grad_enabled(self._previous.pop())

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps: fn's name and signature


class no_grad(_GradMode):
    """Disables graph recording: ops inside produce tensors without grad_fn (for updates and evaluation)."""

    _enabled = False


class enable_grad(_GradMode):
    """Re-enables graph recording inside a no_grad region."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """Sets grad mode to ``mode``; usable as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)
        self._previous.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._enabled)

    def __enter__(self) -> set_grad_enabled:
        return self

    def __exit__(self, *exc: object) -> None:
        _C.set_grad_enabled(self._previous.pop())

    def __call__(self, fn: _F) -> _F:
        _C.set_grad_enabled(self._previous.pop())
        mode = self._enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps: fn's name and signature


_inference = threading.local()


def is_inference_mode_enabled() -> bool:
    """True inside an enabled ``inference_mode`` region (of this thread)."""
    return bool(getattr(_inference, "depth", 0))


class inference_mode(_GradMode):
    """Evaluation without the graph: like no_grad (``mode=False`` leaves grad mode as it is).

    Usable as a context manager, as ``@inference_mode()`` and as a bare ``@inference_mode``.
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # bare @inference_mode on a function
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = bool(mode)

    def __enter__(self) -> inference_mode:
        self._previous.append(_C.is_grad_enabled())
        if self._mode:
            _C.set_grad_enabled(False)
            _inference.depth = getattr(_inference, "depth", 0) + 1
        return self

    def __exit__(self, *exc: object) -> None:
        if self._mode:
            _inference.depth -= 1
        _C.set_grad_enabled(self._previous.pop())

    def __call__(self, fn: _F) -> _F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps: fn's name and signature

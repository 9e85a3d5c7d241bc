"""``pygrad.jit``: torch.jit's Python-side API, for model code written with TorchScript in mind.

pygrad has no TorchScript compiler: ``script`` and ``trace`` return the module or function unchanged and it runs
eagerly (as ``pygrad.compile`` does), the decorators (``ignore``, ``unused``, ``export``, ``interface``) leave
their target as it is, ``is_scripting()`` and ``is_tracing()`` are False, and ``fork`` runs its function at once
(``wait`` returns the result). ``save`` and ``load`` raise: a TorchScript archive cannot be written or read
without TorchScript; use ``pygrad.save`` / ``pygrad.load`` (safetensors) for weights.
"""

from __future__ import annotations

from typing import Any, Callable, Final, Generic, TypeVar

__all__ = [
    "Final",
    "Future",
    "annotate",
    "export",
    "fork",
    "ignore",
    "interface",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "script_if_tracing",
    "trace",
    "unused",
    "wait",
]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def script(
    obj: _T, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None, example_inputs: Any = None
) -> _T:
    """Returns ``obj`` (a module, function or class) unchanged: it runs eagerly (pygrad has no TorchScript)."""
    return obj


def trace(func: _T, example_inputs: Any = None, *args: Any, **kwargs: Any) -> _T:
    """Returns ``func`` unchanged (no graph is recorded); ``example_inputs`` is not run."""
    return func


def script_if_tracing(fn: _F) -> _F:
    """Returns ``fn`` unchanged."""
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``@ignore`` / ``@ignore(drop=True)``: leaves the function as it is (it runs in Python anyway)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: _F) -> _F:
    """``@unused``: leaves the method as it is."""
    return fn


def export(fn: _F) -> _F:
    """``@export``: leaves the method as it is."""
    return fn


def interface(obj: _T) -> _T:
    """``@interface``: leaves the class as it is."""
    return obj


def is_scripting() -> bool:
    """False: code never runs under TorchScript in pygrad."""
    return False


def is_tracing() -> bool:
    """False: pygrad records no traces."""
    return False


def annotate(the_type: Any, the_value: _T) -> _T:
    """Returns ``the_value`` (the type hint is for TorchScript only)."""
    return the_value


class Future(Generic[_T]):
    """The result of ``fork``: already computed, since ``fork`` runs its function at once."""

    def __init__(self, value: _T) -> None:
        self._value = value

    def wait(self) -> _T:
        """The function's result."""
        return self._value

    def done(self) -> bool:
        """True: the work is finished when fork returns."""
        return True

    def value(self) -> _T:
        """The function's result."""
        return self._value


def fork(func: Callable[..., _T], *args: Any, **kwargs: Any) -> Future[_T]:
    """Runs ``func(*args, **kwargs)`` now and returns its result as a Future (torch runs it asynchronously)."""
    return Future(func(*args, **kwargs))


def wait(future: Future[_T]) -> _T:
    """The result of a ``fork``."""
    return future.wait()


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Raises: pygrad cannot write TorchScript archives."""
    raise RuntimeError(
        "[jit.save] pygrad has no TorchScript, so it cannot write a TorchScript archive; "
        "save the weights with pygrad.save(model.state_dict(), path) instead"
    )


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """Raises: pygrad cannot read TorchScript archives."""
    raise RuntimeError(
        "[jit.load] pygrad has no TorchScript, so it cannot read a TorchScript archive; "
        "load weights saved with pygrad.save (or safetensors) with pygrad.load instead"
    )

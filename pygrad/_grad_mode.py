"""Grad mode switches: no_grad, enable_grad, set_grad_enabled (thread-local, context manager or decorator)."""

import functools

from pygrad import _C

is_grad_enabled = _C.is_grad_enabled


class _GradMode:
    _enabled = True

    def __init__(self):
        self._previous = []

    def __enter__(self):
        self._previous.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._previous.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disables graph recording: ops inside produce tensors without grad_fn (for updates and evaluation)."""

    _enabled = False


class enable_grad(_GradMode):
    """Re-enables graph recording inside a no_grad region."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """Sets grad mode to ``mode``; usable as a call, a context manager or a decorator."""

    def __init__(self, mode):
        super().__init__()
        self._enabled = bool(mode)
        self._previous.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._previous.pop())
        return False

    def __call__(self, fn):
        _C.set_grad_enabled(self._previous.pop())
        mode = self._enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper

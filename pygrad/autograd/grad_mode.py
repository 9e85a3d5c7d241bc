"""torch.autograd.grad_mode's names: the grad mode switches (defined in pygrad._grad_mode) and
``set_multithreading_enabled``."""

from __future__ import annotations

from pygrad._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_multithreading_enabled",
    "no_grad",
    "set_grad_enabled",
    "set_multithreading_enabled",
]

# One process-wide flag, as torch's; read by is_multithreading_enabled.
_multithreading = [True]


def is_multithreading_enabled() -> bool:
    """The flag ``set_multithreading_enabled`` sets (True by default)."""
    return _multithreading[0]


class set_multithreading_enabled:
    """Sets whether backward may run on worker threads, as a call or a context manager (restoring on exit).

    pygrad's engine always runs a backward on the calling thread (its kernels may still use several
    cores), so the flag changes nothing there; it is kept for code that sets and queries it.
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _multithreading[0]
        self.mode = bool(mode)
        _multithreading[0] = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        _multithreading[0] = self.prev

    def clone(self) -> set_multithreading_enabled:
        """A new switch to the same mode (torch's API)."""
        return self.__class__(self.mode)

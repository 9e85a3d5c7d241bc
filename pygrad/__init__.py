"""pygrad: a lean autodiff and neural-network library with a C++ core and PyTorch's habits.

Tensors live in the C++ core (``pygrad._C``); every op records itself on a graph when an input
requires grad, and ``loss.backward()`` walks that graph to fill ``.grad`` on the leaves.
"""

from __future__ import annotations

import builtins as _builtins

from pygrad import (
    _C,
    _tensor,  # noqa: F401  (adds the Python-level Tensor methods)
)
from pygrad._C import *  # noqa: F403  (the registry's ops, Tensor and the dtypes: _C.__all__)
from pygrad._C import Tensor, dtype, float32, float64, int64
from pygrad._device import device
from pygrad._factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from pygrad._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any as _Any
del TYPE_CHECKING

__all__ = [
    "allclose",
    "arange",
    "as_tensor",
    "device",
    "divide",
    "double",
    "empty",
    "empty_like",
    "enable_grad",
    "equal",
    "eye",
    "float",
    "full",
    "full_like",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "long",
    "manual_seed",
    "multiply",
    "negative",
    "no_grad",
    "numel",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "set_grad_enabled",
    "subtract",
    "tensor",
    "true_divide",
    "zeros",
    "zeros_like",
]
__all__ += _C.__all__

float = float32
double = float64
long = int64

multiply = _C.mul
subtract = _C.sub
divide = _C.div
true_divide = _C.div
negative = _C.neg


def _dtype_from_name(name: str) -> dtype:  # dtypes pickle as this call
    return getattr(_C, name)


def is_tensor(obj: object) -> _builtins.bool:
    """Returns True when obj is a pygrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """Number of elements of a tensor."""
    return input.numel()


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: _builtins.float = 1e-05,
    atol: _builtins.float = 1e-08,
    equal_nan: _builtins.bool = False,
) -> _builtins.bool:
    """True when every element of input is close to other: |input - other| <= atol + rtol * |other|."""
    import numpy as np

    a, b = input.detach().numpy(), other.detach().numpy()
    return _builtins.bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> _builtins.bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and _builtins.bool((input == other).all())


def __getattr__(name: str) -> _Any:
    # Submodules load on first use so that `import pygrad` stays fast.
    if name in ("save", "load"):  # checkpoints (pygrad.io) load on first use, too
        from pygrad import io

        return getattr(io, name)
    if name in (
        "autograd",
        "nn",
        "cuda",
        "optim",
        "data",
        "utils",
        "train",
        "demo",
        "io",
        "backend",
    ):
        import importlib

        return importlib.import_module(f"pygrad.{name}")
    raise AttributeError(f"module 'pygrad' has no attribute {name!r}")

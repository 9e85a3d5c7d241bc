"""pygrad: a lean autodiff and neural-network library with a C++ core and PyTorch's habits.

Tensors live in the C++ core (``pygrad._C``); every op records itself on a graph when an input
requires grad, and ``loss.backward()`` walks that graph to fill ``.grad`` on the leaves.
"""

import builtins as _builtins

from pygrad import _C
from pygrad._C import (  # noqa: F401  (re-exported API)
    Tensor,
    bool,
    dtype,
    float32,
    float64,
    from_dlpack,
    from_numpy,
    get_num_threads,
    initial_seed,
    int64,
    set_num_threads,
)
from pygrad._device import device  # noqa: F401
from pygrad._factories import (  # noqa: F401
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
from pygrad._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from pygrad import _tensor  # noqa: F401  (adds the Python-level Tensor methods)

__version__ = "0.1.0"

float = float32  # noqa: A001  (PyTorch's aliases)
double = float64
long = int64

_FUNCTIONS = (
    "neg abs sign exp log log1p sqrt rsqrt sin cos erf sigmoid tanh relu clamp clip "
    "add sub mul div pow maximum minimum eq ne lt le gt ge logical_and logical_or where masked_fill square "
    "result_type sum mean amax amin max min argmax argmin var std logsumexp softmax log_softmax matmul cat "
    "concat stack gather scatter_add index_select index_add nonzero reshape permute transpose squeeze unsqueeze "
    "flatten narrow select clone detach broadcast_to"
).split()
for _name in _FUNCTIONS:
    globals()[_name] = getattr(_C, _name)
del _name

multiply = _C.mul
subtract = _C.sub
divide = _C.div
true_divide = _C.div
negative = _C.neg


def _dtype_from_name(name):
    return getattr(_C, name)


def is_tensor(obj):
    """Returns True when obj is a pygrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """Number of elements of a tensor."""
    return input.numel()


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of input is close to other: |input - other| <= atol + rtol * |other|."""
    import numpy as np

    a, b = input.detach().numpy(), other.detach().numpy()
    return _builtins.bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and _builtins.bool((input == other).all())


def __getattr__(name):
    # Submodules load on first use so that `import pygrad` stays fast.
    if name in ("save", "load"):  # checkpoints (pygrad.io) load on first use, too
        from pygrad import io

        return getattr(io, name)
    if name in ("autograd", "nn", "cuda", "optim", "data", "utils", "train", "demo", "io", "backend"):
        import importlib

        return importlib.import_module(f"pygrad.{name}")
    raise AttributeError(f"module 'pygrad' has no attribute {name!r}")

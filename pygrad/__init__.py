"""pygrad: a lean autodiff and neural-network library with a C++ core and PyTorch's habits.

Tensors live in the C++ core (``pygrad._C``); every op records itself on a graph when an input
requires grad, and ``loss.backward()`` walks that graph to fill ``.grad`` on the leaves.
"""

from __future__ import annotations

import builtins as _builtins

from pygrad import (
    _C,
    _compat,
    _config,
    _copies,
    _creation,
    _factories,
    _grad_mode,
    _inplace,
    _linalg_ops,
    _ordering,
    _pointwise,
    _random,
    _reduce,
    _scatter,
    _shape,
    _stacking,
    _surface,
    _tensor,  # noqa: F401  (adds the Python-level Tensor methods)
)
from pygrad._C import *  # noqa: F403  (the registry's ops, Tensor and the dtypes: _C.__all__)
from pygrad._C import Tensor, dtype, float16, float32, float64, int16, int32, int64
from pygrad._compat import *  # noqa: F403  (is_signed, conj, rsub, isin, ...: _compat.__all__)
from pygrad._config import *  # noqa: F403  (set_printoptions, get_default_dtype, ...: _config.__all__)
from pygrad._copies import *  # noqa: F403  (split, index_copy, select_scatter, view_copy, ...: _copies.__all__)
from pygrad._creation import *  # noqa: F403  (asarray, range, hann_window, ...: _creation.__all__)
from pygrad._device import device
from pygrad._dtype_info import finfo, iinfo, is_floating_point
from pygrad._einsum import einsum
from pygrad._factories import *  # noqa: F403  (zeros, rand, tensor, manual_seed, ...: _factories.__all__)
from pygrad._grad_mode import *  # noqa: F403  (no_grad, enable_grad, ...: _grad_mode.__all__)
from pygrad._linalg_ops import *  # noqa: F403  (bmm, addmm, dot, kron, tensordot, ...: _linalg_ops.__all__)
from pygrad._ordering import *  # noqa: F403  (sort, topk, median, unique, ...: _ordering.__all__)
from pygrad._pointwise import *  # noqa: F403  (sinc, deg2rad, heaviside, gcd, ...: _pointwise.__all__)
from pygrad._random import *  # noqa: F403  (Generator, normal, bernoulli, ...: _random.__all__)

# _C's initial_seed (already in __all__) replaced by the one that knows about get_rng_state
from pygrad._random import initial_seed as initial_seed
from pygrad._reduce import *  # noqa: F403  (cumsum, prod, norm, nansum, ...: _reduce.__all__)
from pygrad._scatter import *  # noqa: F403  (scatter, take, masked_select, ...: _scatter.__all__)
from pygrad._shape import *  # noqa: F403  (rot90, tile, meshgrid, diag, ...: _shape.__all__)
from pygrad._stacking import *  # noqa: F403  (hstack, tensor_split, ...: _stacking.__all__)
from pygrad._surface import *  # noqa: F403  (Size, FloatTensor, compile, pi, ...: _surface.__all__)

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any as _Any
del TYPE_CHECKING

__all__ = [
    "device",
    "double",
    "einsum",
    "finfo",
    "float",
    "half",
    "iinfo",
    "int",
    "is_floating_point",
    "is_tensor",
    "long",
    "numel",
    "short",
]
__all__ += _C.__all__
__all__ += _compat.__all__
__all__ += _config.__all__
__all__ += _copies.__all__
__all__ += _creation.__all__
__all__ += _factories.__all__
__all__ += _grad_mode.__all__
__all__ += _linalg_ops.__all__
__all__ += _ordering.__all__
__all__ += _pointwise.__all__
__all__ += _random.__all__
__all__ += _reduce.__all__
__all__ += _scatter.__all__
__all__ += _shape.__all__
__all__ += _stacking.__all__
__all__ += _surface.__all__

_inplace_functions = _inplace.install()  # after every module above has added its methods
globals().update(_inplace_functions)  # torch.relu_(x), torch.zero_(x), ...
__all__ += sorted(_inplace_functions)

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16


def _dtype_from_name(name: str) -> dtype:  # dtypes pickle as this call
    return getattr(_C, name)


def is_tensor(obj: object) -> _builtins.bool:
    """Returns True when obj is a pygrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> _builtins.int:
    """Number of elements of a tensor."""
    return input.numel()


_SPECIAL_AT_TOP_LEVEL = {
    "i0": "i0",
    "igamma": "gammainc",
    "igammac": "gammaincc",
    "mvlgamma": "multigammaln",
}
_ANOMALY_AT_TOP_LEVEL = (
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_anomaly_enabled",
)


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
        "linalg",
        "testing",
        "amp",
        "cpu",
        "distributions",
        "special",
        "backends",
        "jit",
        "func",
    ):
        import importlib

        return importlib.import_module(f"pygrad.{name}")
    if (
        "autocast" in name
    ):  # torch.autocast and its state functions (pygrad.amp's, but for the one torch.amp keeps)
        from pygrad.amp import autocast_mode

        if name in autocast_mode.__all__ and name != "is_autocast_available":
            return getattr(autocast_mode, name)
    if name in _SPECIAL_AT_TOP_LEVEL:  # torch's older top-level names of torch.special functions
        import importlib

        return getattr(importlib.import_module("pygrad.special"), _SPECIAL_AT_TOP_LEVEL[name])
    if name in _ANOMALY_AT_TOP_LEVEL:
        from pygrad.autograd import anomaly_mode

        return getattr(anomaly_mode, name)
    if (
        name in _FUNCTIONAL_AT_TOP_LEVEL.split()
    ):  # torch.conv2d, torch.dropout, ...: pygrad.nn.functional's
        from pygrad.nn import functional

        if hasattr(functional, name):
            return getattr(functional, name)
    raise AttributeError(f"module 'pygrad' has no attribute {name!r}")


# The nn.functional ops torch also exposes at the top level.
_FUNCTIONAL_AT_TOP_LEVEL = (
    "adaptive_avg_pool1d adaptive_max_pool1d alpha_dropout avg_pool1d batch_norm bilinear "
    "binary_cross_entropy_with_logits celu channel_shuffle conv1d conv2d conv3d conv_transpose1d "
    "conv_transpose2d conv_transpose3d cosine_embedding_loss cosine_similarity ctc_loss dropout "
    "embedding feature_alpha_dropout group_norm hardshrink hinge_embedding_loss instance_norm "
    "kl_div layer_norm margin_ranking_loss max_pool1d max_pool2d max_pool3d pairwise_distance "
    "pdist pixel_shuffle pixel_unshuffle poisson_nll_loss prelu rms_norm rrelu selu threshold "
    "triplet_margin_loss"
)

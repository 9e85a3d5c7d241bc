"""``pygrad.nn.utils``: gradient clipping, conv weight memory formats, conv/linear + BatchNorm fusion, ``stateless.functional_call``, ``skip_init``, parameter/vector conversion, weight and spectral
normalisation (hook-based), and the ``parametrize`` / ``parametrizations`` / ``rnn`` submodules, as in torch."""

from pygrad.nn.utils import (
    clip_grad,
    convert_parameters,
    fusion,
    init,
    memory_format,
    parametrizations,
    parametrize,
    rnn,
    stateless,
)
from pygrad.nn.utils._clip import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from pygrad.nn.utils._extra import clip_grad_norm, clip_grads_with_norm_, skip_init
from pygrad.nn.utils._spectral_norm import remove_spectral_norm, spectral_norm
from pygrad.nn.utils._weight_norm import remove_weight_norm, weight_norm
from pygrad.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from pygrad.nn.utils.memory_format import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)

__all__ = [
    "clip_grad",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "convert_parameters",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "fusion",
    "get_total_norm",
    "init",
    "memory_format",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]

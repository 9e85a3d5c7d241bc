"""``pygrad.nn.utils``: gradient clipping, parameter/vector conversion, weight and spectral
normalisation (hook-based), and the ``parametrize`` / ``parametrizations`` / ``rnn`` submodules, as in torch."""

from pygrad.nn.utils import parametrizations, parametrize, rnn
from pygrad.nn.utils._clip import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from pygrad.nn.utils._spectral_norm import remove_spectral_norm, spectral_norm
from pygrad.nn.utils._weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "spectral_norm",
    "vector_to_parameters",
    "weight_norm",
]

"""``pygrad.nn.utils``: gradient clipping, parameter/vector conversion, and the ``rnn`` submodule
(PackedSequence, pack/pad utilities), as in torch."""

from pygrad.nn.utils import rnn
from pygrad.nn.utils._clip import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]

"""``nn.utils.convert_parameters``: torch's module path for parameters_to_vector / vector_to_parameters."""

from pygrad.nn.utils._clip import parameters_to_vector, vector_to_parameters

__all__ = ["parameters_to_vector", "vector_to_parameters"]

"""Reverse-mode automatic differentiation: backward, grad (with create_graph for higher orders), gradcheck."""

from pygrad import _C
from pygrad._grad_mode import enable_grad, no_grad, set_grad_enabled  # noqa: F401
from pygrad.autograd.gradcheck import GradcheckError, gradcheck  # noqa: F401


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, _C.Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates into the leaves' .grad the gradient of the given tensors (seeded with grad_tensors)."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _C.run_backward(tensors, grads, retain_graph, create_graph, [], False)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Returns the gradients of outputs with respect to inputs, without touching any .grad.

    Args:
        outputs: a tensor or sequence of tensors to differentiate.
        inputs: tensors (requiring grad) to differentiate with respect to.
        grad_outputs: the vector in the vector-Jacobian product; ones for scalar outputs when None.
        retain_graph: keep the graph for another backward (defaults to create_graph).
        create_graph: record the derivative computation so it can be differentiated again.
        allow_unused: return None for inputs the outputs don't depend on instead of raising.
    Returns:
        A tuple with one gradient (or None) per input.
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(_C.run_backward(outputs, grads, retain_graph, create_graph, inputs, allow_unused))

"""Reverse-mode automatic differentiation: backward, grad (with create_graph for higher orders), gradcheck;
torch.autograd's other names: Variable, anomaly detection, grad modes, the profiler (a minimal one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from pygrad.autograd import anomaly_mode, grad_mode, profiler, variable
from pygrad.autograd.anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
    set_detect_anomaly,
)
from pygrad.autograd.function import Function, FunctionCtx, once_differentiable
from pygrad.autograd.grad_mode import is_multithreading_enabled, set_multithreading_enabled
from pygrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from pygrad.autograd.variable import Variable

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Variable",
    "anomaly_mode",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "grad_mode",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_multithreading_enabled",
    "no_grad",
    "once_differentiable",
    "profiler",
    "set_anomaly_enabled",
    "set_detect_anomaly",
    "set_grad_enabled",
    "set_multithreading_enabled",
    "variable",
]

# One tensor or a sequence of them.
_Tensors = Union[Tensor, Sequence[Tensor]]


def _as_list(x: _Tensors) -> list[Tensor]:
    return [x] if isinstance(x, Tensor) else list(x)


def _grad_list(grads: Tensor | Sequence[Tensor | None] | None, count: int) -> list[Tensor | None]:
    if isinstance(grads, Tensor):
        return [grads]
    return list(grads or ()) or [None] * count


def backward(
    tensors: _Tensors,
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: _Tensors | None = None,
) -> None:
    """Accumulates into the leaves' .grad the gradient of the given tensors (seeded with grad_tensors).

    Args:
        tensors: the tensors to differentiate (each must be a scalar when its grad_tensor is None).
        grad_tensors: the vector of each vector-Jacobian product; ones for scalars when None.
        retain_graph: keep the graph for another backward (defaults to create_graph).
        create_graph: record the derivative computation so it can be differentiated again.
        inputs: accumulate only into these tensors' .grad (their hooks run as in a full backward).
    """
    outputs = _as_list(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    chosen = [] if inputs is None else _as_list(inputs)
    if inputs is not None and not chosen:
        raise RuntimeError("[backward] inputs= must not be empty")
    grads = _grad_list(grad_tensors, len(outputs))

    def run() -> None:
        _C.run_backward(outputs, grads, retain_graph, create_graph, chosen, True, True)

    if anomaly_mode._checking_nan():  # checks the gradients accumulated (see anomaly_mode)
        anomaly_mode._checked_backward(outputs, chosen, run)
    else:
        run()


def grad(
    outputs: _Tensors,
    inputs: _Tensors,
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
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
    out = _as_list(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    wrt = _as_list(inputs)
    grads = _C.run_backward(
        out,
        _grad_list(grad_outputs, len(out)),
        retain_graph,
        create_graph,
        wrt,
        allow_unused,
        False,
    )
    if anomaly_mode._checking_nan():  # checks the gradients returned (see anomaly_mode)
        anomaly_mode._check_grads(out, wrt, grads)
    return tuple(grads)


def __getattr__(name: str) -> object:
    # pygrad.autograd.functional builds on grad() above: loaded on first use, like torch's.
    if name == "functional":
        import importlib

        return importlib.import_module("pygrad.autograd.functional")
    raise AttributeError(f"module 'pygrad.autograd' has no attribute {name!r}")

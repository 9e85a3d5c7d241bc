"""gradcheck and gradgradcheck: backward (and the backward of backward) against central finite differences,
in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad, no_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# What the checked function returns: a tensor, or a tuple of them.
_Outputs = Union[Tensor, Sequence[Tensor]]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""


def _outputs(fn: Callable[..., _Outputs], inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    result = fn(*inputs)
    out = (result,) if isinstance(result, Tensor) else tuple(result)
    return tuple(
        o for o in out if o.dtype.is_floating_point
    )  # integer outputs (indices) have no derivative


def gradcheck(
    fn: Callable[..., _Outputs],
    inputs: Tensor | Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Checks the gradients of ``fn`` at ``inputs`` against finite differences.

    Args:
        fn: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors; those with requires_grad are checked (use float64).
        eps: the finite-difference step.
        atol, rtol: tolerances of the comparison.
        raise_exception: raise GradcheckError on a mismatch instead of returning False.
    Returns:
        True when every Jacobian entry agrees.
    """
    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [t for t in args if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("[gradcheck] no input requires grad")
    for t in checked:
        if t.dtype != _C.float64:
            raise TypeError(
                f"[gradcheck] inputs should be float64 for a meaningful check, got {t.dtype}"
            )
    outputs = list(_outputs(fn, args))
    out_sizes = [o.numel() for o in outputs]

    # Numerical Jacobian, one column block per input: perturb each element in place.
    numerical: list[np.ndarray] = []
    with no_grad():
        for t in checked:
            view = t.detach().numpy()
            jac = np.zeros((t.numel(), sum(out_sizes)))
            for k, index in enumerate(np.ndindex(*view.shape)):
                original = view[index]
                view[index] = original + eps
                plus = np.concatenate(
                    [o.detach().numpy().ravel().astype(np.float64) for o in _outputs(fn, args)]
                )
                view[index] = original - eps
                minus = np.concatenate(
                    [o.detach().numpy().ravel().astype(np.float64) for o in _outputs(fn, args)]
                )
                view[index] = original
                jac[k] = (plus - minus) / (2 * eps)
            numerical.append(jac)

    # Analytical Jacobian: one backward per output element.
    analytical = [np.zeros_like(j) for j in numerical]
    column = 0
    for o, size in zip(outputs, out_sizes):
        if not o.requires_grad:  # an output that does not depend on the inputs: zero columns
            column += size
            continue
        for j in range(size):
            seed = np.zeros(size, dtype=np.float32 if o.dtype == _C.float32 else np.float64)
            seed[j] = 1.0
            seed_tensor = _C.from_numpy(seed.reshape(o.shape))
            grads = _C.run_backward([o], [seed_tensor], True, False, checked, True, False)
            for i, g in enumerate(grads):
                if g is not None:
                    analytical[i][:, column] = g.detach().numpy().ravel()
            column += 1

    for i, (a, n) in enumerate(zip(analytical, numerical)):
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            worst = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
            message = (
                f"[gradcheck] Jacobian mismatch for input {i}: analytical {a[worst]:.6g} vs numerical "
                f"{n[worst]:.6g} at (input element, output element) {tuple(int(v) for v in worst)}"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(
    fn: Callable[..., _Outputs],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Checks second derivatives: gradcheck of the vector-Jacobian product of ``fn`` (as torch's).

    Args:
        fn: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors; those with requires_grad are checked (use float64).
        grad_outputs: the vectors of the product (requiring grad, so they are checked too); random
            float64 ones from a fixed seed when None.
        eps, atol, rtol, raise_exception: as gradcheck.
    Returns:
        True when every second-order Jacobian entry agrees.
    """
    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            _C.from_numpy(rng.standard_normal(o.shape)).requires_grad_(True)
            for o in _outputs(fn, args)
        ]
    vectors = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    count = len(args)

    def vjp(*all_inputs: Any) -> tuple[Tensor, ...]:
        primal = all_inputs[:count]
        wrt = [t for t in primal if isinstance(t, Tensor) and t.requires_grad]
        with enable_grad():  # gradcheck evaluates under no_grad for its finite differences
            outputs = _outputs(fn, primal)
            grads = _C.run_backward(
                list(outputs), list(all_inputs[count:]), True, True, wrt, True, False
            )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        vjp, (*args, *vectors), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )

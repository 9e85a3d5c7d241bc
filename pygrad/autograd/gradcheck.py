"""gradcheck: compares backward against central finite differences, in float64."""

import numpy as np

from pygrad import _C


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    out = (out,) if isinstance(out, _C.Tensor) else tuple(out)
    return tuple(o for o in out if o.dtype.is_floating_point)  # integer outputs (indices) have no derivative


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
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
    if isinstance(inputs, _C.Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    checked = [t for t in inputs if isinstance(t, _C.Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("[gradcheck] no input requires grad")
    for t in checked:
        if t.dtype != _C.float64:
            raise TypeError(f"[gradcheck] inputs should be float64 for a meaningful check, got {t.dtype}")
    outputs = list(_outputs(fn, inputs))
    out_sizes = [o.numel() for o in outputs]

    # Numerical Jacobian, one column block per input: perturb each element in place.
    numerical = []
    with _C_no_grad():
        for t in checked:
            view = t.detach().numpy()
            jac = np.zeros((t.numel(), sum(out_sizes)))
            for k, index in enumerate(np.ndindex(*view.shape)):
                original = view[index]
                view[index] = original + eps
                plus = np.concatenate([o.detach().numpy().ravel().astype(np.float64) for o in _outputs(fn, inputs)])
                view[index] = original - eps
                minus = np.concatenate([o.detach().numpy().ravel().astype(np.float64) for o in _outputs(fn, inputs)])
                view[index] = original
                jac[k] = (plus - minus) / (2 * eps)
            numerical.append(jac)

    # Analytical Jacobian: one backward per output element.
    analytical = [np.zeros_like(j) for j in numerical]
    column = 0
    for o, size in zip(outputs, out_sizes):
        for j in range(size):
            seed = np.zeros(size, dtype=np.float64)
            seed[j] = 1.0
            seed_tensor = _C.from_numpy(seed.reshape(o.shape).astype(np.float32 if o.dtype == _C.float32 else np.float64))
            if not o.requires_grad:
                column += 1
                continue
            grads = _C.run_backward([o], [seed_tensor], True, False, checked, True)
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


class _C_no_grad:
    def __enter__(self):
        self._previous = _C.is_grad_enabled()
        _C.set_grad_enabled(False)

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._previous)
        return False

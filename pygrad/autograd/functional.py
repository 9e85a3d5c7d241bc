"""Higher-level derivatives of a function, with torch.autograd.functional's signatures: vjp, jvp,
jacobian, hessian, vhp and hvp, all built on reverse mode (jvp by the double-vjp trick)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad
from pygrad.autograd import grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_Inputs = Union[Tensor, Sequence[Tensor]]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it a tuple, the tensors); raises unless x is a tensor or a sequence of tensors."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"[{fn}] the {arg} must be tensors, got {type(t).__name__}")
    return is_tuple, items


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    # Inputs to differentiate at: with create_graph, connected to the callers' graph; else fresh leaves.
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in inputs
    )


def _grads(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None],
    create_graph: bool,
    fn: str,
    strict: bool,
) -> tuple[Tensor, ...]:
    """d(outputs . grad_outputs)/d(inputs), zeros for inputs the outputs do not reach."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs:
        found = grad(
            [o for o, _ in pairs],
            list(inputs),
            [g for _, g in pairs],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    else:
        found = tuple(None for _ in inputs)
    result = []
    for i, (g, x) in enumerate(zip(found, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"[{fn}] the output is independent of input {i}; strict=True forbids that"
                )
            g = _C._full(list(x.shape), 0, x.dtype, False)
        result.append(g)
    return tuple(result)


def _call(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str
) -> tuple[bool, tuple[Tensor, ...]]:
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "outputs of the function", fn)


def _finish(values: tuple[Tensor, ...], is_tuple: bool, create_graph: bool) -> Any:
    values = values if create_graph else tuple(v.detach() for v in values)
    return values if is_tuple else values[0]


def _check_v(v: Any, like: tuple[Tensor, ...], arg: str, fn: str) -> tuple[Tensor, ...]:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(
                f"[{fn}] v can be omitted only when the {arg} is a single tensor with one element"
            )
        return (_C._full(list(like[0].shape), 1, like[0].dtype, False),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"[{fn}] v has {len(vs)} tensors, the {arg} have {len(like)}")
    for a, b in zip(vs, like):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(
                f"[{fn}] v has shape {tuple(a.shape)} where the {arg} has shape {tuple(b.shape)}"
            )
    return vs


def vjp(
    func: Callable[..., Any],
    inputs: _Inputs,
    v: _Inputs | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = _check_v(v, outs, "outputs", "vjp")
    grads = _grads(outs, xs, vs, create_graph, "vjp", strict)
    return _finish(outs, out_tuple, create_graph), _finish(grads, in_tuple, create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: _Inputs,
    v: _Inputs | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product, by differentiating a vjp in its vector."""
    _, xs = _as_tuple(inputs, "inputs", "jvp")
    xs = _prepare(xs, create_graph)
    vs = _check_v(v, xs, "inputs", "jvp")
    out_tuple, outs = _call(func, xs, "jvp")
    # g(u) = u^T J is linear in u, so d(g . v)/du = J v.
    us = tuple(_C._full(list(o.shape), 0, o.dtype, True) for o in outs)
    with enable_grad():
        gs = _grads(outs, xs, us, True, "jvp", strict)
        jv = _grads(gs, us, vs, create_graph, "jvp", strict)
    return _finish(outs, out_tuple, create_graph), _finish(jv, out_tuple, create_graph)


def jacobian(
    func: Callable[..., Any],
    inputs: _Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """d func(inputs) / d inputs, shaped output.shape + input.shape (nested tuples for tuples)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"[jacobian] strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    from pygrad import stack

    blocks = []
    for out in outs:
        flat = out.reshape(-1)
        rows: list[list[Tensor]] = [[] for _ in xs]
        for k in range(flat.numel()):
            grads = _grads([flat[k]], xs, [None], create_graph, "jacobian", strict)
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = []
        for j, x in enumerate(xs):
            shape = [*out.shape, *x.shape]
            if rows[j]:
                per_input.append(stack(rows[j]).reshape(shape))
            else:
                per_input.append(_C._full(shape, 0, x.dtype, False))
        blocks.append(_finish(tuple(per_input), True, create_graph))
    if out_tuple:
        return tuple(b if in_tuple else b[0] for b in blocks)
    return blocks[0] if in_tuple else blocks[0][0]


def _scalar_function(func: Callable[..., Any], fn: str) -> Callable[..., Tensor]:
    def checked(*args: Tensor) -> Tensor:
        out = func(*args)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"[{fn}] the function must return a single tensor with one element")
        return out

    return checked


def hessian(
    func: Callable[..., Any],
    inputs: _Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")
    scalar = _scalar_function(func, "hessian")

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        out = scalar(*args)
        return _grads([out], args, [None], True, "hessian", strict)

    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict)
    return result if in_tuple else result[0][0]


def _second_order(
    func: Callable[..., Any],
    inputs: _Inputs,
    v: _Inputs | None,
    create_graph: bool,
    strict: bool,
    fn: str,
) -> tuple[Any, Any]:
    in_tuple, xs = _as_tuple(inputs, "inputs", fn)
    xs = _prepare(xs, True)
    vs = _check_v(v, xs, "inputs", fn)
    with enable_grad():
        out = _scalar_function(func, fn)(*xs)
        grads = _grads([out], xs, [None], True, fn, strict)
        products = _grads(grads, xs, vs, create_graph, fn, strict)
    return _finish((out,), False, create_graph), _finish(products, in_tuple, create_graph)


def vhp(
    func: Callable[..., Any],
    inputs: _Inputs,
    v: _Inputs | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar function."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any],
    inputs: _Inputs,
    v: _Inputs | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar function (H is symmetric, so this is v^T H transposed)."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")

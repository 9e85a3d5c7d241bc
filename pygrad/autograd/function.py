"""Custom differentiable operations, as torch.autograd.Function: subclass ``Function`` with static
``forward`` and ``backward`` methods and call ``MyFunction.apply(...)``.

``forward(ctx, *args)`` runs with grad mode off and may stash what backward needs with
``ctx.save_for_backward(*tensors)`` (checked for in-place changes when read back through
``ctx.saved_tensors``) or as plain attributes of ``ctx``; ``forward(*args)`` together with
``setup_context(ctx, inputs, output)`` works too. ``backward(ctx, *grad_outputs)`` returns one gradient
(or None) per forward argument. ``ctx.needs_input_grad``, ``ctx.mark_non_differentiable``,
``ctx.mark_dirty`` (an input modified in place and returned) and ``ctx.set_materialize_grads`` behave as
in torch.

Each differentiable output gets a node of its own in the graph (pygrad's nodes have one output), so a
Function with several differentiable outputs has its backward called once per output that receives a
gradient, with zeros (or None, without materialised grads) for the others; backward is linear in its
grad_outputs, so the sum is torch's single call. With ``create_graph=True`` backward runs with grad mode
on and its gradient can be differentiated again (``once_differentiable`` turns that off).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.autograd import anomaly_mode

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What forward hands to backward: saved tensors, flags and any attribute set on it."""

    def __init__(self) -> None:
        self.to_save: tuple[Tensor | None, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True
        self._non_differentiable: list[Tensor] = []
        self._dirty: list[Tensor] = []
        self._saved: tuple[Tensor | None, ...] = ()
        self._saved_versions: tuple[int, ...] = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keeps tensors (or None) for backward, where ``saved_tensors`` returns them."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors or None, got {type(t).__name__}"
                )
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """The tensors given to save_for_backward; an error if one changed in place since."""
        for i, (t, version) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"in-place operation: saved tensor {i} is at version {t._version}; expected "
                    f"version {version} instead"
                )
        return self._saved

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """These outputs get no gradient (no graph node; backward sees zeros for them)."""
        self._non_differentiable.extend(outputs)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """These inputs were modified in place by forward (and are returned as outputs)."""
        self._dirty.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None, not zeros, for outputs that received no gradient."""
        self.materialize_grads = value


def _is_in(t: Any, group: list[Tensor]) -> bool:
    return any(t is g for g in group)


class Function:
    """Base class of custom differentiable operations; call them with ``apply``."""

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Computes the outputs (grad mode off)."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        """Optional: fills ctx after a forward that does not take it."""
        raise NotImplementedError("setup_context is not overridden")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """One gradient (or None) per forward argument, given one per output."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function "
            "to use it with backward mode AD."
        )

    @staticmethod
    def vjp(ctx: Any, *grad_outputs: Any) -> Any:
        """Alias of backward, as in torch."""
        raise NotImplementedError

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward-mode AD is not supported by pygrad."""
        raise NotImplementedError("pygrad does not support forward-mode AD (Function.jvp)")

    @classmethod
    def _backward_fn(cls) -> Callable[..., Any]:
        if cls.backward is not Function.backward:
            return cls.backward
        if cls.vjp is not Function.vjp:
            return cls.vjp
        return cls.backward

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Runs forward and, when an input requires grad with grad mode on, records backward."""
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        recording = _C.is_grad_enabled() and any(ctx.needs_input_grad)
        with_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if with_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = list((outputs,) if single else outputs)
        saved = list(ctx.to_save)
        if recording:
            outs = [_own(o, args, ctx, i, saved) for i, o in enumerate(outs)]
            _record(cls, ctx, args, outs)
        # Outputs saved for backward are kept as detached aliases: the node must not own its own output.
        ctx._saved = tuple(
            t.detach() if t is not None and any(t is o for o in outs) else t for t in saved
        )
        ctx._saved_versions = tuple(0 if t is None else t._version for t in ctx._saved)
        ctx.to_save = ()
        return outs[0] if single else tuple(outs)


def _own(out: Any, args: tuple[Any, ...], ctx: FunctionCtx, index: int, saved: list[Any]) -> Any:
    """An output that is one of the inputs becomes an alias (unless forward marked it dirty), so
    recording its history does not rewrite the input's."""
    if not isinstance(out, Tensor) or not _is_in(out, [a for a in args if isinstance(a, Tensor)]):
        return out
    if _is_in(out, ctx._dirty):
        if out.is_leaf and out.requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation "
                "(marked dirty by a custom Function)"
            )
        return out
    alias = out.detach()
    for i, t in enumerate(saved):
        if t is out:
            saved[i] = alias
    if _is_in(out, ctx._non_differentiable):
        ctx._non_differentiable.append(alias)
    return alias


def _record(cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...], outs: list[Any]) -> None:
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    inputs = [args[i] for i in positions]
    input_shapes = [tuple(args[i].shape) for i in positions]
    # Shapes and dtypes only: a closure holding the outputs would keep the graph alive in a cycle.
    specs = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else None for o in outs]
    backward = cls._backward_fn()
    name = cls.__name__

    def grads_for(k: int, grad: Tensor | None) -> list[Any]:
        grads: list[Any] = []
        for j, spec in enumerate(specs):
            if j == k and grad is not None:
                grads.append(grad)
            elif spec is not None and ctx.materialize_grads:
                grads.append(_C._full(list(spec[0]), 0, spec[1], False))
            else:
                grads.append(None)
        return grads

    def make_backward(k: int) -> Callable[[Tensor | None], list[Tensor | None]]:
        def run(grad: Tensor | None) -> list[Tensor | None]:
            result = backward(ctx, *grads_for(k, grad))
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) < len(args) or any(r is not None for r in result[len(args) :]):
                raise RuntimeError(
                    f"function {name}Backward returned an incorrect number of gradients "
                    f"(expected {len(args)}, got {len(result)})"
                )
            for i, a in enumerate(args):
                if not isinstance(a, Tensor) and result[i] is not None:
                    raise RuntimeError(
                        f"function {name}Backward returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a Variable"
                    )
            grads: list[Tensor | None] = []
            for i, shape in zip(positions, input_shapes):
                g = result[i]
                if g is not None and not isinstance(g, Tensor):
                    raise TypeError(
                        f"function {name}Backward returned a {type(g).__name__} at position {i + 1}; "
                        "expected a Tensor or None"
                    )
                if g is not None and tuple(g.shape) != shape:
                    try:
                        g = g.sum_to_size(*shape) if g.numel() != 0 or shape else g.reshape(shape)
                    except (RuntimeError, ValueError) as err:
                        raise RuntimeError(
                            f"function {name}Backward returned an invalid gradient at index {i} - "
                            f"got {list(g.shape)} but expected shape compatible with {list(shape)}"
                        ) from err
                grads.append(g)
            if anomaly_mode._checking_nan():
                for j, g in enumerate(grads):
                    if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
                        raise anomaly_mode._nan_error(f"{name}Backward", j)
            return grads

        return run

    for k, out in enumerate(outs):
        if not isinstance(out, Tensor) or _is_in(out, ctx._non_differentiable):
            continue
        if not out.is_floating_point():
            continue
        _C._record_function(name, inputs, out, make_backward(k))


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a backward that is not itself differentiable: it runs with grad mode off."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with no_grad():
            return fn(ctx, *grad_outputs)

    return wrapper

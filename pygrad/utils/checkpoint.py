"""Activation checkpointing as torch.utils.checkpoint: trade compute for memory.

``checkpoint(fn, *args)`` runs fn under no_grad, keeping only its inputs; backward runs fn again with
grad enabled and backpropagates through that recomputation. This is torch's reentrant variant
(``use_reentrant=True``): the recomputed graph is differentiated with ``autograd.backward`` inside the
outer backward, so the parameters fn uses get their ``.grad`` accumulated there, and the inputs' grads
flow on. ``use_reentrant=False`` takes the same path but also accepts keyword arguments and records a
node even when no input requires grad (parameters inside fn still get grads), as torch's does.

RNG: pygrad's global generator exposes its seed but not its position, so with preserve_rng_state the
checkpointed region runs on a stream forked from the global one (a seed drawn from it); the
recomputation replays that stream, so dropout masks match between forward and backward. The forward's
random numbers therefore differ from an unchecked run's, and ``pygrad.initial_seed()`` afterwards
reports the forked seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad
from pygrad.autograd import Function, backward

__all__ = ["checkpoint", "checkpoint_sequential"]


def _fork_seed() -> int:
    """A seed drawn from the global generator, deterministic under manual_seed."""
    return int(_C._randint(0, 2**62, [1], _C.int64).item())


class _CheckpointFunction(Function):
    @staticmethod
    def forward(ctx: Any, run_function: Callable[..., Any], preserve: bool, *args: Any) -> Any:
        ctx.run_function = run_function
        ctx.preserve = preserve
        if preserve:
            ctx.seed = _fork_seed()
            _C.manual_seed(ctx.seed)
        # Tensors go through save_for_backward (version-checked); the rest is kept as is.
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            assert t is not None
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        if ctx.preserve:
            # Replay the forward's stream, then continue on a fresh fork of the current one.
            resume = _fork_seed()
            _C.manual_seed(ctx.seed)
        try:
            with enable_grad():
                outputs = ctx.run_function(*inputs)
        finally:
            if ctx.preserve:
                _C.manual_seed(resume)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        with_grad = [
            (o, g)
            for o, g in zip(outputs, grad_outputs)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        if not with_grad:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        backward([o for o, _ in with_grad], [g for _, g in with_grad])
        grads = tuple(t.grad if isinstance(t, Tensor) else None for t in inputs)
        return (None, None, *grads)


def checkpoint(
    function: Callable[..., Any],
    *args: Any,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    determinism_check: str = "default",
    **kwargs: Any,
) -> Any:
    """Runs function(*args) without keeping its intermediate tensors; backward recomputes them.

    Args:
        function: the computation to checkpoint; it may use parameters (they get gradients).
        args: its arguments; tensors among them are saved, others kept as is.
        use_reentrant: True or False (both run the reentrant algorithm; False also takes kwargs and
            works when no input requires grad). None warns, as torch does, and means True.
        preserve_rng_state: replay the forward's random numbers in the recomputation.
        determinism_check: "default" or "none" (accepted for torch compatibility).
        kwargs: keyword arguments for function (only with use_reentrant=False).
    Returns:
        function's output (a tensor or a tuple; outputs are detached from fn's internals).
    """
    if use_reentrant is None:
        warnings.warn(
            "pygrad.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "use_reentrant=False is recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True.",
            stacklevel=2,
        )
        use_reentrant = True
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if _C.is_grad_enabled() and not any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        ):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
            )
        return _CheckpointFunction.apply(function, preserve_rng_state, *args)
    if not _C.is_grad_enabled():
        return function(*args, **kwargs)
    # A grad-requiring placeholder input: the node is recorded even when no input requires grad,
    # so the parameters inside function still get their gradients.
    placeholder = _C._full([], 0, _C.float32, False).requires_grad_(True)

    def run(*inputs: Any) -> Any:
        return function(*inputs[:-1], **kwargs)

    return _CheckpointFunction.apply(run, preserve_rng_state, *args, placeholder)


def checkpoint_sequential(
    functions: Any,
    segments: int,
    input: Tensor,
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Runs a sequence of modules (or an nn.Sequential) in ``segments`` checkpointed chunks; the last
    chunk runs normally, as in torch.

    Args:
        functions: an nn.Sequential or a list of modules/functions applied in order.
        segments: the number of chunks.
        input: the input of the first function.
        use_reentrant: as in ``checkpoint`` (None warns and means True).
        kwargs: ``preserve_rng_state`` is passed on to ``checkpoint``.
    Returns:
        The output of the last function.
    """
    if use_reentrant is None:
        warnings.warn(
            "pygrad.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    children = getattr(functions, "children", None)
    fns = list(children()) if callable(children) else list(functions)
    size = len(fns) // segments

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = fns[j](x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(
            run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run(end + 1, len(fns) - 1)(input)

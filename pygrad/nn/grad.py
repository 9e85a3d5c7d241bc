"""``nn.grad`` (also ``nn.functional.grad``): the gradients of conv1d/2d/3d with respect to their input
and their weight, given the output's gradient, with torch.nn.grad's signatures.

The input gradient is the transposed convolution of ``grad_output`` (its output_padding fixed by the
requested ``input_size``); the weight gradient runs the convolution's own backward on a zero weight of
``weight_size``. Both are differentiable when their tensor arguments require grad, as torch's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import zeros
from pygrad._grad_mode import enable_grad

__all__ = [
    "conv1d_input",
    "conv1d_weight",
    "conv2d_input",
    "conv2d_weight",
    "conv3d_input",
    "conv3d_weight",
]

_IntOrTuple = Union[int, Sequence[int]]
_Conv = Callable[..., Tensor]


def _expand(value: _IntOrTuple, dims: int, name: str, op: str) -> list[int]:
    """An int repeated ``dims`` times, or a sequence of exactly ``dims`` ints (torch's _single/_pair/_triple)."""
    if isinstance(value, int):
        return [value] * dims
    values = [int(v) for v in value]
    if len(values) != dims:
        raise ValueError(f"[{op}] {name} must be an int or {dims} ints, got {list(value)}")
    return values


def _input_grad(
    dims: int,
    input_size: Sequence[int],
    weight: Tensor,
    grad_output: Tensor,
    stride: _IntOrTuple,
    padding: _IntOrTuple,
    dilation: _IntOrTuple,
    groups: int,
) -> Tensor:
    op = f"conv{dims}d_input"
    transpose: _Conv = (_C.conv_transpose1d, _C.conv_transpose2d, _C.conv_transpose3d)[dims - 1]
    size = [int(s) for s in input_size]
    if len(size) not in (dims + 1, dims + 2):
        raise ValueError(
            f"[{op}] input_size must have {dims + 2} (or {dims + 1}) sizes, got {size}"
        )
    s, p, d = (
        _expand(v, dims, n, op)
        for v, n in ((stride, "stride"), (padding, "padding"), (dilation, "dilation"))
    )
    kernel, out = weight.shape[-dims:], grad_output.shape[-dims:]
    # The transposed conv gives (out-1)*s - 2p + d*(k-1) + 1 positions; output_padding adds the rest
    # (the input positions past the last window, which get zero gradient).
    extra = [
        size[-dims + i] - ((out[i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + 1)
        for i in range(dims)
    ]
    if any(e < 0 for e in extra):
        raise RuntimeError(
            f"[{op}] grad_output of spatial size {list(out)} cannot come from an input of size {size}"
        )
    result = transpose(grad_output, weight, None, s, p, extra, groups, d)
    if list(result.shape) != size:
        raise RuntimeError(
            f"[{op}] expected an input gradient of size {size}, got {list(result.shape)}"
        )
    return result


def _weight_grad(
    dims: int,
    input: Tensor,
    weight_size: Sequence[int],
    grad_output: Tensor,
    stride: _IntOrTuple,
    padding: _IntOrTuple,
    dilation: _IntOrTuple,
    groups: int,
) -> Tensor:
    op = f"conv{dims}d_weight"
    conv: _Conv = (_C.conv1d, _C.conv2d, _C.conv3d)[dims - 1]
    size = [int(s) for s in weight_size]
    if len(size) != dims + 2:
        raise ValueError(f"[{op}] weight_size must have {dims + 2} sizes, got {size}")
    s, p, d = (
        _expand(v, dims, n, op)
        for v, n in ((stride, "stride"), (padding, "padding"), (dilation, "dilation"))
    )
    # Differentiable in input and grad_output when either requires grad (torch's double backward).
    create_graph = _C.is_grad_enabled() and (input.requires_grad or grad_output.requires_grad)
    with enable_grad():
        weight = zeros(*size, dtype=input.dtype, requires_grad=True)
        source = input if create_graph else input.detach()
        out = conv(source, weight, None, s, p, d, groups)
        if list(out.shape) != list(grad_output.shape):
            raise RuntimeError(
                f"[{op}] grad_output has size {list(grad_output.shape)}, but the convolution of this "
                f"input with a weight of size {size} gives {list(out.shape)}"
            )
        (grad,) = _C.run_backward(
            [out], [grad_output], create_graph, create_graph, [weight], False, False
        )
    assert grad is not None  # allow_unused=False: the weight always gets a gradient
    return grad if create_graph else grad.detach()


def conv1d_input(
    input_size: Sequence[int],
    weight: Tensor,
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv1d with respect to its input, of shape ``input_size`` ([N, C, L])."""
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(
    input: Tensor,
    weight_size: Sequence[int],
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv1d with respect to its weight, of shape ``weight_size`` ([O, C/groups, K])."""
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(
    input_size: Sequence[int],
    weight: Tensor,
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv2d with respect to its input, of shape ``input_size`` ([N, C, H, W])."""
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(
    input: Tensor,
    weight_size: Sequence[int],
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv2d with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(
    input_size: Sequence[int],
    weight: Tensor,
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv3d with respect to its input, of shape ``input_size`` ([N, C, D, H, W])."""
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(
    input: Tensor,
    weight_size: Sequence[int],
    grad_output: Tensor,
    stride: _IntOrTuple = 1,
    padding: _IntOrTuple = 0,
    dilation: _IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv3d with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)

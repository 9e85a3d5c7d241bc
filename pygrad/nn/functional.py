"""Functional forms of activations and losses, with PyTorch's signatures (``pygrad.nn.functional as F``)."""

from pygrad import _C

relu = _C.relu
sigmoid = _C.sigmoid
tanh = _C.tanh
leaky_relu = _C.leaky_relu
gelu = _C.gelu
one_hot = _C.one_hot
mse_loss = _C.mse_loss
binary_cross_entropy_with_logits = _C.binary_cross_entropy_with_logits


def softmax(input, dim):
    """exp(x) / sum(exp(x)) along dim, computed stably."""
    return _C.softmax(input, dim)


def log_softmax(input, dim):
    """x - logsumexp(x) along dim, computed stably."""
    return _C.log_softmax(input, dim)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy from logits: class-index targets (int64) or class probabilities (float).

    Args:
        input: logits of shape [N, C] (or [C], or [N, C, d1, ...]).
        target: int64 class indices of shape [N] (or probabilities shaped like input).
        weight: optional per-class weights of shape [C]; with class-index targets the mean divides by
            the summed weights of the counted targets, as in PyTorch.
        ignore_index: targets equal to it contribute nothing.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: mixes the target with the uniform distribution by this amount.
    Returns:
        The loss, reduced as asked.
    """
    return _C.cross_entropy(input, target, reduction, ignore_index, label_smoothing, weight)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood: -input[n, target[n]] (optionally class-weighted), reduced as asked.

    Args:
        input: log-probabilities of shape [N, C] (or [C], or [N, C, d1, ...]).
        target: int64 class indices of shape [N].
        weight: optional per-class weights of shape [C].
        ignore_index: targets equal to it contribute nothing.
        reduction: 'mean' (divided by the summed weights of counted targets), 'sum' or 'none'.
    Returns:
        The loss.
    """
    return _C.nll_loss(input, target, reduction, ignore_index, weight)


# input @ weight.T + bias: one fused op and one graph node for 2-d input and weight, matmul and add otherwise.
linear = _C.linear


# --------------------------------------------------------------------------- dropout
def _keep_mask(shape, keep_probability, dtype):
    """A bool mask (True = keep) from the seeded core generator, each element kept with keep_probability."""
    return _C._bernoulli_mask(list(shape), float(keep_probability), dtype)


def dropout(input, p=0.5, training=True, inplace=False, mode="inverted"):
    """Zeroes each element with probability p (a fresh mask from the seeded generator on each call).

    Args:
        input: a floating-point tensor.
        p: the probability of dropping an element, in [0, 1].
        training: drop only when True.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.
        mode: "inverted" (PyTorch's: kept elements scaled by 1/(1-p) while training, identity
            otherwise) or "classic" (kept elements unscaled while training, every output
            multiplied by q = 1-p otherwise), so the expected value matches in both phases.
    Returns:
        A tensor shaped like input; gradients flow only through kept elements.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[dropout] dropout probability has to be between 0 and 1, but got {p}")
    if mode not in ("inverted", "classic"):
        raise ValueError(f"[dropout] mode must be 'inverted' or 'classic', got {mode!r}")
    q = 1.0 - p
    if not training:
        return input if mode == "inverted" or p == 0.0 else input * q
    if p == 0.0:
        return input
    mask = _keep_mask(input.shape, q, input.dtype)
    if mode == "classic" or p == 1.0:
        return input * mask
    return input * (mask._to_dtype(input.dtype) * (1.0 / q))


# --------------------------------------------------------------------------- ops in the C++ core
def _core(name):
    op = getattr(_C, name, None)
    if op is None:
        raise NotImplementedError(f"[{name}] this build of pygrad's core has no {name} op yet")
    return op


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over NCHW input with weight [C_out, C_in/groups, kH, kW]."""
    return _core("conv2d")(input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-D max pooling over NCHW (or CHW) input; with return_indices also the flat argmax positions."""
    return _core("max_pool2d")(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling over NCHW (or CHW) input."""
    if divisor_override is not None:
        raise NotImplementedError("[avg_pool2d] divisor_override is not supported")
    return _core("avg_pool2d")(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (an int or (H, W)) over NCHW (or CHW) input."""
    return _core("adaptive_avg_pool2d")(input, output_size)


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Batch normalization over dim 1 of [N, C, ...] input; in training, updates running stats in place."""
    return _core("batch_norm")(
        input, running_mean, running_var, weight, bias, training, momentum, eps
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes over the trailing dims given by normalized_shape, then scales by weight and adds bias."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _core("layer_norm")(input, list(normalized_shape), weight, bias, eps)


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of weight picked by the int64 indices in input; the padding_idx row gets no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "[embedding] max_norm, scale_grad_by_freq and sparse are not supported"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return _core("embedding")(input, weight, padding_idx)

"""The op table that drives tests/test_ops.py: one OpSpec per op (or op variant), PyTorch's OpInfo in miniature.

An OpSpec names the op, calls it through a module-generic function ``fn(m, *inputs, **kwargs)`` (``m`` is
``pygrad`` or ``torch``, so one lambda serves both unless ``torch_fn`` overrides it), gives a float64 numpy
reference, and lists samples: the inputs (float tensors by shape, index / bool / probability tensors, Python
scalars) and keyword arguments. Domains keep inputs where the op is smooth so finite differences are valid.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

# ---------------------------------------------------------------------------------------------------------
# Input domains: functions (rng, shape) -> float64 array, never all zeros


def _nonzero(rng, x):
    if x.size and not np.any(x):
        x = x.copy()
        x.reshape(-1)[0] = 1.0
    return x


def uniform(low=-2.0, high=2.0):
    return lambda rng, shape: _nonzero(rng, rng.uniform(low, high, size=shape))


def away(points, margin=0.05, low=-2.0, high=2.0):
    """Uniform in [low, high) but at least `margin` from each kink in `points` (finite differences stay valid)."""

    def gen(rng, shape):
        x = rng.uniform(low, high, size=shape)
        for _ in range(100):
            bad = np.zeros(x.shape, dtype=bool)
            for p in points:
                bad |= np.abs(x - p) < margin
            if not bad.any():
                break
            x[bad] = rng.uniform(low, high, size=int(bad.sum()))
        return _nonzero(rng, x)

    return gen


def integers(low=-2, high=3):
    """Integer-valued floats: comparisons see ties and logical ops see zeros."""
    return lambda rng, shape: _nonzero(rng, rng.integers(low, high, size=shape).astype(np.float64))


POSITIVE = uniform(0.5, 2.0)
DEFAULT = uniform(-2.0, 2.0)

# ---------------------------------------------------------------------------------------------------------
# Sample inputs


@dataclass
class F:
    """A floating tensor input (float64 in the reference; the dtype under test in pygrad)."""

    shape: tuple
    domain: Optional[Callable] = None
    grad: bool = True


@dataclass
class I:  # noqa: E742  (short on purpose: the table reads better)
    """An int64 tensor of values in [low, high) (indices, class targets)."""

    shape: tuple
    high: int
    low: int = 0
    ignore: Optional[int] = (
        None  # replaces about a third of the values (cross-entropy's ignore_index)
    )

    def make(self, rng):
        v = rng.integers(self.low, self.high, size=self.shape).astype(np.int64)
        if self.ignore is not None and v.size:
            mask = rng.random(self.shape) < 0.35
            mask.reshape(-1)[0] = True
            mask.reshape(-1)[-1] = False
            v = np.where(mask, self.ignore, v)
        return v


@dataclass
class B:
    """A bool tensor (never all False)."""

    shape: tuple

    def make(self, rng):
        v = rng.random(self.shape) < 0.5
        if v.size and not v.any():
            v.reshape(-1)[0] = True
        return v


@dataclass
class P:
    """A float tensor of probabilities summing to one along `axis` (no gradient)."""

    shape: tuple
    axis: int = -1
    grad: bool = False

    def make(self, rng):
        e = np.exp(rng.normal(size=self.shape))
        return e / e.sum(axis=self.axis, keepdims=True)


@dataclass
class U:
    """A float tensor uniform in [low, high) that takes no gradient (targets, weights)."""

    shape: tuple
    low: float = 0.0
    high: float = 1.0
    grad: bool = False

    def make(self, rng):
        return _nonzero(rng, rng.uniform(self.low, self.high, size=self.shape))


@dataclass
class S:
    """A Python scalar passed as it is."""

    value: Any


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def id(self):
        parts = []
        for a in self.args:
            if isinstance(a, S):
                parts.append(repr(a.value))
            else:
                parts.append(
                    type(a).__name__ + "x".join(map(str, a.shape))
                    if a.shape
                    else type(a).__name__ + "0d"
                )
        parts += [f"{k}={v}" for k, v in self.kwargs.items()]
        return "-".join(parts).replace(" ", "")


def samples(*items):
    """Builds Samples from tuples: a bare shape tuple is an F input; a trailing dict is the kwargs."""
    out = []
    for item in items:
        if isinstance(item, Sample):
            out.append(item)
            continue
        kwargs = {}
        if item and isinstance(item[-1], dict):
            item, kwargs = item[:-1], item[-1]
        args = tuple(F(a) if isinstance(a, tuple) else a for a in item)
        out.append(Sample(args, kwargs))
    return out


@dataclass
class OpSpec:
    name: str
    fn: Callable  # fn(m, *inputs, **kwargs), m = pygrad or torch
    ref: Callable  # float64 numpy reference: ref(*arrays, **kwargs)
    samples: list
    domain: Any = (
        DEFAULT  # default domain of F inputs: one generator, or a tuple with one per input
    )
    torch_fn: Optional[Callable] = (
        None  # when torch's spelling differs: torch_fn(torch, *inputs, **kwargs)
    )
    grad: bool = True  # differentiable in its float inputs
    gradgrad: bool = False  # also check second derivatives against torch
    noncontiguous: bool = True  # accepts non-contiguous inputs (view() does not, like PyTorch)
    int_inputs: bool = True  # run the int64 / bool input check against torch
    rtol32: float = 1e-5
    atol32: float = 1e-5
    rtol64: float = 1e-10
    atol64: float = 1e-12
    gradcheck_max_numel: int = 48

    def domain_for(self, position):
        if isinstance(self.domain, tuple):
            return self.domain[position] if position < len(self.domain) else DEFAULT
        return self.domain

    def call_torch(self, torch, *inputs, **kwargs):
        return (self.torch_fn or self.fn)(torch, *inputs, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# numpy references (float64)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_erf(x):
    return np.asarray(_erf(x), dtype=np.float64)


def np_gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + np_erf(x / math.sqrt(2)))


def np_clamp(x, min=None, max=None):
    if min is not None:
        x = np.maximum(x, min)
    if max is not None:
        x = np.minimum(x, max)
    return x


def np_logsumexp(x, dim, keepdim=False):
    m = np.max(x, axis=dim, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=dim)


def np_softmax(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    return x - np_logsumexp(x, dim, keepdim=True)


def np_reduce(values, reduction, count=None):
    if reduction == "none":
        return values
    if reduction == "sum":
        return np.sum(values)
    return np.sum(values) / (values.size if count is None else count)


def _class_last(x):
    return np.moveaxis(x, 1, -1) if x.ndim >= 2 else x


def np_cross_entropy(x, t, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    logp = _class_last(np_log_softmax(x, 1 if x.ndim >= 2 else 0))
    c = logp.shape[-1]
    if np.issubdtype(t.dtype, np.floating):  # class probabilities
        t = _class_last(t) * (1 - label_smoothing) + label_smoothing / c
        return np_reduce(-(t * logp).sum(-1), reduction)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    nll = -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    smooth = -logp.mean(-1)
    loss = np.where(keep, (1 - label_smoothing) * nll + label_smoothing * smooth, 0.0)
    return np_reduce(loss, reduction, count=keep.sum())


def np_nll_loss(x, t, reduction="mean", ignore_index=-100):
    logp = _class_last(x)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    loss = np.where(keep, -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0], 0.0)
    return np_reduce(loss, reduction, count=keep.sum())


def np_bce_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    log_sig = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * log_sig + (1 - y) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return np_reduce(loss, reduction)


def np_expand(x, shape):
    lead = len(shape) - x.ndim
    full = tuple(x.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(shape))
    return np.broadcast_to(x, full)


def np_flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape((*x.shape[:s], int(np.prod(x.shape[s : e + 1])), *x.shape[e + 1 :]))


def np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = dim if isinstance(dim, tuple) else (dim,)
    return np.squeeze(x, axis=tuple(d for d in dims if x.shape[d] == 1))


def np_narrow(x, dim, start, length):
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, start + length)
    return x[tuple(index)]


def np_gather(x, dim, index):
    # torch.gather: out[i][j] = x[index[i][j]][j] (dim 0), index may be smaller than x in the other dims.
    sl = tuple(slice(0, s) for s in index.shape)
    sl = tuple(slice(None) if d == dim % x.ndim else sl[d] for d in range(x.ndim))
    return np.take_along_axis(x[sl], index, axis=dim)


def np_scatter_add(x, dim, index, src):
    out = x.copy()
    dim = dim % x.ndim
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        out[tuple(target)] += src[pos]
    return out


def np_index_add(x, dim, index, source):
    out = np.moveaxis(x.copy(), dim, 0)
    src = np.moveaxis(source, dim, 0)
    for k, i in enumerate(index):
        out[i] += src[k]
    return np.moveaxis(out, 0, dim)


def np_max_dim(x, dim, keepdim=False):
    return np.max(x, axis=dim, keepdims=keepdim), np.argmax(x, axis=dim, keepdims=keepdim)


def np_min_dim(x, dim, keepdim=False):
    return np.min(x, axis=dim, keepdims=keepdim), np.argmin(x, axis=dim, keepdims=keepdim)


# ---------------------------------------------------------------------------------------------------------
# numpy references for the layer ops (float64, direct loops: the shapes are tiny)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _batched(x, ref, *args, **kwargs):
    """Runs ref, written for [N, C, H, W], on an unbatched [C, H, W] input too."""
    if x.ndim == 3:
        out = ref(x[None], *args, **kwargs)
        return tuple(o[0] for o in out) if isinstance(out, tuple) else out[0]
    return ref(x, *args, **kwargs)


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _batched(x, _np_conv2d, w, b, stride, padding, dilation, groups)


def _np_conv2d(x, w, b, stride, padding, dilation, groups):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    kh, kw = w.shape[2:]
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":  # the extra element of an odd total goes after, like PyTorch
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        ph, pw = _pair(padding)
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    n, c, h, wd = xp.shape
    o, cg = w.shape[0], c // groups
    og = o // groups
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh + dh * np.arange(kh)][
                :, :, :, j * sw + dw * np.arange(kw)
            ]  # [N, C, kh, kw]
            for g in range(groups):
                out[:, g * og : (g + 1) * og, i, j] = np.einsum(
                    "nckl,ockl->no", patch[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]
                )
    if b is not None:
        out += b[None, :, None, None]
    return out


def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window would start in the right padding
        out -= 1
    return out


def np_max_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    return _batched(
        x, _np_max_pool2d, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _np_max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(kernel_size if stride is None else stride)
    n, c, h, w = x.shape
    oh, ow = _pool_out(h, kh, sh, ph, dh, ceil_mode), _pool_out(w, kw, sw, pw, dw, ceil_mode)
    out, idx = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            rows = [r for r in i * sh - ph + dh * np.arange(kh) if 0 <= r < h]
            cols = [q for q in j * sw - pw + dw * np.arange(kw) if 0 <= q < w]
            flat = (np.array(rows)[:, None] * w + np.array(cols)[None, :]).ravel()
            window = x[:, :, rows][:, :, :, cols].reshape(n, c, len(rows) * len(cols))
            arg = np.argmax(window, axis=-1)
            out[:, :, i, j] = np.take_along_axis(window, arg[..., None], axis=-1)[..., 0]
            idx[:, :, i, j] = flat[arg]
    return (out, idx) if return_indices else out


def np_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _batched(x, _np_avg_pool2d, kernel_size, stride, padding, ceil_mode, count_include_pad)


def _np_avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    n, c, h, w = x.shape
    oh, ow = _pool_out(h, kh, sh, ph, 1, ceil_mode), _pool_out(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * sh - ph, j * sw - pw
            r1, q1 = (
                min(r0 + kh, h + ph),
                min(q0 + kw, w + pw),
            )  # a window is cut at the padding's end
            padded_count = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
            out[:, :, i, j] = total / (padded_count if count_include_pad else (r1 - r0) * (q1 - q0))
    return out


def np_adaptive_avg_pool2d(x, output_size):
    oh, ow = _pair(output_size)
    h, w = x.shape[-2:]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    out = np.zeros((*x.shape[:-2], oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            q0, q1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[..., i, j] = x[..., r0:r1, q0:q1].mean(axis=(-2, -1))
    return out


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def np_batch_norm_train(x, weight=None, bias=None, eps=1e-5, momentum=0.1, stats=True):
    """Training-mode batch norm: the output, and the running stats updated from zeros / ones."""
    axes = (0, *tuple(range(2, x.ndim)))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    y = (x - mean.reshape(_channel_shape(x))) / np.sqrt(var.reshape(_channel_shape(x)) + eps)
    if weight is not None:
        y = y * weight.reshape(_channel_shape(x))
    if bias is not None:
        y = y + bias.reshape(_channel_shape(x))
    count = x.size // x.shape[1]
    running_mean = momentum * mean
    running_var = (1 - momentum) + momentum * var * count / (count - 1)
    return y, running_mean, running_var


def np_batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    s = _channel_shape(x)
    y = (x - running_mean.reshape(s)) / np.sqrt(running_var.reshape(s) + eps)
    if weight is not None:
        y = y * weight.reshape(s)
    if bias is not None:
        y = y + bias.reshape(s)
    return y


def np_layer_norm(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def np_embedding(index, weight, padding_idx=None):
    return weight[index]


# ---------------------------------------------------------------------------------------------------------
# Shared sample sets

UNARY = samples(((3, 4),), ((5,),), ((),), ((0, 3),), ((2, 1, 3),))
BINARY = samples(
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((0, 3), (1, 3)),
    ((1,), (5,)),
)
REDUCE = samples(
    ((3, 4),),
    ((3, 4), {"dim": 1}),
    ((2, 3, 4), {"dim": (0, 2)}),
    ((2, 3, 4), {"dim": -1, "keepdim": True}),
    ((2, 3, 4), {"dim": (-1, 0), "keepdim": True}),
    ((), {"dim": 0}),
    ((5,), {"dim": 0}),
    ((1, 4), {"dim": 0}),
)
REDUCE_EMPTY = samples(((0, 3), {"dim": 0}), ((2, 0), {"dim": 1, "keepdim": True}))
REDUCE_DIM = samples(
    ((3, 4), {"dim": 1}),
    ((3, 4), {"dim": 0, "keepdim": True}),
    ((2, 3, 4), {"dim": -2}),
    ((5,), {"dim": 0}),
    ((), {"dim": 0}),
)


def unary(name, ref, domain=DEFAULT, fn=None, **kw):
    return OpSpec(
        name, fn or (lambda m, x, _n=name: getattr(m, _n)(x)), ref, UNARY, domain=domain, **kw
    )


def binary(name, ref, domain=DEFAULT, extra=(), **kw):
    return OpSpec(
        name,
        lambda m, a, b, _n=name: getattr(m, _n)(a, b),
        ref,
        BINARY + list(extra),
        domain=domain,
        **kw,
    )


def compare(name, ref):
    return binary(name, ref, domain=integers(), grad=False, extra=samples(((4,), S(1.0))))


_F = lambda m: m.nn.functional  # noqa: E731

# ---------------------------------------------------------------------------------------------------------
# The table

OPS = [
    # ---- unary elementwise
    unary("neg", np.negative, gradgrad=True),
    unary("abs", np.abs, domain=away([0.0])),
    unary("sign", np.sign, domain=away([0.0])),
    unary("exp", np.exp, gradgrad=True),
    unary("log", np.log, domain=POSITIVE, gradgrad=True),
    unary("log1p", np.log1p, domain=uniform(-0.5, 2.0)),
    unary("sqrt", np.sqrt, domain=POSITIVE, gradgrad=True),
    unary("rsqrt", lambda x: 1 / np.sqrt(x), domain=POSITIVE, gradgrad=True),
    unary("sin", np.sin, gradgrad=True),
    unary("cos", np.cos),
    unary("erf", np_erf, gradgrad=True),
    unary("sigmoid", lambda x: 1 / (1 + np.exp(-x)), gradgrad=True),
    unary("tanh", np.tanh, gradgrad=True),
    unary("relu", lambda x: np.maximum(x, 0), domain=away([0.0])),
    OpSpec(
        "leaky_relu",
        lambda m, x, **k: _F(m).leaky_relu(x, **k),
        lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
        samples(((3, 4),), ((3, 4), {"negative_slope": 0.2}), ((),), ((0, 2),)),
        domain=away([0.0]),
    ),
    OpSpec(
        "gelu",
        lambda m, x, **k: _F(m).gelu(x, **k),
        np_gelu,
        samples(((3, 4),), ((),), ((0, 2),), ((2, 5), {"approximate": "none"})),
        gradgrad=True,
        domain=uniform(-3, 3),
    ),
    OpSpec(
        "gelu_tanh",
        lambda m, x: _F(m).gelu(x, approximate="tanh"),
        lambda x: np_gelu(x, "tanh"),
        UNARY,
        gradgrad=True,
        domain=uniform(-3, 3),
    ),
    OpSpec(
        "clamp",
        lambda m, x, **k: m.clamp(x, **k),
        np_clamp,
        samples(
            ((3, 4), {"min": -0.5, "max": 0.5}),
            ((3, 4), {"min": -0.5}),
            ((5,), {"max": 0.5}),
            ((), {"min": 0.0, "max": 1.0}),
            ((0, 2), {"min": 0.0}),
        ),
        domain=away([-0.5, 0.0, 0.5, 1.0]),
    ),
    # ---- binary elementwise
    binary("add", np.add, extra=samples(((3,), S(2.5)), ((3,), S(-2)))),
    binary("sub", np.subtract, extra=samples(((3,), S(2.5)))),
    binary("mul", np.multiply, gradgrad=True, extra=samples(((3,), S(2.5)))),
    binary(
        "div",
        np.divide,
        domain=(DEFAULT, away([0.0], 0.3)),
        gradgrad=True,
        extra=samples(((3,), S(4.0))),
    ),
    binary(
        "pow",
        np.power,
        domain=(POSITIVE, DEFAULT),
        gradgrad=True,
        extra=samples(
            ((3, 4), S(2)), ((3, 4), S(0.5)), (F((2, 3), DEFAULT), S(3)), (F((4,), DEFAULT), S(2.0))
        ),
    ),
    binary("maximum", np.maximum),
    binary("minimum", np.minimum),
    OpSpec(  # relu's fused backward (internal op): torch spells it aten.threshold_backward(grad, result, 0)
        "relu_backward",
        lambda m, g, r: m._C._relu_backward(g, r),
        lambda g, r: np.where(r > 0, g, 0.0),
        BINARY,
        domain=away([0.0]),
        torch_fn=lambda torch, g, r: torch.ops.aten.threshold_backward(g, r, 0),
        gradgrad=True,
        int_inputs=False,
    ),
    compare("eq", np.equal),
    compare("ne", np.not_equal),
    compare("lt", np.less),
    compare("le", np.less_equal),
    compare("gt", np.greater),
    compare("ge", np.greater_equal),
    binary("logical_and", np.logical_and, domain=integers(-1, 2), grad=False),
    binary("logical_or", np.logical_or, domain=integers(-1, 2), grad=False),
    OpSpec(
        "where",
        lambda m, c, x, y: m.where(c, x, y),
        np.where,
        samples(
            (B((3, 4)), (3, 4), (3, 4)),
            (B((3, 1)), (4,), (3, 4)),
            (B((2, 3)), (), (2, 3)),
            (B(()), (2,), (2,)),
            (B((0, 2)), (0, 2), (1, 2)),
        ),
        domain=(None, DEFAULT, DEFAULT),
        gradgrad=True,
    ),
    # ---- reductions
    OpSpec(
        "sum",
        lambda m, x, **k: m.sum(x, **k),
        lambda x, dim=None, keepdim=False: np.sum(x, axis=dim, keepdims=keepdim),
        REDUCE + REDUCE_EMPTY,
    ),
    OpSpec(
        "mean",
        lambda m, x, **k: m.mean(x, **k),
        lambda x, dim=None, keepdim=False: np.mean(
            x, axis=None if x.ndim == 0 else dim, keepdims=keepdim
        ),
        REDUCE,
        gradgrad=True,
    ),
    OpSpec(
        "amax",
        lambda m, x, **k: m.amax(x, **k),
        lambda x, dim=None, keepdim=False: np.max(x, axis=dim, keepdims=keepdim),
        REDUCE,
    ),
    OpSpec(
        "amin",
        lambda m, x, **k: m.amin(x, **k),
        lambda x, dim=None, keepdim=False: np.min(x, axis=dim, keepdims=keepdim),
        REDUCE,
    ),
    OpSpec("max_all", lambda m, x: m.max(x), np.max, samples(((3, 4),), ((),), ((7,),))),
    OpSpec("min_all", lambda m, x: m.min(x), np.min, samples(((3, 4),), ((),), ((7,),))),
    OpSpec("max_dim", lambda m, x, **k: tuple(m.max(x, **k)), np_max_dim, REDUCE_DIM),
    OpSpec("min_dim", lambda m, x, **k: tuple(m.min(x, **k)), np_min_dim, REDUCE_DIM),
    OpSpec(
        "argmax",
        lambda m, x, **k: m.argmax(x, **k),
        lambda x, dim=None, keepdim=False: np.argmax(x, axis=dim, keepdims=keepdim),
        samples(((3, 4),), ((2, 3, 4),)) + REDUCE_DIM,
        grad=False,
    ),
    OpSpec(
        "argmin",
        lambda m, x, **k: m.argmin(x, **k),
        lambda x, dim=None, keepdim=False: np.argmin(x, axis=dim, keepdims=keepdim),
        samples(((3, 4),), ((2, 3, 4),)) + REDUCE_DIM,
        grad=False,
    ),
    OpSpec(
        "var",
        lambda m, x, **k: m.var(x, **k),
        lambda x, dim=None, correction=1, keepdim=False: np.var(
            x, axis=dim, ddof=correction, keepdims=keepdim
        ),
        samples(
            ((3, 4),),
            ((3, 4), {"dim": 1}),
            ((2, 3, 4), {"dim": (0, 2), "correction": 0}),
            ((2, 3, 4), {"dim": -1, "keepdim": True, "correction": 2}),
            ((5,), {"dim": 0}),
        ),
        gradgrad=True,
    ),
    OpSpec(
        "std",
        lambda m, x, **k: m.std(x, **k),
        lambda x, dim=None, correction=1, keepdim=False: np.std(
            x, axis=dim, ddof=correction, keepdims=keepdim
        ),
        samples(
            ((3, 4),),
            ((3, 4), {"dim": 0}),
            ((2, 3, 4), {"dim": (-1, 0), "correction": 0, "keepdim": True}),
            ((6,), {"dim": 0}),
        ),
        gradgrad=True,
    ),
    OpSpec(
        "logsumexp",
        lambda m, x, **k: m.logsumexp(x, **k),
        np_logsumexp,
        samples(
            ((3, 4), {"dim": 1}),
            ((3, 4), {"dim": 0, "keepdim": True}),
            ((2, 3, 4), {"dim": (0, -1)}),
            ((5,), {"dim": -1}),
        ),
        domain=uniform(-5, 5),
        gradgrad=True,
    ),
    # ---- linear algebra
    OpSpec(
        "matmul",
        lambda m, a, b: m.matmul(a, b),
        np.matmul,
        samples(
            ((3,), (3,)),
            ((2, 3), (3, 4)),
            ((3,), (3, 4)),
            ((2, 3), (3,)),
            ((2, 1, 3, 4), (5, 4, 2)),
            ((3,), (2, 3, 4)),
            ((2, 3, 4), (4,)),
            ((2, 3, 4), (4, 2)),
            ((0, 3), (3, 2)),
            ((2, 0), (0, 3)),
        ),
        gradgrad=True,
        rtol32=1e-4,
    ),
    # ---- network ops
    OpSpec(
        "softmax",
        lambda m, x, dim: m.softmax(x, dim),
        np_softmax,
        samples(
            ((3, 4), {"dim": -1}),
            ((2, 3, 4), {"dim": 1}),
            ((), {"dim": 0}),
            ((0, 3), {"dim": 1}),
            ((5,), {"dim": 0}),
        ),
        gradgrad=True,
    ),
    OpSpec(
        "log_softmax",
        lambda m, x, dim: m.log_softmax(x, dim),
        np_log_softmax,
        samples(
            ((3, 4), {"dim": -1}),
            ((2, 3, 4), {"dim": 0}),
            ((), {"dim": 0}),
            ((0, 3), {"dim": 1}),
            ((5,), {"dim": 0}),
        ),
        gradgrad=True,
    ),
    # ---- joining and indexing
    OpSpec(
        "cat",
        lambda m, a, b, c, **k: m.cat([a, b, c], **k),
        lambda a, b, c, dim=0: np.concatenate([a, b, c], axis=dim),
        samples(
            ((2, 3), (1, 3), (4, 3)),
            ((2, 3), (2, 1), (2, 2), {"dim": 1}),
            ((2, 3, 2), (2, 1, 2), (2, 2, 2), {"dim": -2}),
            ((0, 3), (2, 3), (1, 3)),
            ((2,), (3,), (1,)),
        ),
    ),
    OpSpec(
        "stack",
        lambda m, a, b, **k: m.stack([a, b], **k),
        lambda a, b, dim=0: np.stack([a, b], axis=dim),
        samples(
            ((2, 3), (2, 3)),
            ((2, 3), (2, 3), {"dim": 2}),
            ((2, 3), (2, 3), {"dim": -2}),
            ((), ()),
            ((0, 2), (0, 2), {"dim": 1}),
        ),
    ),
    OpSpec(
        "gather",
        lambda m, x, dim, i: m.gather(x, dim, i),
        np_gather,
        [
            Sample((F((3, 4)), S(1), I((3, 5), 4))),
            Sample((F((3, 4)), S(0), I((2, 3), 3))),
            Sample((F((2, 3, 4)), S(-1), I((2, 3, 2), 4))),
            Sample((F((4,)), S(0), I((6,), 4))),
        ],
    ),
    OpSpec(
        "scatter_add",
        lambda m, x, dim, i, s: m.scatter_add(x, dim, i, s),
        np_scatter_add,
        [
            Sample((F((3, 4)), S(0), I((5, 4), 3), F((5, 4)))),
            Sample((F((3, 4)), S(1), I((2, 6), 4), F((2, 6)))),
            Sample((F((2, 3, 4)), S(-1), I((2, 3, 5), 4), F((2, 3, 5)))),
            Sample((F((4,)), S(0), I((7,), 4), F((7,)))),
        ],
    ),
    OpSpec(
        "index_select",
        lambda m, x, dim, i: m.index_select(x, dim, i),
        lambda x, dim, i: np.take(x, i, axis=dim),
        [
            Sample((F((4, 3)), S(0), I((6,), 4))),
            Sample((F((4, 3)), S(-1), I((2,), 3))),
            Sample((F((2, 3, 4)), S(1), I((0,), 3))),
            Sample((F((5,)), S(0), I((3,), 5))),
        ],
    ),
    OpSpec(
        "index_add",
        lambda m, x, dim, i, s: m.index_add(x, dim, i, s),
        np_index_add,
        [
            Sample((F((4, 3)), S(0), I((6,), 4), F((6, 3)))),
            Sample((F((4, 3)), S(1), I((5,), 3), F((4, 5)))),
            Sample((F((2, 3, 4)), S(-1), I((3,), 4), F((2, 3, 3)))),
        ],
    ),
    # ---- views and shape ops
    OpSpec(
        "reshape",
        lambda m, x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        samples(
            ((2, 3, 4), {"shape": (6, -1)}),
            ((2, 3, 4), {"shape": (4, 3, 2)}),
            ((), {"shape": (1, 1)}),
            ((1,), {"shape": ()}),
            ((0, 3), {"shape": (3, 0, 1)}),
            ((6,), {"shape": (-1, 2)}),
        ),
    ),
    OpSpec(
        "view",
        lambda m, x, shape: x.view(shape),
        lambda x, shape: x.reshape(shape),
        samples(
            ((2, 3, 4), {"shape": (6, 4)}), ((6, 4), {"shape": (2, 3, -1)}), ((), {"shape": (1,)})
        ),
        noncontiguous=False,
    ),
    OpSpec(
        "permute",
        lambda m, x, dims: m.permute(x, dims),
        lambda x, dims: np.transpose(x, dims),
        samples(
            ((2, 3, 4), {"dims": (2, 0, 1)}),
            ((2, 3), {"dims": (-1, 0)}),
            ((), {"dims": ()}),
            ((0, 2, 1), {"dims": (1, 2, 0)}),
        ),
    ),
    OpSpec(
        "transpose",
        lambda m, x, d0, d1: m.transpose(x, d0, d1),
        np.swapaxes,
        [
            Sample((F((2, 3, 4)), S(0), S(2))),
            Sample((F((3, 4)), S(-1), S(-2))),
            Sample((F((3,)), S(0), S(0))),
        ],
    ),
    OpSpec(
        "expand",
        lambda m, x, shape: x.expand(*shape),
        np_expand,
        samples(
            ((3, 1), {"shape": (3, 4)}),
            ((1, 4), {"shape": (3, -1, 4)}),
            ((), {"shape": (2, 3)}),
            ((3, 1), {"shape": (2, -1, 5)}),
            ((1,), {"shape": (0,)}),
        ),
    ),
    OpSpec(
        "squeeze",
        lambda m, x, **k: m.squeeze(x, **k),
        np_squeeze,
        samples(
            ((1, 3, 1),),
            ((1, 3, 1), {"dim": 0}),
            ((1, 3, 1), {"dim": -1}),
            ((3, 1), {"dim": 0}),
            ((1, 3, 1), {"dim": (0, 2)}),
            ((),),
        ),
    ),
    OpSpec(
        "unsqueeze",
        lambda m, x, dim: m.unsqueeze(x, dim),
        lambda x, dim: np.expand_dims(x, dim),
        samples(
            ((3, 4), {"dim": 0}), ((3, 4), {"dim": -1}), ((3, 4), {"dim": 1}), ((), {"dim": 0})
        ),
    ),
    OpSpec(
        "flatten",
        lambda m, x, **k: m.flatten(x, **k),
        np_flatten,
        samples(
            ((2, 3, 4),),
            ((2, 3, 4), {"start_dim": 1}),
            ((2, 3, 4, 2), {"start_dim": 1, "end_dim": -2}),
            ((),),
            ((2, 0, 3), {"start_dim": 1}),
        ),
    ),
    OpSpec(
        "narrow",
        lambda m, x, dim, start, length: m.narrow(x, dim, start, length),
        np_narrow,
        [
            Sample((F((5, 3)), S(0), S(1), S(3))),
            Sample((F((2, 6)), S(-1), S(2), S(0))),
            Sample((F((4,)), S(0), S(0), S(4))),
        ],
    ),
    OpSpec(
        "select",
        lambda m, x, dim, index: m.select(x, dim, index),
        lambda x, dim, index: np.take(x, index, axis=dim),
        [
            Sample((F((5, 3)), S(0), S(-1))),
            Sample((F((2, 6, 2)), S(1), S(4))),
            Sample((F((4,)), S(0), S(2))),
        ],
    ),
]

# Basic indexing: each key is a separate op so failures say which one.
_INDEX_KEYS = {
    "int": ((3, 4), (1,)),
    "neg_int": ((3, 4), (-1,)),
    "int_int": ((3, 4), (2, -3)),
    "slice": ((5, 4), (slice(1, 4),)),
    "slice_step": ((7, 4), (slice(None, None, 2), slice(1, None, 3))),
    "neg_slice": ((6, 3), (slice(-4, -1),)),
    "slice_clip": ((4, 3), (slice(2, 100),)),
    "slice_empty": ((4, 3), (slice(3, 1),)),
    "none": ((3, 4), (None, slice(None), None)),
    "ellipsis": ((2, 3, 4), (Ellipsis, 1)),
    "ellipsis_step": ((2, 3, 5), (0, Ellipsis, slice(None, None, 2))),
    "mixed": ((4, 3, 5), (slice(1, None, 2), None, Ellipsis, -2)),
    "scalar_ellipsis": ((), (Ellipsis,)),
    "scalar_none": ((), (None,)),
}
for _name, (_shape, _key) in _INDEX_KEYS.items():
    OPS.append(
        OpSpec(
            f"getitem_{_name}",
            lambda m, x, _k=_key: x[_k],
            lambda x, _k=_key: x[_k],
            samples((_shape,)),
        )
    )

# ---- losses
_REDUCTIONS = ("mean", "sum", "none")
OPS += [
    OpSpec(
        "mse_loss",
        lambda m, x, y, **k: _F(m).mse_loss(x, y, **k),
        lambda x, y, reduction="mean": np_reduce((x - y) ** 2, reduction),
        [Sample((F((3, 4)), F((3, 4))), {"reduction": r}) for r in _REDUCTIONS]
        + samples(((5,), (5,))),
        gradgrad=True,
    ),
    OpSpec(
        "cross_entropy",
        lambda m, x, t, **k: _F(m).cross_entropy(x, t, **k),
        np_cross_entropy,
        [Sample((F((4, 5)), I((4,), 5)), {"reduction": r}) for r in _REDUCTIONS]
        + [
            Sample((F((5, 3)), I((5,), 3, ignore=-100))),
            Sample((F((6, 4)), I((6,), 4, ignore=2)), {"ignore_index": 2, "reduction": "sum"}),
            Sample((F((6, 4)), I((6,), 4, ignore=1)), {"ignore_index": 1, "label_smoothing": 0.1}),
            Sample((F((4, 5)), I((4,), 5)), {"label_smoothing": 0.25, "reduction": "none"}),
            Sample((F((4, 5)), P((4, 5), axis=1))),
            Sample((F((4, 5)), P((4, 5), axis=1)), {"label_smoothing": 0.2, "reduction": "sum"}),
            Sample((F((2, 4, 3)), I((2, 3), 4))),
            Sample(
                (F((2, 4, 3)), I((2, 3), 4, ignore=-100)),
                {"reduction": "none", "label_smoothing": 0.1},
            ),
            Sample((F((2, 3, 2)), P((2, 3, 2), axis=1)), {"reduction": "none"}),
            Sample((F((5,)), I((), 5))),
        ],
        gradgrad=True,
        domain=uniform(-3, 3),
    ),
    OpSpec(
        "nll_loss",
        lambda m, x, t, **k: _F(m).nll_loss(x, t, **k),
        np_nll_loss,
        [Sample((F((4, 5)), I((4,), 5)), {"reduction": r}) for r in _REDUCTIONS]
        + [
            Sample((F((6, 3)), I((6,), 3, ignore=-100))),
            Sample((F((6, 3)), I((6,), 3, ignore=0)), {"ignore_index": 0, "reduction": "sum"}),
            Sample((F((2, 4, 3)), I((2, 3), 4))),
        ],
    ),
    OpSpec(
        "bce_with_logits",
        lambda m, x, y, **k: _F(m).binary_cross_entropy_with_logits(x, y, **k),
        np_bce_logits,
        [Sample((F((3, 4)), U((3, 4))), {"reduction": r}) for r in _REDUCTIONS]
        + [Sample((F(()), U(())))],
        domain=uniform(-4, 4),
        gradgrad=True,
    ),
    OpSpec(
        "bce_with_logits_weight",
        lambda m, x, y, w, **k: _F(m).binary_cross_entropy_with_logits(x, y, weight=w, **k),
        lambda x, y, w, **k: np_bce_logits(x, y, weight=w, **k),
        [Sample((F((3, 4)), U((3, 4)), U((4,), 0.5, 2.0)), {"reduction": r}) for r in _REDUCTIONS],
        domain=uniform(-4, 4),
    ),
    OpSpec(
        "bce_with_logits_pos_weight",
        lambda m, x, y, pw, **k: _F(m).binary_cross_entropy_with_logits(x, y, pos_weight=pw, **k),
        lambda x, y, pw, **k: np_bce_logits(x, y, pos_weight=pw, **k),
        [Sample((F((3, 4)), U((3, 4)), U((4,), 0.5, 3.0)), {"reduction": r}) for r in _REDUCTIONS],
        domain=uniform(-4, 4),
    ),
    OpSpec(
        "bce_with_logits_both",
        lambda m, x, y, w, pw: _F(m).binary_cross_entropy_with_logits(
            x, y, weight=w, pos_weight=pw
        ),
        lambda x, y, w, pw: np_bce_logits(x, y, weight=w, pos_weight=pw),
        [Sample((F((2, 3)), U((2, 3)), U((2, 1), 0.5, 2.0), U((3,), 0.5, 3.0)))],
        domain=uniform(-4, 4),
    ),
]

# ---- layer ops (conv, pooling, normalization, embedding)
# These ops take floating point inputs only (pygrad raises TypeError for int64 / bool, where PyTorch's CPU
# conv and pooling kernels also accept int64), so the integer-input check runs only where it means something:
# adaptive_avg_pool2d (both refuse) and embedding (the weight may be any dtype; the indices are int64 anyway).


def _batch_norm_train(m, x, w=None, b=None, stats=True, **k):
    """batch_norm in training mode with fresh running stats (zeros / ones) per call: (output, mean, var)."""
    c = x.shape[1]
    mean, var = (m.zeros(c, dtype=x.dtype), m.ones(c, dtype=x.dtype)) if stats else (None, None)
    return _F(m).batch_norm(x, mean, var, w, b, training=True, **k), mean, var


_BATCH_NORM_TRAIN = samples(
    ((4, 3),),
    ((4, 3), (3,), (3,)),
    ((2, 3, 4), (3,), (3,), {"eps": 1e-3, "momentum": 0.3}),
    ((2, 2, 3, 3), (2,), (2,)),
    ((3, 2, 2), {"stats": False}),
)

OPS += [
    OpSpec(
        "conv2d",
        lambda m, x, w, b=None, **k: _F(m).conv2d(x, w, b, **k),
        np_conv2d,
        samples(
            ((1, 2, 4, 4), (3, 2, 2, 2), (3,)),
            ((1, 2, 4, 4), (3, 2, 2, 2)),
            ((1, 2, 5, 4), (2, 2, 3, 3), (2,), {"stride": 2, "padding": 1}),
            ((1, 2, 5, 5), (2, 2, 2, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (2, 1)}),
            ((1, 2, 5, 5), (2, 2, 2, 2), (2,), {"dilation": 2, "padding": 1}),
            ((1, 4, 3, 4), (4, 2, 2, 2), (4,), {"groups": 2, "padding": 1}),
            ((2, 3, 3, 3), (3, 1, 2, 2), {"groups": 3}),  # depthwise
            ((2, 3, 3), (4, 2, 1, 1), (4,)),  # unbatched, pointwise
            ((2, 4, 4), (2, 2, 3, 1), {"padding": "same", "dilation": (1, 2)}),
            (
                (1, 2, 4, 4),
                (2, 2, 2, 2),
                {"padding": "valid", "stride": 3},
            ),  # stride skips input rows
            ((0, 2, 3, 3), (2, 2, 2, 2), (2,)),
        ),
        gradgrad=True,
        int_inputs=False,
        rtol32=1e-4,
        gradcheck_max_numel=64,
    ),
    OpSpec(
        "max_pool2d",
        lambda m, x, **k: _F(m).max_pool2d(x, **k),
        np_max_pool2d,
        samples(
            ((1, 2, 4, 4), {"kernel_size": 2}),
            ((1, 2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
            ((1, 1, 5, 5), {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}),
            ((1, 2, 4, 5), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
            (
                (1, 2, 5, 4),
                {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (2, 1)},
            ),
            ((1, 1, 6, 6), {"kernel_size": 2, "stride": 2, "dilation": 2, "ceil_mode": True}),
            ((2, 5, 5), {"kernel_size": 3, "stride": 1}),  # unbatched, overlapping windows
            ((1, 2, 4, 5), {"kernel_size": 2, "return_indices": True}),
            (
                (1, 1, 5, 5),
                {
                    "kernel_size": 3,
                    "stride": 2,
                    "padding": 1,
                    "ceil_mode": True,
                    "return_indices": True,
                },
            ),
            ((0, 2, 4, 4), {"kernel_size": 2}),
        ),
        gradgrad=True,
        gradcheck_max_numel=72,
        int_inputs=False,
    ),
    OpSpec(
        "avg_pool2d",
        lambda m, x, **k: _F(m).avg_pool2d(x, **k),
        np_avg_pool2d,
        samples(
            ((1, 2, 4, 4), {"kernel_size": 2}),
            ((1, 2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
            (
                (1, 2, 5, 5),
                {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
            ),
            ((1, 1, 5, 5), {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}),
            (
                (1, 1, 5, 5),
                {
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 1,
                    "ceil_mode": True,
                    "count_include_pad": False,
                },
            ),
            ((1, 2, 4, 5), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
            (
                (1, 2, 5, 4),
                {
                    "kernel_size": (3, 2),
                    "stride": (2, 1),
                    "padding": (1, 0),
                    "count_include_pad": False,
                },
            ),
            ((2, 4, 4), {"kernel_size": 2, "stride": 1}),  # unbatched, overlapping windows
            ((0, 2, 4, 4), {"kernel_size": 2}),
        ),
        gradgrad=True,
        gradcheck_max_numel=72,
        int_inputs=False,
    ),
    OpSpec(
        "adaptive_avg_pool2d",
        lambda m, x, output_size: _F(m).adaptive_avg_pool2d(x, output_size),
        np_adaptive_avg_pool2d,
        samples(
            ((1, 2, 4, 4), {"output_size": 2}),
            ((1, 2, 5, 7), {"output_size": (3, 4)}),  # overlapping windows
            ((1, 1, 3, 3), {"output_size": (4, 2)}),  # larger than the input along H
            ((1, 2, 4, 6), {"output_size": (None, 3)}),
            ((2, 3, 4), {"output_size": 1}),  # unbatched, global pooling
        ),
        gradgrad=True,
        gradcheck_max_numel=72,
    ),
    OpSpec(
        "batch_norm_train",
        lambda m, x, *a, **k: _batch_norm_train(m, x, *a, **k)[0],
        lambda x, *a, **k: np_batch_norm_train(x, *a, **k)[0],
        _BATCH_NORM_TRAIN,
        gradgrad=True,
        int_inputs=False,
    ),
    OpSpec(
        "batch_norm_running_stats",  # the running stats a training-mode call leaves behind; no gradient
        lambda m, x, *a, **k: _batch_norm_train(m, x, *a, **k)[1:],
        lambda x, *a, stats=True, **k: np_batch_norm_train(x, *a, **k)[1:],
        [s for s in _BATCH_NORM_TRAIN if s.kwargs.get("stats", True)],
        grad=False,
        int_inputs=False,
    ),
    OpSpec(
        "batch_norm_eval",
        lambda m, x, mean, var, w=None, b=None, **k: _F(m).batch_norm(
            x, mean, var, w, b, training=False, **k
        ),
        np_batch_norm_eval,
        [
            Sample((F((4, 3)), U((3,)), U((3,), 0.5, 2.0), F((3,)), F((3,)))),
            Sample((F((2, 3, 4)), U((3,)), U((3,), 0.5, 2.0))),
            Sample((F((2, 2, 3, 3)), U((2,)), U((2,), 0.5, 2.0), F((2,)), F((2,))), {"eps": 1e-3}),
        ],
        gradgrad=True,
        int_inputs=False,
    ),
    OpSpec(
        "layer_norm",
        lambda m, x, w=None, b=None, normalized_shape=None, **k: _F(m).layer_norm(
            x, normalized_shape, w, b, **k
        ),
        np_layer_norm,
        samples(
            ((3, 4), {"normalized_shape": (4,)}),
            ((3, 4), (4,), (4,), {"normalized_shape": (4,)}),
            ((2, 3, 4), (3, 4), (3, 4), {"normalized_shape": (3, 4), "eps": 1e-3}),
            ((2, 3, 4), {"normalized_shape": (2, 3, 4)}),
            ((5,), (5,), (5,), {"normalized_shape": (5,)}),
            ((0, 4), (4,), (4,), {"normalized_shape": (4,)}),
        ),
        gradgrad=True,
        int_inputs=False,
    ),
    OpSpec(
        "embedding",
        lambda m, i, w, **k: _F(m).embedding(i, w, **k),
        np_embedding,
        [
            Sample((I((5,), 4), F((4, 3)))),
            Sample((I((2, 3), 6), F((6, 2)))),
            Sample((I((), 5), F((5, 3)))),
            Sample((I((0,), 3), F((3, 2)))),
        ],
        gradgrad=True,
    ),
    OpSpec(
        # The padding row gets no gradient by definition, so finite differences disagree with backward on
        # purpose: no gradcheck (gradcheck_max_numel=0); torch's backward is the reference for the gradient.
        "embedding_padding_idx",
        lambda m, i, w, **k: _F(m).embedding(i, w, **k),
        np_embedding,
        [
            Sample((I((6,), 4, ignore=1), F((4, 3))), {"padding_idx": 1}),
            Sample((I((2, 4), 5, ignore=4), F((5, 2))), {"padding_idx": -1}),
        ],
        gradgrad=True,
        gradcheck_max_numel=0,
    ),
]

OPS_BY_NAME = {spec.name: spec for spec in OPS}
assert len(OPS_BY_NAME) == len(OPS), "duplicate op names in the table"

# ---------------------------------------------------------------------------------------------------------
# The torch surface: elementwise math (rounding, trigonometry, special functions, integer division, extrema)


def _mp(fn):
    """A float64 numpy reference from an mpmath function (special functions numpy lacks)."""
    import mpmath

    vec = np.vectorize(lambda v: float(fn(mpmath, float(v))), otypes=[np.float64])
    return lambda x: np.asarray(vec(x), dtype=np.float64)


def np_floor_divide(a, b):
    return np.floor_divide(a, b)


def np_logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def np_xlogy(x, y):
    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def np_lerp(start, end, weight):
    return start + weight * (end - start)


def _nonint_ratio(low=-3.0, high=3.0):
    """Dividends whose ratio to divisors in [0.5, 2) stays away from integers (floor is smooth there)."""
    return away([k / 4 for k in range(-24, 25)], 0.02, low, high)


POSITIVE_DIVISOR = uniform(0.5, 2.0)
UNIT = uniform(-0.9, 0.9)

OPS += [
    unary("floor", np.floor, domain=away(range(-3, 4))),
    unary("ceil", np.ceil, domain=away(range(-3, 4))),
    unary("trunc", np.trunc, domain=away(range(-3, 4))),
    unary("frac", lambda x: x - np.trunc(x), domain=away(range(-3, 4))),
    OpSpec(
        "round",
        lambda m, x, **k: m.round(x, **k),
        lambda x, decimals=0: np.round(x, decimals),
        samples(((3, 4),), ((5,), {"decimals": 2}), ((), {"decimals": -1}), ((0, 3),)),
        domain=away([k / 2 for k in range(-8, 9)], 0.02),
    ),
    unary("reciprocal", np.reciprocal, domain=away([0.0], 0.3), gradgrad=True),
    unary("tan", np.tan, domain=uniform(-1.2, 1.2), gradgrad=True),
    unary("asin", np.arcsin, domain=UNIT),
    unary("acos", np.arccos, domain=UNIT),
    unary("atan", np.arctan),
    unary("sinh", np.sinh),
    unary("cosh", np.cosh),
    unary("asinh", np.arcsinh),
    unary("acosh", np.arccosh, domain=uniform(1.2, 3.0)),
    unary("atanh", np.arctanh, domain=UNIT),
    unary("exp2", np.exp2),
    unary("expm1", np.expm1, gradgrad=True),
    unary("log2", np.log2, domain=POSITIVE),
    unary("log10", np.log10, domain=POSITIVE),
    unary("erfc", _mp(lambda mp, v: mp.erfc(v))),
    unary("erfinv", _mp(lambda mp, v: mp.erfinv(v)), domain=UNIT),
    unary(
        "lgamma",
        _mp(lambda mp, v: mp.log(abs(mp.gamma(v)))),
        domain=away(range(-3, 1), 0.1, -2.5, 3.0),
    ),
    unary(
        "digamma",
        _mp(lambda mp, v: mp.digamma(v)),
        domain=away(range(-3, 1), 0.1, -2.5, 3.0),
        rtol64=1e-9,  # its gradient, trigamma, is torch's to about 1e-9
    ),
    OpSpec(
        "polygamma",
        lambda m, x, n: m.polygamma(n, x),
        lambda x, n: _mp(lambda mp, v: mp.polygamma(n, v))(x),
        [
            Sample((F((3, 4)),), {"n": 1}),
            Sample((F((5,)),), {"n": 2}),
            Sample((F((0, 2)),), {"n": 3}),
        ],
        domain=uniform(0.5, 3.0),
        rtol32=1e-4,
        rtol64=1e-8,  # torch's trigamma (n = 1) is good to about 1e-9
        int_inputs=False,
    ),
    OpSpec(
        "logit",
        lambda m, x, **k: m.logit(x, **k),
        np_logit,
        samples(((3, 4),), ((5,), {"eps": 0.2}), ((),), ((0, 3),)),
        domain=away([0.2, 0.8], 0.02, 0.05, 0.95),
    ),
    OpSpec(
        "nan_to_num",
        lambda m, x, **k: m.nan_to_num(x, **k),
        lambda x, **k: np.nan_to_num(x, **k),
        samples(((3, 4),), ((5,), {"nan": 1.0, "posinf": 2.0, "neginf": -2.0}), ((0, 3),)),
    ),
    # ---- binary
    binary(
        "floor_divide",
        np_floor_divide,
        domain=(_nonint_ratio(), POSITIVE_DIVISOR),
        extra=samples(((3,), S(2.5)), ((3,), S(-2))),
        grad=False,
    ),
    binary(
        "remainder",
        np.remainder,
        domain=(_nonint_ratio(), POSITIVE_DIVISOR),
        extra=samples(((3,), S(1.5)), ((3,), S(-2))),
    ),
    binary(
        "fmod", np.fmod, domain=(_nonint_ratio(), POSITIVE_DIVISOR), extra=samples(((3,), S(-1.5)))
    ),
    OpSpec(
        "div_floor",
        lambda m, a, b: m.div(a, b, rounding_mode="floor"),
        np.floor_divide,
        BINARY,
        domain=(_nonint_ratio(), POSITIVE_DIVISOR),
    ),
    OpSpec(
        "div_trunc",
        lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
        lambda a, b: np.trunc(a / b),
        BINARY,
        domain=(_nonint_ratio(), POSITIVE_DIVISOR),
    ),
    binary("atan2", np.arctan2, domain=(DEFAULT, away([0.0], 0.2)), gradgrad=True),
    binary("hypot", np.hypot, domain=away([0.0], 0.2)),
    binary("copysign", np.copysign, domain=away([0.0], 0.1)),
    binary("logaddexp", np.logaddexp, gradgrad=True),
    binary("logaddexp2", np.logaddexp2),
    binary("xlogy", np_xlogy, domain=(DEFAULT, POSITIVE), extra=samples(((3,), S(2.0)))),
    binary("fmax", np.fmax, domain=integers(-3, 4), grad=False),
    binary("fmin", np.fmin, domain=integers(-3, 4), grad=False),
    OpSpec("fmax_smooth", lambda m, a, b: m.fmax(a, b), np.fmax, BINARY),
    OpSpec("fmin_smooth", lambda m, a, b: m.fmin(a, b), np.fmin, BINARY),
    OpSpec(
        "lerp",
        lambda m, a, b, w: m.lerp(a, b, w),
        np_lerp,
        samples(
            ((3, 4), (3, 4), (3, 4)),
            ((3, 4), (4,), S(0.3)),
            ((2, 1), (3,), S(0.8)),
            ((0, 2), (0, 2), S(0.5)),
        ),
        domain=(DEFAULT, DEFAULT, uniform(0.0, 1.0)),
        int_inputs=False,
    ),
    OpSpec(
        "addcmul",
        lambda m, x, a, b, **k: m.addcmul(x, a, b, **k),
        lambda x, a, b, value=1: x + value * a * b,
        samples(
            ((3, 4), (3, 4), (4,)), ((3, 4), (3, 1), (4,), {"value": 0.5}), ((0, 2), (1, 2), (2,))
        ),
        gradgrad=True,
    ),
    OpSpec(
        "addcdiv",
        lambda m, x, a, b, **k: m.addcdiv(x, a, b, **k),
        lambda x, a, b, value=1: x + value * a / b,
        samples(
            ((3, 4), (3, 4), (4,)), ((3, 4), (3, 1), (4,), {"value": -2.0}), ((0, 2), (1, 2), (2,))
        ),
        domain=(DEFAULT, DEFAULT, away([0.0], 0.3)),
        int_inputs=False,
    ),
    OpSpec(
        "clamp_tensor_bounds",
        lambda m, x, lo, hi: m.clamp(x, lo, hi),
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        samples(((3, 4), (4,), (3, 1)), ((5,), (5,), ()), ((0, 2), (2,), (1, 2))),
        domain=(away([-0.5, 0.5], 0.05), uniform(-1.0, -0.1), uniform(0.1, 1.0)),
    ),
    OpSpec(
        "clamp_min",
        lambda m, x, lo: m.clamp_min(x, lo),
        np.maximum,
        samples(((3, 4), (4,)), ((5,), S(0.2)), ((0, 2), (2,))),
        domain=(away([-0.5, 0.2, 0.5]), uniform(-0.6, 0.6)),
    ),
    OpSpec(
        "clamp_max",
        lambda m, x, hi: m.clamp_max(x, hi),
        np.minimum,
        samples(((3, 4), (4,)), ((5,), S(0.2)), ((0, 2), (2,))),
        domain=(away([-0.5, 0.2, 0.5]), uniform(-0.6, 0.6)),
    ),
    OpSpec(
        "isclose",
        lambda m, a, b, **k: m.isclose(a, b, **k),
        lambda a, b, **k: np.isclose(a, b, **k),
        samples(((3, 4), (3, 4)), ((3, 4), (3, 4), {"rtol": 0.5, "atol": 0.1}), ((0, 2), (0, 2))),
        grad=False,
        int_inputs=False,
    ),
    OpSpec(
        "logical_xor",
        lambda m, a, b: m.logical_xor(a, b),
        np.logical_xor,
        BINARY,
        domain=integers(-1, 2),
        grad=False,
    ),
]
for _name, _ref in [
    ("isnan", np.isnan),
    ("isinf", np.isinf),
    ("isfinite", np.isfinite),
    ("isposinf", np.isposinf),
    ("isneginf", np.isneginf),
    ("signbit", np.signbit),
    ("logical_not", np.logical_not),
]:
    OPS.append(unary(_name, _ref, grad=False))

OPS_BY_NAME = {spec.name: spec for spec in OPS}
assert len(OPS_BY_NAME) == len(OPS), "duplicate op names in the table"

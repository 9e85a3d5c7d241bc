"""Network ops in the C++ core (conv2d, pooling, batch_norm, layer_norm, embedding, the dropout mask):
forward and backward against torch.nn.functional, gradcheck in float64, double backward, bad shapes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import (
    ISAS,
    forced_isa,
    make_rng,
    non_contiguous,
    num_threads,
    to_numpy,
    to_pygrad,
)

import pygrad
from pygrad import _C
from pygrad.autograd.gradcheck import gradcheck, gradgradcheck

TOL = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-11}}


def pair(a, dtype=np.float64, requires_grad=True):
    """The same values as a pygrad leaf and a torch leaf."""
    a = np.asarray(a, dtype=dtype)
    t = torch.tensor(a, requires_grad=requires_grad)
    return to_pygrad(a, requires_grad=requires_grad), t


def assert_close(p, t, dtype=np.float64):
    np.testing.assert_allclose(to_numpy(p), t.detach().numpy(), **TOL[dtype])


def check_forward_backward(p_fn, t_fn, arrays, dtype=np.float64, seed=0):
    """p_fn(*pygrad tensors) vs t_fn(*torch tensors): values, and every input's gradient for a random upstream grad."""
    ps, ts = zip(*(pair(a, dtype) for a in arrays))
    p_out, t_out = p_fn(*ps), t_fn(*ts)
    assert tuple(p_out.shape) == tuple(t_out.shape)
    assert_close(p_out, t_out, dtype)
    upstream = make_rng("upstream", seed).standard_normal(tuple(t_out.shape)).astype(dtype)
    p_out.backward(pygrad.from_numpy(upstream.copy()))
    t_out.backward(torch.tensor(upstream))
    for p, t in zip(ps, ts):
        assert p.grad is not None
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), **TOL[dtype])


# ---------------------------------------------------------------- conv2d
CONV_CASES = [
    # (N, C, H, W), (O, kh, kw), stride, padding, dilation, groups, bias
    ((2, 3, 7, 7), (4, 3, 3), 1, 0, 1, 1, True),
    ((2, 3, 8, 9), (5, 3, 2), 2, 1, 1, 1, True),
    ((1, 4, 9, 8), (6, 3, 3), (2, 1), (1, 2), (2, 1), 2, False),
    ((3, 6, 6, 7), (6, 3, 3), 1, 1, 1, 6, True),  # depthwise
    ((2, 4, 5, 5), (8, 1, 1), 1, 0, 1, 1, True),  # pointwise fast path
    ((2, 4, 6, 6), (8, 1, 1), 2, 0, 1, 2, False),  # strided 1x1
    ((2, 2, 10, 10), (3, 5, 5), 3, 2, 1, 1, True),  # stride leaves input rows unused
    ((1, 3, 5, 5), (2, 3, 3), 1, 0, 2, 1, True),  # dilated kernel as large as the input
    ((4, 1, 28, 28), (16, 3, 3), 1, 1, 1, 1, True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_matches_torch(case, dtype):
    shape, (o, kh, kw), stride, padding, dilation, groups, bias = CONV_CASES[case]
    rng = make_rng("conv2d", case)
    arrays = [rng.standard_normal(shape), rng.standard_normal((o, shape[1] // groups, kh, kw))]
    if bias:
        arrays.append(rng.standard_normal(o))
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    check_forward_backward(
        lambda *a: _C.conv2d(*a, **kwargs), lambda *a: F.conv2d(*a, **kwargs), arrays, dtype, case
    )


def test_conv2d_unbatched_and_string_padding():
    rng = make_rng("conv2d_unbatched")
    x, w = rng.standard_normal((3, 6, 5)), rng.standard_normal((2, 3, 3, 3))
    check_forward_backward(
        lambda a, b: _C.conv2d(a, b, padding="same"),
        lambda a, b: F.conv2d(a, b, padding="same"),
        [x, w],
    )
    check_forward_backward(
        lambda a, b: _C.conv2d(a, b, padding="valid"),
        lambda a, b: F.conv2d(a, b, padding="valid"),
        [x, w],
    )


def test_conv2d_non_contiguous_inputs():
    rng = make_rng("conv2d_noncontig")
    x, w, b = (
        rng.standard_normal((2, 4, 6, 5)),
        rng.standard_normal((4, 2, 3, 2)),
        rng.standard_normal(4),
    )
    px = non_contiguous(x, "transpose", requires_grad=True)
    pw = non_contiguous(w, "step", requires_grad=True)
    pb = non_contiguous(b, "step", requires_grad=True)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = _C.conv2d(px, pw, pb, stride=(1, 2), padding=1, groups=2)
    ref = F.conv2d(tx, tw, tb, stride=(1, 2), padding=1, groups=2)
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    for p, t in [(px, tx), (pw, tw), (pb, tb)]:
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize(
    "stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 2), (1, 1, 2, 1)]
)
def test_conv2d_gradcheck(stride, padding, dilation, groups):
    rng = make_rng("conv2d_gradcheck", stride, padding, dilation, groups)
    x = to_pygrad(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = to_pygrad(rng.standard_normal((2, 2 // groups, 3, 3)), requires_grad=True)
    b = to_pygrad(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(
        lambda x, w, b: _C.conv2d(x, w, b, stride, padding, dilation, groups), (x, w, b)
    )


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_double_backward_matches_torch(groups):
    """Gradients of an input-gradient and of a weight-gradient, each taken with create_graph."""
    rng = make_rng("conv2d_double", groups)
    x, w = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((4, 4 // groups, 3, 3))
    kwargs = {"stride": 2, "padding": 1, "groups": groups}
    (px, tx), (pw, tw) = pair(x), pair(w)
    for wrt in (0, 1):
        p_out = _C.conv2d(px, pw, **kwargs)
        t_out = F.conv2d(tx, tw, **kwargs)
        (p_g,) = pygrad.autograd.grad([(p_out * p_out).sum()], [(px, pw)[wrt]], create_graph=True)
        (t_g,) = torch.autograd.grad((t_out * t_out).sum(), [(tx, tw)[wrt]], create_graph=True)
        assert_close(p_g, t_g)
        p_gg = pygrad.autograd.grad([(p_g * p_g).sum()], [px, pw])
        t_gg = torch.autograd.grad((t_g * t_g).sum(), [tx, tw])
        for p, t in zip(p_gg, t_gg):
            np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-9, atol=1e-9)


def test_conv2d_backward_primitives_gradcheck():
    rng = make_rng("conv2d_backward_gradcheck")
    x = to_pygrad(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = to_pygrad(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)

    def input_grad(x, w):
        with pygrad.enable_grad():  # gradcheck's finite differences run under no_grad
            (g,) = pygrad.autograd.grad(
                [(_C.conv2d(x, w, stride=2, padding=1) ** 2).sum()], [x], create_graph=True
            )
        return g

    def weight_grad(x, w):
        with pygrad.enable_grad():
            (g,) = pygrad.autograd.grad(
                [(_C.conv2d(x, w, stride=2, padding=1) ** 2).sum()], [w], create_graph=True
            )
        return g

    assert gradcheck(input_grad, (x, w))
    assert gradcheck(weight_grad, (x, w))


def test_conv2d_same_result_at_any_thread_count():
    rng = make_rng("conv2d_threads")
    x = to_pygrad(rng.standard_normal((8, 3, 12, 12)).astype(np.float32), requires_grad=True)
    w = to_pygrad(rng.standard_normal((5, 3, 3, 3)).astype(np.float32), requires_grad=True)
    previous = _C.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            _C.set_num_threads(threads)
            x.grad = None
            w.grad = None
            out = _C.conv2d(x, w, padding=1)
            (out * out).sum().backward()
            results.append((to_numpy(out), x.grad.numpy().copy(), w.grad.numpy().copy()))
    finally:
        _C.set_num_threads(previous)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs,error,match",
    [
        (
            (3, 4),
            (2, 3, 3, 3),
            {},
            ValueError,
            r"\[conv2d\] expected 3-d \(unbatched\) or 4-d \(batched\) input, got input of shape \[3, 4\]",
        ),
        ((1, 3, 5, 5), (2, 3, 3), {}, ValueError, r"\[conv2d\] expected weight with 4 dims"),
        ((1, 4, 5, 5), (2, 3, 3, 3), {}, ValueError, r"\[conv2d\].*expects input with 3 channels"),
        (
            (1, 4, 5, 5),
            (2, 2, 3, 3),
            {"groups": 3},
            ValueError,
            r"\[conv2d\] input channels 4 are not divisible by groups=3",
        ),
        (
            (1, 4, 5, 5),
            (3, 2, 3, 3),
            {"groups": 2},
            ValueError,
            r"\[conv2d\].*out channels are not divisible",
        ),
        (
            (1, 4, 5, 5),
            (2, 4, 3, 3),
            {"groups": 0},
            ValueError,
            r"\[conv2d\] groups must be positive",
        ),
        (
            (1, 3, 2, 2),
            (2, 3, 3, 3),
            {},
            ValueError,
            r"\[conv2d\] kernel size 3 .*larger than the padded input size 2",
        ),
        (
            (1, 3, 5, 5),
            (2, 3, 3, 3),
            {"stride": 0},
            ValueError,
            r"\[conv2d\] stride must be positive",
        ),
        (
            (1, 3, 5, 5),
            (2, 3, 3, 3),
            {"padding": -1},
            ValueError,
            r"\[conv2d\] padding must be non-negative",
        ),
        (
            (1, 3, 5, 5),
            (2, 3, 3, 3),
            {"stride": (1, 2, 3)},
            ValueError,
            r"\[conv2d\] stride must be an int or 2 ints",
        ),
        (
            (1, 3, 5, 5),
            (2, 3, 3, 3),
            {"padding": "full"},
            ValueError,
            r"\[conv2d\] padding must be",
        ),
    ],
)
def test_conv2d_errors(x_shape, w_shape, kwargs, error, match):
    with pytest.raises(error, match=match):
        _C.conv2d(pygrad.zeros(x_shape), pygrad.zeros(w_shape), **kwargs)


def test_conv2d_dtype_and_bias_errors():
    with pytest.raises(
        TypeError, match=r"\[conv2d\] expected weight of dtype float32, got float64"
    ):
        _C.conv2d(pygrad.zeros((1, 1, 3, 3)), pygrad.zeros((1, 1, 3, 3), dtype=pygrad.float64))
    with pytest.raises(ValueError, match=r"\[conv2d\] expected bias of shape \[2\], got \[3\]"):
        _C.conv2d(pygrad.zeros((1, 1, 3, 3)), pygrad.zeros((2, 1, 3, 3)), pygrad.zeros(3))
    with pytest.raises(TypeError, match=r"\[conv2d\] expected a floating point input"):
        _C.conv2d(
            pygrad.zeros((1, 1, 3, 3), dtype=pygrad.int64),
            pygrad.zeros((2, 1, 3, 3), dtype=pygrad.int64),
        )


# ---------------------------------------------------------------- pooling
MAX_POOL_CASES = [
    # shape, kernel_size, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, False),
    ((1, 2, 7, 7), 3, 2, 1, 1, True),
    ((2, 2, 9, 8), (3, 2), (2, 1), (1, 0), (2, 1), False),
    ((1, 3, 10, 10), 3, 3, 0, 2, True),
    ((1, 1, 5, 5), 2, 2, 1, 1, True),  # ceil_mode drops the window starting in the padding
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(MAX_POOL_CASES)))
def test_max_pool2d_matches_torch(case, dtype):
    shape, k, s, p, d, ceil = MAX_POOL_CASES[case]
    x = (
        make_rng("max_pool2d", case).permutation(np.prod(shape)).reshape(shape).astype(dtype)
    )  # no ties
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil}
    check_forward_backward(
        lambda a: _C.max_pool2d(a, **kwargs), lambda a: F.max_pool2d(a, **kwargs), [x], dtype, case
    )
    values, indices = _C.max_pool2d(to_pygrad(x), return_indices=True, **kwargs)
    t_values, t_indices = F.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert indices.dtype == pygrad.int64
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())


@pytest.mark.parametrize("isa", ISAS)
def test_max_pool2d_2x2_rows_at_every_level(isa):
    """The 2x2 stride-2 fast path (AVX-512 16 outputs at a time, SSE2 4, then scalar) on rows of 7 to 40 outputs:
    values and argmax indices as PyTorch's, ties resolved to the first element, NaN winning as in the scalar scan."""
    rng = make_rng("max_pool2d_levels")
    for width in (2, 14, 30, 32, 34, 80):
        x = rng.integers(0, 5, size=(2, 3, 6, width)).astype(np.float32)  # many ties
        x[0, 0, 1, 3 % width] = x[1, 2, 4, 17 % width] = x[1, 1, 0, width - 1] = np.nan
        with forced_isa(isa):
            values, indices = _C.max_pool2d(to_pygrad(x), 2, return_indices=True)
        t_values, t_indices = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(values.numpy(), t_values.numpy())
        finite = ~np.isnan(
            t_values.numpy()
        )  # a NaN's index follows the scan order; PyTorch's may differ
        np.testing.assert_array_equal(indices.numpy()[finite], t_indices.numpy()[finite])
        with forced_isa("portable"):
            _, portable_indices = _C.max_pool2d(to_pygrad(x), 2, return_indices=True)
        np.testing.assert_array_equal(indices.numpy(), portable_indices.numpy())


def test_max_pool2d_overlapping_windows_accumulate_and_nan_wins():
    x = np.array([[[[1.0, 5.0, 2.0], [0.0, 3.0, 1.0], [4.0, 0.0, 2.0]]]])
    check_forward_backward(lambda a: _C.max_pool2d(a, 2, 1), lambda a: F.max_pool2d(a, 2, 1), [x])
    x[0, 0, 1, 1] = np.nan
    out = _C.max_pool2d(to_pygrad(x), 2, 1).numpy()
    assert np.isnan(out).all()


def test_max_pool2d_unbatched_non_contiguous_and_double_backward():
    x = make_rng("max_pool2d_nc").permutation(2 * 6 * 6).reshape(2, 6, 6).astype(np.float64)
    px = non_contiguous(x, "transpose", requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out, ref = _C.max_pool2d(px, 2), F.max_pool2d(tx, 2)
    assert_close(out, ref)
    (g,) = pygrad.autograd.grad([(out * out).sum()], [px], create_graph=True)
    (tg,) = torch.autograd.grad((ref * ref).sum(), [tx], create_graph=True)
    assert_close(g, tg)
    (gg,) = pygrad.autograd.grad([(g * g).sum()], [px])
    (tgg,) = torch.autograd.grad((tg * tg).sum(), [tx])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy())


def test_max_pool2d_gradcheck():
    x = make_rng("max_pool2d_gc").permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) / 10.0
    px = to_pygrad(x, requires_grad=True)
    assert gradcheck(lambda a: _C.max_pool2d(a, 3, 2, 1, ceil_mode=True), (px,))


AVG_POOL_CASES = [
    # shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, False, None),
    ((1, 2, 7, 7), 3, 2, 1, True, True, None),
    ((1, 2, 7, 7), 3, 2, 1, True, False, None),
    ((2, 2, 9, 8), (3, 2), (2, 1), (1, 0), True, False, None),
    ((1, 2, 6, 6), 3, 2, 1, False, True, 5),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(AVG_POOL_CASES)))
def test_avg_pool2d_matches_torch(case, dtype):
    shape, k, s, p, ceil, include, divisor = AVG_POOL_CASES[case]
    x = make_rng("avg_pool2d", case).standard_normal(shape)
    kwargs = {
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "ceil_mode": ceil,
        "count_include_pad": include,
        "divisor_override": divisor,
    }
    check_forward_backward(
        lambda a: _C.avg_pool2d(a, **kwargs), lambda a: F.avg_pool2d(a, **kwargs), [x], dtype, case
    )


def test_avg_pool2d_gradcheck_and_double_backward():
    rng = make_rng("avg_pool2d_gc")
    px = to_pygrad(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(
        lambda a: _C.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False), (px,)
    )

    def input_grad(a):
        with pygrad.enable_grad():
            (g,) = pygrad.autograd.grad(
                [(_C.avg_pool2d(a, 2, 1, 1) ** 3).sum()], [a], create_graph=True
            )
        return g

    assert gradcheck(input_grad, (px,))


@pytest.mark.parametrize(
    "shape,output_size",
    [
        ((2, 3, 8, 8), 4),
        ((2, 3, 7, 9), (3, 4)),
        ((1, 2, 5, 5), (5, 2)),
        ((1, 2, 6, 7), (None, 3)),
        ((2, 3, 4, 4), 1),
        ((3, 5, 5), (2, 3)),
    ],
)
def test_adaptive_avg_pool2d_matches_torch(shape, output_size):
    x = make_rng("adaptive", shape).standard_normal(shape)
    check_forward_backward(
        lambda a: _C.adaptive_avg_pool2d(a, output_size),
        lambda a: F.adaptive_avg_pool2d(a, output_size),
        [x],
    )


def test_adaptive_avg_pool2d_gradcheck_and_non_contiguous():
    x = make_rng("adaptive_gc").standard_normal((1, 2, 5, 4))
    assert gradcheck(
        lambda a: _C.adaptive_avg_pool2d(a, (3, 3)), (to_pygrad(x, requires_grad=True),)
    )
    px = non_contiguous(x, "transpose")
    assert_close(_C.adaptive_avg_pool2d(px, (2, 3)), F.adaptive_avg_pool2d(torch.tensor(x), (2, 3)))


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda x: _C.max_pool2d(x[0, 0], 2),
            r"\[max_pool2d\] expected input with 4 dims \[N, C, H, W\]",
        ),
        (
            lambda x: _C.max_pool2d(x, 2, padding=2),
            r"\[max_pool2d\] pad should be at most half of kernel size",
        ),
        (
            lambda x: _C.max_pool2d(x, 7),
            r"\[max_pool2d\] input of shape \[1, 2, 5, 5\] is too small",
        ),
        (lambda x: _C.max_pool2d(x, 0), r"\[max_pool2d\] kernel_size must be positive"),
        (lambda x: _C.avg_pool2d(x, 2, stride=0), r"\[avg_pool2d\] stride must be positive"),
        (
            lambda x: _C.avg_pool2d(x, 6),
            r"\[avg_pool2d\] input of shape \[1, 2, 5, 5\] is too small",
        ),
        (
            lambda x: _C.avg_pool2d(x, 2, divisor_override=0),
            r"\[avg_pool2d\] divisor must be not zero",
        ),
        (
            lambda x: _C.adaptive_avg_pool2d(x, (0, 2)),
            r"\[adaptive_avg_pool2d\] output_size must be positive",
        ),
        (
            lambda x: _C.adaptive_avg_pool2d(x, (1, 2, 3)),
            r"\[adaptive_avg_pool2d\] output_size must be an int or a pair",
        ),
        (
            lambda x: _C.adaptive_avg_pool2d(x.reshape(10, 5), 2),
            r"\[adaptive_avg_pool2d\] expected input with 4 dims",
        ),
    ],
)
def test_pool_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(pygrad.zeros((1, 2, 5, 5)))


# ---------------------------------------------------------------- batch_norm
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_training_matches_torch(shape, affine, dtype):
    rng = make_rng("batch_norm", shape, affine)
    c = shape[1]
    arrays = [rng.standard_normal(shape) * 2 + 1]
    if affine:
        arrays += [rng.standard_normal(c), rng.standard_normal(c)]
    stats = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    p_rm, p_rv = to_pygrad(stats[0]), to_pygrad(stats[1])
    t_rm, t_rv = torch.tensor(stats[0]), torch.tensor(stats[1])

    def p_fn(x, *wb):
        return _C.batch_norm(x, p_rm, p_rv, *wb, training=True, momentum=0.3, eps=1e-4)

    def t_fn(x, *wb):
        return F.batch_norm(x, t_rm, t_rv, *wb, training=True, momentum=0.3, eps=1e-4)

    check_forward_backward(p_fn, t_fn, arrays, dtype)
    np.testing.assert_allclose(p_rm.numpy(), t_rm.numpy(), **TOL[dtype])
    np.testing.assert_allclose(p_rv.numpy(), t_rv.numpy(), **TOL[dtype])
    assert not p_rm.requires_grad and p_rm.grad_fn is None


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
def test_batch_norm_eval_matches_torch(shape):
    rng = make_rng("batch_norm_eval", shape)
    c = shape[1]
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    arrays = [rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)]
    p_rm, p_rv = to_pygrad(rm), to_pygrad(rv)
    check_forward_backward(
        lambda x, w, b: _C.batch_norm(x, p_rm, p_rv, w, b),
        lambda x, w, b: F.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
        arrays,
    )
    np.testing.assert_array_equal(p_rm.numpy(), rm)  # eval never updates the running statistics
    np.testing.assert_array_equal(p_rv.numpy(), rv)


def test_batch_norm_without_running_stats_and_non_contiguous():
    rng = make_rng("batch_norm_nc")
    x = rng.standard_normal((4, 3, 5))
    px = non_contiguous(x, "transpose", requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = _C.batch_norm(px, None, None, training=True)
    ref = F.batch_norm(tx, None, None, training=True)
    assert_close(out, ref)
    (out * out * out).sum().backward()
    (ref * ref * ref).sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_batch_norm_gradcheck():
    rng = make_rng("batch_norm_gc")
    x = to_pygrad(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    w = to_pygrad(rng.standard_normal(2), requires_grad=True)
    b = to_pygrad(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: _C.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    rm, rv = to_pygrad(rng.standard_normal(2)), to_pygrad(rng.uniform(0.5, 2, 2))
    assert gradcheck(lambda x, w, b: _C.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


def test_batch_norm_errors():
    x = pygrad.zeros((4, 3, 2))
    with pytest.raises(
        ValueError,
        match=r"\[batch_norm\] expected input with at least 2 dims \[N, C, \*\], got \[4\]",
    ):
        _C.batch_norm(pygrad.zeros(4), None, None, training=True)
    with pytest.raises(
        ValueError, match=r"\[batch_norm\] expected weight of shape \[3\], got \[4\]"
    ):
        _C.batch_norm(x, None, None, pygrad.ones(4), training=True)
    with pytest.raises(
        ValueError, match=r"\[batch_norm\] expected running statistics of shape \[3\], got \[2\]"
    ):
        _C.batch_norm(x, pygrad.zeros(2), pygrad.ones(2), training=True)
    with pytest.raises(
        ValueError, match=r"\[batch_norm\] expected more than 1 value per channel when training"
    ):
        _C.batch_norm(pygrad.zeros((1, 3)), None, None, training=True)
    with pytest.raises(
        ValueError, match=r"\[batch_norm\] running_mean and running_var must be defined"
    ):
        _C.batch_norm(x, None, None, training=False)


# ---------------------------------------------------------------- layer_norm
@pytest.mark.parametrize(
    "shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((3, 5), 5), ((7,), (7,))]
)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_matches_torch(shape, normalized, affine, dtype):
    rng = make_rng("layer_norm", shape, affine)
    norm = (normalized,) if isinstance(normalized, int) else normalized
    arrays = [rng.standard_normal(shape) * 3 - 1]
    if affine:
        arrays += [rng.standard_normal(norm), rng.standard_normal(norm)]
    check_forward_backward(
        lambda x, *wb: _C.layer_norm(x, normalized, *wb, eps=1e-4),
        lambda x, *wb: F.layer_norm(x, norm, *wb, eps=1e-4),
        arrays,
        dtype,
    )


def test_layer_norm_gradcheck_and_errors():
    rng = make_rng("layer_norm_gc")
    x = to_pygrad(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = to_pygrad(rng.standard_normal(4), requires_grad=True)
    b = to_pygrad(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: _C.layer_norm(x, (4,), w, b), (x, w, b))
    with pytest.raises(
        ValueError, match=r"\[layer_norm\] expected input with shape \[\*, 3, 5\], got \[2, 3, 4\]"
    ):
        _C.layer_norm(x, (3, 5))
    with pytest.raises(
        ValueError, match=r"\[layer_norm\] expected weight of shape \[4\], got \[3\]"
    ):
        _C.layer_norm(x, 4, pygrad.ones(3, dtype=pygrad.float64))


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_double_backward_matches_torch(affine):
    # create_graph runs the op-by-op form of the fused gradient: second derivatives against torch and FD.
    rng = make_rng("layer_norm_gg", affine)
    x = rng.standard_normal((3, 2, 5))
    wb = [rng.standard_normal(5), rng.standard_normal(5)] if affine else []
    px = to_pygrad(x, requires_grad=True)
    pwb = [to_pygrad(a, requires_grad=True) for a in wb]
    tx = torch.tensor(x, requires_grad=True)
    twb = [torch.tensor(a, requires_grad=True) for a in wb]
    (pg,) = pygrad.autograd.grad([(_C.layer_norm(px, 5, *pwb) ** 3).sum()], [px], create_graph=True)
    (tg,) = torch.autograd.grad((F.layer_norm(tx, (5,), *twb) ** 3).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(to_numpy(pg), tg.detach().numpy(), 1e-10, 1e-10)
    second_p = pygrad.autograd.grad([(pg * pg).sum()], [px, *pwb])
    second_t = torch.autograd.grad((tg * tg).sum(), [tx, *twb])
    for a, b in zip(second_p, second_t):
        np.testing.assert_allclose(to_numpy(a), b.numpy(), 1e-9, 1e-9)
    assert gradgradcheck(lambda a, *p: _C.layer_norm(a, 5, *p), (px, *pwb))


def test_layer_norm_fused_edge_cases():
    rng = make_rng("layer_norm_edge")
    # No rows: empty output, zero parameter gradients.
    x = pygrad.zeros(0, 4, requires_grad=True)
    w, b = pygrad.ones(4, requires_grad=True), pygrad.zeros(4, requires_grad=True)
    _C.layer_norm(x, 4, w, b).sum().backward()
    np.testing.assert_array_equal(to_numpy(w.grad), 0)
    assert x.grad.shape == (0, 4)
    # bfloat16 computes in float32 and rounds once, as torch does.
    xv = rng.standard_normal((6, 40)).astype(np.float32)
    pb = _C.layer_norm(pygrad.from_numpy(xv).to(pygrad.bfloat16), 40)
    tb = F.layer_norm(torch.tensor(xv).to(torch.bfloat16), (40,))
    assert pb.dtype == pygrad.bfloat16
    np.testing.assert_allclose(to_numpy(pb.float()), tb.float().numpy(), 1e-2, 1e-2)
    # A non-contiguous input and many rows: the same result at 1 and 2 threads, bit for bit.
    big = rng.standard_normal((300, 2 * 33)).astype(np.float32)
    grads = []
    for n in (1, 2):
        with num_threads(n):
            xt = pygrad.from_numpy(big)[:, ::2].detach().requires_grad_(True)
            wt, bt = pygrad.ones(33, requires_grad=True), pygrad.zeros(33, requires_grad=True)
            (_C.layer_norm(xt, 33, wt, bt) * pygrad.from_numpy(big[:, :33])).sum().backward()
            grads.append([to_numpy(t.grad) for t in (xt, wt, bt)])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    ref = F.layer_norm(torch.tensor(big[:, ::2]), (33,))
    np.testing.assert_allclose(
        to_numpy(_C.layer_norm(pygrad.from_numpy(big)[:, ::2], 33)), ref.numpy(), 1e-5, 1e-5
    )


# ---------------------------------------------------------------- embedding
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    rng = make_rng("embedding", padding_idx)
    weight = rng.standard_normal((6, 4))
    idx = rng.integers(0, 6, size=(3, 5))
    idx[0, :3] = [2, 5, 2]  # repeated rows accumulate; padding rows get nothing
    p_idx, t_idx = pygrad.from_numpy(idx.astype(np.int64)), torch.tensor(idx)
    check_forward_backward(
        lambda w: _C.embedding(p_idx, w, padding_idx=padding_idx),
        lambda w: F.embedding(t_idx, w, padding_idx=padding_idx),
        [weight],
    )


def test_embedding_padding_row_gets_no_gradient_and_gradcheck():
    weight = to_pygrad(make_rng("embedding_gc").standard_normal((4, 3)), requires_grad=True)
    idx = pygrad.from_numpy(np.array([[0, 1], [1, 3]], dtype=np.int64))
    _C.embedding(idx, weight, padding_idx=1).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[1], 0)
    np.testing.assert_array_equal(weight.grad.numpy()[0], 1)
    assert gradcheck(lambda w: _C.embedding(idx, w), (weight,))


def test_embedding_errors():
    weight = pygrad.zeros((4, 3))
    with pytest.raises(
        TypeError, match=r"\[embedding\] indices must be an int64 tensor, got float32"
    ):
        _C.embedding(pygrad.zeros(3), weight)
    with pytest.raises(ValueError, match=r"\[embedding\] expected weight with 2 dims"):
        _C.embedding(pygrad.from_numpy(np.array([0])), pygrad.zeros(4))
    with pytest.raises(IndexError, match=r"index 4 is out of bounds"):
        _C.embedding(pygrad.from_numpy(np.array([0, 4])), weight)
    with pytest.raises(
        ValueError, match=r"\[embedding\] padding_idx must be within num_embeddings \(4\), got 4"
    ):
        _C.embedding(pygrad.from_numpy(np.array([0])), weight, padding_idx=4)


# ---------------------------------------------------------------- dropout's mask
def test_bernoulli_mask_keeps_the_expected_fraction_and_is_seeded():
    n, keep = 200_000, 0.7
    pygrad.manual_seed(123)
    mask = _C._bernoulli_mask([n], keep, pygrad.float32)
    assert mask.dtype == pygrad.bool and tuple(mask.shape) == (n,)
    fraction = mask.numpy().mean()
    assert abs(fraction - keep) < 5 * np.sqrt(keep * (1 - keep) / n)  # five standard errors
    pygrad.manual_seed(123)
    np.testing.assert_array_equal(
        _C._bernoulli_mask([n], keep, pygrad.float32).numpy(), mask.numpy()
    )
    assert not _C._bernoulli_mask([1000], 0.0, pygrad.float32).numpy().any()
    assert _C._bernoulli_mask([1000], 1.0, pygrad.float64).numpy().all()
    with pytest.raises(ValueError, match=r"probability must be in \[0, 1\]"):
        _C._bernoulli_mask([3], 1.5, pygrad.float32)


def test_dropout_built_from_the_mask_passes_gradient_only_through_kept_units():
    pygrad.manual_seed(7)
    x = to_pygrad(np.ones((50, 40)), requires_grad=True)
    mask = _C._bernoulli_mask([50, 40], 0.6, pygrad.float64)
    (x * mask / 0.6).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.6)


@pytest.mark.parametrize("output_size", [1, (1, 1), (2, 3), (5, 1)])
def test_adaptive_avg_pool2d_full_width_windows_match_torch(output_size):
    """Windows spanning the whole width (global average pooling) sum one contiguous run in lanes."""
    x = (
        make_rng("adaptive_full", str(output_size))
        .standard_normal((3, 4, 20, 30))
        .astype(np.float32)
    )
    out = _C.adaptive_avg_pool2d(to_pygrad(x), output_size).numpy()
    ref = F.adaptive_avg_pool2d(torch.tensor(x, dtype=torch.float64), output_size).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- gelu's fused gradient
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_fused_backward_matches_torch(approximate, dtype):
    # 5000 elements: several float32 blocks of the vector path plus a tail; values past the erf/tanh knees.
    rng = make_rng("gelu_bw", approximate)
    x = (rng.standard_normal(5000) * 4).astype(dtype)
    g = rng.standard_normal(5000).astype(dtype)
    px = to_pygrad(x, requires_grad=True)
    F_pg = pygrad.nn.functional
    F_pg.gelu(px, approximate=approximate).backward(to_pygrad(g))
    tx = torch.tensor(x, requires_grad=True)
    F.gelu(tx, approximate=approximate).backward(torch.tensor(g))
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), rtol=tol, atol=tol)
    # create_graph keeps the op-by-op rule, so the second derivative is right too.
    small = to_pygrad(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradgradcheck(lambda a: F_pg.gelu(a, approximate=approximate), (small,))

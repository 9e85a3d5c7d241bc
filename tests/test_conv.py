"""Convolutions over 1, 2 and 3 spatial dims and their transposes (one C++ engine), against torch:
functional forms, modules with every padding mode, output_size, gradients and double backward."""

import warnings

import numpy as np
import pytest
from conftest import assert_close, import_torch, make_rng, non_contiguous, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn
from pygrad.autograd import gradcheck, gradgradcheck

torch = import_torch()

# (spatial, input spatial size, kernel, stride, padding, dilation, groups, output_padding)
CASES = [
    (1, (9,), (3,), (1,), (0,), (1,), 1, (0,)),
    (1, (11,), (4,), (3,), (2,), (2,), 2, (2,)),
    (1, (1,), (1,), (1,), (0,), (1,), 1, (0,)),
    (2, (7, 6), (3, 2), (2, 1), (1, 0), (1, 2), 2, (1, 0)),
    (2, (5, 5), (1, 1), (1, 1), (0, 0), (1, 1), 1, (0, 0)),
    (2, (6, 9), (2, 3), (1, 2), (0, 1), (2, 1), 1, (1, 1)),  # output_padding >= stride (< dilation)
    (3, (5, 4, 6), (3, 2, 3), (2, 1, 2), (1, 0, 1), (1, 2, 1), 2, (1, 0, 1)),
    (3, (3, 3, 3), (1, 2, 1), (1, 1, 1), (0, 1, 0), (1, 1, 1), 1, (0, 0, 0)),
]


def _run_both(fn_name, x, w, b, args, transposed):
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    px, pw = to_pygrad(x, requires_grad=True), to_pygrad(w, requires_grad=True)
    tb = pb = None
    if b is not None:
        tb, pb = torch.tensor(b, requires_grad=True), to_pygrad(b, requires_grad=True)
    ty = getattr(torch.nn.functional, fn_name)(tx, tw, tb, *args)
    py = getattr(F, fn_name)(px, pw, pb, *args)
    return (tx, tw, tb, ty), (px, pw, pb, py)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-{c[2]}")
def test_conv_matches_torch(case, transposed):
    n, size, k, stride, pad, dil, groups, opad = case
    rng = make_rng("conv", n, size, k, transposed)
    cin, cout = 2 * groups, 3 * groups
    x = rng.standard_normal((2, cin, *size))
    if transposed:
        w = rng.standard_normal((cin, cout // groups, *k))
        name, args = f"conv_transpose{n}d", (stride, pad, opad, groups, dil)
    else:
        if any(d * (kk - 1) + 1 > s + 2 * p for s, kk, p, d in zip(size, k, pad, dil)):
            pytest.skip("kernel larger than the padded input")
        w = rng.standard_normal((cout, cin // groups, *k))
        name, args = f"conv{n}d", (stride, pad, dil, groups)
    b = rng.standard_normal(cout)
    (tx, tw, tb, ty), (px, pw, pb, py) = _run_both(name, x, w, b, args, transposed)
    assert_close(to_numpy(py), ty.detach().numpy(), 1e-12, 1e-12, "forward")
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g))
    py.backward(to_pygrad(g))
    for t, p, what in ((tx, px, "input"), (tw, pw, "weight"), (tb, pb, "bias")):
        assert_close(to_numpy(p.grad), t.grad.numpy(), 1e-11, 1e-11, what)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_conv_double_backward(n, transposed):
    rng = make_rng("conv_gg", n, transposed)
    size, k = (4, 3, 5)[:n], (2, 2, 3)[:n]
    x = to_pygrad(rng.standard_normal((1, 2, *size)), requires_grad=True)
    if transposed:
        w = to_pygrad(rng.standard_normal((2, 2, *k)), requires_grad=True)
        fn = getattr(F, f"conv_transpose{n}d")

        def f(a, b):
            return fn(a, b, None, 2, 1, 1)
    else:
        w = to_pygrad(rng.standard_normal((3, 2, *k)), requires_grad=True)
        fn = getattr(F, f"conv{n}d")

        def f(a, b):
            return fn(a, b, None, 1, 1, 1)

    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_transposed_output_padding_past_stride_double_backward():
    # output_padding 1 with stride 1 (allowed by dilation 2): the double backward must cut the conv to size.
    rng = make_rng("conv_opad")
    x = to_pygrad(rng.standard_normal((1, 2, 5)), requires_grad=True)
    w = to_pygrad(rng.standard_normal((2, 3, 3)), requires_grad=True)

    def f(a, b):
        return F.conv_transpose1d(a, b, None, 1, 0, 1, 1, 2)

    assert f(x, w).shape == (1, 3, 10)
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_conv_module_padding_modes_and_same(n, mode):
    rng = make_rng("conv_mod", n, mode)
    kernel = (4, 3, 2)[:n]
    for padding in ("same", 1, "valid"):
        kwargs = {"padding": padding, "padding_mode": mode, "dilation": (1, 2, 1)[:n], "bias": True}
        tm = getattr(torch.nn, f"Conv{n}d")(3, 4, kernel, **kwargs).double()
        pm = getattr(nn, f"Conv{n}d")(3, 4, kernel, dtype=pygrad.float64, **kwargs)
        pm.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in tm.state_dict().items()})
        assert repr(pm) == repr(tm)
        x = rng.standard_normal((2, 3, *(8, 7, 6)[:n]))
        tx, px = torch.tensor(x, requires_grad=True), to_pygrad(x, requires_grad=True)
        with (
            warnings.catch_warnings()
        ):  # torch warns (once) that an even 'same' kernel copies the input
            warnings.simplefilter("ignore", UserWarning)
            ty = tm(tx)
        py = pm(px)
        assert_close(to_numpy(py), ty.detach().numpy(), 1e-12, 1e-12, f"{padding}")
        ty.sum().backward()
        py.sum().backward()
        assert_close(to_numpy(px.grad), tx.grad.numpy(), 1e-11, 1e-11, "input grad")
        assert_close(to_numpy(pm.weight.grad), tm.weight.grad.numpy(), 1e-11, 1e-11, "weight grad")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_conv_transpose_module_output_size_and_repr(n):
    rng = make_rng("convT_mod", n)
    kwargs = {"stride": 2, "padding": 1, "groups": 2, "bias": False, "dilation": 1}
    tm = getattr(torch.nn, f"ConvTranspose{n}d")(4, 6, 3, **kwargs).double()
    pm = getattr(nn, f"ConvTranspose{n}d")(4, 6, 3, dtype=pygrad.float64, **kwargs)
    assert repr(pm) == repr(tm)
    assert pm.weight.shape == tuple(tm.weight.shape)
    pm.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((1, 4, *(5, 4, 3)[:n]))
    target = [2 * s for s in (5, 4, 3)[:n]]
    ty = tm(torch.tensor(x), output_size=target)
    py = pm(to_pygrad(x), output_size=target)
    assert py.shape == tuple(ty.shape)
    assert_close(to_numpy(py), ty.detach().numpy(), 1e-12, 1e-12)
    with pytest.raises(ValueError, match="output size"):
        pm(to_pygrad(x), output_size=[s + 5 for s in target])


def test_conv_unbatched_noncontiguous_float32_and_empty_batch():
    rng = make_rng("conv_misc")
    x = rng.standard_normal((3, 10)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3)).astype(np.float32)
    py = F.conv1d(non_contiguous(x), non_contiguous(w, "transpose"), None, 2, 1)
    ty = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), None, 2, 1)
    assert py.dtype == pygrad.float32
    assert_close(to_numpy(py), ty.numpy(), 1e-5, 1e-5)
    empty = F.conv_transpose2d(pygrad.zeros(0, 3, 4, 4), pygrad.randn(3, 2, 3, 3), stride=2)
    assert empty.shape == (0, 2, 9, 9)
    bf = F.conv3d(
        pygrad.randn(1, 2, 4, 4, 4).to(pygrad.bfloat16),
        pygrad.randn(2, 2, 2, 2, 2).to(pygrad.bfloat16),
    )
    assert bf.dtype == pygrad.bfloat16 and bf.shape == (1, 2, 3, 3, 3)


def test_conv_trains_and_state_dict_keys_match_torch():
    for cls in ("Conv1d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
        pm, tm = getattr(nn, cls)(2, 4, 3), getattr(torch.nn, cls)(2, 4, 3)
        assert list(pm.state_dict()) == list(tm.state_dict())
        assert [tuple(v.shape) for v in pm.state_dict().values()] == [
            tuple(v.shape) for v in tm.state_dict().values()
        ]
    # A 1-d conv net fits a fixed target: the loss falls.
    pygrad.manual_seed(0)
    net = nn.Sequential(
        nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.ConvTranspose1d(4, 1, 2, stride=2)
    )
    x = pygrad.randn(8, 1, 16)
    y = pygrad.randn(8, 1, 32)
    opt = pygrad.optim.Adam(net.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: F.conv1d(pygrad.zeros(2, 3, 4, 5), pygrad.zeros(2, 3, 3)),
            r"\[conv1d\] expected 2-d",
        ),
        (
            lambda: F.conv3d(pygrad.zeros(1, 3, 4, 4, 4), pygrad.zeros(2, 3, 3, 3)),
            r"\[conv3d\] expected weight with 5",
        ),
        (
            lambda: F.conv1d(
                pygrad.zeros(1, 3, 5), pygrad.zeros(2, 3, 3), stride=2, padding="same"
            ),
            "strided",
        ),
        (
            lambda: F.conv2d(pygrad.zeros(1, 3, 5, 5), pygrad.zeros(2, 3, 3, 3), stride=(1, 1, 1)),
            "2 ints",
        ),
        (
            lambda: F.conv_transpose2d(
                pygrad.zeros(1, 3, 5, 5), pygrad.zeros(3, 2, 3, 3), output_padding=1
            ),
            "output_padding must be smaller than either stride or dilation",
        ),
        (
            lambda: F.conv_transpose1d(pygrad.zeros(1, 4, 5), pygrad.zeros(3, 2, 3)),
            r"expects input with 3 channels",
        ),
        (
            lambda: F.conv_transpose1d(pygrad.zeros(1, 3, 1), pygrad.zeros(3, 2, 1), padding=1),
            "non-positive",
        ),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
        (lambda: nn.Conv1d(3, 4, 3, padding_mode="mirror"), "padding_mode"),
        (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), "zeros"),
        (lambda: nn.Conv3d(3, 4, 3, padding=(1, 1)), "3 ints"),
    ],
)
def test_conv_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unfold_fold_on_the_engine_match_conv_and_differentiate_twice():
    # conv2d == weight @ unfold(x) reshaped: the same im2col feeds both; fold is unfold's adjoint.
    rng = make_rng("unfold_engine")
    x = to_pygrad(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    w = to_pygrad(rng.standard_normal((4, 3, 3, 2)))
    cols = F.unfold(x, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    direct = F.conv2d(x, w, None, (2, 1), 1, (1, 2))
    via_cols = (w.reshape(4, -1) @ cols).reshape(direct.shape)
    assert_close(to_numpy(via_cols), to_numpy(direct), 1e-12, 1e-12)
    y = to_pygrad(rng.standard_normal(tuple(cols.shape)))
    # <unfold(x), y> == <x, fold(y)>
    lhs = float((cols * y).sum().item())
    rhs = float(
        (x * F.fold(y, (7, 6), (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))).sum().item()
    )
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))
    small = to_pygrad(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gradgradcheck(lambda a: F.unfold(a, 2, padding=1) ** 2, (small,))
    blocks = to_pygrad(rng.standard_normal((1, 8, 9)), requires_grad=True)
    assert gradgradcheck(lambda b: F.fold(b, (4, 4), 2) ** 2, (blocks,))

"""In-place forms of torch's ops (pygrad/_inplace.py): values written into self against torch, on
contiguous tensors and on views, the dtype refusals, the geometry ops and gradients through them."""

import numpy as np
import pytest
import torch

import pygrad

RNG = np.random.default_rng(7)


def _on(lib, value):
    if isinstance(value, np.ndarray):
        return lib.tensor(value)
    if isinstance(value, tuple):
        return tuple(_on(lib, v) for v in value)
    return value


UNIT = RNG.uniform(0.15, 0.85, size=(3, 4))
ABOVE_ONE = RNG.uniform(1.2, 2.5, size=(3, 4))
SIGNED = RNG.uniform(-2, 2, size=(3, 4))
ROW = RNG.uniform(0.3, 1.7, size=(4,))
MASK = RNG.random((3, 4)) < 0.5

UNARY = [
    "abs",
    "absolute",
    "acos",
    "arccos",
    "asin",
    "arcsin",
    "atan",
    "arctan",
    "atanh",
    "arctanh",
    "asinh",
    "arcsinh",
    "ceil",
    "cos",
    "cosh",
    "deg2rad",
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "floor",
    "frac",
    "lgamma",
    "log",
    "log10",
    "log1p",
    "log2",
    "logit",
    "neg",
    "negative",
    "rad2deg",
    "reciprocal",
    "relu",
    "round",
    "rsqrt",
    "sgn",
    "sigmoid",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
    "nan_to_num",
]
BINARY = [
    "atan2",
    "arctan2",
    "copysign",
    "divide",
    "true_divide",
    "hypot",
    "multiply",
    "subtract",
    "xlogy",
    "float_power",
    "nextafter",
    "heaviside",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
]

# name -> (self, args, kwargs)
CASES = {
    name: (
        SIGNED
        if name
        not in {
            "log",
            "log10",
            "log2",
            "logit",
            "sqrt",
            "rsqrt",
            "erfinv",
            "acos",
            "arccos",
            "asin",
            "arcsin",
            "atanh",
            "arctanh",
            "digamma",
            "lgamma",
            "log1p",
        }
        else UNIT,
        (),
        {},
    )
    for name in UNARY
}
CASES.update({name: (SIGNED, (ROW,), {}) for name in BINARY})
CASES.update(
    {
        "acosh": (ABOVE_ONE, (), {}),
        "arccosh": (ABOVE_ONE, (), {}),
        "clamp": (SIGNED, (-0.5, 0.7), {}),
        "clip": (SIGNED, (), {"min": -0.3}),
        "clamp_min": (SIGNED, (0.1,), {}),
        "clamp_max": (SIGNED, (ROW,), {}),
        "cumsum": (SIGNED, (1,), {}),
        "cumprod": (SIGNED, (0,), {}),
        "lerp": (SIGNED, (ROW, 0.3), {}),
        "addcmul": (SIGNED, (ROW, UNIT), {"value": 0.5}),
        "addcdiv": (SIGNED, (UNIT, ABOVE_ONE), {"value": -2.0}),
        "masked_fill": (SIGNED, (MASK, 1.5), {}),
        "index_add": (SIGNED, (0, np.array([2, 0, 2]), UNIT), {"alpha": 2.0}),
        "scatter_add": (SIGNED, (1, np.array([[0, 1, 1, 3]] * 3), UNIT), {}),
        "polygamma": (UNIT, (1,), {}),
        "addmm": (SIGNED, (RNG.uniform(-1, 1, (3, 5)), RNG.uniform(-1, 1, (5, 4))), {"beta": 0.5}),
        "addmv": (ROW, (RNG.uniform(-1, 1, (4, 3)), RNG.uniform(-1, 1, (3,))), {}),
        "addr": (SIGNED, (RNG.uniform(-1, 1, (3,)), ROW), {"alpha": 2.0}),
        "baddbmm": (
            RNG.uniform(-1, 1, (2, 3, 4)),
            (RNG.uniform(-1, 1, (2, 3, 5)), RNG.uniform(-1, 1, (2, 5, 4))),
            {},
        ),
        "addbmm": (SIGNED, (RNG.uniform(-1, 1, (2, 3, 5)), RNG.uniform(-1, 1, (2, 5, 4))), {}),
    }
)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("layout", ["contiguous", "view"])
def test_inplace_matches_torch(name, layout):
    base, args, kwargs = CASES[name]
    outs = []
    for lib in (torch, pygrad):
        if layout == "view":  # a transposed view of a bigger tensor: the write lands in the base
            big = np.zeros((base.shape[-1] + 1, *base.shape[:-1][::-1], 2))
            holder = lib.tensor(big)
            target = holder[1:, ..., 0].permute(*reversed(range(base.ndim)))
            target.copy_(lib.tensor(base))
        else:
            holder = target = lib.tensor(base.copy())
        returned = getattr(target, name + "_")(*_on(lib, args), **kwargs)
        assert returned is target
        outs.append((target.numpy().copy(), holder.numpy().copy()))
    rtol = 1e-8 if name == "polygamma" else 1e-12  # series vs torch's, both within 1e-9
    for expected, got in zip(outs[0], outs[1]):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-12, equal_nan=True)


def test_integer_self_refuses_a_float_result_as_torch():
    for lib in (torch, pygrad):
        x = lib.tensor([1, 4, 9])
        with pytest.raises(RuntimeError, match="can't be cast"):
            x.sqrt_()
        x.neg_()
        assert x.tolist() == [-1, -4, -9]
        x.clamp_(-5, 0)
        assert x.tolist() == [-1, -4, -5]
    b = pygrad.tensor([True, False])
    with pytest.raises(TypeError, match=r"\[neg\].*bool"):
        b.neg_()


def test_inplace_of_leaf_requiring_grad_is_refused_with_the_op_name():
    x = pygrad.tensor(UNIT, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[clamp_\].*leaf"):
        x.clamp_(0, 1)
    with pygrad.no_grad():
        x.clamp_(0.2, 0.8)
    assert x.is_leaf and x.requires_grad


def test_broadcast_into_smaller_self_is_refused():
    x = pygrad.tensor(ROW.copy())
    with pytest.raises(RuntimeError, match=r"\[masked_fill_\].*shape"):
        x.masked_fill_(pygrad.tensor(MASK), 0.0)


def test_gradients_through_inplace_ops_match_torch():
    grads = []
    for lib in (torch, pygrad):
        x = lib.tensor(SIGNED, requires_grad=True)
        w = lib.tensor(ROW, requires_grad=True)
        y = x * 1.5
        y.clamp_(-1.0, 1.2)
        y[1].mul_(w)
        y.sigmoid_()
        y = y * 1.0  # the writes below must not touch sigmoid's saved output
        y[:, 2].lerp_(w[:3], 0.25)
        y.masked_fill_(lib.tensor(MASK), 0.5)
        (y * x).sum().backward()
        grads.append((x.grad.numpy(), w.grad.numpy()))
    for expected, got in zip(*grads):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_geometry_inplace_ops_match_torch():
    a = RNG.uniform(-1, 1, (3, 1, 4))
    for steps in (
        [("squeeze_", ())],
        [("squeeze_", (1,)), ("t_", ())],
        [("unsqueeze_", (0,)), ("transpose_", (0, 3))],
        [("swapaxes_", (0, 2)), ("swapdims_", (1, 2))],
    ):
        shapes = []
        for lib in (torch, pygrad):
            x = lib.tensor(a)
            for name, args in steps:
                assert getattr(x, name)(*args) is x
            shapes.append((tuple(x.shape), x.numpy().copy()))
        assert shapes[0][0] == shapes[1][0]
        np.testing.assert_array_equal(shapes[1][1], shapes[0][1])


def test_geometry_inplace_keeps_gradient_flowing():
    grads = []
    for lib in (torch, pygrad):
        x = lib.tensor(RNG.uniform(-1, 1, (2, 1, 3)), requires_grad=True)
        y = x * 2
        y.squeeze_(1).t_()
        (y * lib.tensor([[1.0, 2.0]], dtype=lib.float64)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])


def test_detach_inplace_as_torch():
    x = pygrad.tensor(UNIT, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    z = x * 3
    with pytest.raises(RuntimeError, match=r"\[detach_\].*view"):
        z[0].detach_()


def test_torch_level_function_forms():
    for lib in (torch, pygrad):
        x = lib.tensor(SIGNED.copy())
        assert lib.relu_(x) is x
        lib.clamp_(x, max=0.5)
        lib.sqrt_(x)
        lib.zero_(lib.tensor(UNIT.copy()))
    a, b = pygrad.tensor(SIGNED.copy()), torch.tensor(SIGNED.copy())
    pygrad.clamp_(pygrad.relu_(a), max=0.5).sqrt_()
    torch.clamp_(torch.relu_(b), max=0.5).sqrt_()
    np.testing.assert_allclose(a.numpy(), b.numpy())
    assert "relu_" in pygrad.__all__
    import pygrad.nn.functional as F

    assert pygrad.conv2d is F.conv2d and pygrad.dropout is F.dropout
    with pytest.raises(AttributeError):
        pygrad.not_an_op  # noqa: B018

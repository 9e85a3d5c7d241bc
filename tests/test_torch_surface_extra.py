"""torch's remaining top-level and Tensor names (Size, default dtype, print options, rng state,
legacy constructors, global switches, compile, testing.assert_close, unravel_index, frombuffer,
renorm, Tensor.new/resize_/retains_grad/...), each checked against torch 2.13."""

import array
import pickle
import warnings

import numpy as np
import pytest
import torch

import pygrad
from pygrad import _config

RNG = np.random.default_rng(7)


def _pg_repr(text):
    return text.replace("torch.", "pygrad.")


@pytest.fixture
def restore_defaults():
    yield
    pygrad.set_default_dtype(pygrad.float32)
    torch.set_default_dtype(torch.float32)
    pygrad.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


# ---- Size


def test_size_is_a_tuple_with_numel_and_torch_repr():
    dims = [int(d) for d in RNG.integers(1, 5, size=3)]
    s, t = pygrad.Size(dims), torch.Size(dims)
    assert repr(s) == _pg_repr(repr(t)) and str(s) == _pg_repr(str(t))
    assert s.numel() == t.numel() and pygrad.Size().numel() == torch.Size().numel() == 1
    assert isinstance(s, tuple) and s == tuple(dims) == pygrad.zeros(*dims).shape
    assert type(s[1:]) is pygrad.Size and list(s[1:]) == list(t[1:])
    grown = s + (7,)  # noqa: RUF005  (Size.__add__ is what is tested)
    assert type(grown) is pygrad.Size and list(grown) == [*t, 7]
    assert s[0] == t[0] and pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(TypeError, match="item 0 is 'float'"):
        pygrad.Size([2.5])


# ---- default dtype


@pytest.mark.usefixtures("restore_defaults")
def test_default_dtype_reaches_factories_python_floats_and_repr():
    assert pygrad.get_default_dtype() == pygrad.float32
    pygrad.set_default_dtype(pygrad.float64)
    torch.set_default_dtype(torch.float64)
    calls = [
        "tensor([1.5, 2.0])",
        "tensor(3.0)",
        "zeros(2)",
        "ones(2, 3)",
        "empty(2)",
        "full((2,), 1.5)",
        "rand(2)",
        "randn(2)",
        "arange(0.5, 2)",
        "linspace(0, 1, 3)",
        "eye(2)",
        "normal(0.0, 1.0, (2,))",
        "as_tensor([1.5])",
        "arange(3)",
        "full((2,), 1)",
    ]
    for call in calls:
        assert str(eval("pygrad." + call).dtype) == _pg_repr(str(eval("torch." + call).dtype)), call
    assert pygrad.get_default_dtype() == pygrad.float64
    values = RNG.standard_normal(3).tolist()
    for make in (lambda m: m.tensor(values), lambda m: m.tensor(values).float()):
        assert repr(make(pygrad)) == _pg_repr(repr(make(torch)))
    pygrad.set_default_dtype(pygrad.float16)  # torch accepts every floating dtype
    torch.set_default_dtype(torch.float16)
    assert str(pygrad.tensor([0.5]).dtype) == _pg_repr(str(torch.tensor([0.5]).dtype))
    with pytest.raises(TypeError, match="only floating-point types"):
        pygrad.set_default_dtype(pygrad.int64)


# ---- print options

_PRINT_CASES = [
    {},
    {"precision": 2},
    {"sci_mode": True},
    {"sci_mode": False},
    {"threshold": 5, "edgeitems": 2},
    {"linewidth": 40},
    {"profile": "short"},
    {"edgeitems": 0, "threshold": 3},
]


@pytest.mark.usefixtures("restore_defaults")
@pytest.mark.parametrize("options", _PRINT_CASES)
def test_repr_follows_printoptions_like_torch(options):
    arrays = [
        (RNG.standard_normal((4, 6)) * 10).astype(np.float32),
        (np.arange(2000, dtype=np.float32) / 7).reshape(40, 50),
        np.array([1e-5, 1.0, np.nan, -np.inf], dtype=np.float32),
        np.array([1e9, 2.0], dtype=np.float32),
        RNG.standard_normal((3, 4, 5)),
        RNG.integers(-50, 50, size=(10, 300)),
        np.array([[True, False]]),
        np.array([0.0, 0.0]),
        np.array(3.25),
        np.zeros((0, 3)),
        RNG.standard_normal(7).astype(np.float16),
    ]
    pygrad.set_printoptions(**options)
    torch.set_printoptions(**options)
    for a in arrays:
        assert repr(pygrad.tensor(a)) == _pg_repr(repr(torch.tensor(a))), a.dtype
    x = RNG.standard_normal(3).tolist()
    p, t = pygrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert repr(p) == _pg_repr(repr(t))


# ---- rng state


def test_rng_state_replays_the_draws_that_follow():
    pygrad.manual_seed(1234)
    pygrad.rand(3)  # the state is taken mid-stream
    state = pygrad.get_rng_state()
    assert state.dtype == pygrad.uint8
    first = [pygrad.rand(4), pygrad.randn(2, 3), pygrad.randint(0, 100, (5,))]
    pygrad.rand(9)
    pygrad.set_rng_state(state)
    again = [pygrad.rand(4), pygrad.randn(2, 3), pygrad.randint(0, 100, (5,))]
    for a, b in zip(first, again):
        assert np.array_equal(a.numpy(), b.numpy())
    assert pygrad.initial_seed() == 1234  # the user's seed, as torch
    with pytest.raises(TypeError):
        pygrad.set_rng_state(pygrad.zeros(16))


def test_rng_state_runs_are_reproducible_and_seed_reseeds():
    def run():
        pygrad.manual_seed(5)
        pygrad.get_rng_state()
        return pygrad.rand(6).numpy()

    assert np.array_equal(run(), run())
    value = pygrad.seed()
    assert pygrad.initial_seed() == value and 0 <= value < 2**63
    pygrad.manual_seed(77)
    assert pygrad.initial_seed() == torch.manual_seed(77).initial_seed() == 77


# ---- constants, switches, compile


def test_constants_match_torch():
    for name in ("pi", "e", "inf"):
        assert getattr(pygrad, name) == getattr(torch, name)
    assert np.isnan(pygrad.nan) and pygrad.newaxis is torch.newaxis is None
    x = RNG.standard_normal((2, 3))
    assert pygrad.tensor(x)[:, pygrad.newaxis].shape == tuple(
        torch.tensor(x)[:, torch.newaxis].shape
    )


def test_global_switches_round_trip_like_torch():
    saved = dict(_config._state)
    try:
        assert pygrad.are_deterministic_algorithms_enabled() is False
        pygrad.use_deterministic_algorithms(True, warn_only=True)
        assert pygrad.are_deterministic_algorithms_enabled() is True
        assert pygrad.is_deterministic_algorithms_warn_only_enabled() is True
        pygrad.use_deterministic_algorithms(False)
        assert pygrad.is_deterministic_algorithms_warn_only_enabled() is False

        assert pygrad.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        pygrad.set_float32_matmul_precision("medium")
        assert pygrad.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="has no effect"):
            pygrad.set_float32_matmul_precision("bad")
        assert pygrad.get_float32_matmul_precision() == "medium"

        assert pygrad.get_num_interop_threads() >= 1
        pygrad.set_num_interop_threads(3)
        assert pygrad.get_num_interop_threads() == 3
        with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
            pygrad.set_num_interop_threads(2)

        assert pygrad.set_flush_denormal(True) is False
        assert pygrad.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
        pygrad.set_warn_always(True)
        assert pygrad.is_warn_always_enabled() is True
    finally:
        _config._state.update(saved)


def test_inference_mode_and_is_inference():
    x = pygrad.ones(2, requires_grad=True)
    with pygrad.inference_mode():
        assert pygrad.is_inference_mode_enabled()
        y = x * 2
    assert not pygrad.is_inference_mode_enabled() and not y.requires_grad
    assert x.is_inference() is pygrad.is_inference(x) is torch.zeros(1).is_inference() is False


def test_compile_runs_eagerly_in_every_calling_form():
    model = pygrad.nn.Linear(3, 2)
    assert pygrad.compile(model) is model
    assert pygrad.compile(model, mode="reduce-overhead", fullgraph=True) is model

    @pygrad.compile
    def f(x):
        return x * 2 + 1

    @pygrad.compile(mode="max-autotune")
    def g(x):
        return x.sin()

    x = RNG.standard_normal(4)
    assert np.allclose(f(pygrad.tensor(x)).numpy(), x * 2 + 1)
    assert np.allclose(g(pygrad.tensor(x)).numpy(), np.sin(x))


# ---- legacy constructors

_LEGACY = [
    "FloatTensor",
    "DoubleTensor",
    "LongTensor",
    "IntTensor",
    "BoolTensor",
    "ByteTensor",
    "HalfTensor",
    "BFloat16Tensor",
]


@pytest.mark.parametrize("name", _LEGACY)
def test_legacy_constructors_match_torch(name):
    P, T = getattr(pygrad, name), getattr(torch, name)
    assert tuple(P(2, 3).shape) == tuple(T(2, 3).shape)
    assert str(P(2, 3).dtype) == _pg_repr(str(T(2, 3).dtype))
    assert tuple(P(pygrad.Size([4])).shape) == tuple(T(torch.Size([4])).shape)
    assert P().shape == (0,)
    data = RNG.integers(0, 3, size=(2, 2)).tolist()
    assert repr(P(data)) == _pg_repr(repr(T(data)))
    assert repr(P((2, 3))) == _pg_repr(repr(T((2, 3))))  # a tuple is data, as torch
    for other in _LEGACY:
        t = getattr(torch, other)(2)
        p = getattr(pygrad, other)(2)
        assert isinstance(p, P) == isinstance(t, T)
    assert not isinstance([1.0], P) and not isinstance(torch.zeros(1), P)


def test_legacy_constructor_of_a_tensor_aliases_it_or_refuses_another_dtype():
    x = pygrad.tensor([1.0, 2.0])
    y = pygrad.FloatTensor(x)
    y[0] = 5.0
    assert x[0].item() == 5.0
    with pytest.raises(TypeError):
        pygrad.FloatTensor(pygrad.tensor([1, 2]))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))


# ---- testing.assert_close


def _message(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except (AssertionError, TypeError, ValueError) as error:
        return type(error).__name__, str(error)
    return None


def _both(build):
    """(pygrad's outcome, torch's outcome with torch. spelled pygrad.)"""
    p = _message(pygrad.testing.assert_close, *build(pygrad, pygrad.tensor))
    t = _message(torch.testing.assert_close, *build(torch, torch.tensor))
    return p, None if t is None else (t[0], _pg_repr(t[1]))


def test_assert_close_messages_match_torch():
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    b = a.copy()
    b[1, 2] += 0.5
    b[2, 0] = np.nan
    ints = RNG.integers(-5, 5, size=6)
    ints2 = ints.copy()
    ints2[3] += 2
    cases = [
        lambda m, T: (T(a), T(b)),
        lambda m, T: (T(a), T(a)),
        lambda m, T: (T(a), T(a.astype(np.float64))),
        lambda m, T: (T(a), T(a[:2])),
        lambda m, T: (T(ints), T(ints2)),
        lambda m, T: (T([True, False]), T([True, True])),
        lambda m, T: (T(1.5), T(1.25)),
        lambda m, T: (1.0, 1.5),
        lambda m, T: (1, 1.0),
        lambda m, T: (True, False),
        lambda m, T: (None, 1),
        lambda m, T: ([T(a), {"x": T(a)}], [T(a), {"x": T(b)}]),
        lambda m, T: ([T(a)], (T(a),)),
        lambda m, T: ([T(a)], [T(a), T(a)]),
        lambda m, T: ({"x": T(a)}, {"y": T(a)}),
        lambda m, T: (T(a), a.tolist()),
        lambda m, T: (T(a), a),
        lambda m, T: (a.astype(np.float64), b.astype(np.float64)),
        lambda m, T: (np.array(1.0), np.array(2.0)),
    ]
    for i, build in enumerate(cases):
        p, t = _both(build)
        assert p == t, (i, p, t)


def test_assert_close_tolerances_and_options_match_torch():
    x = RNG.standard_normal(50)
    for dtype in ("float16", "float32", "float64"):
        for scale in (1e-8, 1e-6, 1e-4, 1e-2):
            y = x * (1 + scale)
            pair = (x.astype(dtype), y.astype(dtype))
            p = _message(pygrad.testing.assert_close, *(pygrad.tensor(v) for v in pair))
            t = _message(torch.testing.assert_close, *(torch.tensor(v) for v in pair))
            assert (p is None) == (t is None), (dtype, scale)
    a, b = x.astype(np.float32), (x * 1.01).astype(np.float64)
    for kwargs in (
        {"check_dtype": False},
        {"check_dtype": False, "rtol": 0.1, "atol": 0.0},
        {"rtol": 1e-3},
    ):
        p = _message(pygrad.testing.assert_close, pygrad.tensor(a), pygrad.tensor(b), **kwargs)
        t = _message(torch.testing.assert_close, torch.tensor(a), torch.tensor(b), **kwargs)
        assert p == (None if t is None else (t[0], _pg_repr(t[1]))), kwargs
    nan = np.array([1.0, np.nan])
    pygrad.testing.assert_close(pygrad.tensor(nan), pygrad.tensor(nan), equal_nan=True)
    with pytest.raises(AssertionError, match=r"^custom$"):
        pygrad.testing.assert_close(pygrad.tensor(a), pygrad.tensor(a * 2), msg="custom")
    with pytest.raises(AssertionError, match=r"^wrapped: Tensor-likes"):
        pygrad.testing.assert_close(
            pygrad.tensor(a), pygrad.tensor(a * 2), msg=lambda m: "wrapped: " + m
        )


def test_assert_allclose_warns_and_uses_its_older_tolerances():
    x = RNG.standard_normal(20).astype(np.float32)
    y = x * (1 + 5e-5)  # within assert_allclose's float32 rtol 1e-4, outside assert_close's
    with pytest.warns(FutureWarning):
        pygrad.testing.assert_allclose(pygrad.tensor(x), pygrad.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_allclose(torch.tensor(x), torch.tensor(y))
        pygrad.testing.assert_allclose(pygrad.tensor(x), y.tolist())  # data takes actual's dtype
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        pygrad.testing.assert_close(pygrad.tensor(x), pygrad.tensor(y))


# ---- functions


def test_unravel_index_matches_torch():
    shape = (3, 4, 5)
    flat = RNG.integers(-60, 120, size=(2, 6))
    for idx in (flat, flat[0, 0]):
        p = pygrad.unravel_index(pygrad.tensor(idx), shape)
        t = torch.unravel_index(torch.tensor(idx), shape)
        assert len(p) == len(t)
        for u, v in zip(p, t):
            assert u.dtype == pygrad.int64 and np.array_equal(u.numpy(), v.numpy())
    with pytest.raises(TypeError, match="integer dtype"):
        pygrad.unravel_index(pygrad.tensor([1.0]), shape)


def test_frombuffer_matches_torch_and_shares_memory():
    raw = bytearray(RNG.integers(0, 256, size=24, dtype=np.uint8).tobytes())
    for dtype, kw in (
        ("int32", {}),
        ("float32", {"offset": 4, "count": 3}),
        ("int16", {"count": 2}),
    ):
        p = pygrad.frombuffer(raw, dtype=getattr(pygrad, dtype), **kw)
        t = torch.frombuffer(bytearray(raw), dtype=getattr(torch, dtype), **kw)
        assert np.array_equal(p.numpy(), t.numpy(), equal_nan=True)
    buf = array.array("f", [1.0, 2.0, 3.0])
    p = pygrad.frombuffer(buf, dtype=pygrad.float32)
    buf[1] = 7.0
    assert p.tolist() == [1.0, 7.0, 3.0]
    with pytest.warns(UserWarning, match="not writable"):
        assert pygrad.frombuffer(b"\x01\x00", dtype=pygrad.int16).tolist() == [1]
    with pytest.raises(ValueError, match="multiple of element size"):
        pygrad.frombuffer(bytearray(6), dtype=pygrad.int32)


@pytest.mark.parametrize(("p", "dim", "maxnorm"), [(2, 0, 1.0), (1, 1, 2.5), (3, -1, 0.5)])
def test_renorm_values_and_grads_match_torch(p, dim, maxnorm):
    x = RNG.standard_normal((3, 4, 2))
    px = pygrad.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    po, to = pygrad.renorm(px, p, dim, maxnorm), torch.renorm(tx, p, dim, maxnorm)
    assert np.allclose(po.detach().numpy(), to.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(x.shape)
    (po * pygrad.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    assert np.allclose(px.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    assert np.allclose(px.detach().renorm(p, dim, maxnorm).numpy(), to.detach().numpy())
    py, ty = pygrad.tensor(x), torch.tensor(x)
    assert py.renorm_(p, dim, maxnorm) is py
    ty.renorm_(p, dim, maxnorm)
    assert np.allclose(py.numpy(), ty.numpy())


def test_typename_is_storage_get_device_match_torch():
    for dtype in ("float32", "float64", "int64", "bool", "bfloat16"):
        p, t = (
            pygrad.zeros(2, dtype=getattr(pygrad, dtype)),
            torch.zeros(2, dtype=getattr(torch, dtype)),
        )
        assert pygrad.typename(p) == _pg_repr(torch.typename(t))
    for obj in (1, "a", [1], torch.typename):
        assert pygrad.typename(obj) == torch.typename(obj)
    assert pygrad.typename(pygrad.nn.Linear(1, 1)) == "pygrad.nn.modules.linear.Linear"
    x = pygrad.zeros(2)
    assert pygrad.is_storage(x) is torch.is_storage(torch.zeros(2)) is False
    assert pygrad.get_device(x) == torch.get_device(torch.zeros(2)) == -1


# ---- Tensor attributes


def test_retains_grad_like_torch():
    for m in (pygrad, torch):
        x = m.tensor(RNG.standard_normal(3).tolist(), requires_grad=True)
        y = x * 2
        assert (x.retains_grad, y.retains_grad) == (False, False)
        y.retain_grad()
        y.retain_grad()  # twice: still one accumulation
        x.retain_grad()
        assert (x.retains_grad, y.retains_grad) == (False, True)
        (y * y).sum().backward()
        assert np.allclose(np.asarray(y.grad.tolist()), 2 * np.asarray(y.tolist()))


def test_trivial_tensor_flags_and_layout_match_torch():
    p, t = pygrad.zeros(2, 3), torch.zeros(2, 3)
    for name in (
        "is_sparse",
        "is_quantized",
        "is_meta",
        "is_mps",
        "is_xpu",
        "is_nested",
        "is_mkldnn",
    ):
        assert getattr(p, name) is getattr(t, name) is False, name
    assert p.layout is pygrad.strided and repr(p.layout) == _pg_repr(repr(t.layout))
    assert pickle.loads(pickle.dumps(pygrad.strided)) is pygrad.strided
    assert p.name is t.name is None
    assert p.output_nr == t.output_nr == 0
    assert (p * 2).output_nr == (t * 2).output_nr
    assert p.is_pinned() is t.is_pinned() is False
    assert p.share_memory_() is p
    if not pygrad.cuda.is_available():
        with pytest.raises(RuntimeError, match="accelerator"):
            p.pin_memory()


def test_new_matches_torch():
    for dtype in ("float32", "int64", "float64"):
        p, t = (
            pygrad.zeros(1, dtype=getattr(pygrad, dtype)),
            torch.zeros(1, dtype=getattr(torch, dtype)),
        )
        assert tuple(p.new(2, 3).shape) == tuple(t.new(2, 3).shape)
        assert p.new(2, 3).dtype == p.dtype
        assert tuple(p.new(pygrad.Size([4])).shape) == tuple(t.new(torch.Size([4])).shape)
        data = (RNG.standard_normal(3) * 3).tolist()
        assert repr(p.new(data)) == _pg_repr(repr(t.new(data)))
        assert repr(p.new((2, 3))) == _pg_repr(repr(t.new((2, 3))))
        assert p.new().shape == tuple(t.new().shape) == (0,)


def test_prelu_and_hardshrink_values_and_grads_match_torch():
    x = RNG.standard_normal((2, 3, 4))
    x[0, 0, :2] = [0.5, -0.5]  # on hardshrink's edges
    for wshape in ((1,), (3,)):
        w = RNG.uniform(0.1, 0.5, size=wshape)
        px, pw = pygrad.tensor(x, requires_grad=True), pygrad.tensor(w, requires_grad=True)
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        po, to = px.prelu(pw), tx.prelu(tw)
        assert np.allclose(po.detach().numpy(), to.detach().numpy())
        po.sum().backward()
        to.sum().backward()
        assert np.allclose(px.grad.numpy(), tx.grad.numpy())
        assert np.allclose(pw.grad.numpy(), tw.grad.numpy())
    for lambd in (0.5, 1.0):
        px, tx = pygrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        po, to = px.hardshrink(lambd), tx.hardshrink(lambd)
        assert np.array_equal(po.detach().numpy(), to.detach().numpy())
        po.sum().backward()
        to.sum().backward()
        assert np.array_equal(px.grad.numpy(), tx.grad.numpy())


def test_resize_matches_torch_where_safe():
    x = RNG.standard_normal(12)
    for shape in ((3, 4), (2, 6), (5,), (2, 2)):  # same count: a view; fewer: a prefix
        p, t = pygrad.tensor(x), torch.tensor(x)
        assert p.resize_(*shape) is p
        t.resize_(*shape)
        assert np.array_equal(p.numpy(), t.numpy())
    p, t = pygrad.tensor(x), torch.tensor(x)
    p.resize_((4, 5))  # more: the old values first
    t.resize_((4, 5))
    assert p.shape == (4, 5) and np.array_equal(
        p.numpy().reshape(-1)[:12], t.numpy().reshape(-1)[:12]
    )
    p, t = pygrad.tensor(x), torch.tensor(x)
    p.resize_as_(pygrad.zeros(6, 2))
    t.resize_as_(torch.zeros(6, 2))
    assert np.array_equal(p.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="require grad"):
        pygrad.tensor(x, requires_grad=True).resize_(3, 4)
    with pytest.raises(RuntimeError, match="require grad"):
        torch.tensor(x, requires_grad=True).resize_(3, 4)
    with pytest.raises(RuntimeError):
        pygrad.tensor(x).reshape(3, 4)[:, :2].resize_(2, 3)


@pytest.mark.parametrize(
    "ctor",
    [
        "Linear(3, 4)",
        "Conv2d(3, 4, 3)",
        "ConvTranspose1d(3, 2, 3)",
        "LayerNorm(4)",
        "BatchNorm1d(4)",
        "GroupNorm(2, 4)",
        "Embedding(5, 3)",
        "LSTM(3, 4)",
        "GRUCell(3, 4)",
        "PReLU()",
        "MultiheadAttention(4, 2)",
        "Bilinear(2, 3, 4)",
        "RMSNorm(4)",
    ],
)
def test_modules_create_parameters_in_the_default_dtype(ctor):
    torch = pytest.importorskip("torch")
    before_p, before_t = pygrad.get_default_dtype(), torch.get_default_dtype()
    pygrad.set_default_dtype(pygrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        mine = {
            k: str(v.dtype).split(".")[-1]
            for k, v in eval("pygrad.nn." + ctor).state_dict().items()
        }
        theirs = {
            k: str(v.dtype).split(".")[-1] for k, v in eval("torch.nn." + ctor).state_dict().items()
        }
    finally:
        pygrad.set_default_dtype(before_p)
        torch.set_default_dtype(before_t)
    assert mine == theirs
    assert pygrad.nn.Linear(2, 2).weight.dtype == pygrad.float32  # back to the default


def test_core_promotion_follows_the_default_dtype():
    torch = pytest.importorskip("torch")

    def dtypes(lib):
        i = lib.arange(5)
        return [
            str(t.dtype).split(".")[-1]
            for t in (
                i * 0.5,
                i / 2,
                i.sqrt(),
                i.float() * 0.5,
                lib.tensor(1.5) + 1,
                lib.tensor([1, 2]) * 2.5,
            )
        ]

    for p_dtype, t_dtype in ((pygrad.float64, torch.float64), (pygrad.float32, torch.float32)):
        before_p, before_t = pygrad.get_default_dtype(), torch.get_default_dtype()
        pygrad.set_default_dtype(p_dtype)
        torch.set_default_dtype(t_dtype)
        try:
            assert dtypes(pygrad) == dtypes(torch)
        finally:
            pygrad.set_default_dtype(before_p)
            torch.set_default_dtype(before_t)
    assert (pygrad.arange(3) / 2).dtype == pygrad.float32


def test_creation_helpers_follow_the_default_dtype():
    torch = pytest.importorskip("torch")
    before_p, before_t = pygrad.get_default_dtype(), torch.get_default_dtype()
    pygrad.set_default_dtype(pygrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # range is deprecated in both
            mine = [
                pygrad.scalar_tensor(1),
                pygrad.range(0, 3),
                pygrad.hann_window(4),
                pygrad.kaiser_window(5),
            ]
            theirs = [
                torch.scalar_tensor(1),
                torch.range(0, 3),
                torch.hann_window(4),
                torch.kaiser_window(5),
            ]
    finally:
        pygrad.set_default_dtype(before_p)
        torch.set_default_dtype(before_t)
    assert [str(t.dtype).split(".")[-1] for t in mine] == [
        str(t.dtype).split(".")[-1] for t in theirs
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"spacing": 0.5},
        {"spacing": [0.5, 2.0, 1.5]},
        {"dim": 1},
        {"dim": [0, -1], "spacing": [2.0, 3.0]},
        {"edge_order": 2},
        {"edge_order": 2, "spacing": 0.3},
        {"coords": True},
        {"coords": True, "edge_order": 2},
    ],
)
def test_gradient_matches_torch_values_and_backward(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    a = rng.standard_normal((5, 6, 4))
    p_kw, t_kw = dict(kwargs), dict(kwargs)
    if p_kw.pop("coords", False):
        x = np.sort(rng.uniform(0, 3, 5))
        t_kw.pop("coords")
        p_kw.update(spacing=(pygrad.from_numpy(x),), dim=0)
        t_kw.update(spacing=(torch.from_numpy(x),), dim=0)
    pa = pygrad.from_numpy(a).requires_grad_(True)
    ta = torch.from_numpy(a).requires_grad_(True)
    mine, theirs = pygrad.gradient(pa, **p_kw), torch.gradient(ta, **t_kw)
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = [rng.standard_normal(t.shape) for t in theirs]
    sum((m * pygrad.from_numpy(w)).sum() for m, w in zip(mine, weights)).backward()
    sum((t * torch.from_numpy(w)).sum() for t, w in zip(theirs, weights)).backward()
    np.testing.assert_allclose(pa.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_gradient_errors():
    with pytest.raises(RuntimeError, match="at least edge_order"):
        pygrad.gradient(pygrad.ones(2), edge_order=2)
    with pytest.raises(ValueError, match="edge_order"):
        pygrad.gradient(pygrad.ones(4), edge_order=3)
    with pytest.raises(RuntimeError, match="list of length"):
        pygrad.gradient(pygrad.ones(4, 4), spacing=[1.0])

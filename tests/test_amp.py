"""Mixed precision: the bfloat16 GEMM on every path this CPU has (AMX tiles, AVX512_BF16, widening to float32),
``pygrad.autocast`` with torch 2.13's op lists, its state rules, and training under it against torch."""

import threading
import warnings

import numpy as np
import pytest
from conftest import import_torch, non_contiguous, num_threads, run_python

import pygrad
import pygrad.nn.functional as F
from pygrad import _C

PATHS = ["float32", "avx512_bf16", "amx"]


def available_paths():
    best = _C._gemm_bf16_path()
    return PATHS[: PATHS.index(best) + 1]


@pytest.fixture(params=PATHS)
def bf16_path(request):
    """Runs the test on one bfloat16 GEMM path, skipping the paths this CPU or build lacks."""
    if request.param not in available_paths():
        pytest.skip(f"this CPU has no {request.param} bfloat16 GEMM")
    before = _C._gemm_bf16_path()
    _C._set_gemm_bf16_path(request.param)
    yield request.param
    _C._set_gemm_bf16_path(before)


def bf16_values(rng, shape):
    """Random values exactly representable in bfloat16, so the float64 reference sees the same operands."""
    x = rng.standard_normal(shape).astype(np.float32)
    return (x.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32).astype(np.float64)


def bf16(array):
    return pygrad.from_numpy(np.asarray(array, dtype=np.float32)).to(pygrad.bfloat16)


def check_rounded_product(out, a, b, bias=None):
    """out is the float64 product rounded once to bfloat16 (float32 sums: error far below one bf16 step)."""
    ref = a @ b + (0 if bias is None else bias)
    scale = np.abs(a) @ np.abs(b) + (0 if bias is None else np.abs(bias))
    got = out.to(pygrad.float32).numpy().astype(np.float64)
    assert got.shape == ref.shape
    assert np.all(np.abs(got - ref) <= 2.0**-8 * np.abs(ref) + 1e-5 * scale + 1e-30)


@pytest.mark.parametrize(
    "m,k,n",
    [
        (1, 1, 1),
        (5, 7, 3),
        (16, 32, 16),
        (33, 65, 47),
        (64, 128, 96),
        (100, 300, 50),
        (0, 5, 4),
        (3, 0, 4),
    ],
)
def test_bf16_matmul_matches_the_rounded_product(bf16_path, rng, m, k, n):
    a, b = bf16_values(rng, (m, k)), bf16_values(rng, (k, n))
    out = bf16(a) @ bf16(b)
    assert out.dtype == pygrad.bfloat16
    check_rounded_product(out, a, b)


@pytest.mark.parametrize("mode", ["step", "transpose"])
def test_bf16_matmul_on_strided_operands(bf16_path, rng, mode):
    a, b = bf16_values(rng, (37, 70)), bf16_values(rng, (70, 41))
    pa = non_contiguous(a.astype(np.float32), mode).to(pygrad.bfloat16)
    pb = non_contiguous(b.astype(np.float32), mode).to(pygrad.bfloat16)
    check_rounded_product(pa @ pb, a, b)
    check_rounded_product(bf16(a) @ bf16(b.T).mT, a, b)  # B = W^T: a linear layer's weight


def test_bf16_batched_broadcast_and_linear_bias(bf16_path, rng):
    a, b = bf16_values(rng, (3, 1, 9, 40)), bf16_values(rng, (2, 40, 33))
    out = (bf16(a) @ bf16(b)).to(pygrad.float32).numpy()
    assert out.shape == (3, 2, 9, 33)
    for i in range(3):
        for j in range(2):
            check_rounded_product(bf16(out[i, j]), a[i, 0], b[j])
    x, w, bias = bf16_values(rng, (50, 70)), bf16_values(rng, (30, 70)), bf16_values(rng, (30,))
    check_rounded_product(F.linear(bf16(x), bf16(w), bf16(bias)), x, w.T, bias)


def test_bf16_paths_agree_across_thread_counts(rng):
    a, b = bf16(bf16_values(rng, (150, 200))), bf16(bf16_values(rng, (200, 90)))
    results = {}
    for path in available_paths():
        _C._set_gemm_bf16_path(path)
        for threads in (1, 2):
            with num_threads(threads):
                results[(path, threads)] = (a @ b).to(pygrad.float32).numpy()
    _C._set_gemm_bf16_path(available_paths()[-1])
    for path in available_paths():  # each path: the same bits at any thread count
        np.testing.assert_array_equal(results[(path, 1)], results[(path, 2)])


def test_bf16_matmul_gradients_match_torch(bf16_path, rng):
    torch = import_torch()
    a, b = bf16_values(rng, (24, 40)), bf16_values(rng, (40, 18))
    g = bf16_values(rng, (24, 18))
    pa, pb = bf16(a).requires_grad_(True), bf16(b).requires_grad_(True)
    (pa @ pb).backward(bf16(g))
    ta = torch.tensor(a, dtype=torch.bfloat16, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.bfloat16, requires_grad=True)
    (ta @ tb).backward(torch.tensor(g, dtype=torch.bfloat16))
    for mine, theirs in ((pa.grad, ta.grad), (pb.grad, tb.grad)):
        assert mine.dtype == pygrad.bfloat16
        got = mine.to(pygrad.float32).numpy()
        want = theirs.float().numpy()
        np.testing.assert_allclose(got, want, rtol=2**-7, atol=1e-2 * np.abs(want).max())


def test_bf16_path_choice_errors_and_environment():
    with pytest.raises(ValueError, match="unknown bfloat16 GEMM path"):
        _C._set_gemm_bf16_path("fp8")
    code = "from pygrad import _C; print(_C._gemm_bf16_path())"
    out = run_python(code, check=True, extra_env={"PYGRAD_BF16_GEMM": "float32"})
    assert out.stdout.strip() == "float32"
    # A lowered instruction set turns the native paths off.
    out = run_python(code, check=True, extra_env={"PYGRAD_CPU_CAPABILITY": "avx2"})
    assert out.stdout.strip() == "float32"


# ---------------------------------------------------------------- autocast: op lists against torch


def _op_cases(lib, nn_f):
    """(name, fn) pairs whose output dtype under CPU autocast torch 2.13 defines."""
    return [
        ("linear", lambda x, w, img, xb: nn_f.linear(x, w)),
        ("matmul", lambda x, w, img, xb: x @ w.mT),
        ("bmm", lambda x, w, img, xb: lib.bmm(x[None], w.mT[None])),
        ("addmm", lambda x, w, img, xb: lib.addmm(lib.ones(4, 6), x, w.mT)),
        ("baddbmm", lambda x, w, img, xb: lib.baddbmm(lib.ones(1, 4, 6), x[None], w.mT[None])),
        ("einsum", lambda x, w, img, xb: lib.einsum("ij,kj->ik", x, w)),
        ("tensordot", lambda x, w, img, xb: lib.tensordot(x, w.mT, 1)),
        ("mv", lambda x, w, img, xb: lib.mv(w, x[0])),
        ("dot", lambda x, w, img, xb: lib.dot(x[0], x[0])),
        ("conv2d", lambda x, w, img, xb: nn_f.conv2d(img, lib.ones(4, 3, 3, 3))),
        (
            "conv_transpose2d",
            lambda x, w, img, xb: nn_f.conv_transpose2d(img, lib.ones(3, 2, 3, 3)),
        ),
        ("prelu", lambda x, w, img, xb: nn_f.prelu(x, lib.ones(1))),
        (
            "sdpa",
            lambda x, w, img, xb: nn_f.scaled_dot_product_attention(x[None], x[None], x[None]),
        ),
        ("softmax bf16", lambda x, w, img, xb: nn_f.softmax(xb, -1)),
        ("softmax f32", lambda x, w, img, xb: nn_f.softmax(x, -1)),
        ("layer_norm", lambda x, w, img, xb: nn_f.layer_norm(xb, (8,))),
        ("relu", lambda x, w, img, xb: nn_f.relu(xb)),
        ("cross_entropy", lambda x, w, img, xb: nn_f.cross_entropy(xb, lib.tensor([0, 1, 2, 3]))),
        ("nll_loss", lambda x, w, img, xb: nn_f.nll_loss(xb, lib.tensor([0, 1, 2, 3]))),
        ("mse_loss", lambda x, w, img, xb: nn_f.mse_loss(xb, xb)),
        ("l1_loss", lambda x, w, img, xb: nn_f.l1_loss(xb, xb)),
        ("huber_loss", lambda x, w, img, xb: nn_f.huber_loss(xb, xb)),
        (
            "bce_with_logits",
            lambda x, w, img, xb: nn_f.binary_cross_entropy_with_logits(xb, xb.sigmoid()),
        ),
        ("cdist", lambda x, w, img, xb: lib.cdist(xb, xb)),
        ("prod", lambda x, w, img, xb: xb.prod()),
        ("sum", lambda x, w, img, xb: xb.sum()),
        ("add mixed", lambda x, w, img, xb: xb + x),
        ("float64 matmul", lambda x, w, img, xb: x.double() @ w.double().mT),
    ]


def test_autocast_output_dtypes_match_torch():
    torch = import_torch()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((4, 8), (6, 8), (2, 3, 8, 8))]
    t_in = [torch.from_numpy(a) for a in arrays]
    p_in = [pygrad.from_numpy(a) for a in arrays]
    t_cases, p_cases = _op_cases(torch, torch.nn.functional), _op_cases(pygrad, F)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        want = {
            name: str(fn(*t_in, t_in[0].bfloat16()).dtype).split(".")[-1] for name, fn in t_cases
        }
    with pygrad.autocast("cpu", dtype=pygrad.bfloat16):
        got = {
            name: str(fn(*p_in, p_in[0].to(pygrad.bfloat16)).dtype).split(".")[-1]
            for name, fn in p_cases
        }
    assert got == want


def test_autocast_modules_return_the_autocast_dtype():
    x = pygrad.randn(5, 3, 8)
    with pygrad.autocast("cpu"):
        assert pygrad.nn.LSTM(8, 4)(x)[0].dtype == pygrad.bfloat16
        assert pygrad.nn.GRU(8, 4, num_layers=2)(x)[1].dtype == pygrad.bfloat16
        assert pygrad.nn.MultiheadAttention(8, 2)(x, x, x)[0].dtype == pygrad.bfloat16
        assert pygrad.nn.Conv1d(3, 4, 3)(x).dtype == pygrad.bfloat16
    assert pygrad.nn.Linear(8, 2)(x).dtype == pygrad.float32  # off again after the region


def test_autocast_float16_on_cpu():
    x, w = pygrad.randn(4, 8), pygrad.randn(6, 8)
    with pygrad.autocast("cpu", dtype=pygrad.float16):
        out = F.linear(x, w)
        assert out.dtype == pygrad.float16
        assert F.cross_entropy(out, pygrad.tensor([0, 1, 2, 3])).dtype == pygrad.float32
    np.testing.assert_allclose(out.float().numpy(), (x @ w.mT).numpy(), rtol=1e-2, atol=2e-2)


# ---------------------------------------------------------------- autocast: state rules


def test_autocast_state_nesting_decorator_and_exceptions():
    assert not pygrad.is_autocast_enabled("cpu")
    assert pygrad.get_autocast_dtype("cpu") == pygrad.bfloat16
    with pygrad.autocast("cpu"):
        assert pygrad.is_autocast_enabled("cpu") and pygrad.is_autocast_cpu_enabled()
        with pygrad.autocast("cpu", enabled=False):
            assert not pygrad.is_autocast_enabled("cpu")
            assert (pygrad.randn(2, 3) @ pygrad.randn(3, 2)).dtype == pygrad.float32
        assert pygrad.is_autocast_enabled("cpu")
    with pytest.raises(KeyError), pygrad.autocast("cpu"):
        raise KeyError("inside")
    assert not pygrad.is_autocast_enabled("cpu")

    @pygrad.autocast("cpu")
    def product(a, b):
        return a @ b

    assert product(pygrad.randn(2, 3), pygrad.randn(3, 2)).dtype == pygrad.bfloat16
    assert not pygrad.is_autocast_enabled("cpu")
    pygrad.set_autocast_cpu_dtype(pygrad.float16)
    try:
        assert pygrad.get_autocast_cpu_dtype() == pygrad.float16
        with pygrad.autocast("cpu"):
            assert (pygrad.randn(2, 3) @ pygrad.randn(3, 2)).dtype == pygrad.float16
    finally:
        pygrad.set_autocast_cpu_dtype(pygrad.bfloat16)


def test_autocast_state_is_per_thread():
    seen = []
    with pygrad.autocast("cpu"):
        worker = threading.Thread(target=lambda: seen.append(pygrad.is_autocast_enabled("cpu")))
        worker.start()
        worker.join()
        assert pygrad.is_autocast_enabled("cpu")
    assert seen == [False]


def test_autocast_argument_errors_and_disabling_warnings():
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        pygrad.autocast(0)
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        region = pygrad.autocast("cpu", dtype=pygrad.float64)
    with region:
        assert not pygrad.is_autocast_enabled("cpu")
    if not pygrad.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"), pygrad.autocast("cuda"):
            assert not pygrad.is_autocast_enabled("cuda")
    with pytest.warns(FutureWarning, match="pygrad.cpu.amp.autocast"):
        region = pygrad.cpu.amp.autocast()
    with region:
        assert pygrad.is_autocast_enabled("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the supported forms warn about nothing
        with pygrad.amp.autocast("cpu", dtype=pygrad.bfloat16, cache_enabled=False):
            pass


# ---------------------------------------------------------------- autocast: training


def _mlp_pair(torch, rng):
    sizes = [(20, 32), (32, 32), (32, 5)]
    p_layers, t_layers = [], []
    for fan_in, fan_out in sizes:
        w = rng.standard_normal((fan_out, fan_in)).astype(np.float32) / np.sqrt(fan_in)
        b = rng.standard_normal(fan_out).astype(np.float32) * 0.1
        pl, tl = pygrad.nn.Linear(fan_in, fan_out), torch.nn.Linear(fan_in, fan_out)
        pl.load_state_dict({"weight": pygrad.from_numpy(w), "bias": pygrad.from_numpy(b)})
        tl.load_state_dict({"weight": torch.from_numpy(w), "bias": torch.from_numpy(b)})
        p_layers += [pl, pygrad.nn.ReLU()]
        t_layers += [tl, torch.nn.ReLU()]
    return pygrad.nn.Sequential(*p_layers[:-1]), torch.nn.Sequential(*t_layers[:-1])


def test_autocast_training_step_matches_torch_autocast():
    torch = import_torch()
    rng = np.random.default_rng(3)
    p_model, t_model = _mlp_pair(torch, rng)
    x = rng.standard_normal((64, 20)).astype(np.float32)
    y = rng.integers(0, 5, 64)
    with pygrad.autocast("cpu", dtype=pygrad.bfloat16):
        p_out = p_model(pygrad.from_numpy(x))
        p_loss = F.cross_entropy(p_out, pygrad.from_numpy(y))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        t_out = t_model(torch.from_numpy(x))
        t_loss = torch.nn.functional.cross_entropy(t_out, torch.from_numpy(y))
    assert p_out.dtype == pygrad.bfloat16 and p_loss.dtype == pygrad.float32
    p_loss.backward()
    t_loss.backward()
    assert abs(p_loss.item() - t_loss.item()) <= 2e-2 * abs(t_loss.item())
    for (name, p), tp in zip(p_model.named_parameters(), t_model.parameters()):
        assert p.grad.dtype == pygrad.float32, (
            name
        )  # the cast's backward brings float32 gradients home
        want = tp.grad.numpy()
        np.testing.assert_allclose(
            p.grad.numpy(), want, rtol=0.1, atol=0.05 * np.abs(want).max(), err_msg=name
        )


def test_autocast_training_follows_the_float32_loss_curve():
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((256, 20)).astype(np.float32)
    x, y = pygrad.from_numpy(xs), pygrad.from_numpy((xs[:, 0] + xs[:, 1] > 0).astype(np.int64))
    curves = {}
    for mixed in (False, True):
        pygrad.manual_seed(0)
        model = pygrad.nn.Sequential(
            pygrad.nn.Linear(20, 64), pygrad.nn.ReLU(), pygrad.nn.Linear(64, 2)
        )
        opt = pygrad.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(40):
            opt.zero_grad()
            with pygrad.autocast("cpu", enabled=mixed):
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves[mixed] = np.array(losses)
    assert curves[True][-1] < 0.5 * curves[True][0]
    np.testing.assert_allclose(curves[True], curves[False], rtol=0.05, atol=0.02)


def test_custom_fwd_casts_inputs_and_custom_bwd_restores_the_state():
    seen = {}

    class Square(pygrad.autograd.Function):
        @staticmethod
        @pygrad.amp.custom_fwd(device_type="cpu", cast_inputs=pygrad.float32)
        def forward(ctx, x):
            seen["forward"] = (x.dtype, pygrad.is_autocast_enabled("cpu"))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @pygrad.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            seen["backward"] = pygrad.is_autocast_enabled("cpu")
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = pygrad.randn(3).to(pygrad.bfloat16).requires_grad_(True)
    with pygrad.autocast("cpu"):
        out = Square.apply(x)
    out.sum().backward()
    assert seen["forward"] == (pygrad.float32, False)
    assert seen["backward"] is True  # backward sees the autocast state of its forward's region
    assert x.grad is not None


def test_fit_precision_bf16_mixed_and_the_demo_accuracy(tmp_path):
    from pygrad.demo import train
    from pygrad.train import fit

    with pytest.raises(ValueError, match="precision must be one of"):
        fit(pygrad.nn.Linear(2, 2), F.cross_entropy, None, [], precision="bf16")
    results = {
        p: train(seed=0, transfer=False, verbose=False, out=str(tmp_path / p), precision=p)
        for p in ("32", "bf16-mixed")
    }
    assert results["32"]["test_accuracy"] > 0.95
    # The bar: mixed precision within half a point of float32 on the demo.
    assert abs(results["bf16-mixed"]["test_accuracy"] - results["32"]["test_accuracy"]) <= 0.005

"""CPU kernels per instruction-set level: the vectorised float32 transcendentals (csrc/backend/cpu/vector_math/)
in ulps, with edge values, tails and threads; the per-level arithmetic loops bit for bit; max/min and column sums."""

import numpy as np
import pytest
from conftest import ISAS, forced_isa, num_threads

import pygrad

# Max error in float32 ulps of the exact (float64) result, per op; the scalar libm path is checked to the same bound.
ULP_BOUND = {"exp": 1.5, "log": 1.0, "sigmoid": 3.0, "tanh": 3.0}
REFERENCE = {
    "exp": np.exp,
    "log": np.log,  # NaN below 0, -inf at 0 (under errstate)
    "sigmoid": lambda x: (
        np.where(x < 0, np.exp(-np.abs(x)), 1.0) / (1 + np.exp(-np.abs(x)))
    ),  # never overflows
    "tanh": np.tanh,
}
EDGES = np.array(
    [
        np.inf,
        -np.inf,
        np.nan,
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        3e-39,
        -3e-39,
        1e-8,
        88.72,
        88.73,
        89.0,
        -87.3,
        -103.9,
        -104.5,
        9.0,
        -9.0,
        10.5,
        20.0,
        -0.347,
        0.347,
        0.173,
        1e30,
        -1e30,
    ],
    dtype=np.float32,
)


def ulp_error(got, reference):
    """|got - reference| in units of the float32 spacing at the reference (denormal spacing near 0)."""
    with np.errstate(over="ignore"):
        ref32 = reference.astype(np.float32)
    spacing = np.spacing(np.abs(ref32)).astype(np.float64)
    spacing[spacing == 0] = np.float64(np.float32(1.4e-45))
    return np.abs(got.astype(np.float64) - reference) / spacing


def inputs(rng, name):
    """Dense sweep of the domain where the op is not constant, random values, and the edge values."""
    if name == "log":  # every binade, denormals included, and densely around 1
        sweep = np.concatenate([np.geomspace(1e-45, 3e38, 200_003), np.linspace(0.5, 2.0, 100_001)])
    else:
        span = {"exp": (-105.0, 90.0), "sigmoid": (-110.0, 40.0), "tanh": (-12.0, 12.0)}[name]
        sweep = np.linspace(*span, 200_003)
    randoms = rng.normal(scale=4.0, size=50_000)
    return np.concatenate([sweep, randoms, EDGES]).astype(np.float32)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", sorted(ULP_BOUND))
def test_accuracy_and_edge_values(name, isa, rng):
    x = inputs(rng, name)
    with np.errstate(all="ignore"):
        reference = REFERENCE[name](x.astype(np.float64))
    with forced_isa(isa):
        got = getattr(pygrad, name)(pygrad.from_numpy(x)).numpy()
    with np.errstate(over="ignore"):
        reference32 = reference.astype(
            np.float32
        )  # beyond the float32 range the right answer is inf
    finite = np.isfinite(reference32)
    errors = ulp_error(got[finite], reference[finite])
    worst = int(np.argmax(errors))
    assert errors[worst] <= ULP_BOUND[name], (
        f"{name} on {isa}: {errors[worst]:.2f} ulp at x={x[finite][worst]!r}"
    )
    # inf, -inf and NaN come out exactly as the reference says; signed zeros keep their sign.
    np.testing.assert_array_equal(got[~finite], reference32[~finite])
    if name == "tanh":
        zeros = x == 0
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(x[zeros]))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", sorted(ULP_BOUND))
def test_result_independent_of_length_offset_and_threads(name, isa, rng):
    """Tails run through the vector code too: an element's result never depends on where a row or split falls."""
    x = (rng.normal(size=70_001) * 6).astype(np.float32)
    op = getattr(pygrad, name)
    with forced_isa(isa):
        with num_threads(1):
            whole = op(pygrad.from_numpy(x)).numpy()
        with num_threads(2):
            np.testing.assert_array_equal(op(pygrad.from_numpy(x)).numpy(), whole)
        for start, stop in [(0, 0), (0, 1), (3, 10), (5, 21), (1, 33), (7, 70_001)]:
            part = op(pygrad.from_numpy(np.ascontiguousarray(x[start:stop]))).numpy()
            np.testing.assert_array_equal(part, whole[start:stop])
        # Non-contiguous input takes the strided scalar loop; it must agree within the same ulp bound.
        strided = op(pygrad.from_numpy(x)[::3]).numpy()
        with np.errstate(all="ignore"):
            reference = REFERENCE[name](x[::3].astype(np.float64))
        finite = np.isfinite(reference)
        assert ulp_error(strided[finite], reference[finite]).max() <= ULP_BOUND[name]
        np.testing.assert_array_equal(np.isnan(strided), np.isnan(reference))


@pytest.mark.parametrize("name", sorted(ULP_BOUND))
def test_float64_and_gradients_unchanged(name, rng):
    """float64 keeps the libm path; the backward rules reuse the vectorised result and still match gradcheck."""
    positive = name == "log"  # inside the domain
    values = rng.normal(size=(3, 5))
    x = pygrad.from_numpy(np.abs(values) + 0.1 if positive else values).requires_grad_()
    assert pygrad.autograd.gradcheck(getattr(pygrad, name), (x,))
    x32 = rng.normal(size=1000).astype(np.float32)
    x32 = np.abs(x32) + np.float32(0.1) if positive else x32
    out = getattr(pygrad, name)(pygrad.from_numpy(x32.astype(np.float64))).numpy()
    np.testing.assert_allclose(out, REFERENCE[name](x32.astype(np.float64)), rtol=1e-15, atol=0)


EXACT_UNARY = ["neg", "abs", "relu", "sqrt"]
EXACT_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arithmetic_identical_at_every_level(dtype, rng):
    """The contiguous loops compiled per level (csrc/backend/cpu/elementwise.cpp) give the portable loop's bits,
    for whole rows, broadcast scalars and tails, with NaN, inf and signed zeros mixed in."""
    x = rng.normal(size=1037).astype(dtype)
    y = rng.normal(size=1037).astype(dtype)
    x[::97], y[::89], x[5], y[7], x[11] = np.nan, np.inf, -0.0, 0.0, -np.inf
    px, py = pygrad.from_numpy(x), pygrad.from_numpy(y)
    results = {}
    for level in ISAS:
        with forced_isa(level):
            out = [getattr(pygrad, name)(px).numpy() for name in EXACT_UNARY]
            out += [getattr(pygrad, name)(px, py).numpy() for name in EXACT_BINARY]
            out += [
                (px * 2.5).numpy(),
                (3.0 - px).numpy(),
                (px[5:] / py[:1]).numpy(),
                pygrad.clamp(px, -0.5, 0.7).numpy(),
            ]
            results[level] = out
    with np.errstate(all="ignore"):
        expected = [-x, np.abs(x), np.where(x > 0, x, np.where(np.isnan(x), x, 0)), np.sqrt(x)]
        expected += [x + y, x - y, x * y, x / y, np.maximum(x, y), np.minimum(x, y)]
        expected += [x * dtype(2.5), dtype(3.0) - x, x[5:] / y[:1], np.clip(x, -0.5, 0.7)]
    for level, out in results.items():
        for got, want in zip(out, expected):
            np.testing.assert_array_equal(got, want, err_msg=level)
    # Small integer powers take multiplications (the same at every level), others libm's pow.
    powers = {}
    for level in ISAS:
        with forced_isa(level):
            powers[level] = [(px**e).numpy() for e in (3, -1, 1, 2.5)]
    for level, out in powers.items():
        for got, ref in zip(out, powers[ISAS[0]]):
            np.testing.assert_array_equal(got, ref, err_msg=level)
    with np.errstate(all="ignore"):
        for got, e in zip(powers[ISAS[-1]], (3, -1, 1, 2.5)):
            np.testing.assert_allclose(
                got, x.astype(np.float64) ** e, rtol=4 * np.finfo(dtype).eps, atol=0
            )


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_max_min_and_column_sums_at_every_level(isa, dtype, rng):
    """amax/amin (vector row loop, side-by-side column loop) and sum over dim 0 at each level, against numpy:
    rows around the vector widths, NaN anywhere winning, infinities, non-contiguous input."""
    for rows, cols in [
        (3, 1),
        (4, 15),
        (5, 16),
        (2, 17),
        (3, 31),
        (6, 33),
        (7, 100),
        (300, 5),
        (2, 700),
    ]:
        x = (rng.standard_normal((rows, cols)) * 50).astype(dtype)
        if dtype != np.int64:
            x[rows // 2, cols // 2] = np.inf
            x[0, -1] = -np.inf
            if rows > 2:
                x[rows - 1, (3 * cols) // 4] = np.nan
        px = pygrad.from_numpy(x)
        with forced_isa(isa), np.errstate(invalid="ignore"):
            for dim in (0, 1, None):
                kwargs = {} if dim is None else {"dim": dim}
                np.testing.assert_array_equal(
                    px.amax(**kwargs).numpy(), x.max(axis=dim), err_msg=f"{rows}x{cols} {dim}"
                )
                np.testing.assert_array_equal(
                    px.amin(**kwargs).numpy(), x.min(axis=dim), err_msg=f"{rows}x{cols} {dim}"
                )
            np.testing.assert_array_equal(
                px.mT.amax(dim=1).numpy(), x.T.max(axis=1)
            )  # strided rows
            sums = px.sum(0).numpy()
            reference = x.astype(np.float64).sum(axis=0)
            if dtype == np.int64:
                np.testing.assert_array_equal(sums, reference.astype(np.int64))
            else:
                np.testing.assert_allclose(
                    sums, reference, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-3
                )


def test_uniform_random_numbers_identical_at_every_level_and_thread_count():
    """float32 rand: 32 numbers per group of eight Philox counters, vectorised per level; the same bits at every
    level, thread count and length (a shorter draw is a prefix of a longer one), and uniform on [0, 1)."""
    draws = {}
    for level in ISAS:
        for threads in (1, 2):
            with forced_isa(level), num_threads(threads):
                pygrad.manual_seed(1234)
                draws[level, threads] = pygrad.rand(300_007).numpy()
    reference = draws[ISAS[0], 1]
    for key, values in draws.items():
        np.testing.assert_array_equal(values, reference, err_msg=str(key))
    for n in (1, 7, 31, 32, 33, 65, 40_000):
        pygrad.manual_seed(1234)
        np.testing.assert_array_equal(pygrad.rand(n).numpy(), reference[:n])
    assert reference.min() >= 0.0 and reference.max() < 1.0
    counts, _ = np.histogram(reference, bins=20, range=(0.0, 1.0))
    expected = reference.size / 20
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected)), counts
    # Neighbouring numbers (different words of one counter, or different counters) are uncorrelated.
    assert abs(np.corrcoef(reference[:-1], reference[1:])[0, 1]) < 0.01
    assert abs(np.corrcoef(reference[:-8], reference[8:])[0, 1]) < 0.01


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_argmax_argmin_first_extreme_and_first_nan_at_every_level(isa, dtype, rng):
    """The vector (value, index) loop returns what numpy's scan returns: the first of tied extremes, the first NaN."""
    for n in (1, 5, 16, 31, 32, 33, 100, 1000):
        a = rng.integers(-3, 4, size=(7, n)).astype(dtype)  # many ties
        if dtype != np.int64 and n > 3:
            a[1, n // 2] = a[1, n - 1] = a[2, 3] = np.nan
        with forced_isa(isa):
            for ours, theirs in ((pygrad.argmax, np.argmax), (pygrad.argmin, np.argmin)):
                np.testing.assert_array_equal(
                    ours(pygrad.from_numpy(a), 1).numpy(), theirs(a, 1), err_msg=str(n)
                )
                np.testing.assert_array_equal(
                    ours(pygrad.from_numpy(a)).numpy(), theirs(a), err_msg=str(n)
                )


@pytest.mark.parametrize("isa", ISAS)
def test_gelu_tanh_form_against_an_accurate_reference(isa):
    """GELU's tanh approximation as x * sigmoid(2y) (no cancellation in 1 + tanh y for negative x)."""
    x = np.concatenate([np.linspace(-20, 20, 200_001), [np.inf, np.nan, 0.0, -0.0]]).astype(
        np.float32
    )
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        reference = x64 / (1 + np.exp(-2 * np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3)))
    with forced_isa(isa):
        got = pygrad.nn.functional.gelu(pygrad.from_numpy(x), approximate="tanh").numpy()
    finite = np.isfinite(reference)
    np.testing.assert_allclose(got[finite], reference[finite], rtol=2e-6, atol=1e-6)
    assert got[-4] == np.inf and np.isnan(got[-3]) and got[-2] == 0.0


# Ops computed by glibc's libmvec on float32 arrays (csrc/backend/cpu/vector_math/libmvec.cpp), with the domain
# to sweep and the largest error in ulps seen from libmvec (documented at 4) or from scalar libm.
LIBMVEC = {
    "sin": (-30.0, 30.0),
    "cos": (-30.0, 30.0),
    "tan": (-3.0, 3.0),
    "asin": (-1.0, 1.0),
    "acos": (-1.0, 1.0),
    "atan": (-50.0, 50.0),
    "sinh": (-80.0, 80.0),
    "cosh": (-80.0, 80.0),
    "asinh": (-1e4, 1e4),
    "acosh": (1.0, 1e4),
    "atanh": (-0.999, 0.999),
    "exp2": (-140.0, 120.0),
    "expm1": (-20.0, 80.0),
    "log2": (1e-3, 1e6),
    "log10": (1e-3, 1e6),
    "log1p": (-0.999, 1e6),
    "erf": (-5.0, 5.0),
    "erfc": (-5.0, 9.0),
}
LIBMVEC_EDGES = np.concatenate(
    [EDGES, np.array([1e4, -1e4, 1e6, 1e20, 2.0, -2.0], dtype=np.float32)]
)


def _numpy_reference(name):
    aliases = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh"}
    aliases.update({"acosh": "arccosh", "atanh": "arctanh"})
    if name in ("erf", "erfc"):
        import math

        return np.vectorize(getattr(math, name), otypes=[np.float64])
    return getattr(np, aliases.get(name, name))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", sorted(LIBMVEC))
def test_libmvec_ops_accuracy_edges_and_tails(name, isa, rng):
    """Within 4 ulps of the float64 result over the domain and at the edge values (inf, NaN, signed zeros
    exactly as the reference), and an element's result independent of the array's length and threads."""
    lo, hi = LIBMVEC[name]
    x = np.concatenate(
        [np.linspace(lo, hi, 20_011), rng.uniform(lo, hi, 5_000), LIBMVEC_EDGES]
    ).astype(np.float32)
    with np.errstate(all="ignore"):
        reference = _numpy_reference(name)(x.astype(np.float64))
        reference32 = reference.astype(np.float32)
    with forced_isa(isa):
        got = getattr(pygrad, name)(pygrad.from_numpy(x)).numpy()
        with num_threads(1):
            whole = getattr(pygrad, name)(pygrad.from_numpy(x)).numpy()
        part = getattr(pygrad, name)(pygrad.from_numpy(np.ascontiguousarray(x[3:40]))).numpy()
    np.testing.assert_array_equal(got, whole)
    np.testing.assert_array_equal(part, whole[3:40])
    finite = np.isfinite(reference32)
    errors = ulp_error(got[finite], reference[finite])
    worst = int(np.argmax(errors))
    assert errors[worst] <= 4.0, (
        f"{name} on {isa}: {errors[worst]:.2f} ulp at x={x[finite][worst]!r}"
    )
    np.testing.assert_array_equal(np.isnan(got[~finite]), np.isnan(reference32[~finite]))
    nonnan = ~finite & ~np.isnan(reference32)
    np.testing.assert_array_equal(got[nonnan], reference32[nonnan])
    zeros = (x == 0) & (reference32 == 0)
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(reference32[zeros]))


def test_libmvec_can_be_turned_off_and_agrees_with_libm(tmp_path):
    """PYGRAD_DISABLE_LIBMVEC=1 runs scalar libm: the two paths agree within the ulp bound."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, pygrad\n"
        "x = np.linspace(-3, 3, 1001).astype(np.float32)\n"
        "np.save(sys.argv[1], np.stack([pygrad.tan(pygrad.from_numpy(x)).numpy(),"
        " pygrad.erf(pygrad.from_numpy(x)).numpy()]))\n"
    )
    outs = []
    for off in ("1", "0"):
        path = str(tmp_path / f"out{off}.npy")
        # The child imports the pygrad this process imported (installed, or a development tree), from
        # outside the repo root, whose pygrad/ has no built extension.
        root = os.path.dirname(os.path.dirname(pygrad.__file__))
        env = dict(os.environ, PYGRAD_DISABLE_LIBMVEC=off, PYTHONPATH=root)
        r = subprocess.run(
            [sys.executable, "-c", code, path],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        outs.append(np.load(path))
    x = np.linspace(-3, 3, 1001).astype(np.float32).astype(np.float64)
    for i, ref in enumerate((np.tan(x), _numpy_reference("erf")(x))):
        for out in outs:
            assert ulp_error(out[i], ref).max() <= 4.0

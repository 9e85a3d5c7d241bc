"""Shared test helpers: seeded random inputs, non-contiguous copies, numpy/torch conversion, the torch import."""

import contextlib

import numpy as np
import pytest

import pygrad
from pygrad import _C

SEED = 20240607

ISA_ORDER = ("portable", "avx2", "avx512")
# The instruction-set levels this CPU can run, lowest first: each can be forced for a test.
ISAS = [
    name
    for name in ISA_ORDER
    if ISA_ORDER.index(name) <= ISA_ORDER.index(_C.detected_cpu_capability())
]


@contextlib.contextmanager
def forced_isa(name):
    """Runs the block with the CPU kernels of one instruction set, restoring the previous choice afterwards."""
    before = _C.cpu_capability()
    _C.set_cpu_capability(name)
    try:
        yield
    finally:
        _C.set_cpu_capability(before)


@contextlib.contextmanager
def num_threads(n):
    """Runs the block with n kernel threads, restoring the previous count afterwards."""
    before = pygrad.get_num_threads()
    pygrad.set_num_threads(n)
    try:
        yield
    finally:
        pygrad.set_num_threads(before)


@pytest.fixture
def rng():
    """A numpy Generator seeded the same way for every test, so a failure reproduces."""
    return np.random.default_rng(SEED)


def make_rng(*keys):
    """A Generator seeded from SEED and the given keys (e.g. an op name and a sample number)."""
    # hash() of a str is salted per process: derive a stable seed from the characters instead.
    material = [SEED] + [sum((i + 1) * ord(c) for i, c in enumerate(str(k))) for k in keys]
    return np.random.default_rng(material)


def not_all_zero(array, rng):
    """Returns array with one element set to a nonzero value when every element is zero (and it has any)."""
    if array.size and not np.any(array):
        flat = array.reshape(-1).copy()
        flat[rng.integers(flat.size)] = 1
        return flat.reshape(array.shape)
    return array


def uniform(rng, shape, low=-2.0, high=2.0):
    """float64 values uniform in [low, high), never all zeros."""
    return not_all_zero(rng.uniform(low, high, size=shape), rng)


def to_pygrad(array, requires_grad=False, dtype=None):
    """A pygrad tensor owning a copy of a numpy array (float64 -> dtype when given)."""
    array = np.array(array if dtype is None else array.astype(dtype), order="C")
    t = pygrad.from_numpy(array.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(t):
    """The values of a pygrad tensor as a numpy array (detached copy)."""
    return np.array(t.detach().numpy(), copy=True)


def non_contiguous(array, mode="step", requires_grad=False):
    """A pygrad tensor with array's values whose memory layout is not contiguous.

    mode "step": allocate a tensor twice as long in the last dim and take every other element.
    mode "transpose": store the transposed values contiguously and transpose back (a permuted view).
    Tensors with fewer than one (step) or two (transpose) dims come back contiguous: no other layout exists.
    """
    array = np.asarray(array)
    if mode == "step" and array.ndim >= 1:
        big = np.zeros((*array.shape[:-1], 2 * array.shape[-1] + 1), dtype=array.dtype)
        big[..., 1::2] = array
        big[..., 0::2] = 7  # garbage that must never leak into a result
        base = pygrad.from_numpy(big)
        t = base[..., 1::2]
    elif mode == "transpose" and array.ndim >= 2:
        base = pygrad.from_numpy(np.ascontiguousarray(np.swapaxes(array, -1, -2)))
        t = base.transpose(-1, -2)
    else:
        t = pygrad.from_numpy(np.array(array, order="C", copy=True))
    assert t.shape == array.shape
    np.testing.assert_array_equal(to_numpy(t), array)
    if requires_grad:
        # A view of a leaf can't be a leaf: detach keeps the strided layout and makes a fresh leaf.
        t = t.detach().requires_grad_(True)
    return t


def import_torch():
    """torch, or skip the test with a clear reason when it is not installed."""
    return pytest.importorskip(
        "torch", reason="PyTorch (the reference implementation) is not installed"
    )


def assert_close(actual, expected, rtol, atol, what=""):
    """Compares two numpy arrays: same shape, then values within tolerance (NaNs must match)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape} != expected {expected.shape}"
    )
    if expected.dtype == np.bool_ or np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(
            actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what
        )


def run_python(code, timeout=120, check=False, extra_env=None):
    """Runs code in a fresh interpreter that imports the same pygrad as this process (with extra_env
    added to the environment).

    It runs from tests/, not the repository root, whose pygrad/ source folder has no built extension
    in a clean clone.
    """
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pygrad.__file__)))
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )

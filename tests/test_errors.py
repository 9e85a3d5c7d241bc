"""Bad inputs raise the right Python exception with a message naming the op and the offending shapes/dtypes,
and none of them crashes the interpreter."""

import re
import subprocess
import sys

import numpy as np
import pytest

import pygrad
import pygrad.nn.functional as F

RNG = np.random.default_rng(3)


def _r(*shape, dtype=np.float32):
    return pygrad.tensor((RNG.uniform(0.5, 2.0, size=shape)).astype(dtype))


def _backward_twice():
    x = pygrad.tensor(RNG.uniform(0.5, 2.0, size=3), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _int_requires_grad_factory():
    return pygrad.zeros(3, dtype=pygrad.int64, requires_grad=True)


# (id, callable, exception type, regexes that must all appear in the message)
CASES = [
    ("add_shape", lambda: _r(2, 3) + _r(4, 5), ValueError, [r"\[add\]", r"\[2, 3\]", r"\[4, 5\]"]),
    (
        "add_fn_shape",
        lambda: pygrad.add(_r(2, 3), _r(3, 2)),
        ValueError,
        [r"\[add\]", r"\[2, 3\]", r"\[3, 2\]"],
    ),
    ("mul_shape", lambda: _r(5) * _r(4), ValueError, [r"\[mul\]", r"\[5\]", r"\[4\]"]),
    (
        "sub_inplace_shape",
        lambda: _r(2, 3).sub_(_r(3, 3)),
        ValueError,
        [r"\[sub", r"\[2, 3\]", r"\[3, 3\]"],
    ),
    (
        "matmul_shape",
        lambda: _r(2, 3) @ _r(4, 5),
        ValueError,
        [r"\[matmul\]", r"\[2, 3\]", r"\[4, 5\]"],
    ),
    ("matmul_batch_shape", lambda: _r(2, 3, 4) @ _r(3, 4, 5), ValueError, [r"\[matmul\]"]),
    (
        "matmul_dtype",
        lambda: _r(2, 3) @ _r(3, 2, dtype=np.float64),
        TypeError,
        [r"\[matmul\]", "float32", "float64"],
    ),
    ("matmul_0d", lambda: pygrad.tensor(1.0) @ _r(2, 3), ValueError, [r"\[matmul\]", r"\[\]"]),
    (
        "cross_entropy_target_range",
        lambda: F.cross_entropy(_r(4, 3), pygrad.tensor([0, 1, 3, 2])),
        IndexError,
        [r"\[cross_entropy\]", r"\b3\b"],
    ),
    (
        "cross_entropy_negative_target",
        lambda: F.cross_entropy(_r(4, 3), pygrad.tensor([0, 1, -5, 2])),
        IndexError,
        [r"\[cross_entropy\]", r"-5"],
    ),
    (
        "gather_index_range",
        lambda: pygrad.gather(_r(2, 3), 1, pygrad.tensor([[0, 5], [1, 2]])),
        IndexError,
        [r"\[gather\]", r"\b5\b", r"\b3\b"],
    ),
    (
        "gather_index_dtype",
        lambda: pygrad.gather(_r(2, 3), 1, _r(2, 1)),
        TypeError,
        [r"\[gather\]", "float32"],
    ),
    (
        "index_select_range",
        lambda: _r(2, 3).index_select(0, pygrad.tensor([0, 2])),
        IndexError,
        [r"\[index_select\]", r"\b2\b"],
    ),
    (
        "scatter_add_range",
        lambda: pygrad.scatter_add(pygrad.zeros(3), 0, pygrad.tensor([0, 7]), pygrad.ones(2)),
        IndexError,
        [r"\[scatter_add\]", r"\b7\b"],
    ),
    (
        "int_requires_grad",
        lambda: pygrad.tensor([1, 2]).requires_grad_(),
        RuntimeError,
        [r"\[requires_grad\]", "int64"],
    ),
    (
        "int_requires_grad_factory",
        _int_requires_grad_factory,
        RuntimeError,
        [r"\[requires_grad\]", "int64"],
    ),
    (
        "int_tensor_requires_grad",
        lambda: pygrad.tensor([1, 2], requires_grad=True),
        RuntimeError,
        ["int64"],
    ),
    ("bad_dim_sum", lambda: _r(2, 3).sum(dim=5), IndexError, [r"\[sum\]", r"\b5\b", "2-d"]),
    (
        "bad_dim_transpose",
        lambda: _r(2, 3).transpose(0, 3),
        IndexError,
        [r"\[transpose\]", r"\b3\b"],
    ),
    ("bad_dim_softmax", lambda: _r(2, 3).softmax(-3), IndexError, [r"\[softmax\]", r"-3"]),
    (
        "bad_dim_log_softmax",
        lambda: _r(2, 3).log_softmax(2),
        IndexError,
        [r"\[log_softmax\]", r"\b2\b"],
    ),
    ("bad_dim_squeeze", lambda: _r(2, 3).squeeze(4), IndexError, [r"\[squeeze\]", r"\b4\b"]),
    ("bad_dim_cat", lambda: pygrad.cat([_r(2), _r(2)], dim=1), IndexError, [r"\[cat\]"]),
    ("bad_dim_size", lambda: _r(2, 3).size(2), IndexError, [r"\[size\]", r"\b2\b"]),
    ("backward_twice", _backward_twice, RuntimeError, [r"\[backward\]", "retain_graph"]),
    (
        "backward_non_scalar",
        lambda: (pygrad.tensor([1.0, 2.0], requires_grad=True) * 2).backward(),
        RuntimeError,
        [r"\[backward\]", r"\[2\]"],
    ),
    (
        "numpy_object_dtype",
        lambda: pygrad.tensor(np.array([1, None], dtype=object)),
        TypeError,
        [r"\[tensor\]", "object"],
    ),
    (
        "from_numpy_object_dtype",
        lambda: pygrad.from_numpy(np.array([1.0, 2.0], dtype=object)),
        TypeError,
        [r"\[from_numpy\]", "object"],
    ),
    ("numpy_str_dtype", lambda: pygrad.tensor(np.array(["a", "b"])), TypeError, [r"\[tensor\]"]),
    ("ragged_list", lambda: pygrad.tensor([[1, 2], [3]]), ValueError, [r"\[tensor\]"]),
    ("negative_size_zeros", lambda: pygrad.zeros(-1, 3), ValueError, [r"-1", r"\[-1, 3\]"]),
    ("negative_size_ones", lambda: pygrad.ones(2, -5), ValueError, [r"-5"]),
    ("negative_size_empty", lambda: pygrad.empty(-2), ValueError, [r"\[empty\]", r"-2"]),
    ("negative_size_randn", lambda: pygrad.randn(3, -1), ValueError, [r"\[randn\]", r"-1"]),
    (
        "huge_zeros",
        lambda: pygrad.zeros(2**40, 2**40),
        (ValueError, RuntimeError),
        [r"1099511627776"],
    ),
    (
        "huge_zeros_fits_int64",
        lambda: pygrad.zeros(2**31, 2**15),
        (ValueError, RuntimeError),
        [r"too large"],
    ),
    ("huge_empty", lambda: pygrad.empty(2**62), (ValueError, RuntimeError), [r"\[empty\]"]),
    ("huge_rand", lambda: pygrad.rand(2**33, 2**33), (ValueError, RuntimeError), [r"\[rand\]"]),
    (
        "size_overflow_int64",
        lambda: pygrad.zeros(2**70),
        (ValueError, OverflowError, TypeError),
        [r""],
    ),
    ("unsupported_dtype_str", lambda: pygrad.zeros(2, dtype="complex64"), TypeError, ["complex64"]),
    ("unsupported_dtype_numpy", lambda: pygrad.zeros(2, dtype=np.uint16), TypeError, ["uint16"]),
    (
        "unsupported_dtype_to",
        lambda: _r(2)._to_dtype("complex64"),
        TypeError,
        [r"\[to\]", "complex64"],
    ),
    (
        "reshape_incompatible",
        lambda: _r(2, 3).reshape(4, 2),
        ValueError,
        [r"\[reshape\]", r"\[4, 2\]", r"\b6\b"],
    ),
    ("reshape_two_minus_one", lambda: _r(2, 3).reshape(-1, -1), ValueError, [r"\[reshape\]"]),
    ("view_incompatible", lambda: _r(2, 3).view(7), ValueError, [r"\[view\]", r"\[7\]"]),
    ("view_non_viewable", lambda: _r(2, 3).T.view(6), RuntimeError, [r"\[view\]", "reshape"]),
    ("slice_step_zero", lambda: _r(4, 3)[::0], ValueError, [r"\[index\]", "step", r"\b0\b"]),
    ("slice_step_negative", lambda: _r(4, 3)[:, ::-1], ValueError, [r"\[index\]", "step", r"-1"]),
    (
        "too_many_indices",
        lambda: _r(2, 3)[0, 0, 0],
        IndexError,
        [r"\[index\]", "too many", r"\b2\b"],
    ),
    ("index_out_of_range", lambda: _r(2, 3)[5], IndexError, [r"\[index\]", r"\b5\b", "size 2"]),
    (
        "index_negative_out_of_range",
        lambda: _r(2, 3)[:, -4],
        IndexError,
        [r"\[index\]", r"-4", "size 3"],
    ),
    ("two_ellipses", lambda: _r(2, 3)[..., ...], IndexError, [r"\[index\]"]),
    ("float_index", lambda: _r(2, 3)[1.5], IndexError, [r"\[index\]", "float"]),
    ("select_out_of_range", lambda: _r(2, 3).select(0, 2), IndexError, [r"\[select\]", r"\b2\b"]),
    ("narrow_out_of_range", lambda: _r(2, 3).narrow(1, 2, 5), IndexError, [r"\[narrow\]"]),
    (
        "cat_mismatch",
        lambda: pygrad.cat([_r(2, 3), _r(4, 5)]),
        ValueError,
        [r"\[cat\]", r"\[2, 3\]", r"\[4, 5\]"],
    ),
    ("cat_rank_mismatch", lambda: pygrad.cat([_r(2, 3), _r(3)]), ValueError, [r"\[cat\]"]),
    ("cat_empty", lambda: pygrad.cat([]), ValueError, [r"\[cat\]"]),
    (
        "stack_mismatch",
        lambda: pygrad.stack([_r(2, 3), _r(3, 2)]),
        ValueError,
        [r"\[stack\]", r"\[2, 3\]", r"\[3, 2\]"],
    ),
    (
        "expand_bad",
        lambda: _r(2, 3).expand(3, 3),
        ValueError,
        [r"\[expand\]", r"\[3, 3\]", r"\[2, 3\]"],
    ),
    ("permute_repeated", lambda: _r(2, 3).permute(0, 0), ValueError, [r"\[permute\]"]),
    ("permute_wrong_count", lambda: _r(2, 3).permute(0), ValueError, [r"\[permute\]"]),
    (
        "where_shape",
        lambda: pygrad.where(pygrad.tensor([True, False]), _r(2, 3), _r(4, 5)),
        ValueError,
        [r"\[where\]"],
    ),
    (
        "mse_shape",
        lambda: F.mse_loss(_r(2, 3), _r(4, 5)),
        ValueError,
        [r"\[", r"\[2, 3\]", r"\[4, 5\]"],
    ),
    (
        "randn_int_dtype",
        lambda: pygrad.randn(3, dtype=pygrad.int64),
        TypeError,
        [r"\[randn\]", "int64"],
    ),
    ("randint_bad_range", lambda: pygrad.randint(5, 2, (3,)), ValueError, [r"\[randint\]"]),
    ("arange_zero_step", lambda: pygrad.arange(0, 10, 0), ValueError, [r"\[arange\]", "step"]),
    (
        "linspace_negative_steps",
        lambda: pygrad.linspace(0, 1, -2),
        ValueError,
        [r"\[linspace\]", r"-2"],
    ),
    ("eye_negative", lambda: pygrad.eye(-2), ValueError, [r"\[eye\]"]),
    ("item_many", lambda: _r(2, 3).item(), RuntimeError, [r"\[item\]", r"\b6\b"]),
    ("div_inplace_int", lambda: pygrad.tensor([1, 2]).div_(2), TypeError, [r"\[div", "int64"]),
    (
        "sub_bool",
        lambda: pygrad.tensor([True]) - pygrad.tensor([False]),
        TypeError,
        [r"\[sub\]", "bool"],
    ),
    ("fill_non_scalar", lambda: _r(2, 3).fill_(_r(3)), ValueError, [r"\[fill_\]"]),
    (
        "setitem_shape",
        lambda: _r(2, 3).__setitem__(0, _r(4)),
        ValueError,
        [r"\[copy_\]", r"\[3\]", r"\[4\]"],
    ),
    (
        "grad_assign_shape",
        lambda: setattr(pygrad.tensor([1.0, 2.0, 3.0], requires_grad=True), "grad", _r(4)),
        ValueError,
        [r"\[grad\]", r"\[4\]", r"\[3\]"],
    ),
    (
        "set_num_threads_zero",
        lambda: pygrad.set_num_threads(0),
        ValueError,
        [r"\[set_num_threads\]"],
    ),
    ("device_unknown", lambda: pygrad.zeros(2, device="tpu"), ValueError, ["tpu"]),
    ("device_cuda", lambda: pygrad.zeros(2, device="cuda"), RuntimeError, ["CUDA"]),
    ("len_0d", lambda: len(pygrad.tensor(1.0)), TypeError, [r"\[len\]"]),
    (
        "numpy_requires_grad",
        lambda: pygrad.tensor([1.0], requires_grad=True).numpy(),
        RuntimeError,
        [r"\[numpy\]"],
    ),
    (
        "from_numpy_not_array",
        lambda: pygrad.from_numpy([1.0]),
        TypeError,
        [r"\[from_numpy\]", "list"],
    ),
    ("from_dlpack_bad", lambda: pygrad.from_dlpack(3), TypeError, [r"\[from_dlpack\]"]),
    ("sizes_float", lambda: pygrad.zeros(2.5), TypeError, [r"\[zeros\]", "float"]),
    ("operand_bad_type", lambda: pygrad.add(_r(2), "abc"), TypeError, [r"\[add\]"]),
]


@pytest.mark.parametrize("fn, exc, patterns", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error(fn, exc, patterns):
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not found in {message!r}"


def test_error_inside_backward_leaves_state_usable():
    x = pygrad.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: pygrad.ones(3))
    with pytest.raises(ValueError, match=r"\[hook\]"):
        (x * 2).sum().backward()
    assert pygrad.is_grad_enabled()
    y = pygrad.tensor([1.0, 2.0], requires_grad=True)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]


def test_python_exception_in_hook_propagates():
    x = pygrad.tensor([1.0, 2.0], requires_grad=True)

    def bad(g):
        raise KeyError("from the hook")

    x.register_hook(bad)
    with pytest.raises(KeyError, match="from the hook"):
        (x * 2).sum().backward()
    assert pygrad.is_grad_enabled()


def test_errors_do_not_crash_interpreter():
    # Run every bad input in a fresh interpreter: a segfault or abort would show as a bad return code.
    names = [c[0] for c in CASES]
    code = (
        "import sys\n"
        "sys.path.insert(0, '.')\n"
        "import test_errors as T\n"
        "n = 0\n"
        "for name, fn, exc, _ in T.CASES:\n"
        "    try:\n"
        "        fn()\n"
        "    except Exception:\n"
        "        n += 1\n"
        "print('survived', n)\n"
    )
    import os

    # Run from tests/ so the source tree's pygrad/ (no built extension in a clean clone) is not imported.
    here = os.path.dirname(os.path.abspath(__file__))
    # The child imports the same pygrad this process imported (installed, or a development tree).
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pygrad.__file__)))
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=here, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"survived {len(names)}" in r.stdout

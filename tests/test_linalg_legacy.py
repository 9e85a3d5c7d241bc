"""torch's legacy top-level linear algebra (svd, qr, cholesky, triangular_solve) against torch 2.13: results,
named-tuple fields, shapes for some / compute_uv, and gradients."""

import warnings

import numpy as np
import pytest

import pygrad

torch = pytest.importorskip("torch")


def _arrays(rng):
    a = rng.standard_normal((3, 5, 4))
    spd = rng.standard_normal((4, 4))
    spd = spd @ spd.T + 4 * np.eye(4)
    tri = np.triu(rng.standard_normal((4, 4))) + 3 * np.eye(4)
    return a, spd, tri, rng.standard_normal((4, 2))


@pytest.fixture(autouse=True)
def _quiet_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that these forms are deprecated
        yield


@pytest.mark.parametrize("some", [True, False])
def test_svd_and_qr_match_torch(rng, some):
    a = _arrays(rng)[0]
    u, s, v = pygrad.svd(pygrad.from_numpy(a), some=some)
    tu, ts, tv = torch.svd(torch.from_numpy(a), some=some)
    assert (u.shape, s.shape, v.shape) == (tuple(tu.shape), tuple(ts.shape), tuple(tv.shape))
    np.testing.assert_allclose(s.numpy(), ts.numpy(), atol=1e-12)
    k = s.shape[-1]
    rebuilt = (u[..., :k] * s[..., None, :]) @ v[..., :k].mT
    np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-12)
    q, r = pygrad.from_numpy(a).qr(some=some)
    tq, tr = torch.qr(torch.from_numpy(a), some=some)
    assert (q.shape, r.shape) == (tuple(tq.shape), tuple(tr.shape))
    np.testing.assert_allclose(np.abs(r.numpy()), np.abs(tr.numpy()), atol=1e-12)
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)


def test_svd_without_uv_gives_zero_square_factors(rng):
    a = _arrays(rng)[0]
    result = pygrad.svd(pygrad.from_numpy(a), compute_uv=False)
    expected = torch.svd(torch.from_numpy(a), compute_uv=False)
    assert result._fields == ("U", "S", "V")
    assert result.U.shape == tuple(expected.U.shape) and result.V.shape == tuple(expected.V.shape)
    assert float(result.U.abs().sum()) == 0.0
    np.testing.assert_allclose(result.S.numpy(), expected.S.numpy(), atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_and_its_gradient_match_torch(rng, upper):
    spd = _arrays(rng)[1]
    x = pygrad.from_numpy(spd).requires_grad_(True)
    tx = torch.from_numpy(spd).requires_grad_(True)
    out, tout = pygrad.cholesky(x, upper=upper), torch.cholesky(tx, upper=upper)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
    g = rng.standard_normal((4, 4))
    out.backward(pygrad.from_numpy(g))
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize(
    "upper,transpose,unit", [(True, False, False), (True, True, False), (False, False, True)]
)
def test_triangular_solve_matches_torch(rng, upper, transpose, unit):
    _, _, tri, b = _arrays(rng)
    a = tri if upper else tri.T
    pb = pygrad.from_numpy(b).requires_grad_(True)
    tb = torch.from_numpy(b).requires_grad_(True)
    got = pb.triangular_solve(
        pygrad.from_numpy(a), upper=upper, transpose=transpose, unitriangular=unit
    )
    want = torch.triangular_solve(
        tb, torch.from_numpy(a), upper=upper, transpose=transpose, unitriangular=unit
    )
    assert got._fields == ("solution", "cloned_coefficient")
    np.testing.assert_allclose(
        got.solution.detach().numpy(), want.solution.detach().numpy(), atol=1e-12
    )
    np.testing.assert_array_equal(got.cloned_coefficient.numpy(), a)
    got.solution.sum().backward()
    want.solution.sum().backward()
    np.testing.assert_allclose(pb.grad.numpy(), tb.grad.numpy(), atol=1e-12)

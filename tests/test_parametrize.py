"""nn.utils.parametrize / parametrizations and the hook-based weight_norm / spectral_norm, vs torch."""

import warnings

import numpy as np
import pytest
import torch

import pygrad
from pygrad import nn
from pygrad.nn.utils import parametrizations, parametrize


def _np(t):
    return t.detach().numpy()


def _copy_state(module, torch_module):
    module.load_state_dict(
        {k: pygrad.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()}
    )


def _run_both(module, torch_module, x):
    """Forward both on x, backward a fixed function, compare outputs and all grads."""
    px = pygrad.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out, tout = module(px), torch_module(tx)
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    params = dict(module.named_parameters())
    tparams = dict(torch_module.named_parameters())
    assert sorted(params) == sorted(tparams)
    for name, p in params.items():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-9, atol=1e-12
        )


class _Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


class _TSymmetric(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


class _Scale(nn.Module):
    def forward(self, x):
        return x * 2.0

    def right_inverse(self, x):
        return x / 2.0


def test_register_structure_state_dict_and_class_swap():
    layer = nn.Linear(3, 3).double()
    weight = layer.weight
    parametrize.register_parametrization(layer, "weight", _Symmetric())
    assert type(layer).__name__ == "ParametrizedLinear" and isinstance(layer, nn.Linear)
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert layer.parametrizations.weight.original is weight  # same object: optimizers keep it
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    w = _np(layer.weight)
    np.testing.assert_array_equal(w, w.T)
    assert not hasattr(nn.Linear, "weight")  # the property lives on the subclass only
    assert "ParametrizationList" in repr(layer)


def test_matches_torch_and_composes():
    tl = torch.nn.Linear(4, 4).double()
    torch.nn.utils.parametrize.register_parametrization(tl, "weight", _TSymmetric())
    layer = nn.Linear(4, 4).double()
    parametrize.register_parametrization(layer, "weight", _Symmetric())
    _copy_state(layer, tl)
    _run_both(layer, tl, np.random.default_rng(0).standard_normal((2, 4)))
    parametrize.register_parametrization(layer, "weight", _Scale())
    assert len(layer.parametrizations.weight) == 2


def test_right_inverse_on_assignment_and_cached():
    layer = nn.Linear(2, 2).double()
    parametrize.register_parametrization(layer, "weight", _Scale())
    target = pygrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=pygrad.float64)
    layer.weight = target
    np.testing.assert_allclose(_np(layer.parametrizations.weight.original), _np(target) / 2)
    np.testing.assert_allclose(_np(layer.weight), _np(target))
    assert layer.weight is not layer.weight
    with parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight


def test_remove_parametrizations_keeps_value_and_identity():
    layer = nn.Linear(3, 3).double()
    original = layer.weight
    parametrize.register_parametrization(layer, "weight", _Symmetric())
    value = _np(layer.weight).copy()
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and not hasattr(layer, "parametrizations")
    assert layer.weight is original and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(_np(layer.weight), value)
    assert list(layer.state_dict()) == ["bias", "weight"]  # torch re-registers it last too
    parametrize.register_parametrization(layer, "weight", _Scale())
    raw = _np(layer.parametrizations.weight.original).copy()
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(_np(layer.weight), raw)


def test_errors_and_unsafe():
    layer = nn.Linear(3, 2)

    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(layer, "weight", Shrink())
    parametrize.register_parametrization(layer, "weight", Shrink(), unsafe=True)
    assert layer.weight.shape == (1, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(layer, "nothing", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        parametrize.remove_parametrizations(layer, "bias")
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        layer.weight = pygrad.randn(1, 3)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        type(layer).__getstate__(layer)
    assert "__deepcopy__" in vars(type(layer))  # as torch: deepcopy skips __getstate__


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization_matches_torch(dim):
    tm = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(3, 4, 3).double(), dim=dim)
    m = parametrizations.weight_norm(nn.Conv2d(3, 4, 3).double(), dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.parametrizations.weight.original0.shape == tuple(
        tm.parametrizations.weight.original0.shape
    )
    _copy_state(m, tm)
    _run_both(m, tm, np.random.default_rng(1).standard_normal((2, 3, 5, 5)))
    parametrize.remove_parametrizations(m, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), rtol=1e-12)
    assert list(m.state_dict()) == list(tm.state_dict())


def test_weight_norm_right_inverse_recovers_weight():
    layer = nn.Linear(5, 3).double()
    w = _np(layer.weight).copy()
    parametrizations.weight_norm(layer)
    g = _np(layer.parametrizations.weight.original0)
    np.testing.assert_allclose(g.ravel(), np.linalg.norm(w, axis=1), rtol=1e-12)
    np.testing.assert_allclose(_np(layer.weight), w, rtol=1e-12)


def _spectral_pair(torch_layer, layer, fn, tfn, **kwargs):
    tm = tfn(torch_layer.double(), **kwargs)
    m = fn(layer.double(), **kwargs)
    assert list(m.state_dict()) == list(tm.state_dict())
    _copy_state(m, tm)  # u and v included
    return m, tm


@pytest.mark.parametrize("n_power_iterations,dim", [(1, 0), (3, 1)])
def test_spectral_norm_parametrization_matches_torch(n_power_iterations, dim):
    m, tm = _spectral_pair(
        torch.nn.Conv2d(2, 3, 2), nn.Conv2d(2, 3, 2),
        parametrizations.spectral_norm, torch.nn.utils.parametrizations.spectral_norm,
        n_power_iterations=n_power_iterations, dim=dim, eps=1e-10,
    )  # fmt: skip
    x = np.random.default_rng(2).standard_normal((2, 2, 4, 4))
    m.eval()
    tm.eval()
    _run_both(m, tm, x)
    m.train()
    tm.train()
    m.zero_grad()
    tm.zero_grad()
    _run_both(m, tm, x)  # one power iteration step on both
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(
            m.state_dict()[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12
        )
    w = _np(m.weight)
    assert (
        abs(
            np.linalg.svd(
                w.reshape(w.shape[dim], -1)
                if dim == 0
                else np.moveaxis(w, 1, 0).reshape(w.shape[1], -1),
                compute_uv=False,
            )[0]
            - 1
        )
        < 0.1
    )


def test_spectral_norm_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'w'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="w")


@pytest.mark.parametrize(
    "shape,orthogonal_map,trivial",
    [
        ((4, 4), None, True),
        ((3, 5), None, True),
        ((5, 3), "cayley", True),
        ((4, 4), "householder", True),
        ((5, 3), "householder", False),
        ((3, 5), "householder", False),
    ],
)
def test_orthogonal(shape, orthogonal_map, trivial):
    layer = nn.Linear(shape[1], shape[0]).double()
    start = _np(layer.weight).copy()
    parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    w = _np(layer.weight)
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)
    # The initial value is start's orthogonal factor (QR with positive R), as in torch.
    tl = torch.nn.Linear(shape[1], shape[0]).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(start))
    torch.nn.utils.parametrizations.orthogonal(
        tl, orthogonal_map=orthogonal_map, use_trivialization=trivial
    )
    if shape[0] == shape[1] or not trivial:
        np.testing.assert_allclose(w, tl.weight.detach().numpy(), atol=1e-10)
    # Trains: gradient flows to the original and the result stays orthogonal after a step.
    x = pygrad.randn(2, shape[1], dtype=pygrad.float64)
    layer(x).pow(2).sum().backward()
    original = layer.parametrizations.weight.original
    assert original.grad is not None
    with pygrad.no_grad():
        original.sub_(original.grad * 0.1)
    w = _np(layer.weight)
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Got a tensor of 1 dimensions"):
        parametrizations.orthogonal(nn.Linear(2, 2), name="bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    layer = parametrizations.orthogonal(nn.Linear(2, 2), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        layer.weight = pygrad.eye(2)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_hook_weight_norm_matches_torch(dim):
    with pytest.warns(FutureWarning, match="deprecated"):
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    with pytest.warns(FutureWarning, match="nn.utils.weight_norm` is deprecated"):
        m = nn.utils.weight_norm(nn.Linear(4, 3).double(), dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight_g", "weight_v"]
    _copy_state(m, tm)
    _run_both(m, tm, np.random.default_rng(3).standard_normal((2, 4)))
    with (
        pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(m, dim=dim)
    nn.utils.remove_weight_norm(m)
    torch.nn.utils.remove_weight_norm(tm)
    assert isinstance(m.weight, nn.Parameter) and list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), rtol=1e-12)
    assert not m._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


def test_hook_spectral_norm_matches_torch():
    m, tm = _spectral_pair(
        torch.nn.Linear(5, 4), nn.Linear(5, 4), nn.utils.spectral_norm, torch.nn.utils.spectral_norm,
        n_power_iterations=2,
    )  # fmt: skip
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    x = np.random.default_rng(4).standard_normal((3, 5))
    m.eval()
    tm.eval()
    _run_both(m, tm, x)
    m.train()
    tm.train()
    m.zero_grad()
    tm.zero_grad()
    _run_both(m, tm, x)
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(
            m.state_dict()[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12
        )
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(tm)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)


def test_exports():
    for name in ("parametrize", "parametrizations", "weight_norm", "remove_weight_norm",
                 "spectral_norm", "remove_spectral_norm"):  # fmt: skip
        assert name in nn.utils.__all__ and hasattr(torch.nn.utils, name)

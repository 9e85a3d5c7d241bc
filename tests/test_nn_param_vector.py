"""nn.utils.parameters_to_vector and vector_to_parameters against torch: order, values, gradients through
the vector, parameters becoming views of the vector, and the errors."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy

import pygrad
from pygrad import nn
from pygrad.nn.utils import parameters_to_vector, vector_to_parameters

torch = import_torch()


def _pair():
    build = lambda m: m.Sequential(m.Linear(3, 4), m.GroupNorm(2, 4), m.Linear(4, 2, bias=False))  # noqa: E731
    tm, pm = build(torch.nn), build(nn)
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )
    return tm, pm


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    tm, pm = _pair()
    vt = torch.nn.utils.parameters_to_vector(tm.parameters())
    vp = parameters_to_vector(pm.parameters())
    np.testing.assert_array_equal(to_numpy(vp), vt.detach().numpy())
    g = make_rng("p2v").standard_normal(vt.shape[0]).astype(np.float32)
    (vp * pygrad.from_numpy(g)).sum().backward()
    (vt * torch.tensor(g)).sum().backward()
    for pp, tp in zip(pm.parameters(), tm.parameters()):
        np.testing.assert_array_equal(to_numpy(pp.grad), tp.grad.numpy())


def test_vector_to_parameters_matches_torch():
    tm, pm = _pair()
    n = sum(p.numel() for p in tm.parameters())
    v = make_rng("v2p").standard_normal(n).astype(np.float32)
    vt, vp = torch.tensor(v), pygrad.from_numpy(v.copy())
    torch.nn.utils.vector_to_parameters(vt, tm.parameters())
    vector_to_parameters(vp, pm.parameters())
    for (name, pp), (_, tp) in zip(pm.named_parameters(), tm.named_parameters()):
        assert isinstance(pp, nn.Parameter) and pp.requires_grad, name
        np.testing.assert_array_equal(to_numpy(pp), tp.detach().numpy())
    # The round trip gives the vector back, and the model still trains.
    np.testing.assert_array_equal(to_numpy(parameters_to_vector(pm.parameters())), v)
    pm(pygrad.ones(5, 3)).sum().backward()
    assert all(p.grad is not None for p in pm.parameters())


def test_errors_where_torch_raises():
    _, pm = _pair()
    with pytest.raises(TypeError, match="expected"):
        torch.nn.utils.vector_to_parameters([1.0], [])
    with pytest.raises(TypeError, match=r"\[vector_to_parameters\] expected a Tensor"):
        vector_to_parameters([1.0], pm.parameters())
    with pytest.raises(RuntimeError, match=r"\[vector_to_parameters\] expected a 1-d vector"):
        vector_to_parameters(pygrad.ones(3), pm.parameters())
    with pytest.raises(RuntimeError, match=r"\[parameters_to_vector\]"):
        parameters_to_vector([])

"""nn.ParameterList and nn.ParameterDict against torch: state_dict keys and order, wrapping of plain tensors
into Parameters, append/extend/insert/indexing/slicing/iteration, the dict methods (update order, pop,
popitem, setdefault, |), extra_repr, loading torch's state_dict and gradients through the entries, errors."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
from pygrad import nn

torch = import_torch()


def _pair(shapes, seed):
    rng = make_rng("containers", seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return [to_pygrad(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _keys(m):
    return list(m.state_dict().keys())


def test_parameter_list_keys_and_wrapping():
    ours, theirs = _pair([(2, 3), (4,), (1,)], "list")
    pl, tl = nn.ParameterList(ours[:2]), torch.nn.ParameterList(theirs[:2])
    pl.append(ours[2])
    tl.append(theirs[2])
    assert _keys(pl) == _keys(tl) == ["0", "1", "2"]
    assert len(pl) == len(tl) == 3
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert [n for n, _ in pl.named_parameters()] == [n for n, _ in tl.named_parameters()]
    np.testing.assert_array_equal(to_numpy(pl[-1]), theirs[2].numpy())
    np.testing.assert_array_equal(to_numpy(pl[0]), theirs[0].numpy())


def test_parameter_list_extend_iadd_slice_setitem_insert():
    ours, theirs = _pair([(2,), (3,), (4,), (5,)], "ext")
    pl, tl = nn.ParameterList(), torch.nn.ParameterList()
    pl.extend(ours[:2])
    tl.extend(theirs[:2])
    pl += ours[2:]
    tl += theirs[2:]
    assert [tuple(p.shape) for p in pl] == [tuple(p.shape) for p in tl]
    sl, tsl = pl[1::2], tl[1::2]
    assert isinstance(sl, nn.ParameterList) and _keys(sl) == _keys(tsl) == ["0", "1"]
    assert [tuple(p.shape) for p in sl] == [tuple(p.shape) for p in tsl]
    pl[1] = pygrad.zeros(7)
    tl[1] = torch.zeros(7)
    assert isinstance(pl[1], nn.Parameter) and tuple(pl[1].shape) == (7,)
    assert {k: tuple(v.shape) for k, v in pl.state_dict().items()} == {
        k: tuple(v.shape) for k, v in tl.state_dict().items()
    }
    pl.insert(0, pygrad.ones(9))
    assert [tuple(p.shape) for p in pl] == [(9,), (2,), (7,), (4,), (5,)]
    assert _keys(pl) == ["0", "1", "2", "3", "4"]


def test_parameter_list_errors():
    pl, tl = nn.ParameterList([pygrad.zeros(2)]), torch.nn.ParameterList([torch.zeros(2)])
    for m in (pl, tl):
        with pytest.raises(IndexError, match="out of range"):
            m[1]
        with pytest.raises(IndexError, match="out of range"):
            m[-2]
        with pytest.raises(TypeError, match="iterable"):
            m.extend(5)
        with pytest.raises(RuntimeError, match="should not be called"):
            m(None)
    with pytest.raises(TypeError):
        pl.extend(pygrad.zeros(3))
    with pytest.raises(TypeError):
        tl.extend(torch.zeros(3))


def test_parameter_list_repr_and_objects():
    pl = nn.ParameterList([pygrad.zeros(2, 3), "x"])
    tl = torch.nn.ParameterList([torch.zeros(2, 3), "x"])
    assert _keys(pl) == _keys(tl) == ["0"]
    assert pl[1] == tl[1] == "x"
    assert repr(pl) == repr(tl).replace("torch.", "pygrad.")


def test_parameter_list_load_state_dict_and_grad():
    _, theirs = _pair([(3,), (3,)], "grad")
    pl = nn.ParameterList([pygrad.zeros(3, dtype=pygrad.float64) for _ in range(2)])
    tl = torch.nn.ParameterList([t.requires_grad_() for t in theirs])
    pl.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in tl.state_dict().items()})
    (pl[0] * pl[1] * pl[0]).sum().backward()
    (tl[0] * tl[1] * tl[0]).sum().backward()
    for p, t in zip(pl, tl, strict=True):
        np.testing.assert_allclose(to_numpy(p.grad), t.grad.numpy(), rtol=1e-12)


def test_parameter_dict_order_keys_and_methods():
    ours, theirs = _pair([(2,), (3,), (4,)], "dict")
    pd = nn.ParameterDict({"b": ours[0], "a": ours[1]})
    td = torch.nn.ParameterDict({"b": theirs[0], "a": theirs[1]})
    assert list(pd.keys()) == list(td.keys()) == ["a", "b"]  # a plain dict: sorted, as torch
    pd.update([("z", ours[2]), ("c", ours[0])])
    td.update([("z", theirs[2]), ("c", theirs[0])])
    assert _keys(pd) == _keys(td) == ["a", "b", "z", "c"]
    od = nn.ParameterDict(OrderedDict([("y", ours[0]), ("x", ours[1])]))
    assert list(od) == ["y", "x"]
    assert all(isinstance(v, nn.Parameter) for v in pd.values())
    assert [k for k, _ in pd.items()] == [k for k, _ in td.items()]
    assert "z" in pd and "q" not in pd and len(pd) == len(td) == 4
    np.testing.assert_array_equal(to_numpy(pd.pop("z")), td.pop("z").detach().numpy())
    assert pd.popitem()[0] == td.popitem()[0] == "c"
    assert pd.get("nope") is None and pd.get("nope", 3) == 3
    assert tuple(pd.setdefault("n", pygrad.zeros(5)).shape) == (5,)
    assert list(reversed(pd)) == ["n", "b", "a"]
    merged = pd | nn.ParameterDict({"m": pygrad.zeros(1)})
    assert list(merged) == ["a", "b", "n", "m"] and list(pd) == ["a", "b", "n"]
    del pd["n"]
    assert _keys(pd) == _keys(td) == ["a", "b"]
    pd.clear()
    assert len(pd) == 0 and _keys(pd) == []


def test_parameter_dict_repr_load_and_errors():
    pd = nn.ParameterDict({"w": pygrad.zeros(2, 3), "s": "x"})
    td = torch.nn.ParameterDict({"w": torch.zeros(2, 3), "s": "x"})
    assert repr(pd) == repr(td).replace("torch.", "pygrad.")
    _, theirs = _pair([(2, 3)], "load")
    td["w"] = theirs[0]
    pd.load_state_dict({"w": to_pygrad(theirs[0].numpy())})
    np.testing.assert_array_equal(to_numpy(pd["w"]), theirs[0].numpy().astype(np.float32))
    for m in (pd, td):
        with pytest.raises(TypeError, match="not a string"):
            m[1]
        with pytest.raises(TypeError, match="iterable"):
            m.update(3)
        with pytest.raises(ValueError, match="length 3"):
            m.update([("a", 1, 2)])
        with pytest.raises(RuntimeError, match="should not be called"):
            m(None)
        with pytest.raises(AttributeError):  # torch looks the key up with getattr
            m.pop("missing")


def test_containers_register_in_parent():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = nn.ParameterList([pygrad.zeros(2)])
            self.pd = nn.ParameterDict({"k": pygrad.zeros(3)})

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = torch.nn.ParameterList([torch.zeros(2)])
            self.pd = torch.nn.ParameterDict({"k": torch.zeros(3)})

    assert _keys(Net()) == _keys(TNet()) == ["pl.0", "pd.k"]
    assert len(list(Net().parameters())) == 2

"""Recurrent layers against torch: nn.RNN (tanh/relu), nn.LSTM (proj_size), nn.GRU loaded from torch's
state_dict, over padded, batch_first, unbatched and packed (sorted and unsorted, uneven lengths) input,
with and without initial states; outputs, final states and the gradients of inputs, states and every
parameter; the cells; dropout between layers; state_dict keys, repr and init; the pack/pad utilities of
nn.utils.rnn with their gradients; the errors; a gradcheck of a tiny LSTM."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import ISAS, forced_isa, import_torch, make_rng, to_numpy, to_pygrad

import pygrad
from pygrad import nn
from pygrad.autograd import gradcheck, gradgradcheck
from pygrad.nn._rnn import _gru_cell, _lstm_cell
from pygrad.nn.utils import rnn as prnn

torch = import_torch()
trnn = torch.nn.utils.rnn

TOL = {"rtol": 1e-9, "atol": 1e-11}
INPUT, T, B = 3, 4, 3


def _modules(name, *args, dtype=np.float64, **kwargs):
    """A torch module and the pygrad one with its parameters (load_state_dict)."""
    tm = getattr(torch.nn, name)(*args, **kwargs)
    tm = tm.double() if dtype == np.float64 else tm
    pdt = pygrad.float64 if dtype == np.float64 else pygrad.float32
    pm = getattr(nn, name)(*args, dtype=pdt, **kwargs)
    state = OrderedDict(
        (k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items()
    )
    pm.load_state_dict(state)
    return tm, pm


def _pair(array):
    return to_pygrad(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _close(p, t, what="", tol=TOL):
    t = t.detach().numpy() if hasattr(t, "detach") else t
    assert tuple(p.shape) == tuple(t.shape), f"{what}: {tuple(p.shape)} != {tuple(t.shape)}"
    np.testing.assert_allclose(to_numpy(p), t, err_msg=what, **tol)


def _param_grads(pm, tm, tol=TOL):
    tgrads = dict(tm.named_parameters())
    names = [n for n, _ in pm.named_parameters()]
    assert names == list(tgrads)
    for n, p in pm.named_parameters():
        _close(p.grad, tgrads[n].grad, f"grad of {n}", tol)


# (id, module, constructor args, kwargs); the hidden size is 4 (5 with proj_size=2).
CONFIGS = [
    ("rnn-tanh", "RNN", (INPUT, 4), {}),
    ("rnn-relu-2l-bi", "RNN", (INPUT, 4, 2), {"nonlinearity": "relu", "bidirectional": True}),
    ("rnn-nobias-bf", "RNN", (INPUT, 4), {"bias": False, "batch_first": True}),
    ("lstm", "LSTM", (INPUT, 4), {}),
    ("lstm-2l-bi", "LSTM", (INPUT, 4), {"num_layers": 2, "bidirectional": True}),
    (
        "lstm-proj-2l-bi",
        "LSTM",
        (INPUT, 5),
        {"num_layers": 2, "bidirectional": True, "proj_size": 2},
    ),
    (
        "lstm-proj-nobias-bf",
        "LSTM",
        (INPUT, 5),
        {"proj_size": 3, "bias": False, "batch_first": True},
    ),
    ("gru", "GRU", (INPUT, 4), {}),
    ("gru-2l-bi-bf", "GRU", (INPUT, 4, 2), {"bidirectional": True, "batch_first": True}),
    ("gru-nobias", "GRU", (INPUT, 4), {"bias": False}),
]
LAYOUTS = ["padded", "unbatched", "packed", "packed-unsorted", "packed-batch1"]


def _states(rng, tm, batch, batched, name):
    """Random (h0,) or (h0, c0) pairs for tm's shapes."""
    dirs = 2 if tm.bidirectional else 1
    out = tm.proj_size if tm.proj_size > 0 else tm.hidden_size
    sizes = [out, tm.hidden_size] if name == "LSTM" else [out]
    shapes = [
        (tm.num_layers * dirs, batch, n) if batched else (tm.num_layers * dirs, n) for n in sizes
    ]
    return [_pair(rng.standard_normal(s)) for s in shapes]


def _forward(m, x, states, name):
    if not states:
        return m(x)
    hx = tuple(states) if name == "LSTM" else states[0]
    return m(x, hx)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "state"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cid,name,args,kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_module_matches_torch(cid, name, args, kwargs, layout, with_state):
    rng = make_rng("rnn", cid, layout, with_state)
    tm, pm = _modules(name, *args, **kwargs)
    bf = tm.batch_first
    batch = 1 if layout == "packed-batch1" else B
    lengths = {"packed": [4, 3, 1], "packed-unsorted": [2, 4, 1], "packed-batch1": [3]}.get(layout)
    shape = (batch, T, INPUT) if bf else (T, batch, INPUT)
    shape = (T, INPUT) if layout == "unbatched" else shape
    xp, xt = _pair(rng.standard_normal(shape))
    states = _states(rng, tm, batch, layout != "unbatched", name) if with_state else []
    pin, tin = xp, xt
    if lengths is not None:
        sorted_ = layout != "packed-unsorted"
        pin = prnn.pack_padded_sequence(xp, lengths, batch_first=bf, enforce_sorted=sorted_)
        tin = trnn.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=sorted_)
    out_p, hid_p = _forward(pm, pin, [s[0] for s in states], name)
    out_t, hid_t = _forward(tm, tin, [s[1] for s in states], name)
    if lengths is not None:
        assert isinstance(out_p, prnn.PackedSequence)
        _close(out_p.data, out_t.data, "packed data")
        assert out_p.batch_sizes.tolist() == out_t.batch_sizes.tolist()
        out_p = prnn.pad_packed_sequence(out_p, batch_first=bf)[0]
        out_t = trnn.pad_packed_sequence(out_t, batch_first=bf)[0]
    hid_p = list(hid_p) if name == "LSTM" else [hid_p]
    hid_t = list(hid_t) if name == "LSTM" else [hid_t]
    _close(out_p, out_t, "output")
    loss_p, loss_t = 0, 0
    for i, (a, b) in enumerate(zip([out_p, *hid_p], [out_t, *hid_t])):
        _close(a, b, f"result {i}")
        g = rng.standard_normal(tuple(b.shape))
        loss_p = loss_p + (a * to_pygrad(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_p.backward()
    loss_t.backward()
    _close(xp.grad, xt.grad, "input grad")
    for i, (sp, st) in enumerate(states):
        _close(sp.grad, st.grad, f"state {i} grad")
    _param_grads(pm, tm)


def test_float32_lstm_matches_torch():
    rng = make_rng("rnn-f32")
    tm, pm = _modules("LSTM", INPUT, 4, 2, dtype=np.float32, bidirectional=True)
    x = rng.standard_normal((T, B, INPUT)).astype(np.float32)
    xp, xt = _pair(x)
    (out_p, (h_p, c_p)), (out_t, (h_t, c_t)) = pm(xp), tm(xt)
    tol = {"rtol": 1e-5, "atol": 1e-6}
    for a, b in ((out_p, out_t), (h_p, h_t), (c_p, c_t)):
        _close(a, b, "f32", tol)
    (out_p.sum() + c_p.sum()).backward()
    (out_t.sum() + c_t.sum()).backward()
    _close(xp.grad, xt.grad, "f32 input grad", tol)
    _param_grads(pm, tm, tol)


# (id, cell, args, kwargs)
CELLS = [
    ("rnn-tanh", "RNNCell", (INPUT, 4), {}),
    ("rnn-relu-nobias", "RNNCell", (INPUT, 4), {"nonlinearity": "relu", "bias": False}),
    ("lstm", "LSTMCell", (INPUT, 4), {}),
    ("lstm-nobias", "LSTMCell", (INPUT, 4), {"bias": False}),
    ("gru", "GRUCell", (INPUT, 4), {}),
    ("gru-nobias", "GRUCell", (INPUT, 4, False), {}),
]


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "state"])
@pytest.mark.parametrize("batch", [None, 1, 3], ids=["unbatched", "b1", "b3"])
@pytest.mark.parametrize("cid,name,args,kwargs", CELLS, ids=[c[0] for c in CELLS])
def test_cell_matches_torch(cid, name, args, kwargs, batch, with_state):
    rng = make_rng("cell", cid, batch, with_state)
    tm, pm = _modules(name, *args, **kwargs)
    lead = () if batch is None else (batch,)
    xp, xt = _pair(rng.standard_normal((*lead, INPUT)))
    states = [_pair(rng.standard_normal((*lead, 4))) for _ in range(2 if name == "LSTMCell" else 1)]
    if not with_state:
        out_p, out_t = pm(xp), tm(xt)
    elif name == "LSTMCell":
        out_p = pm(xp, (states[0][0], states[1][0]))
        out_t = tm(xt, (states[0][1], states[1][1]))
    else:
        out_p, out_t = pm(xp, states[0][0]), tm(xt, states[0][1])
    out_p = list(out_p) if name == "LSTMCell" else [out_p]
    out_t = list(out_t) if name == "LSTMCell" else [out_t]
    loss_p, loss_t = 0, 0
    for a, b in zip(out_p, out_t):
        _close(a, b, "cell output")
        g = rng.standard_normal(tuple(b.shape))
        loss_p = loss_p + (a * to_pygrad(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_p.backward()
    loss_t.backward()
    _close(xp.grad, xt.grad, "cell input grad")
    if with_state:
        for sp, st in states:
            _close(sp.grad, st.grad, "cell state grad")
    _param_grads(pm, tm)


REPRS = [
    ("RNN", (3, 4), {"nonlinearity": "relu", "num_layers": 2, "dropout": 0.5}),
    ("RNN", (3, 4), {"bias": False, "batch_first": True, "bidirectional": True}),
    ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 3}),
    ("GRU", (3, 4), {}),
    ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {"bias": False}),
]


@pytest.mark.parametrize("name,args,kwargs", REPRS, ids=[r[0] for r in REPRS])
def test_state_dict_keys_shapes_and_repr_match_torch(name, args, kwargs):
    tm, pm = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    for (n, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), n
    if hasattr(tm, "_flat_weights_names"):
        assert pm._flat_weights_names == tm._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in pm.all_weights] == [
            [tuple(w.shape) for w in ws] for ws in tm.all_weights
        ]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "LSTMCell"])
def test_init_is_uniform_in_one_over_sqrt_hidden(name):
    pygrad.manual_seed(0)
    m = getattr(nn, name)(20, 16)
    bound = 1 / 4
    values = np.concatenate([to_numpy(p).ravel() for p in m.parameters()])
    assert np.all(np.abs(values) <= bound)
    assert abs(values.std() - bound / np.sqrt(3)) < 0.01  # U(-b, b) has std b / sqrt(3)


def test_module_to_double_and_reassigned_weight_are_used():
    rng = make_rng("rnn-double")
    m = nn.GRU(INPUT, 4).double()
    x = to_pygrad(rng.standard_normal((T, B, INPUT)))
    out, _ = m(x)
    assert out.dtype == pygrad.float64
    m.weight_hh_l0 = nn.Parameter(pygrad.zeros(12, 4, dtype=pygrad.float64))
    assert m._flat_weights[1] is m.weight_hh_l0
    assert not np.allclose(to_numpy(m(x)[0]), to_numpy(out))


def test_dropout_between_layers_in_train_mode_only():
    rng = make_rng("rnn-dropout")
    tm, pm = _modules("LSTM", INPUT, 4, 2, dropout=0.5)
    x = rng.standard_normal((T, B, INPUT))
    pygrad.manual_seed(1)
    a = to_numpy(pm(to_pygrad(x))[0])
    b = to_numpy(pm(to_pygrad(x))[0])
    pm.eval()
    tm.eval()
    c = to_numpy(pm(to_pygrad(x))[0])
    assert not np.allclose(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_allclose(c, tm(torch.tensor(x))[0].detach().numpy(), **TOL)
    np.testing.assert_allclose(to_numpy(pm(to_pygrad(x))[0]), c, **TOL)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        torch.nn.GRU(3, 4, dropout=0.2)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


def test_module_errors_name_the_layer():
    lstm, gru = nn.LSTM(3, 4), nn.GRU(3, 4, batch_first=True)
    with pytest.raises(RuntimeError, match=r"\[LSTM\].*input_size. Expected 3, got 5"):
        lstm(pygrad.randn(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"\[LSTM\] Expected hidden\[0\] size \(1, 2, 4\)"):
        lstm(pygrad.randn(3, 2, 3), (pygrad.randn(1, 3, 4), pygrad.randn(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"\[LSTM\] Expected hidden\[1\] size"):
        lstm(pygrad.randn(3, 2, 3), (pygrad.randn(1, 2, 4), pygrad.randn(1, 2, 5)))
    with pytest.raises(RuntimeError, match=r"\[GRU\] Expected hidden size \(1, 2, 4\)"):
        gru(pygrad.randn(2, 3, 3), pygrad.randn(2, 2, 4))
    with pytest.raises(RuntimeError, match=r"\[GRU\] For batched 3-D input"):
        gru(pygrad.randn(2, 3, 3), pygrad.randn(2, 4))
    with pytest.raises(RuntimeError, match=r"\[GRU\] For unbatched 2-D input"):
        gru(pygrad.randn(3, 3), pygrad.randn(1, 1, 4))
    with pytest.raises(ValueError, match=r"\[GRU\] Expected input to be 2D or 3D"):
        gru(pygrad.randn(1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"\[LSTM\] input dtype"):
        lstm(pygrad.randn(3, 2, 3, dtype=pygrad.float64))
    for make, match in [
        (lambda: nn.GRU(3, 4, proj_size=2), "only supported for LSTM"),
        (lambda: nn.LSTM(3, 4, proj_size=4), "smaller than hidden_size"),
        (lambda: nn.RNN(3, 4, nonlinearity="gelu"), "Unknown nonlinearity"),
        (lambda: nn.RNN(3, 4, dropout=1.5), "dropout should be a number"),
        (lambda: nn.LSTM(3, 0), "hidden_size must be greater than zero"),
        (lambda: nn.LSTM(3, 4, num_layers=0), "num_layers must be greater than zero"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()
    with pytest.raises(TypeError, match=r"\[LSTM\] bias should be of type bool"):
        nn.LSTM(3, 4, bias=1)


def test_split_rows_keeps_order_and_sizes():
    from pygrad.nn.modules.rnn import _split_rows

    x = pygrad.arange(30).reshape(15, 2)
    sizes = [4, 4, 3, 2, 1, 1]
    parts = _split_rows(x, sizes)
    assert [p.shape[0] for p in parts] == sizes
    np.testing.assert_array_equal(np.concatenate([to_numpy(p) for p in parts]), to_numpy(x))
    assert len(_split_rows(x, [15])) == 1


def test_cell_errors_name_the_cell():
    cell, lcell = nn.GRUCell(3, 4), nn.LSTMCell(3, 4)
    with pytest.raises(RuntimeError, match=r"\[GRUCell\] input has inconsistent input_size"):
        cell(pygrad.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"\[GRUCell\] hidden0 has inconsistent hidden_size"):
        cell(pygrad.randn(2, 3), pygrad.randn(2, 5))
    with pytest.raises(
        RuntimeError, match=r"\[LSTMCell\] Input batch size 2 doesn't match hidden1"
    ):
        lcell(pygrad.randn(2, 3), (pygrad.randn(2, 4), pygrad.randn(3, 4)))
    with pytest.raises(ValueError, match=r"\[GRUCell\] Expected input to be 1D or 2D"):
        cell(pygrad.randn(1, 2, 3))
    with pytest.raises(ValueError, match=r"\[LSTMCell\] Expected hx\[1\] to be 1D or 2D"):
        lcell(pygrad.randn(2, 3), (pygrad.randn(2, 4), pygrad.randn(1, 2, 4)))


def test_gradcheck_tiny_lstm():
    pygrad.manual_seed(3)
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=pygrad.float64)
    rng = make_rng("rnn-gradcheck")
    x, h0, c0 = (
        to_pygrad(rng.standard_normal(s), requires_grad=True)
        for s in ((3, 2, 2), (4, 2, 2), (4, 2, 3))
    )

    def run(x, h0, c0):
        packed = prnn.pack_padded_sequence(x, [3, 1], enforce_sorted=True)
        out, (h, c) = lstm(packed, (h0, c0))
        return out.data, h, c

    assert gradcheck(run, (x, h0, c0))
    xg, hg = (to_pygrad(rng.standard_normal((2, 12)), requires_grad=True) for _ in range(2))
    c = to_pygrad(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(_lstm_cell, (xg, hg, c))
    assert gradgradcheck(
        _lstm_cell, (xg, hg, c)
    )  # create_graph: the op-by-op form of the fused rule
    gi, gh = (to_pygrad(rng.standard_normal((2, 9)), requires_grad=True) for _ in range(2))
    assert gradcheck(_gru_cell, (gi, gh, c))
    assert gradgradcheck(_gru_cell, (gi, gh, c))


# --------------------------------------------------------------------------- nn.utils.rnn
def _seqs(rng, lengths, tail=(2,)):
    pairs = [_pair(rng.standard_normal((n, *tail))) for n in lengths]
    return [p for p, _ in pairs], [t for _, t in pairs]


def _backward_both(p, t, rng):
    g = rng.standard_normal(tuple(t.shape))
    (p * to_pygrad(g)).sum().backward()
    (t * torch.tensor(g)).sum().backward()


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(side, batch_first):
    rng = make_rng("pad", side, batch_first)
    ps, ts = _seqs(rng, [2, 5, 1], tail=(2, 3))
    p = prnn.pad_sequence(ps, batch_first, -1.5, side)
    t = trnn.pad_sequence(ts, batch_first, -1.5, side)
    _close(p, t, "pad_sequence")
    _backward_both(p, t, rng)
    for a, b in zip(ps, ts):
        _close(a.grad, b.grad, "pad_sequence grad")
    _close(prnn.pad_sequence(to_pygrad(np.ones((2, 3)))), trnn.pad_sequence(torch.ones(2, 3)))


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_roundtrip_matches_torch(enforce_sorted, batch_first):
    rng = make_rng("pack", enforce_sorted, batch_first)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 2]
    shape = (4, 6, 2) if batch_first else (6, 4, 2)
    xp, xt = _pair(rng.standard_normal(shape))
    pp = prnn.pack_padded_sequence(xp, pygrad.tensor(lengths), batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce_sorted)
    _close(pp.data, tp.data, "packed data")
    assert pp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    for a, b in (
        (pp.sorted_indices, tp.sorted_indices),
        (pp.unsorted_indices, tp.unsorted_indices),
    ):
        assert (a is None and b is None) or a.tolist() == b.tolist()
    p, lp = prnn.pad_packed_sequence(pp, batch_first, 0.25, total_length=7)
    t, lt = trnn.pad_packed_sequence(tp, batch_first, 0.25, total_length=7)
    _close(p, t, "pad_packed_sequence")
    assert lp.tolist() == lt.tolist() == lengths
    _backward_both(p, t, rng)
    _close(xp.grad, xt.grad, "pack/pad grad")


def test_pack_unpack_sequence_and_unpad_match_torch():
    rng = make_rng("pack-seq")
    ps, ts = _seqs(rng, [2, 4, 3])
    pp = prnn.pack_sequence(ps, enforce_sorted=False)
    tp = trnn.pack_sequence(ts, enforce_sorted=False)
    _close(pp.data, tp.data, "pack_sequence")
    outs_p, outs_t = prnn.unpack_sequence(pp), trnn.unpack_sequence(tp)
    loss_p, loss_t = 0, 0
    for i, (a, b) in enumerate(zip(outs_p, outs_t)):
        _close(a, b, f"unpack_sequence {i}")
        loss_p = loss_p + (a * float(i + 1)).sum()
        loss_t = loss_t + (b * float(i + 1)).sum()
    loss_p.backward()
    loss_t.backward()
    for a, b in zip(ps, ts):
        _close(a.grad, b.grad, "pack_sequence grad")
    padded = rng.standard_normal((3, 4, 2))
    padded_p = to_pygrad(padded)
    parts_p = prnn.unpad_sequence(padded_p, pygrad.tensor([3, 1, 2, 3]))
    parts_t = trnn.unpad_sequence(torch.tensor(padded), torch.tensor([3, 1, 2, 3]))
    for a, b in zip(parts_p, parts_t):
        _close(a, b, "unpad_sequence")
    assert tuple(padded_p.shape) == (3, 4, 2)  # torch transposes its input in place; not here


def test_packed_sequence_is_a_named_tuple_with_conversions():
    rng = make_rng("packed-tuple")
    ps, _ = _seqs(rng, [1, 3])
    packed = prnn.pack_sequence(ps, enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data is packed.data and batch_sizes.dtype == pygrad.int64
    assert sorted_indices.tolist() == [1, 0] and unsorted_indices.tolist() == [1, 0]
    assert packed.float().data.dtype == pygrad.float32
    assert packed.double() is packed
    assert packed.to(pygrad.float32).sorted_indices is sorted_indices
    assert prnn.invert_permutation(pygrad.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert prnn.invert_permutation(None) is None
    legacy = prnn.PackedSequence((data, batch_sizes))
    assert legacy.sorted_indices is None and legacy.batch_sizes is batch_sizes


def test_pack_pad_errors_as_torch():
    x = pygrad.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        prnn.pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        prnn.pack_padded_sequence(x, [3, 0, 1], enforce_sorted=False)
    with pytest.raises(RuntimeError, match="greater than 0"):
        prnn.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match="equal to batch_size"):
        prnn.pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match="exceeds the 4 steps"):
        prnn.pack_padded_sequence(x, [5, 2, 1])
    packed = prnn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="total_length to be at least"):
        prnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(RuntimeError, match="empty list"):
        prnn.pad_sequence([])
    with pytest.raises(RuntimeError, match="padding_side"):
        prnn.pad_sequence([x], padding_side="middle")
    with pytest.raises(RuntimeError, match="trailing shape"):
        prnn.pad_sequence([pygrad.randn(2, 3), pygrad.randn(2, 4)])


def test_utils_rnn_is_a_submodule_as_in_torch():
    import pygrad.nn.utils.rnn as direct

    assert nn.utils.rnn is direct
    assert nn.utils.rnn.PackedSequence is prnn.PackedSequence


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_fused_layer_double_backward_and_threads(bidirectional, mode):
    # The fused layer op: second derivatives (its op-by-op rule under create_graph) against torch, and the
    # same bits at 1 and 2 threads.
    rng = np.random.default_rng(7)
    tm = getattr(torch.nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    pm = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=bidirectional, dtype=pygrad.float64)
    pm.load_state_dict(
        {k: pygrad.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    x = rng.standard_normal((5, 2, 3))
    px, tx = pygrad.from_numpy(x.copy()).requires_grad_(True), torch.tensor(x, requires_grad=True)
    (pg,) = pygrad.autograd.grad([(pm(px)[0] ** 2).sum()], [px], create_graph=True)
    (tg,) = torch.autograd.grad((tm(tx)[0] ** 2).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(pg.detach().numpy(), tg.detach().numpy(), rtol=1e-9, atol=1e-11)
    (pg2,) = pygrad.autograd.grad([(pg**2).sum()], [px])
    (tg2,) = torch.autograd.grad((tg**2).sum(), [tx])
    np.testing.assert_allclose(pg2.numpy(), tg2.numpy(), rtol=1e-8, atol=1e-10)
    grads = []
    xf_values = rng.standard_normal((9, 3, 3)).astype(np.float32)
    for n in (1, 2):
        before = pygrad.get_num_threads()
        pygrad.set_num_threads(n)
        try:
            pm.zero_grad()
            xf = pygrad.from_numpy(xf_values.copy())
            pm.float()
            pm(xf)[0].square().sum().backward()
            grads.append([p.grad.numpy().copy() for p in pm.parameters()])
            pm.double()
        finally:
            pygrad.set_num_threads(before)
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("isa", ISAS)
def test_fused_layer_at_every_isa_level(isa, mode):
    # The layer ops multiply every step by W_hh packed once for the active ISA's micro-kernel.
    rng = np.random.default_rng(11)
    tm = getattr(torch.nn, mode)(5, 33, num_layers=1).double()  # 4H = 132, 3H = 99: edge tiles
    pm = getattr(nn, mode)(5, 33, num_layers=1, dtype=pygrad.float64)
    pm.load_state_dict(
        {k: pygrad.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    x = rng.standard_normal((7, 17, 5))
    with forced_isa(isa):
        px = pygrad.from_numpy(x.copy()).requires_grad_(True)
        out, state = pm(px)
        h = state[0] if mode == "LSTM" else state
        (out.sum() + h.square().sum()).backward()
    tx = torch.tensor(x, requires_grad=True)
    tout, tstate = tm(tx)
    th = tstate[0] if mode == "LSTM" else tstate
    (tout.sum() + th.square().sum()).backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for p_param, t_param in zip(pm.parameters(), tm.parameters()):
        np.testing.assert_allclose(
            p_param.grad.numpy(), t_param.grad.numpy(), rtol=1e-9, atol=1e-11
        )

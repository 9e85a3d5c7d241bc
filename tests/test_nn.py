"""pygrad.nn: layers against torch.nn with identical weights, the Module API, dropout's two forms, init."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from conftest import assert_close, import_torch, make_rng, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn
from pygrad.nn import init

torch = import_torch()
tnn = torch.nn

RTOL, ATOL = 1e-9, 1e-10


def copy_weights(tm, pm):
    """Loads torch module tm's state (float64) into pygrad module pm, which is cast to float64."""
    tm.double()
    pm.double()
    state = OrderedDict(
        (k, pygrad.from_numpy(v.detach().numpy().copy())) for k, v in tm.state_dict().items()
    )
    pm.load_state_dict(state)


def compare_with_torch(pm, tm, x, rng, float_input=True, target=None):
    """Runs both modules forward and backward (a random upstream gradient) and compares everything."""
    copy_weights(tm, pm)
    xp = to_pygrad(x, requires_grad=float_input)
    xt = torch.tensor(x, requires_grad=float_input)
    args_p, args_t = (xp,), (xt,)
    if target is not None:
        args_p, args_t = (xp, to_pygrad(target)), (xt, torch.tensor(target))
    out_p, out_t = pm(*args_p), tm(*args_t)
    assert_close(to_numpy(out_p), out_t.detach().numpy(), RTOL, ATOL, "forward")
    g = rng.standard_normal(tuple(out_t.shape))
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    if float_input:
        assert_close(to_numpy(xp.grad), xt.grad.numpy(), RTOL, ATOL, "input grad")
    tparams = dict(tm.named_parameters())
    pparams = dict(pm.named_parameters())
    assert list(pparams) == list(tparams)
    for name, tp in tparams.items():
        assert_close(to_numpy(pparams[name].grad), tp.grad.numpy(), RTOL, ATOL, f"grad of {name}")
    for name, tb in tm.named_buffers():
        assert_close(
            to_numpy(dict(pm.named_buffers())[name]), tb.numpy(), RTOL, ATOL, f"buffer {name}"
        )
    return out_p


# ------------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_sharing_memory():
    data = pygrad.randn(3, 2)
    p = nn.Parameter(data)
    assert isinstance(p, pygrad.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.data_ptr() == data.data_ptr()
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert repr(p).startswith("Parameter containing:\ntensor(") and repr(p).endswith(
        "requires_grad=True)"
    )
    assert str(p) == repr(p)
    with pytest.raises(TypeError):
        nn.Parameter([1.0, 2.0])


# ------------------------------------------------------------------------------- layers vs torch
ELEMENTWISE = [
    ("Identity", lambda m: m.Identity()),
    ("ReLU", lambda m: m.ReLU()),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2)),
    ("Sigmoid", lambda m: m.Sigmoid()),
    ("Tanh", lambda m: m.Tanh()),
    ("GELU", lambda m: m.GELU()),
    ("GELU-tanh", lambda m: m.GELU(approximate="tanh")),
    ("Softmax", lambda m: m.Softmax(dim=1)),
    ("LogSoftmax", lambda m: m.LogSoftmax(dim=-1)),
    ("Flatten", lambda m: m.Flatten()),
    ("Flatten-0", lambda m: m.Flatten(0, 1)),
    ("Linear", lambda m: m.Linear(5, 4)),
    ("Linear-nobias", lambda m: m.Linear(5, 3, bias=False)),
    (
        "MLP",
        lambda m: m.Sequential(
            m.Linear(5, 8), m.ReLU(), m.Linear(8, 8), m.Tanh(), m.Linear(8, 2), m.LogSoftmax(1)
        ),
    ),
]


@pytest.mark.parametrize("name,build", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_layer_matches_torch(name, build):
    rng = make_rng("layer", name)
    shape = (6, 3, 5) if name.startswith("Flatten") else (6, 5)
    torch.manual_seed(0)
    compare_with_torch(build(nn), build(tnn), rng.standard_normal(shape), rng)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"in_channels": 3, "out_channels": 4, "kernel_size": 3},
        {
            "in_channels": 3,
            "out_channels": 6,
            "kernel_size": (3, 2),
            "stride": 2,
            "padding": 1,
            "bias": False,
        },
        {
            "in_channels": 4,
            "out_channels": 4,
            "kernel_size": 3,
            "padding": "same",
            "dilation": 2,
            "groups": 2,
        },
    ],
)
def test_conv2d_matches_torch(kwargs):
    rng = make_rng("conv2d", str(kwargs))
    x = rng.standard_normal((2, kwargs["in_channels"], 9, 8))
    compare_with_torch(nn.Conv2d(**kwargs), tnn.Conv2d(**kwargs), x, rng)


POOLS = [
    ("MaxPool2d", {"kernel_size": 2}),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("AvgPool2d", {"kernel_size": 2}),
    ("AvgPool2d", {"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False}),
    ("AdaptiveAvgPool2d", {"output_size": (2, 3)}),
    ("AdaptiveAvgPool2d", {"output_size": 1}),
]


@pytest.mark.parametrize("cls,kwargs", POOLS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(POOLS)])
def test_pooling_matches_torch(cls, kwargs):
    rng = make_rng("pool", cls, str(kwargs))
    x = rng.standard_normal((2, 3, 8, 7))
    compare_with_torch(getattr(nn, cls)(**kwargs), getattr(tnn, cls)(**kwargs), x, rng)


@pytest.mark.parametrize("divisor", [None, 3, 7])
def test_functional_avg_pool2d_honours_divisor_override(divisor):
    rng = make_rng("avgdiv", str(divisor))
    x = rng.standard_normal((2, 3, 6, 5))
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_p = F.avg_pool2d(xp, 2, padding=1, divisor_override=divisor)
    out_t = tnn.functional.avg_pool2d(xt, 2, padding=1, divisor_override=divisor)
    assert_close(to_numpy(out_p), out_t.detach().numpy(), RTOL, ATOL, "forward")
    out_p.sum().backward()
    out_t.sum().backward()
    assert_close(to_numpy(xp.grad), xt.grad.numpy(), RTOL, ATOL, "input grad")


@pytest.mark.parametrize(
    "cls,shape",
    [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (8, 3, 5)), ("BatchNorm2d", (4, 3, 5, 6))],
)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_matches_torch_in_train_and_eval(cls, shape, momentum):
    rng = make_rng("bn", cls, str(shape), str(momentum))
    pm, tm = getattr(nn, cls)(3, momentum=momentum), getattr(tnn, cls)(3, momentum=momentum)
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-0.5, 0.5)
    for _ in range(3):  # running stats updated the same way, step after step
        compare_with_torch(pm, tm, rng.standard_normal(shape) * 2 + 1, rng)
        pm.zero_grad()
        tm.zero_grad()
    assert pm.num_batches_tracked.item() == 3
    pm.eval()
    tm.eval()
    compare_with_torch(pm, tm, rng.standard_normal(shape), rng)
    assert pm.num_batches_tracked.item() == 3


def test_batchnorm_rejects_wrong_rank():
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(pygrad.randn(4, 3))


@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_matches_torch(shape, normalized, affine):
    rng = make_rng("ln", str(shape), affine)
    tm = tnn.LayerNorm(normalized, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            tm.weight.normal_()
            tm.bias.normal_()
    compare_with_torch(
        nn.LayerNorm(normalized, elementwise_affine=affine), tm, rng.standard_normal(shape) * 3, rng
    )


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(padding_idx):
    rng = make_rng("emb", str(padding_idx))
    idx = rng.integers(0, 10, size=(4, 5))
    idx[0, :2] = [0, 9]  # the padding rows must appear
    pm = nn.Embedding(10, 3, padding_idx=padding_idx)
    tm = tnn.Embedding(10, 3, padding_idx=padding_idx)
    compare_with_torch(pm, tm, idx, rng, float_input=False)
    if padding_idx is not None:
        assert not to_numpy(pm.weight.grad)[padding_idx % 10].any()


def test_embedding_init_and_from_pretrained():
    pygrad.manual_seed(1)
    e = nn.Embedding(1000, 64, padding_idx=2)
    w = to_numpy(e.weight)
    assert not w[2].any()
    assert abs(w.std() - 1.0) < 5 * (1 / math.sqrt(2 * w.size))
    pre = nn.Embedding.from_pretrained(pygrad.randn(4, 3))
    assert pre.weight.shape == (4, 3) and not pre.weight.requires_grad
    assert nn.Embedding.from_pretrained(pygrad.randn(4, 3), freeze=False).weight.requires_grad


# ------------------------------------------------------------------------------- losses vs torch
LOSSES = [
    ("MSELoss", {}, "regression"),
    ("MSELoss", {"reduction": "sum"}, "regression"),
    ("MSELoss", {"reduction": "none"}, "regression"),
    ("CrossEntropyLoss", {}, "classes"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, "classes"),
    ("CrossEntropyLoss", {"ignore_index": 1, "reduction": "sum"}, "classes"),
    (
        "CrossEntropyLoss",
        {"reduction": "none", "label_smoothing": 0.2, "ignore_index": 2},
        "classes",
    ),
    ("NLLLoss", {}, "logprobs"),
    ("NLLLoss", {"ignore_index": 0, "reduction": "none"}, "logprobs"),
    ("BCEWithLogitsLoss", {}, "binary"),
    ("BCEWithLogitsLoss", {"reduction": "sum", "weight": "w", "pos_weight": "pw"}, "binary"),
]


@pytest.mark.parametrize(
    "cls,kwargs,kind", LOSSES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(LOSSES)]
)
def test_loss_modules_match_torch(cls, kwargs, kind):
    rng = make_rng("loss", cls, str(kwargs))
    n, c = 7, 4
    x = rng.standard_normal((n, c))
    if kind == "regression":
        target = rng.standard_normal((n, c))
    elif kind == "binary":
        target = (rng.random((n, c)) < 0.5).astype(np.float64)
    else:
        target = rng.integers(0, c, size=n)
        if kind == "logprobs":
            x = x - np.log(np.exp(x).sum(1, keepdims=True))
    pk, tk = dict(kwargs), dict(kwargs)
    for key, shape in (("weight", (c,)), ("pos_weight", (c,))):
        if key in kwargs:
            value = rng.uniform(0.5, 2.0, size=shape)
            pk[key], tk[key] = to_pygrad(value), torch.tensor(value)
    compare_with_torch(getattr(nn, cls)(**pk), getattr(tnn, cls)(**tk), x, rng, target=target)


def test_loss_arguments_are_checked():
    assert list(nn.CrossEntropyLoss(weight=pygrad.ones(3)).state_dict()) == list(
        tnn.CrossEntropyLoss(weight=torch.ones(3)).state_dict()
    )
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    assert list(nn.BCEWithLogitsLoss(pos_weight=pygrad.ones(3)).state_dict()) == list(
        tnn.BCEWithLogitsLoss(pos_weight=torch.ones(3)).state_dict()
    )


# ------------------------------------------------------------------------------- default init
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_default_init_bounds_match_pytorch(kind):
    pygrad.manual_seed(3)
    if kind == "linear":
        m, fan_in = nn.Linear(400, 300), 400
    else:
        m, fan_in = nn.Conv2d(16, 64, 5), 16 * 25
    bound = 1 / math.sqrt(
        fan_in
    )  # kaiming_uniform_(a=sqrt(5)) and the bias rule give the same bound
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has std a/sqrt(3); the sample std's standard error is about std / sqrt(2n).
    expected = bound / math.sqrt(3)
    assert abs(w.std() - expected) < 5 * expected / math.sqrt(2 * w.size)
    assert np.abs(w).max() > 0.99 * bound
    assert m.weight.is_leaf and m.weight.grad_fn is None and m.weight.requires_grad


# ------------------------------------------------------------------------------- the Module API
def _net(mod, lib):
    """The same model built from pygrad.nn (mod=nn, lib=pygrad) or torch.nn (mod=tnn, lib=torch)."""

    class Net(mod.Module):
        def __init__(self):
            super().__init__()
            self.features = mod.Sequential(
                mod.Linear(6, 8), mod.BatchNorm1d(8), mod.ReLU(), mod.Dropout(0.1)
            )
            self.heads = mod.ModuleList([mod.Linear(8, 3), mod.Linear(8, 2, bias=False)])
            self.extra = mod.ModuleDict({"proj": mod.Linear(3, 3), "act": mod.Tanh()})
            self.scale = mod.Parameter(lib.ones(1))
            self.register_buffer("offset", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            h = self.features[0](x).relu()
            return (
                self.extra["act"](self.extra["proj"](self.heads[0](h))) * self.scale + self.offset
            )

    return Net()


def test_names_match_torch_for_an_equivalent_model():
    pm, tm = _net(nn, pygrad), _net(tnn, torch)
    assert [n for n, _ in pm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in pm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert "features.1.num_batches_tracked" in pm.state_dict() and "scratch" not in pm.state_dict()
    assert [n for n, _ in pm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in pm.named_children()] == [n for n, _ in tm.named_children()]
    assert [type(m).__name__ for m in pm.children()] == ["Sequential", "ModuleList", "ModuleDict"]
    assert len(list(pm.modules())) == len(list(tm.modules()))
    assert sum(p.numel() for p in pm.parameters()) == sum(p.numel() for p in tm.parameters())
    assert [n for n, _ in pm.named_parameters(recurse=False)] == ["scale"]
    assert pm.get_parameter("heads.0.weight") is pm.heads[0].weight
    assert pm.get_submodule("features.1") is pm.features[1]


def test_shared_parameters_are_listed_once():
    a = nn.Linear(3, 3)
    m = nn.Sequential(a, nn.ReLU(), a)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_attribute_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(pygrad.ones(2))
    m.child = nn.Linear(2, 2)
    m.register_buffer("buf", pygrad.zeros(2))
    m.plain = 3
    assert (
        list(m._parameters) == ["w"]
        and list(m._modules) == ["child"]
        and list(m._buffers) == ["buf"]
    )
    assert m.plain == 3 and "plain" not in dict(m.named_parameters())
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = pygrad.ones(2)  # a plain tensor can't replace a parameter
    m.w = None
    assert m.w is None and next(iter(m.parameters())) is m.child.weight
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = 1.0
    m.buf = pygrad.ones(2)
    assert m.state_dict()["buf"].tolist() == [1.0, 1.0]
    del m.child
    with pytest.raises(AttributeError, match="has no attribute 'child'"):
        _ = m.child
    with pytest.raises(KeyError, match=r"\."):
        m.register_buffer("a.b", pygrad.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("plain", None)
    with pytest.raises(TypeError):
        m.add_module("x", 5)
    assert "buf" in dir(m)


def test_state_dict_is_detached_shared_and_round_trips():
    pygrad.manual_seed(0)
    a, b = (
        nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)),
        nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)),
    )
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict) and list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(not t.requires_grad and t.grad_fn is None for t in sd.values())
    assert sd["0.weight"].data_ptr() == a[0].weight.data_ptr()  # like PyTorch: a view, not a copy
    assert all(t.requires_grad for t in a.state_dict(keep_vars=True).values())
    before = [id(p) for p in b.parameters()]
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [
        id(p) for p in b.parameters()
    ] == before  # copied in place: optimizers keep their references
    assert all(p.requires_grad and p.is_leaf for p in b.parameters())
    x = pygrad.randn(3, 4)
    assert_close(to_numpy(b(x)), to_numpy(a(x)), 0, 0, "outputs after load_state_dict")
    assert b[0].weight.data_ptr() != a[0].weight.data_ptr()


def test_state_dict_loads_into_torch_and_back():
    pm, tm = (
        nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)),
        tnn.Sequential(tnn.Linear(3, 4), tnn.BatchNorm1d(4)),
    )
    tm.load_state_dict({k: torch.from_numpy(to_numpy(v)) for k, v in pm.state_dict().items()})
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), to_numpy(pm.state_dict()[k]))


def test_load_state_dict_strict_errors_name_every_key():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    sd = OrderedDict(m.state_dict())
    del sd["0.bias"], sd["1.running_var"]
    sd["3.weight"] = pygrad.zeros(2)
    sd["2.weight"] = pygrad.zeros(2, 5)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert 'Missing key(s) in state_dict: "0.bias", "1.running_var".' in msg
    assert 'Unexpected key(s) in state_dict: "3.weight".' in msg
    assert "size mismatch for 2.weight: copying a param with shape [2, 5] from checkpoint, " in msg
    assert "the shape in current model is [2, 4]" in msg
    # Non-strict: the keys come back; a shape mismatch still raises (as in PyTorch).
    with pytest.raises(RuntimeError, match=r"size mismatch for 2\.weight"):
        m.load_state_dict(sd, strict=False)
    del sd["2.weight"]
    sd["0.weight"] = pygrad.full((4, 3), 0.5)
    result = m.load_state_dict(sd, strict=False)
    assert result == (["0.bias", "1.running_var", "2.weight"], ["3.weight"])
    assert result.missing_keys[0] == "0.bias" and result.unexpected_keys == ["3.weight"]
    assert to_numpy(m[0].weight).tolist() == [[0.5] * 3] * 4


def test_train_eval_propagate():
    m = _net(nn, pygrad)
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.features.train(False)
    assert not m.features[3].training and m.heads[0].training


def test_freeze_gives_no_gradient_to_frozen_params_and_trains_the_rest():
    pygrad.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    m[0].freeze()
    frozen_before = to_numpy(m[0].weight)
    x, y = pygrad.randn(16, 4), pygrad.randn(16, 1)
    first = None
    for _ in range(20):
        m.zero_grad()
        loss = F.mse_loss(m(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        assert m[0].weight.grad is None and m[0].bias.grad is None
        assert m[2].weight.grad is not None
        with pygrad.no_grad():
            for p in m.parameters():
                if p.requires_grad:
                    p -= 0.05 * p.grad
    assert loss.item() < first
    np.testing.assert_array_equal(to_numpy(m[0].weight), frozen_before)
    # A fully frozen model records no graph at all: backward has nothing to compute.
    m.freeze()
    assert not m(x).requires_grad and m(x).grad_fn is None
    m.unfreeze()
    assert all(p.requires_grad for p in m.parameters())
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())


def test_zero_grad_both_ways():
    m = nn.Linear(3, 2)
    m(pygrad.randn(4, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and not to_numpy(m.weight.grad).any()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_to_double_keeps_parameter_identity():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ids = [id(p) for p in m.parameters()]
    assert m.to(pygrad.float64) is m
    assert [id(p) for p in m.parameters()] == ids
    assert all(
        p.dtype == pygrad.float64 and isinstance(p, nn.Parameter) and p.requires_grad
        for p in m.parameters()
    )
    assert m[1].running_mean.dtype == pygrad.float64
    assert m[1].num_batches_tracked.dtype == pygrad.int64
    assert m.to("cpu") is m and m.float() is m and m[0].weight.dtype == pygrad.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(pygrad.int64)


def test_apply_and_forward_hooks():
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
    m.apply(lambda mod: init.zeros_(mod.bias) if isinstance(mod, nn.Linear) else None)
    assert not to_numpy(m[0].bias).any()
    calls = []
    handle = m[1].register_forward_hook(lambda mod, inp, out: calls.append(out.shape) or out * 0)
    assert not to_numpy(m[1](pygrad.randn(2, 3))).any()  # a hook may replace the output
    handle.remove()
    m(pygrad.randn(2, 3))
    assert calls == [(2, 3)]


def test_sequential_module_list_module_dict():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers and seq[-1] is layers[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is layers[0]
    assert head(pygrad.randn(5, 2)).shape == (5, 3)
    seq.append(nn.Tanh())
    assert list(dict(seq.named_children())) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        seq[4]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 2))
    ml += [nn.ReLU()]
    assert len(ml) == 3 and [n for n, _ in ml.named_parameters()] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
    ]
    del ml[0]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias"]
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2 and list(md.keys()) == ["a", "b"]
    assert md.pop("b").__class__ is nn.ReLU and len(md) == 1


def test_repr_matches_torch():
    def build(m):
        return m.Sequential(
            m.Conv2d(3, 8, 3, padding=1),
            m.Conv2d(8, 8, (3, 5), stride=2, bias=False),
            m.Conv2d(8, 8, 3, padding="same", dilation=2, groups=2),
            m.BatchNorm2d(8),
            m.ReLU(),
            m.MaxPool2d(2),
            m.AvgPool2d(3, 1, 1),
            m.AdaptiveAvgPool2d((2, 3)),
            m.Flatten(),
            m.Dropout(0.25),
            m.Linear(48, 10),
            m.LayerNorm(10),
            m.GELU(approximate="tanh"),
            m.LeakyReLU(0.2),
            m.Softmax(dim=1),
            m.LogSoftmax(dim=-1),
            m.Sigmoid(),
            m.Tanh(),
            m.Identity(),
            m.ModuleList([m.Embedding(10, 3, padding_idx=0), m.BatchNorm1d(4, affine=False)]),
            m.ModuleDict(
                {"loss": m.CrossEntropyLoss(), "bce": m.BCEWithLogitsLoss(), "mse": m.MSELoss()}
            ),
        )

    assert repr(build(nn)) == repr(build(tnn))
    assert repr(nn.Dropout(0.5, mode="classic")) == "Dropout(p=0.5, inplace=False, mode='classic')"


def test_summary_counts_trainable_and_frozen(capsys):
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    m[0].freeze()
    text = m.summary(input_size=(2, 4))
    assert capsys.readouterr().out.strip() == text.strip()
    assert "Total params: 67" in text
    assert "Trainable params: 27" in text
    assert "Non-trainable (frozen) params: 40" in text
    lines = text.splitlines()
    linear0 = next(line for line in lines if "0 (Linear)" in line)
    assert "[2, 8]" in linear0 and linear0.rstrip().endswith("40")
    assert any("3 (Linear)" in line and "[2, 3]" in line for line in lines)
    assert (
        m.training and m[2].training
    )  # the summary's forward ran in eval mode and restored the flags
    no_input = m.summary(print_fn=None)
    assert "--" in no_input and "Total params: 67" in no_input
    with_input = m.summary(input=pygrad.randn(5, 4), print_fn=None)
    assert "[5, 3]" in with_input


def test_nn_utils_is_lazy():
    assert "utils" in nn.__all__
    try:
        getattr(nn, "utils")  # noqa: B009  (the lazy attribute)
    except ModuleNotFoundError as error:
        assert "pygrad.nn.utils" in str(error)
    with pytest.raises(AttributeError):
        getattr(nn, "does_not_exist")  # noqa: B009


# ------------------------------------------------------------------------------- dropout
def _five_se_mean_check(values, expected, per_element_var):
    se = math.sqrt(per_element_var / values.size)
    assert abs(values.mean() - expected) < 5 * se, f"mean {values.mean()} vs {expected} (se {se})"


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_inverted_dropout_preserves_expectation(p):
    pygrad.manual_seed(11)
    q = 1 - p
    x = pygrad.full((400, 500), 2.0)
    d = nn.Dropout(p)
    y = to_numpy(d(x))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 / q, rtol=1e-6)
    _five_se_mean_check(
        kept.astype(np.float64), q, q * (1 - q)
    )  # each unit kept with probability q
    _five_se_mean_check(y, 2.0, 4.0 * (1 - q) / q)  # E[y] = x
    d.eval()
    out = d(x)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(x))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_classic_dropout_train_and_eval_have_the_same_expectation(p):
    pygrad.manual_seed(12)
    q = 1 - p
    rng = make_rng("classic", p)
    x_np = rng.uniform(0.5, 1.5, size=(400, 500))
    x = to_pygrad(x_np)
    d = nn.Dropout(p, mode="classic")
    y = to_numpy(d(x))
    kept = y != 0
    np.testing.assert_array_equal(y[kept], x_np[kept])  # kept units are not scaled
    _five_se_mean_check(kept.astype(np.float64), q, q * (1 - q))
    d.eval()
    y_eval = to_numpy(d(x))
    np.testing.assert_allclose(
        y_eval, q * x_np, rtol=1e-12
    )  # eval: no dropout, outputs scaled by q
    np.testing.assert_array_equal(to_numpy(d(x)), y_eval)  # deterministic
    # E[train output] = q * x = eval output; per-element variance q(1-q) x^2 <= q(1-q) * 1.5^2.
    _five_se_mean_check(y - y_eval, 0.0, q * (1 - q) * 1.5**2)


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_dropout_gradient_flows_only_through_kept_units(mode):
    pygrad.manual_seed(5)
    p = 0.4
    x = pygrad.randn(50, 40, dtype=pygrad.float64, requires_grad=True)
    y = F.dropout(x, p, training=True, mode=mode)
    g = pygrad.randn(50, 40, dtype=pygrad.float64)
    (y * g).sum().backward()
    kept = to_numpy(y) != 0
    scale = 1 / (1 - p) if mode == "inverted" else 1.0
    expected = np.where(kept, to_numpy(g) * scale, 0.0)
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-12)
    assert 0 < kept.mean() < 1


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_dropout_same_seed_same_mask(mode):
    x = pygrad.ones(64, 64)
    d = nn.Dropout(0.5, mode=mode)
    pygrad.manual_seed(99)
    a, b = to_numpy(d(x)), to_numpy(d(x))
    pygrad.manual_seed(99)
    c = to_numpy(d(x))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # a fresh mask on each call


def test_dropout_edge_cases_and_functional():
    x = pygrad.randn(10, 10)
    for mode in ("inverted", "classic"):
        assert not to_numpy(F.dropout(x, 1.0, mode=mode)).any()
        np.testing.assert_array_equal(to_numpy(F.dropout(x, 0.0, mode=mode)), to_numpy(x))
    assert F.dropout(x, 0.3, training=False) is x
    np.testing.assert_allclose(
        to_numpy(F.dropout(x, 0.3, training=False, mode="classic")), 0.7 * to_numpy(x), rtol=1e-6
    )
    pygrad.manual_seed(4)
    a = to_numpy(F.dropout(x, 0.3))
    pygrad.manual_seed(4)
    np.testing.assert_array_equal(to_numpy(nn.Dropout(0.3)(x)), a)
    assert F.dropout(x.double(), 0.5).dtype == pygrad.float64
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)
    with pytest.raises(ValueError, match="mode"):
        nn.Dropout(0.5, mode="gaussian")


def test_dropout_inside_a_model_follows_train_eval():
    pygrad.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x = pygrad.randn(4, 8)
    m.eval()
    np.testing.assert_array_equal(to_numpy(m(x)), to_numpy(m(x)))
    m.train()
    assert not np.array_equal(to_numpy(m(x)), to_numpy(m(x)))


# ------------------------------------------------------------------------------- in place
INPLACE = [
    ("relu", lambda x, inplace: F.relu(x, inplace=inplace), tnn.functional.relu),
    (
        "leaky_relu",
        lambda x, inplace: F.leaky_relu(x, 0.2, inplace),
        lambda x, inplace: tnn.functional.leaky_relu(x, 0.2, inplace),
    ),
    ("ReLU", lambda x, inplace: nn.ReLU(inplace)(x), lambda x, inplace: tnn.ReLU(inplace)(x)),
    (
        "LeakyReLU",
        lambda x, inplace: nn.LeakyReLU(0.2, inplace)(x),
        lambda x, inplace: tnn.LeakyReLU(0.2, inplace)(x),
    ),
]


@pytest.mark.parametrize("name,ours,theirs", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_activations_match_torch(name, ours, theirs):
    rng = make_rng("inplace", name)
    x = rng.standard_normal((5, 7))
    x[0, :3] = [0.0, -np.inf, np.inf]
    # Forward: the input itself, overwritten with the result.
    xp, xt = to_pygrad(x), torch.tensor(x)
    out_p, out_t = ours(xp, True), theirs(xt, True)
    assert out_p is xp and out_t is xt
    assert_close(to_numpy(xp), xt.numpy(), RTOL, ATOL, "in-place forward")
    assert xp._version == 1
    # Backward through an in-place op on a non-leaf: the same gradient as PyTorch's.
    g = rng.standard_normal(x.shape)
    xp, xt = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hp, ht = xp * 3.0, xt * 3.0
    yp, yt = ours(hp, True), theirs(ht, True)
    assert yp is hp
    (yp * to_pygrad(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    assert_close(to_numpy(xp.grad), xt.grad.numpy(), RTOL, ATOL, "grad through in-place")
    # A leaf that requires grad can't be overwritten while grad is recorded (PyTorch's rule) ...
    leaf_p, leaf_t = to_pygrad(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        theirs(leaf_t, True)
    with pytest.raises(RuntimeError, match=r"\[\w+\] a leaf tensor that requires grad"):
        ours(leaf_p, True)
    assert_close(to_numpy(leaf_p), x, 0, 0, "untouched leaf")
    # ... but it can under no_grad.
    with pygrad.no_grad(), torch.no_grad():
        assert ours(leaf_p, True) is leaf_p and theirs(leaf_t, True) is leaf_t
    assert_close(to_numpy(leaf_p), leaf_t.detach().numpy(), RTOL, ATOL, "no_grad in-place")


def test_inplace_leaky_relu_needs_a_float_tensor():
    with pytest.raises(TypeError, match="floating-point"):
        F.leaky_relu(pygrad.tensor([1, -2]), inplace=True)


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_inplace_dropout_writes_the_same_values_into_the_input(mode):
    x = pygrad.randn(30, 20, dtype=pygrad.float64)
    pygrad.manual_seed(3)
    expected = to_numpy(F.dropout(x, 0.4, mode=mode))
    pygrad.manual_seed(3)
    y = x.clone()
    assert F.dropout(y, 0.4, inplace=True, mode=mode) is y
    np.testing.assert_array_equal(to_numpy(y), expected)
    # nn.Dropout(inplace=True): the same, and the gradient as for the out-of-place form.
    a = pygrad.randn(30, 20, dtype=pygrad.float64, requires_grad=True)
    pygrad.manual_seed(8)
    out = F.dropout(a * 1.0, 0.4, mode=mode)
    out.sum().backward()
    pygrad.manual_seed(8)
    b = pygrad.tensor(a.detach().numpy(), requires_grad=True)
    h = b * 1.0
    layer = nn.Dropout(0.4, inplace=True, mode=mode)
    assert layer(h) is h
    h.sum().backward()
    np.testing.assert_array_equal(to_numpy(b.grad), to_numpy(a.grad))
    # Eval: the inverted form returns the input untouched, the classic one scales it in place.
    layer.eval()
    z = pygrad.ones(3, dtype=pygrad.float64)
    assert layer(z) is z
    np.testing.assert_allclose(to_numpy(z), 1.0 if mode == "inverted" else 0.6, rtol=1e-12)


def test_inplace_dropout_on_a_leaf_follows_torch():
    x = pygrad.randn(4, 4, requires_grad=True)
    xt = torch.randn(4, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        tnn.functional.dropout(xt, 0.5, inplace=True)
    with pytest.raises(RuntimeError, match=r"\[dropout\] a leaf tensor that requires grad"):
        F.dropout(x, 0.5, inplace=True)
    # Nothing to do (eval of the inverted form, p=0): the input comes back, as in PyTorch.
    assert tnn.functional.dropout(xt, 0.5, training=False, inplace=True) is xt
    assert F.dropout(x, 0.5, training=False, inplace=True) is x
    assert F.dropout(x, 0.0, inplace=True) is x


# ------------------------------------------------------------------------------- device= and dtype=
LAYERS_WITH_DEVICE = [
    ("Linear", (3, 2)),
    ("BatchNorm1d", (3,)),
    ("BatchNorm2d", (3,)),
    ("LayerNorm", (3,)),
    ("Embedding", (4, 3)),
]


@pytest.mark.parametrize("cls,args", LAYERS_WITH_DEVICE, ids=[c for c, _ in LAYERS_WITH_DEVICE])
def test_layers_honour_device_and_dtype(cls, args):
    for device in (None, "cpu", "cpu:0", pygrad.device("cpu")):
        layer = getattr(nn, cls)(*args, device=device)
        assert all(p.device == pygrad.device("cpu") for p in layer.parameters())
    with pytest.raises(RuntimeError, match=rf"\[{cls}\] cannot use device 'cuda'"):
        getattr(nn, cls)(*args, device="cuda")
    with pytest.raises(ValueError, match="unknown device type"):
        getattr(nn, cls)(*args, device="tpu")
    layer = getattr(nn, cls)(*args, dtype=pygrad.float64)
    torch_layer = getattr(tnn, cls)(*args, dtype=torch.float64)
    assert [str(t.dtype).rsplit(".")[-1] for t in layer.state_dict().values()] == [
        str(t.dtype).rsplit(".")[-1] for t in torch_layer.state_dict().values()
    ]


def test_init_functions_take_a_generator():
    w = pygrad.empty(3, 4)
    for fn in (
        init.uniform_,
        init.normal_,
        init.trunc_normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
    ):
        fn(w, generator=None)
        g = pygrad.Generator().manual_seed(4)
        first = fn(w, generator=g).tolist()
        g.manual_seed(4)
        assert fn(w, generator=g).tolist() == first, fn.__name__
        with pytest.raises(TypeError, match=r"generator must be a pygrad\.Generator"):
            fn(w, generator=torch.Generator())


# ------------------------------------------------------------------------------- init
@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        tnn.init.calculate_gain(nonlinearity, param)
    )


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


def _std_ok(values, expected):
    assert abs(values.std() - expected) < 5 * expected / math.sqrt(2 * values.size), (
        values.std(),
        expected,
    )


N_ROWS, N_COLS = 256, 512


def test_uniform_normal_constant():
    pygrad.manual_seed(7)
    w = nn.Parameter(pygrad.empty(N_ROWS, N_COLS))
    assert init.uniform_(w, -0.5, 1.5) is w
    v = to_numpy(w)
    assert v.min() >= -0.5 and v.max() < 1.5
    _five_se_mean_check(v, 0.5, 4 / 12)
    _std_ok(v, 2 / math.sqrt(12))
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    init.normal_(w, 1.0, 0.3)
    v = to_numpy(w)
    _five_se_mean_check(v, 1.0, 0.09)
    _std_ok(v, 0.3)
    init.trunc_normal_(w, 0.0, 1.0, -1.0, 2.0)
    v = to_numpy(w)
    assert v.min() >= -1.0 and v.max() <= 2.0 and v.std() > 0.5
    assert not to_numpy(init.zeros_(w)).any()
    assert (to_numpy(init.ones_(w)) == 1).all()
    assert (to_numpy(init.constant_(w, 0.25)) == 0.25).all()
    np.testing.assert_array_equal(to_numpy(init.eye_(pygrad.empty(3, 4))), np.eye(3, 4))


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_"])
def test_xavier(fn):
    pygrad.manual_seed(8)
    w = pygrad.empty(N_ROWS, N_COLS, dtype=pygrad.float64)
    gain = init.calculate_gain("tanh")
    getattr(init, fn)(w, gain=gain)
    v = to_numpy(w)
    std = gain * math.sqrt(2.0 / (N_ROWS + N_COLS))
    _std_ok(v, std)
    _five_se_mean_check(v, 0.0, std**2)
    if fn == "xavier_uniform_":
        assert np.abs(v).max() <= std * math.sqrt(3)


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming(fn, mode, nonlinearity, a):
    pygrad.manual_seed(9)
    w = pygrad.empty(64, 32, 3, 3)  # conv-shaped: fan_in = 32*9, fan_out = 64*9
    getattr(init, fn)(w, a=a, mode=mode, nonlinearity=nonlinearity)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    v = to_numpy(w)
    _std_ok(v, std)
    if fn == "kaiming_uniform_":
        assert np.abs(v).max() <= std * math.sqrt(3) * (1 + 1e-6)


def test_init_is_reproducible_and_checks_arguments():
    pygrad.manual_seed(21)
    a = to_numpy(nn.Linear(5, 5).weight)
    pygrad.manual_seed(21)
    np.testing.assert_array_equal(to_numpy(nn.Linear(5, 5).weight), a)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(pygrad.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(pygrad.empty(5, 5), mode="fan_avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
def test_class_weighted_losses_match_torch(reduction, label_smoothing, shape):
    rng = np.random.default_rng(7)
    logits = rng.standard_normal(shape)
    classes = shape[1]
    target = rng.integers(0, classes, (shape[0], *shape[2:]))
    target.flat[0] = -100  # an ignored position
    weight = rng.random(classes) + 0.5
    x = pygrad.tensor(logits, requires_grad=True)
    tx = torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(
        x,
        pygrad.tensor(target),
        weight=pygrad.tensor(weight),
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    expected = torch.nn.functional.cross_entropy(
        tx,
        torch.tensor(target),
        weight=torch.tensor(weight),
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    np.testing.assert_allclose(
        loss.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)

    logp = np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))
    nll = F.nll_loss(
        pygrad.tensor(logp), pygrad.tensor(target), pygrad.tensor(weight), reduction=reduction
    )
    expected = torch.nn.functional.nll_loss(
        torch.tensor(logp), torch.tensor(target), torch.tensor(weight), reduction=reduction
    )
    np.testing.assert_allclose(nll.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_class_weighted_probability_targets_and_modules_match_torch():
    rng = np.random.default_rng(8)
    logits, weight = rng.standard_normal((5, 3)), rng.random(3) + 0.1
    probabilities = rng.dirichlet(np.ones(3), size=5)
    got = nn.CrossEntropyLoss(weight=pygrad.tensor(weight), label_smoothing=0.1)(
        pygrad.tensor(logits), pygrad.tensor(probabilities)
    )
    expected = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), label_smoothing=0.1)(
        torch.tensor(logits), torch.tensor(probabilities)
    )
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-10)
    target = rng.integers(0, 3, 5)
    got = nn.NLLLoss(weight=pygrad.tensor(weight))(pygrad.tensor(logits), pygrad.tensor(target))
    expected = torch.nn.NLLLoss(weight=torch.tensor(weight))(
        torch.tensor(logits), torch.tensor(target)
    )
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-10)
    with pytest.raises(ValueError, match=r"\[cross_entropy\] weight of shape \[4\]"):
        F.cross_entropy(
            pygrad.tensor(logits),
            pygrad.tensor(target),
            weight=pygrad.ones(4, dtype=pygrad.float64),
        )

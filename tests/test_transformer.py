"""nn.TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and
Transformer against torch: modules built alike, torch's randomised weights loaded through state_dict,
outputs and gradients of inputs and every parameter compared (float64, one float32 case) over norm_first,
batch_first, activations, bias, unbatched input and every kind of mask; torch's eval-mode zeros at padded
positions (nested-tensor path); dropout; deep-copied layers; init; warnings and errors; a training smoke test."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest
from conftest import import_torch, make_rng, to_numpy, to_pygrad

import pygrad
from pygrad import nn

torch = import_torch()

TOL = {np.float32: {"rtol": 1e-4, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-10}}
E, H, FF = 8, 2, 12
NESTED_WARNING = "enable_nested_tensor is True, but self.use_nested_tensor is False"

# activation name -> (pygrad value, torch value)
ACTS = {
    "relu": ("relu", "relu"),
    "gelu": ("gelu", "gelu"),
    "fn": (pygrad.tanh, torch.tanh),
    "module": (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
}


def _quiet(build):
    """Builds a module, ignoring the enable_nested_tensor warning (both libraries emit it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NESTED_WARNING)
        return build()


def _load(tm, pm, rng, dtype=np.float64):
    """Randomises torch's parameters (LayerNorms included) and loads them into the pygrad module."""
    tm.to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for t in tm.state_dict().values():
            t.copy_(torch.tensor(rng.uniform(-0.8, 0.8, tuple(t.shape))))
    assert list(pm.state_dict()) == list(tm.state_dict())
    pm.load_state_dict(
        OrderedDict((k, pygrad.from_numpy(v.numpy().copy())) for k, v in tm.state_dict().items())
    )


def _pair(array, grad=True):
    return to_pygrad(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def _seq(rng, n, length, bf, dtype=np.float64):
    """A random [L, N, E] ([N, L, E] with batch_first, [L, E] when n is None) input pair."""
    shape = (length, E) if n is None else ((n, length, E) if bf else (length, n, E))
    return _pair(rng.standard_normal(shape).astype(dtype))


def _mask(rng, kind, shape, dtype=np.float64):
    """A mask pair: "bool" (True: left out, never a whole row), "float" (finite values, some -inf),
    "causal-bool"/"causal-float" (the square subsequent mask)."""
    if kind.startswith("causal"):
        m = np.triu(np.ones(shape, dtype=bool), 1)
    else:
        m = rng.uniform(size=shape) < 0.35
        m[..., 0] = False
    if kind.endswith("float"):
        m = np.where(m, -np.inf, 0.0 if kind.startswith("causal") else rng.standard_normal(shape))
        m = m.astype(dtype)
    return to_pygrad(m), torch.tensor(m)


def _check(out_p, out_t, leaves, pm, tm, rng, dtype=np.float64):
    """Outputs, then the gradients of a random projection of them w.r.t. the leaves and parameters."""
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_p * to_pygrad(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    for a, b in leaves:
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), **TOL[dtype])
    pgrads = dict(pm.named_parameters())
    assert list(pgrads) == [n for n, _ in tm.named_parameters()]
    for n, p in tm.named_parameters():
        np.testing.assert_allclose(
            to_numpy(pgrads[n].grad), p.grad.numpy(), **TOL[dtype], err_msg=n
        )


# (id, constructor kwargs (activation as an ACTS key), N (None: unbatched), masks: "mask-<kind>",
#  "kpm-<bool|float>", "mask3d", "is_causal").
ENC_LAYER = [
    ("post-norm", {}, 2, []),
    ("pre-norm", {"norm_first": True}, 2, []),
    ("batch_first", {"batch_first": True}, 3, ["kpm-bool"]),
    ("pre-norm-batch_first", {"norm_first": True, "batch_first": True}, 2, ["mask-bool"]),
    ("gelu", {"activation": "gelu"}, 2, ["mask-float"]),
    ("callable", {"activation": "fn", "norm_first": True}, 2, ["kpm-float"]),
    ("module-act", {"activation": "module"}, 2, ["mask-bool", "kpm-bool"]),
    ("no-bias", {"bias": False}, 2, ["mask-float", "kpm-float"]),
    ("eps", {"layer_norm_eps": 1e-3}, 1, []),
    ("unbatched", {}, None, ["mask-bool"]),
    ("unbatched-batch_first", {"batch_first": True}, None, ["kpm-bool"]),
    ("mask3d", {}, 2, ["mask3d"]),
    ("causal", {}, 2, ["mask-causal-float", "is_causal"]),
    ("causal-kpm", {"norm_first": True}, 2, ["mask-causal-bool", "kpm-bool", "is_causal"]),
    ("length1", {}, 2, ["len1"]),
]


@pytest.mark.parametrize("name,kw,N,extras", ENC_LAYER, ids=[c[0] for c in ENC_LAYER])
def test_encoder_layer_matches_torch(name, kw, N, extras):
    rng = make_rng("enc-layer", name)
    kw = dict(kw)
    act = ACTS[kw.pop("activation")] if "activation" in kw else None
    kp, kt = dict(kw, dropout=0.0), dict(kw, dropout=0.0)
    if act is not None:
        kp["activation"], kt["activation"] = act
    pm = nn.TransformerEncoderLayer(E, H, FF, dtype=pygrad.float64, **kp)
    tm = torch.nn.TransformerEncoderLayer(E, H, FF, **kt)
    assert repr(pm) == repr(tm)
    _load(tm, pm, rng)
    S = 1 if "len1" in extras else 5
    (xp, xt) = _seq(rng, N, S, kw.get("batch_first", False))
    fp, ft = {}, {}
    for e in extras:
        if e.startswith("mask-"):
            fp["src_mask"], ft["src_mask"] = _mask(rng, e[5:], (S, S))
        elif e.startswith("kpm-"):
            fp["src_key_padding_mask"], ft["src_key_padding_mask"] = _mask(
                rng, e[4:], (S,) if N is None else (N, S)
            )
        elif e == "mask3d":
            fp["src_mask"], ft["src_mask"] = _mask(rng, "float", (N * H, S, S))
        elif e == "is_causal":
            fp["is_causal"] = ft["is_causal"] = True
    _check(pm(xp, **fp), tm(xt, **ft), [(xp, xt)], pm, tm, rng)


DEC_LAYER = [
    ("post-norm", {}, 2, []),
    ("pre-norm", {"norm_first": True}, 2, ["tgt-causal"]),
    ("batch_first", {"batch_first": True}, 3, ["tgt-kpm", "mem-kpm"]),
    ("gelu-masks", {"activation": "gelu"}, 2, ["tgt-mask", "mem-mask"]),
    ("callable-float", {"activation": "fn"}, 2, ["tgt-fmask", "mem-fmask", "mem-fkpm"]),
    ("no-bias", {"bias": False, "norm_first": True}, 2, ["tgt-kpm", "mem-mask"]),
    ("unbatched", {}, None, ["tgt-causal", "mem-kpm"]),
]


def _dec_masks(rng, extras, N, T, S):
    fp, ft = {}, {}

    def kpm(n):
        return (n,) if N is None else (N, n)

    spec = {
        "tgt-mask": ("tgt_mask", "bool", (T, T)),
        "tgt-fmask": ("tgt_mask", "float", (T, T)),
        "tgt-causal": ("tgt_mask", "causal-float", (T, T)),
        "mem-mask": ("memory_mask", "bool", (T, S)),
        "mem-fmask": ("memory_mask", "float", (N * H if N else 1, T, S)),
        "tgt-kpm": ("tgt_key_padding_mask", "bool", kpm(T)),
        "mem-kpm": ("memory_key_padding_mask", "bool", kpm(S)),
        "mem-fkpm": ("memory_key_padding_mask", "float", kpm(S)),
    }
    for e in extras:
        key, kind, shape = spec[e]
        fp[key], ft[key] = _mask(rng, kind, shape)
        if e == "tgt-causal":
            fp["tgt_is_causal"] = ft["tgt_is_causal"] = True
    return fp, ft


@pytest.mark.parametrize("name,kw,N,extras", DEC_LAYER, ids=[c[0] for c in DEC_LAYER])
def test_decoder_layer_matches_torch(name, kw, N, extras):
    rng = make_rng("dec-layer", name)
    kw = dict(kw)
    act = ACTS[kw.pop("activation")] if "activation" in kw else None
    kp, kt = dict(kw, dropout=0.0), dict(kw, dropout=0.0)
    if act is not None:
        kp["activation"], kt["activation"] = act
    pm = nn.TransformerDecoderLayer(E, H, FF, dtype=pygrad.float64, **kp)
    tm = torch.nn.TransformerDecoderLayer(E, H, FF, **kt)
    assert repr(pm) == repr(tm)
    _load(tm, pm, rng)
    T, S, bf = 4, 6, kw.get("batch_first", False)
    (tp, tt), (mp, mt) = _seq(rng, N, T, bf), _seq(rng, N, S, bf)
    fp, ft = _dec_masks(rng, extras, N, T, S)
    _check(pm(tp, mp, **fp), tm(tt, mt, **ft), [(tp, tt), (mp, mt)], pm, tm, rng)


STACKS = [
    ("plain", {}, []),
    ("pre-norm-batch_first", {"norm_first": True, "batch_first": True}, ["kpm"]),
    ("detected-causal", {}, ["causal"]),
    ("bool-masks", {"activation": "gelu"}, ["mask", "kpm"]),
    ("no-norm", {"no_norm": True}, ["kpm"]),
]


@pytest.mark.parametrize("name,kw,extras", STACKS, ids=[c[0] for c in STACKS])
def test_encoder_and_decoder_stacks_match_torch(name, kw, extras):
    rng = make_rng("stacks", name)
    kw = dict(kw, dropout=0.0)
    no_norm = kw.pop("no_norm", False)
    bf = kw.get("batch_first", False)
    pe, te = _quiet(
        lambda: (
            nn.TransformerEncoder(
                nn.TransformerEncoderLayer(E, H, FF, dtype=pygrad.float64, **kw),
                2,
                None if no_norm else nn.LayerNorm(E, dtype=pygrad.float64),
            ),
            torch.nn.TransformerEncoder(
                torch.nn.TransformerEncoderLayer(E, H, FF, **kw),
                2,
                None if no_norm else torch.nn.LayerNorm(E),
            ),
        )
    )
    pd = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(E, H, FF, dtype=pygrad.float64, **kw),
        2,
        None if no_norm else nn.LayerNorm(E, dtype=pygrad.float64),
    )
    td = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(E, H, FF, **kw),
        2,
        None if no_norm else torch.nn.LayerNorm(E),
    )
    pm, tm = nn.ModuleList([pe, pd]), torch.nn.ModuleList([te, td])
    _load(tm, pm, rng)
    S, T, N = 5, 4, 2
    (xp, xt), (yp, yt) = _seq(rng, N, S, bf), _seq(rng, N, T, bf)
    ep, et, dp, dt = {}, {}, {}, {}
    if "mask" in extras:
        ep["mask"], et["mask"] = _mask(rng, "bool", (S, S))
        dp["memory_mask"], dt["memory_mask"] = _mask(rng, "bool", (T, S))
    if "kpm" in extras:
        ep["src_key_padding_mask"], et["src_key_padding_mask"] = _mask(rng, "bool", (N, S))
        dp["tgt_key_padding_mask"], dt["tgt_key_padding_mask"] = _mask(rng, "bool", (N, T))
    if "causal" in extras:  # is_causal left None: both detect the causal masks
        ep["mask"], et["mask"] = _mask(rng, "causal-bool", (S, S))
        dp["tgt_mask"], dt["tgt_mask"] = _mask(rng, "causal-float", (T, T))
    mem_p, mem_t = pe(xp, **ep), te(xt, **et)
    _check(pd(yp, mem_p, **dp), td(yt, mem_t, **dt), [(xp, xt), (yp, yt)], pm, tm, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "bf,N", [(False, 2), (True, 2), (False, None)], ids=["seq", "bf", "unbatched"]
)
def test_transformer_matches_torch(bf, N, dtype):
    rng = make_rng("transformer", bf, N, np.dtype(dtype).name)
    pdt = getattr(pygrad, np.dtype(dtype).name)
    kw = {"dropout": 0.0, "batch_first": bf}
    pm = _quiet(lambda: nn.Transformer(E, H, 2, 1, FF, dtype=pdt, **kw))
    tm = _quiet(lambda: torch.nn.Transformer(E, H, 2, 1, FF, **kw))
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in pm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    _load(tm, pm, rng, dtype)
    S, T = 5, 4
    (sp, st), (tp, tt) = _seq(rng, N, S, bf, dtype), _seq(rng, N, T, bf, dtype)
    fp = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(T, dtype=pdt)}
    ft = {"tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=tt.dtype)}
    if N is not None:
        for key, n in (("src", S), ("tgt", T), ("memory", S)):
            m = _mask(rng, "float", (N, n), dtype)  # float like tgt_mask: a bool one would warn
            fp[f"{key}_key_padding_mask"], ft[f"{key}_key_padding_mask"] = m
    _check(pm(sp, tp, **fp), tm(st, tt, **ft), [(sp, st), (tp, tt)], pm, tm, rng, dtype)


LEFT = [[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]]
# (id, padding rows, kind, layer kwargs, encoder kwargs, options, zeros expected at padding)
NESTED = [
    ("left", LEFT, "bool", {}, {}, [], True),
    ("left-float", LEFT, "-inf", {}, {}, [], True),
    ("finite-float", LEFT, "finite", {}, {}, [], True),  # nonzero counts as padding there
    (
        "fully-padded-row",
        [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]],
        "bool",
        {},
        {},
        [],
        True,
    ),
    ("gelu", LEFT, "bool", {"activation": "gelu"}, {}, [], True),
    ("misaligned", [[0, 1, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 0, 1]], "bool", {}, {}, [], False),
    (
        "misaligned-no-check",
        [[0, 1, 0, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 1]],
        "bool",
        {},
        {"mask_check": False},
        [],
        True,
    ),
    ("grad-enabled", LEFT, "bool", {}, {}, ["grad"], False),
    ("input-requires-grad", LEFT, "bool", {}, {}, ["input-grad"], False),
    ("training", LEFT, "bool", {}, {}, ["train"], False),
    ("src-mask", LEFT, "bool", {}, {}, ["src-mask"], False),
    ("seq-first", LEFT, "bool", {"batch_first": False}, {}, [], False),
    ("pre-norm", LEFT, "bool", {"norm_first": True}, {}, [], False),
    ("odd-heads", LEFT, "bool", {"nhead": 1}, {}, [], False),
    ("callable-act", LEFT, "bool", {"activation": "fn"}, {}, [], False),
    ("nested-disabled", LEFT, "bool", {}, {"enable_nested_tensor": False}, [], False),
]


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")
@pytest.mark.parametrize("name,rows,kind,lkw,ekw,opts,zeros", NESTED, ids=[c[0] for c in NESTED])
def test_encoder_eval_padding_matches_torch(name, rows, kind, lkw, ekw, opts, zeros):
    """torch's eval-mode encoder under no_grad runs a nested tensor without the padded tokens and
    leaves zeros there (the final norm then maps them to its bias); elsewhere the normal path runs."""
    rng = make_rng("nested", name)
    lkw = dict({"batch_first": True, "dropout": 0.0, "nhead": H}, **lkw)
    act = ACTS[lkw.pop("activation")] if "activation" in lkw else ("relu", "relu")
    pe, te = _quiet(
        lambda: (
            nn.TransformerEncoder(
                nn.TransformerEncoderLayer(
                    E, dim_feedforward=FF, activation=act[0], dtype=pygrad.float64, **lkw
                ),
                2,
                nn.LayerNorm(E, dtype=pygrad.float64),
                **ekw,
            ),
            torch.nn.TransformerEncoder(
                torch.nn.TransformerEncoderLayer(E, dim_feedforward=FF, activation=act[1], **lkw),
                2,
                torch.nn.LayerNorm(E),
                **ekw,
            ),
        )
    )
    _load(te, pe, rng)
    if "train" not in opts:
        pe.eval()
        te.eval()
    pad = np.array(rows, dtype=bool)
    x = rng.standard_normal((3, 5, E) if lkw["batch_first"] else (5, 3, E))
    m = pad if kind == "bool" else np.where(pad, -np.inf if kind == "-inf" else -1.0, 0.0)
    fp = {"src_key_padding_mask": to_pygrad(m)}
    ft = {"src_key_padding_mask": torch.tensor(m)}
    if "src-mask" in opts:
        fp["mask"], ft["mask"] = _mask(rng, "bool", (5, 5))
    xp, xt = _pair(x, grad="input-grad" in opts)
    if "grad" in opts or "input-grad" in opts:
        out_p, out_t = pe(xp, **fp), te(xt, **ft)
    else:
        with pygrad.no_grad():
            out_p = pe(xp, **fp)
        with torch.no_grad():
            out_t = te(xt, **ft)
    out_p, out_t = to_numpy(out_p), out_t.detach().numpy()
    if not lkw["batch_first"]:
        out_p, out_t = out_p.swapaxes(0, 1), out_t.swapaxes(0, 1)
    bias = te.norm.bias.detach().numpy()
    dropped = np.arange(5) >= (~pad).sum(1, keepdims=True)  # the nested tensor's first tokens kept
    assert np.all(out_t[dropped] == bias) == zeros  # what torch does (zeros before the norm)
    np.testing.assert_allclose(out_p, out_t, **TOL[np.float64])


def test_fully_padded_sequence_matches_torch_in_train_mode():
    """A sequence whose keys are all padding: torch's attention (need_weights=False, scaled dot product
    attention) gives zeros and the layer stays finite."""
    rng = make_rng("dead-row")
    pm = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, dtype=pygrad.float64)
    tm = torch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0)
    _load(tm, pm, rng)
    (xp, xt) = _seq(rng, 2, 4, False)
    pad = np.zeros((2, 4), dtype=bool)
    pad[1] = True
    out_t = tm(xt, src_key_padding_mask=torch.tensor(pad))
    assert np.all(np.isfinite(out_t.detach().numpy()))
    out_p = pm(xp, src_key_padding_mask=to_pygrad(pad))
    np.testing.assert_allclose(to_numpy(out_p), out_t.detach().numpy(), **TOL[np.float64])


def test_dropout_in_training_and_eval():
    pygrad.manual_seed(0)
    pm = nn.TransformerEncoderLayer(E, H, FF, dropout=0.5, dtype=pygrad.float64)
    ref = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, dtype=pygrad.float64)
    ref.load_state_dict(pm.state_dict())
    x = to_pygrad(make_rng("dropout").standard_normal((5, 2, E)))
    a, b = to_numpy(pm(x)), to_numpy(pm(x))
    assert not np.allclose(a, b)  # a new mask each call
    pm.eval()
    c, d = to_numpy(pm(x)), to_numpy(pm(x))
    np.testing.assert_array_equal(c, d)
    np.testing.assert_allclose(c, to_numpy(ref(x)), rtol=1e-12, atol=1e-12)
    assert not np.allclose(a, c)


def test_stacks_hold_independent_deep_copies():
    pygrad.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, H, FF, activation=nn.GELU(), batch_first=True)
    layer.linear2.bias.requires_grad_(False)
    layer(pygrad.randn(2, 3, E)).sum().backward()
    enc = nn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == enc.num_layers == 3
    assert list(enc.state_dict())[:2] == [
        "layers.0.self_attn.in_proj_weight",
        "layers.0.self_attn.in_proj_bias",
    ]
    sd = layer.state_dict()
    seen = {id(p) for p in layer.parameters()}
    for i, copy in enumerate(enc.layers):
        assert copy is not layer and copy.activation is not layer.activation
        assert isinstance(copy.activation, nn.GELU)
        for n, p in copy.named_parameters():
            assert id(p) not in seen
            seen.add(id(p))
            assert isinstance(p, nn.Parameter)
            assert p.requires_grad == (n != "linear2.bias")
            np.testing.assert_array_equal(to_numpy(p), to_numpy(sd[n]), err_msg=f"{i}.{n}")
            assert p.grad is None  # as torch: deepcopy of a Parameter leaves .grad behind
    assert layer.linear1.weight.grad is not None  # though the source layer had grads
    with pygrad.no_grad():
        enc.layers[0].linear1.weight.fill_(3.0)
    assert np.all(to_numpy(enc.layers[1].linear1.weight) == to_numpy(sd["linear1.weight"]))
    assert np.all(to_numpy(layer.linear1.weight) == to_numpy(sd["linear1.weight"]))
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF), 2, nn.LayerNorm(E))
    assert "layers.1.multihead_attn.out_proj.weight" in dec.state_dict()
    assert "norm.weight" in dec.state_dict()


def test_transformer_state_dict_custom_parts_and_init():
    pygrad.manual_seed(0)
    custom = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 1)
    pm = nn.Transformer(16, 4, 1, 2, 32, custom_encoder=custom, batch_first=True)
    tcustom = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 1
    )
    tm = torch.nn.Transformer(16, 4, 1, 2, 32, custom_encoder=tcustom, batch_first=True)
    assert pm.encoder is custom
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert "encoder.norm.weight" not in pm.state_dict() and "decoder.norm.weight" in pm.state_dict()
    assert (pm.d_model, pm.nhead, pm.batch_first) == (16, 4, True)
    assert pm.decoder.layers[0].linear1.weight.dtype == pygrad.float32
    sd = pm.state_dict()
    for name, p in sd.items():
        w = to_numpy(p)
        if w.ndim > 1:  # xavier_uniform_ over every matrix
            bound = np.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound, name
    np.testing.assert_array_equal(to_numpy(sd["decoder.layers.0.self_attn.in_proj_bias"]), 0.0)
    np.testing.assert_array_equal(to_numpy(sd["decoder.norm.weight"]), 1.0)
    b = to_numpy(sd["decoder.layers.1.linear1.bias"])  # Linear's init is kept for vectors
    assert np.abs(b).max() <= 1 / np.sqrt(16) and np.any(b != 0)


@pytest.mark.parametrize("sz", [1, 4])
def test_generate_square_subsequent_mask(sz):
    m = nn.Transformer.generate_square_subsequent_mask(sz)
    t = torch.nn.Transformer.generate_square_subsequent_mask(sz)
    assert m.dtype == pygrad.float32
    np.testing.assert_array_equal(to_numpy(m), t.numpy())
    m64 = nn.Transformer.generate_square_subsequent_mask(sz, device="cpu", dtype=pygrad.float64)
    assert m64.dtype == pygrad.float64
    expected = np.where(np.triu(np.ones((sz, sz), dtype=bool), 1), -np.inf, 0.0)
    np.testing.assert_array_equal(to_numpy(m64), expected)


@pytest.mark.parametrize(
    "kw",
    [
        {"batch_first": False},
        {"norm_first": True},
        {"nhead": 1},
        {"bias": False},
        {"activation": "fn"},
    ],
    ids=["seq-first", "pre-norm", "odd-heads", "no-bias", "callable"],
)
def test_nested_tensor_warning_as_torch(kw):
    kw = dict({"batch_first": True, "nhead": 2}, **kw)
    act = ACTS[kw.pop("activation")] if "activation" in kw else ("relu", "relu")
    with pytest.warns(UserWarning) as wp:
        pe = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, activation=act[0], **kw), 1)
    with pytest.warns(UserWarning) as wt:
        te = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(E, activation=act[1], **kw), 1
        )
    assert [str(w.message) for w in wp] == [str(w.message) for w in wt]
    assert pe.use_nested_tensor is te.use_nested_tensor is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pe = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(E, activation=act[0], **kw), 1, enable_nested_tensor=False
        )
    assert pe.enable_nested_tensor is False and pe.mask_check is True


def test_mismatched_mask_types_warn_as_torch():
    x = pygrad.randn(4, 2, E)
    bool_kpm, float_mask = pygrad.zeros(2, 4, dtype=pygrad.bool), pygrad.zeros(4, 4)
    layer = nn.TransformerEncoderLayer(E, H, FF)
    enc = _quiet(lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF), 1))
    dec = nn.TransformerDecoderLayer(E, H, FF)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask"):
        layer(x, src_mask=float_mask, src_key_padding_mask=bool_kpm)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and mask"):
        enc(x, mask=float_mask, src_key_padding_mask=bool_kpm)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        dec(x, x, tgt_mask=float_mask, tgt_key_padding_mask=bool_kpm)


def test_errors_as_torch():
    for build in (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer):
        with pytest.raises(AssertionError, match="divisible"):
            build(6, 4)
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            build(8, 2, activation="tanh")
    with pytest.raises(AssertionError):
        torch.nn.TransformerEncoderLayer(6, 4)
    with pytest.raises(AssertionError):
        _quiet(lambda: nn.Transformer(6, 4, 1, 1, 8))
    layer = nn.TransformerEncoderLayer(E, H, FF)
    x = pygrad.randn(4, 2, E)
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask"):
        layer(x, src_mask=pygrad.zeros(4, 4, dtype=pygrad.int64))
    with pytest.raises(RuntimeError, match="is_causal"):
        layer(x, is_causal=True)  # the hint needs the mask, as torch
    with pytest.raises(RuntimeError):
        torch.nn.TransformerEncoderLayer(E, H, FF)(torch.randn(4, 2, E), is_causal=True)
    tf = _quiet(lambda: nn.Transformer(E, H, 1, 1, FF))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        tf(x, pygrad.randn(3, 3, E))
    with pytest.raises(
        RuntimeError, match="the feature number of src and tgt must be equal to d_model"
    ):
        tf(x, pygrad.randn(3, 2, E + 1))
    tfb = nn.Transformer(E, H, 1, 1, FF, batch_first=True)
    with pytest.raises(RuntimeError, match="batch number"):
        tfb(pygrad.randn(2, 4, E), pygrad.randn(3, 4, E))


def test_encoder_learns_a_copy_task():
    """One encoder layer between an embedding and a linear head learns to copy its input tokens."""
    pygrad.manual_seed(0)
    rng = make_rng("copy-task")
    vocab, length, batch = 8, 6, 16
    emb = nn.Embedding(vocab, 16)
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 1
    )
    head = nn.Linear(16, vocab)
    params = [*emb.parameters(), *enc.parameters(), *head.parameters()]
    opt = pygrad.optim.Adam(params, lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(50):
        tokens = pygrad.from_numpy(rng.integers(0, vocab, (batch, length)))
        logits = head(enc(emb(tokens)))
        loss = loss_fn(logits.reshape(batch * length, vocab), tokens.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[0] > 1.5  # about log(8) at the start
    assert np.mean(losses[-5:]) < 0.3 * losses[0]

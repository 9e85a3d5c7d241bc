"""The last torch.nn names against torch 2.13: CrossMapLRN2d, Container, nn.grad, nn.attention (sdpa_kernel,
causal biases), nn.utils memory-format conversion and module aliases, F.conv_tbc, F.native_channel_shuffle."""

import warnings

import numpy as np
import pytest
from conftest import import_torch, to_numpy, to_pygrad

import pygrad
import pygrad.nn.functional as F
from pygrad import nn
from pygrad.nn import attention
from pygrad.nn.attention import bias as pbias

torch = import_torch()
TF = torch.nn.functional


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=rtol, atol=atol)


def pair(rng, shape):
    """The same float64 values as a torch and a pygrad leaf that require grad."""
    a = rng.standard_normal(shape)
    return torch.tensor(a, requires_grad=True), to_pygrad(a, requires_grad=True)


def copy_state(src, dst):
    dst.load_state_dict({k: to_pygrad(v.detach().numpy()) for k, v in src.state_dict().items()})


# --------------------------------------------------------------------------- CrossMapLRN2d
@pytest.mark.parametrize("size", [2, 3, 4, 5])
@pytest.mark.parametrize("channels", [1, 3, 8])
def test_cross_map_lrn2d_matches_torch(size, channels):
    rng = np.random.default_rng(size * 10 + channels)
    tx, x = pair(rng, (2, channels, 3, 4))
    tm = torch.nn.CrossMapLRN2d(size, alpha=0.7, beta=0.6, k=1.3)
    pm = nn.CrossMapLRN2d(size, alpha=0.7, beta=0.6, k=1.3)
    tout, out = tm(tx), pm(x)
    close(out, tout)
    g = rng.standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    out.backward(to_pygrad(g))
    close(x.grad, tx.grad)  # torch's own backward formula, not the forward's exact derivative
    assert repr(pm) == repr(tm)


def test_cross_map_lrn2d_after_conv_with_torch_weights():
    rng = np.random.default_rng(1)
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3), torch.nn.CrossMapLRN2d(5, 1e-2)).double()
    pm = nn.Sequential(nn.Conv2d(3, 6, 3), nn.CrossMapLRN2d(5, 1e-2)).double()
    copy_state(tm, pm)
    tx, x = pair(rng, (2, 3, 6, 6))
    tout, out = tm(tx), pm(x)
    close(out, tout)
    tout.square().sum().backward()
    out.square().sum().backward()
    close(x.grad, tx.grad, 1e-9, 1e-11)
    close(pm[0].weight.grad, tm[0].weight.grad, 1e-9, 1e-11)


def test_cross_map_lrn2d_errors_as_torch():
    for shape in [(2, 3, 4), (1, 2, 3, 4, 5)]:
        with pytest.raises(ValueError, match="Expected input to be 4D") as ours:
            nn.CrossMapLRN2d(3)(pygrad.zeros(*shape))
        with pytest.raises(ValueError) as theirs:
            torch.nn.CrossMapLRN2d(3)(torch.zeros(*shape))
        assert str(ours.value) == str(theirs.value)
    # size 1: torch's backward indexes past its padded buffer; so does pygrad's, with its message.
    tx, x = pair(np.random.default_rng(2), (1, 3, 2, 2))
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.CrossMapLRN2d(1)(tx).sum().backward()
    with pytest.raises(RuntimeError) as ours:
        nn.CrossMapLRN2d(1)(x).sum().backward()
    assert str(theirs.value) in str(ours.value)


# --------------------------------------------------------------------------- Container
def test_container_warns_and_registers_submodules():
    with pytest.warns(FutureWarning) as theirs:
        tc = torch.nn.Container(a=torch.nn.Linear(2, 3), b=torch.nn.Linear(3, 1))
    with pytest.warns(FutureWarning) as ours:
        pc = nn.Container(a=nn.Linear(2, 3), b=nn.Linear(3, 1))
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__  # points at the caller, as torch's
    assert list(pc.state_dict()) == list(tc.state_dict())
    assert repr(pc) == repr(tc)
    copy_state(tc, pc)
    rng = np.random.default_rng(3)
    tx, x = pair(rng, (4, 2))
    close(pc.b(pc.a(x.float())), tc.b(tc.a(tx.float())), 1e-6, 1e-6)


# --------------------------------------------------------------------------- nn.grad
CONFIGS = [
    {"stride": 1, "padding": 0, "dilation": 1, "groups": 1},
    {"stride": 2, "padding": 1, "dilation": 1, "groups": 2},
    {"stride": 3, "padding": 2, "dilation": 2, "groups": 4},
    {"stride": 2, "padding": 0, "dilation": 1, "groups": 1},
]


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("cfg", range(len(CONFIGS)))
def test_conv_grad_functions_match_torch(dims, cfg):
    kw = CONFIGS[cfg]
    rng = np.random.default_rng(dims * 10 + cfg)
    length = (7, 8, 6)[dims - 1] + cfg  # lengths the strides do not divide: output_padding
    tx, x = pair(rng, (2, 4, *[length] * dims))
    tw, w = pair(rng, (8, 4 // kw["groups"], *[3] * dims))
    tout = getattr(TF, f"conv{dims}d")(tx, tw, None, **kw)
    go = rng.standard_normal(tuple(tout.shape))
    tgo = torch.tensor(go)
    args = tuple(kw.values())
    tgi = getattr(torch.nn.grad, f"conv{dims}d_input")(tx.shape, tw, tgo, *args)
    tgw = getattr(torch.nn.grad, f"conv{dims}d_weight")(tx, tw.shape, tgo, *args)
    gi = getattr(nn.grad, f"conv{dims}d_input")(list(x.shape), w, to_pygrad(go), *args)
    gw = getattr(F.grad, f"conv{dims}d_weight")(x, list(w.shape), to_pygrad(go), *args)
    close(gi, tgi)
    close(gw, tgw, 1e-9, 1e-10)
    # Differentiable in the tensors given (x requires grad here; weight and input sizes do not).
    assert gi.requires_grad == tgi.requires_grad and gw.requires_grad == tgw.requires_grad
    with pygrad.no_grad():
        assert not getattr(F.grad, f"conv{dims}d_weight")(
            x, list(w.shape), to_pygrad(go), *args
        ).requires_grad


def test_conv2d_grad_functions_are_differentiable():
    rng = np.random.default_rng(4)
    tx, x = pair(rng, (2, 4, 7, 7))
    tw, w = pair(rng, (6, 2, 3, 3))
    tgo, go = pair(rng, (2, 6, 4, 4))
    kw = {"stride": 2, "padding": 1, "groups": 2}
    r = rng.standard_normal((2, 4, 7, 7))
    (torch.nn.grad.conv2d_input(tx.shape, tw, tgo, **kw) * torch.tensor(r)).sum().backward()
    (nn.grad.conv2d_input(list(x.shape), w, go, **kw) * to_pygrad(r)).sum().backward()
    close(go.grad, tgo.grad)
    close(w.grad, tw.grad)
    tgo.grad = None
    go.grad = None
    r = rng.standard_normal((6, 2, 3, 3))
    (torch.nn.grad.conv2d_weight(tx, tw.shape, tgo, **kw) * torch.tensor(r)).sum().backward()
    (nn.grad.conv2d_weight(x, list(w.shape), go, **kw) * to_pygrad(r)).sum().backward()
    close(go.grad, tgo.grad)
    close(x.grad, tx.grad)


def test_conv_grad_rejects_a_mismatched_grad_output():
    w, go = pygrad.zeros(2, 3, 3), pygrad.zeros(1, 2, 5)
    with pytest.raises(RuntimeError):
        nn.grad.conv1d_input([1, 3, 4], w, go)  # 4 inputs give 2 outputs, not 5
    with pytest.raises(RuntimeError):
        nn.grad.conv1d_weight(pygrad.zeros(1, 3, 4), [2, 3, 3], go)


# --------------------------------------------------------------------------- nn.attention
def test_sdp_backend_enum_is_torchs():
    from torch.nn.attention import SDPBackend as TB

    assert {n: int(v) for n, v in attention.SDPBackend.__members__.items()} == {
        n: int(v) for n, v in TB.__members__.items()
    }


def _names(backends):
    return [b.name for b in backends]


def test_sdpa_kernel_state_follows_torch():
    from torch.nn import attention as ta

    steps = [
        ([("MATH",)], False),
        ([("FLASH_ATTENTION", "MATH", "FLASH_ATTENTION")], False),
        ([("EFFICIENT_ATTENTION", "MATH")], True),
        ("CUDNN_ATTENTION", True),
    ]
    for chosen, priority in steps:
        if isinstance(chosen, str):
            t_arg, p_arg = getattr(ta.SDPBackend, chosen), getattr(attention.SDPBackend, chosen)
        else:
            t_arg = [getattr(ta.SDPBackend, n) for n in chosen[0]]
            p_arg = [getattr(attention.SDPBackend, n) for n in chosen[0]]
        with ta.sdpa_kernel(t_arg, priority) as tc, attention.sdpa_kernel(p_arg, priority) as pc:
            assert pc == tc == {}
            for with_priority in (False, True):
                assert _names(attention._cur_sdpa_kernel_backends(with_priority)) == _names(
                    ta._cur_sdpa_kernel_backends(with_priority)
                )
        assert _names(attention._cur_sdpa_kernel_backends(True)) == _names(
            ta._cur_sdpa_kernel_backends(True)
        )
    for bad in [(attention.SDPBackend.MATH,), "math", 0]:
        with (
            pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"),
            attention.sdpa_kernel(bad),  # type: ignore[arg-type]
        ):
            pass


def test_sdpa_runs_on_math_flash_efficient_and_refuses_the_rest():
    rng = np.random.default_rng(5)
    tq, q = pair(rng, (2, 3, 4, 8))
    expected = TF.scaled_dot_product_attention(tq, tq, tq, is_causal=True)
    for name in ("MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION"):
        with attention.sdpa_kernel([getattr(attention.SDPBackend, name)]):
            close(F.scaled_dot_product_attention(q, q, q, is_causal=True), expected, 1e-9, 1e-10)
    for name in ("CUDNN_ATTENTION", "OVERRIDEABLE", "ERROR"):
        with (
            attention.sdpa_kernel(getattr(attention.SDPBackend, name)),
            pytest.raises(RuntimeError, match="No viable backend"),
        ):
            F.scaled_dot_product_attention(q, q, q)
    close(F.scaled_dot_product_attention(q, q, q), TF.scaled_dot_product_attention(tq, tq, tq))


@pytest.mark.parametrize("lengths", [(4, 6), (6, 4), (5, 5)])
@pytest.mark.parametrize("variant", ["causal_lower_right", "causal_upper_left"])
def test_causal_biases_match_torch(lengths, variant):
    from torch.nn.attention import bias as tbias

    rng = np.random.default_rng(sum(lengths))
    tq, q = pair(rng, (2, 3, lengths[0], 8))
    tk, k = pair(rng, (2, 3, lengths[1], 8))
    tv, v = pair(rng, (2, 3, lengths[1], 5))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        tb = getattr(tbias, variant)(*lengths)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        pb = getattr(pbias, variant)(*lengths)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert repr(pb) == repr(tb)
    assert pb.variant.name == tb.variant.name and int(pb.variant) == int(tb.variant)
    np.testing.assert_array_equal(to_numpy(pb._materialize()), tb._materialize().numpy())
    tout = TF.scaled_dot_product_attention(tq, tk, tv, tb, scale=0.4)
    out = F.scaled_dot_product_attention(q, k, v, pb, scale=0.4)
    close(out, tout)
    g = rng.standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    out.backward(to_pygrad(g))
    for ours_t, theirs_t in ((q, tq), (k, tk), (v, tv)):
        close(ours_t.grad, theirs_t.grad, 1e-9, 1e-10)
    with pytest.raises(ValueError, match="should not be used with causal=True"):
        F.scaled_dot_product_attention(q, k, v, pb, is_causal=True)


def test_causal_bias_argument_errors_as_torch():
    with pytest.raises(AssertionError, match="only supports 2D tensors"):
        pbias.causal_lower_right(1, 2, 3)
    with pytest.raises(AssertionError, match="only supports 2D tensors"):
        pbias.causal_upper_left(4)
    with pytest.raises(AssertionError, match="variant must be a CausalVariant, got int"):
        pbias.CausalBias(1, 2, 3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- nn.utils
def _convs(lib):
    return lib.Sequential(
        lib.Conv2d(2, 4, 3),
        lib.Sequential(lib.ConvTranspose2d(4, 3, 2), lib.ReLU()),
        lib.Conv3d(1, 2, 2),
        lib.ConvTranspose3d(2, 1, 2),
    )


@pytest.mark.parametrize("fmt", ["channels_last", "contiguous_format"])
def test_convert_conv_weight_memory_format_keeps_values(fmt):
    tm, pm = _convs(torch.nn), _convs(nn)
    copy_state(tm, pm)
    before = list(pm.parameters())
    assert nn.utils.convert_conv2d_weight_memory_format(pm, getattr(pygrad, fmt)) is pm
    torch.nn.utils.convert_conv2d_weight_memory_format(tm, getattr(torch, fmt))
    fmt3 = "channels_last_3d" if fmt == "channels_last" else fmt
    torch.nn.utils.convert_conv3d_weight_memory_format(tm, getattr(torch, fmt3))
    if fmt == "contiguous_format":
        assert (
            nn.utils.memory_format.convert_conv3d_weight_memory_format(pm, pygrad.contiguous_format)
            is pm
        )
    assert all(a is b for a, b in zip(pm.parameters(), before))  # the same Parameters
    for (name, p), (tname, tp) in zip(pm.named_parameters(), tm.named_parameters()):
        assert name == tname
        close(p, tp, 0, 0)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    close(pm[1](pm[0](to_pygrad(x))), tm[1](tm[0](torch.tensor(x))), 1e-5, 1e-5)


def test_convert_conv_weight_memory_format_errors_as_torch():
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        nn.utils.convert_conv3d_weight_memory_format(nn.Conv3d(1, 1, 2), pygrad.channels_last)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        torch.nn.utils.convert_conv3d_weight_memory_format(
            torch.nn.Conv3d(1, 1, 2), torch.channels_last
        )
    with pytest.raises(TypeError, match="memory_format"):
        nn.utils.convert_conv2d_weight_memory_format(nn.Conv2d(1, 1, 2), "channels_last")  # type: ignore[arg-type]


def test_utils_module_aliases_work_as_torchs():
    rng = np.random.default_rng(7)
    tm, pm = torch.nn.Linear(3, 2).double(), nn.Linear(3, 2).double()
    copy_state(tm, pm)
    tx, x = pair(rng, (4, 3))
    tm(tx).square().sum().backward()
    pm(x).square().sum().backward()
    total = nn.utils.clip_grad.clip_grad_norm_(pm.parameters(), 0.5)
    close(total, torch.nn.utils.clip_grad.clip_grad_norm_(tm.parameters(), 0.5))
    nn.utils.clip_grad.clip_grad_value_(pm.parameters(), 0.1)
    torch.nn.utils.clip_grad.clip_grad_value_(tm.parameters(), 0.1)
    for p, tp in zip(pm.parameters(), tm.parameters()):
        close(p.grad, tp.grad)
    vec = nn.utils.convert_parameters.parameters_to_vector(pm.parameters())
    close(vec, torch.nn.utils.convert_parameters.parameters_to_vector(tm.parameters()))
    nn.utils.convert_parameters.vector_to_parameters(vec * 2, pm.parameters())
    close(pm.weight, tm.weight * 2)
    skipped = nn.utils.init.skip_init(nn.Linear, 5, 4)
    assert skipped.weight.shape == torch.nn.utils.init.skip_init(torch.nn.Linear, 5, 4).weight.shape


# --------------------------------------------------------------------------- F.conv_tbc, native_channel_shuffle
@pytest.mark.parametrize("pad", [0, 2, -1])
def test_conv_tbc_matches_torch(pad):
    rng = np.random.default_rng(8 + pad)
    tx, x = pair(rng, (9, 2, 3))
    tw, w = pair(rng, (3, 3, 4))
    tb, b = pair(rng, (4,))
    tout, out = TF.conv_tbc(tx, tw, tb, pad), F.conv_tbc(x, w, b, pad)
    close(out, tout)
    g = rng.standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    out.backward(to_pygrad(g))
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        close(ours.grad, theirs.grad)


@pytest.mark.parametrize(
    "shapes",
    [
        ((5, 2), (2, 3, 4), (4,)),
        ((5, 2, 3), (2, 3), (4,)),
        ((5, 2, 3), (2, 4, 4), (4,)),
        ((5, 2, 3), (2, 3, 4), (5,)),
        ((5, 2, 3), (2, 3, 4), (4, 1)),
        ((5, 2, 3), (9, 3, 4), (4,)),
    ],
)
def test_conv_tbc_errors_as_torch(shapes):
    with pytest.raises(RuntimeError) as theirs:
        TF.conv_tbc(*(torch.zeros(s) for s in shapes))
    with pytest.raises(RuntimeError) as ours:
        F.conv_tbc(*(pygrad.zeros(*s) for s in shapes))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((2, 8, 3, 2), 2), ((1, 4, 2, 2, 2), 4)])
def test_native_channel_shuffle_matches_torch(shape, groups):
    rng = np.random.default_rng(9)
    tx, x = pair(rng, shape)
    close(F.native_channel_shuffle(x, groups), TF.native_channel_shuffle(tx, groups), 0, 0)
    # torch's native kernel has no derivative; pygrad's has channel_shuffle's, checked against it.
    tout, out = TF.channel_shuffle(tx, groups), F.native_channel_shuffle(x, groups)
    g = rng.standard_normal(shape)
    tout.backward(torch.tensor(g))
    out.backward(to_pygrad(g))
    close(x.grad, tx.grad, 0, 0)

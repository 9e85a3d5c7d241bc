"""ctc_loss against torch: values and torch's gradient (exp(log_probs) minus the occupancy, NaN for an
infeasible target unless zero_infinity) for padded and concatenated targets, every reduction, any blank,
lengths as tensors or ints, unbatched input, empty targets and inputs, and the argument checks."""

import numpy as np
import pytest
from conftest import assert_close, import_torch, make_rng
from loss_helpers import REDUCTIONS, log_softmax

import pygrad
import pygrad.nn.functional as F

torch = import_torch()
TF = torch.nn.functional

TOL = {np.float64: (1e-9, 1e-11), np.float32: (3e-5, 3e-6)}


def run_both(log_probs, targets, in_len, tgt_len, dtype=np.float64, as_list=False, **kwargs):
    """Runs both and compares the loss and the gradient of log_probs under a random upstream gradient."""
    lp = log_probs.astype(dtype)
    pt, tt = pygrad.from_numpy(lp.copy()).requires_grad_(True), torch.tensor(lp, requires_grad=True)
    if as_list:
        lens_p = lens_t = (list(in_len), list(tgt_len))
    else:
        lens_p = (pygrad.from_numpy(np.array(in_len)), pygrad.from_numpy(np.array(tgt_len)))
        lens_t = (torch.tensor(np.array(in_len)), torch.tensor(np.array(tgt_len)))
    out_p = F.ctc_loss(pt, pygrad.from_numpy(np.array(targets)), *lens_p, **kwargs)
    out_t = TF.ctc_loss(tt, torch.tensor(np.array(targets)), *lens_t, **kwargs)
    rtol, atol = TOL[dtype]
    assert str(out_p.dtype).split(".")[-1] == str(out_t.dtype).split(".")[-1]
    assert_close(out_p.detach().numpy(), out_t.detach().numpy(), rtol, atol, "loss")
    g = make_rng("ctc-upstream").standard_normal(tuple(out_t.shape))
    (out_p * pygrad.from_numpy(g.astype(dtype))).sum().backward()
    (out_t * torch.tensor(g.astype(dtype))).sum().backward()
    assert_close(pt.grad.numpy(), tt.grad.numpy(), rtol, atol, "grad of log_probs")
    return out_p


def random_batch(rng, t, n, c, max_len, blank=0):
    in_len = rng.integers(max(2 * max_len, 1), t + 1, size=n)
    tgt_len = rng.integers(0, max_len + 1, size=n)
    labels = [lab for lab in range(c) if lab != blank]
    targets = rng.choice(labels, size=(n, max_len))
    # Some repeated labels: the recursion must then keep a blank between them.
    targets[:, 1::3] = targets[:, 0::3][:, : targets[:, 1::3].shape[1]]
    return log_softmax(rng.standard_normal((t, n, c))), targets, in_len, tgt_len


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 3])
def test_padded_targets(reduction, blank, dtype):
    rng = make_rng("ctc-padded", reduction, blank)
    lp, targets, in_len, tgt_len = random_batch(rng, 14, 5, 6, 5, blank)
    run_both(lp, targets, in_len, tgt_len, dtype, blank=blank, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_concatenated_targets_and_int_lengths(reduction):
    rng = make_rng("ctc-concat", reduction)
    lp, targets, in_len, tgt_len = random_batch(rng, 12, 4, 5, 4)
    concat = np.concatenate([row[:k] for row, k in zip(targets, tgt_len)]).astype(np.int64)
    run_both(lp, concat, in_len, tgt_len, reduction=reduction)
    run_both(lp, targets, in_len, tgt_len, as_list=True, reduction=reduction)


def test_unnormalized_inputs_and_int32_targets():
    # torch's gradient does not assume normalized log_probs: it is exp(lp) - occupancy regardless.
    rng = make_rng("ctc-raw")
    lp = rng.standard_normal((9, 3, 5))
    targets = np.array([[1, 2, 2], [3, 4, 1], [2, 2, 2]], dtype=np.int32)
    run_both(lp, targets, [9, 8, 9], [3, 3, 2], reduction="none")


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_infeasible_targets_and_empty_inputs(zero_infinity):
    rng = make_rng("ctc-inf", zero_infinity)
    lp = log_softmax(rng.standard_normal((5, 4, 4)))
    # sample 1: 3 labels with a repeat need 4 frames but get 2 (infinite loss, NaN gradient unless
    # zero_infinity); sample 3: no frame, an empty target (loss 0); sample 2: empty target
    targets = np.array([[1, 1, 2], [1, 2, 2], [2, 0, 0], [0, 0, 0]])
    for reduction in REDUCTIONS:
        run_both(
            lp,
            targets,
            [4, 2, 5, 0],
            [3, 3, 0, 0],
            reduction=reduction,
            zero_infinity=zero_infinity,
        )
    run_both(lp, targets, [0, 0, 0, 0], [0, 1, 0, 0], reduction="none", zero_infinity=zero_infinity)


def test_unbatched_and_through_log_softmax():
    rng = make_rng("ctc-unbatched")
    lp = log_softmax(rng.standard_normal((7, 5)))
    for reduction in REDUCTIONS:
        out = run_both(lp, np.array([1, 3, 3]), np.array(7), np.array(3), reduction=reduction)
        assert tuple(out.shape) == ()
    # Through log_softmax torch's gradient equals the true gradient of the loss wrt the logits.
    x = rng.standard_normal((10, 2, 4))
    xp, xt = pygrad.from_numpy(x.copy()).requires_grad_(True), torch.tensor(x, requires_grad=True)
    args = ([10, 9], [3, 2])
    F.ctc_loss(F.log_softmax(xp, 2), pygrad.tensor([[1, 2, 3], [2, 2, 0]]), *args).backward()
    TF.ctc_loss(TF.log_softmax(xt, 2), torch.tensor([[1, 2, 3], [2, 2, 0]]), *args).backward()
    assert_close(xp.grad.numpy(), xt.grad.numpy(), 1e-9, 1e-11, "grad of the logits")


def test_long_sequences():
    rng = make_rng("ctc-long")
    lp, targets, in_len, tgt_len = random_batch(rng, 60, 3, 12, 20)
    run_both(lp, targets, in_len, tgt_len, reduction="mean")


def _int64(values):
    return np.array(values, dtype=np.int64)


# what changes from a valid call; the exception class when it is not RuntimeError
CTC_ERRORS = [
    ({"blank": 5}, None),
    ({"blank": -1}, None),
    ({"reduction": "avg"}, ValueError),
    ({"in_len": _int64([6, 6])}, None),
    ({"tgt_len": _int64([2, 2, 2, 2])}, None),
    ({"in_len": _int64([6, 6, 7])}, None),
    ({"in_len": _int64([6, -1, 6])}, None),
    ({"tgt_len": _int64([2, -1, 2])}, None),
    ({"tgt_len": _int64([2, 4, 2])}, None),
    ({"in_len": np.array([6.0, 6.0, 6.0])}, None),
    ({"log_probs": np.zeros((6, 0, 5)), "in_len": _int64([]), "tgt_len": _int64([])}, None),
]


@pytest.mark.parametrize("change,exc", CTC_ERRORS, ids=[str(list(c)) for c, _ in CTC_ERRORS])
def test_ctc_errors_match_torch(change, exc):
    exc = exc or RuntimeError
    kwargs = dict(change)
    lp = kwargs.pop("log_probs", log_softmax(make_rng("ctc-err").standard_normal((6, 3, 5))))
    targets = _int64([[1, 2, 3], [1, 1, 2], [4, 4, 4]])
    in_len = kwargs.pop("in_len", _int64([6, 5, 6]))
    tgt_len = kwargs.pop("tgt_len", _int64([3, 2, 1]))
    args = (lp, targets, in_len, tgt_len)
    with pytest.raises(exc):
        TF.ctc_loss(*(torch.tensor(a) for a in args), **kwargs)
    with pytest.raises(exc, match=r"^\[ctc_loss\]"):
        F.ctc_loss(*(pygrad.from_numpy(a.copy()) for a in args), **kwargs)

"""nn losses and distances against torch: values, dtypes, gradients of every differentiable input,
reductions (and the deprecated size_average / reduce), warnings, gradients at the kinks and size-0
batches. The module forms and the error cases are in test_nn_loss_modules.py, ctc_loss in
test_nn_losses_ctc.py; the comparison helper in loss_helpers.py."""

import numpy as np
import pytest
from conftest import assert_close, import_torch, make_rng
from loss_helpers import (
    DTYPES,
    REDUCTIONS,
    Both,
    compare,
    fn_pair,
    kl_target,
    log_softmax,
    multilabel_targets,
    probs,
    randn,
    signs,
)

import pygrad
import pygrad.nn.functional as F

torch = import_torch()
TF = torch.nn.functional


# name, builder(rng) -> args, differentiable argument positions, keyword arguments
CASES = [
    ("l1_loss", lambda r: [randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {}),
    ("l1_loss", lambda r: [randn(r, 4, 5), randn(r, 5)], (0, 1), {}),  # broadcast, with a warning
    ("smooth_l1_loss", lambda r: [2 * randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {}),
    ("smooth_l1_loss", lambda r: [2 * randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {"beta": 0.5}),
    ("smooth_l1_loss", lambda r: [randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {"beta": 0.0}),
    ("smooth_l1_loss", lambda r: [randn(r, 3, 4, 5), randn(r, 4, 1)], (0, 1), {}),
    ("huber_loss", lambda r: [2 * randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {}),
    ("huber_loss", lambda r: [2 * randn(r, 4, 5), randn(r, 4, 5)], (0, 1), {"delta": 0.3}),
    ("binary_cross_entropy", lambda r: [probs(r, 4, 5), probs(r, 4, 5)], (0, 1), {}),
    ("binary_cross_entropy", lambda r: [probs(r, 7), probs(r, 7), probs(r, 7)], (0, 1), {}),
    ("binary_cross_entropy", lambda r: [probs(r, 4, 5), probs(r, 4, 5), probs(r, 5)], (0, 1), {}),
    ("binary_cross_entropy", lambda r: [probs(r), probs(r)], (0, 1), {}),
    ("kl_div", lambda r: [log_softmax(randn(r, 4, 5)), kl_target(r)], (0, 1), {}),
    (
        "kl_div",
        lambda r: [log_softmax(randn(r, 4, 5)), log_softmax(randn(r, 4, 5))],
        (0, 1),
        {"log_target": True},
    ),
    ("kl_div", lambda r: [log_softmax(randn(r, 5)), kl_target(r)], (0, 1), {}),  # broadcast
    ("poisson_nll_loss", lambda r: [randn(r, 4, 5), r.poisson(2.0, (4, 5)) * 1.0], (0, 1), {}),
    (
        "poisson_nll_loss",
        lambda r: [probs(r, 4, 5) * 3, r.poisson(2.0, (4, 5)) * 1.0],
        (0, 1),
        {"log_input": False, "full": True},
    ),
    (
        "poisson_nll_loss",
        lambda r: [randn(r, 4, 5), r.poisson(3.0, (4, 5)) + 0.5],
        (0, 1),
        {"full": True, "eps": 1e-3},
    ),
    (
        "gaussian_nll_loss",
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 4, 5)],
        (0, 1, 2),
        {},
    ),
    (
        "gaussian_nll_loss",
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 4)],
        (0, 1, 2),
        {"full": True},
    ),
    (
        "gaussian_nll_loss",
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 4, 1)],
        (0, 1, 2),
        {},
    ),
    (
        "gaussian_nll_loss",
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 1, 5)],
        (0, 1, 2),
        {},
    ),
    ("gaussian_nll_loss", lambda r: [randn(r, 4, 5), randn(r, 4, 5), 0.7], (0, 1), {}),
    # var below eps: clamped in value, not in gradient
    (
        "gaussian_nll_loss",
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 4, 5) * 0.1],
        (0, 1, 2),
        {"eps": 0.05},
    ),
    (
        "margin_ranking_loss",
        lambda r: [randn(r, 6), randn(r, 6), signs(r, 6)],
        (0, 1, 2),
        {"margin": 0.5},
    ),
    (
        "margin_ranking_loss",
        lambda r: [randn(r, 3, 4), randn(r, 3, 4), signs(r, 1, 4)],
        (0, 1, 2),
        {},
    ),
    ("hinge_embedding_loss", lambda r: [randn(r, 4, 5), signs(r, 4, 5)], (0,), {"margin": 0.5}),
    ("hinge_embedding_loss", lambda r: [randn(r, 4, 5), r.integers(-1, 2, (4, 5)) * 1.0], (0,), {}),
    ("hinge_embedding_loss", lambda r: [randn(r, 5), signs(r, 3, 5)], (0,), {}),
    ("soft_margin_loss", lambda r: [randn(r, 4, 5), signs(r, 4, 5)], (0,), {}),
    ("soft_margin_loss", lambda r: [randn(r, 4, 5), signs(r, 5)], (0,), {}),
    (
        "multilabel_soft_margin_loss",
        lambda r: [randn(r, 4, 5), r.integers(0, 2, (4, 5)) * 1.0],
        (0, 1),
        {},
    ),
    (
        "multilabel_soft_margin_loss",
        lambda r: [randn(r, 4, 5), probs(r, 4, 5), probs(r, 5)],
        (0, 1, 2),
        {},
    ),
    ("multilabel_soft_margin_loss", lambda r: [randn(r, 5), probs(r, 5)], (0, 1), {}),
    ("multilabel_soft_margin_loss", lambda r: [randn(r, 2, 3, 5), probs(r, 2, 3, 5)], (0, 1), {}),
    ("multi_margin_loss", lambda r: [randn(r, 6, 5), r.integers(0, 5, 6)], (0,), {}),
    (
        "multi_margin_loss",
        lambda r: [randn(r, 6, 5), r.integers(0, 5, 6), 2, 0.7, probs(r, 5)],
        (0,),
        {},
    ),
    ("multi_margin_loss", lambda r: [randn(r, 5), np.array(3)], (0,), {"margin": 1.5}),
    ("multi_margin_loss", lambda r: [randn(r, 5), np.array([3])], (0,), {"p": 2}),
    ("multi_margin_loss", lambda r: [np.array(0.5), np.array(0)], (0,), {}),
    ("multilabel_margin_loss", lambda r: [randn(r, 6, 5), multilabel_targets(r, 6, 5)], (0,), {}),
    ("multilabel_margin_loss", lambda r: [randn(r, 5), multilabel_targets(r, 1, 5)[0]], (0,), {}),
    ("multilabel_margin_loss", lambda r: [randn(r, 4), np.array([1, 1, -1, 0])], (0,), {}),
    (
        "cosine_embedding_loss",
        lambda r: [randn(r, 6, 5), randn(r, 6, 5), signs(r, 6)],
        (0, 1),
        {"margin": 0.3},
    ),
    ("cosine_embedding_loss", lambda r: [randn(r, 5), randn(r, 5), np.array(-1.0)], (0, 1), {}),
    ("cosine_embedding_loss", lambda r: [randn(r, 6, 5), randn(r, 1, 5), signs(r, 1)], (0, 1), {}),
    (
        "triplet_margin_loss",
        lambda r: [randn(r, 6, 5), randn(r, 6, 5), randn(r, 6, 5)],
        (0, 1, 2),
        {"margin": 2.0},
    ),
    (
        "triplet_margin_loss",
        lambda r: [randn(r, 6, 5), randn(r, 6, 5), randn(r, 6, 5)],
        (0, 1, 2),
        {"p": 1, "swap": True, "margin": 3.0},
    ),
    (
        "triplet_margin_loss",
        lambda r: [randn(r, 2, 3, 5), randn(r, 2, 1, 5), randn(r, 2, 3, 5)],
        (0, 1, 2),
        {"p": 3.0, "eps": 0.0},
    ),
    ("triplet_margin_loss", lambda r: [randn(r, 5), randn(r, 5), randn(r, 5)], (0, 1, 2), {}),
    (
        "triplet_margin_with_distance_loss",
        lambda r: [randn(r, 6, 5), randn(r, 6, 5), randn(r, 6, 5)],
        (0, 1, 2),
        {"swap": True, "margin": 2.0},
    ),
    (
        "triplet_margin_with_distance_loss",
        lambda r: [randn(r, 6, 5), randn(r, 6, 5), randn(r, 6, 5)],
        (0, 1, 2),
        {
            "distance_function": Both(
                lambda a, b: 1.0 - F.cosine_similarity(a, b),
                lambda a, b: 1.0 - TF.cosine_similarity(a, b),
            )
        },
    ),
]
CASE_IDS = [f"{i}-{c[0]}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_loss_matches_torch(case, reduction, dtype):
    name, build, diff, kwargs = case
    args = build(make_rng(name, str(kwargs), len(CASES)))
    compare(*fn_pair(name), args, {**kwargs, "reduction": reduction}, diff, dtype)


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_batchmean(log_target):
    rng = make_rng("batchmean", log_target)
    target = log_softmax(randn(rng, 4, 5)) if log_target else kl_target(rng)
    args = [log_softmax(randn(rng, 4, 5)), target]
    kwargs = {"reduction": "batchmean", "log_target": log_target}
    compare(*fn_pair("kl_div"), args, kwargs, (0, 1))
    compare(*fn_pair("kl_div"), [np.array(-0.5), np.array(0.3)], kwargs, (0, 1))  # 0-d: no batch


# (size_average, reduce): torch's legacy flags override reduction (and warn)
LEGACY = [(None, False), (False, None), (True, None), (False, True), (True, False), (None, True)]
NO_LEGACY = ("huber_loss", "gaussian_nll_loss", "triplet_margin_with_distance_loss")
LEGACY_CASES = [(i, c) for i, c in zip(CASE_IDS, CASES) if c[0] not in NO_LEGACY]
LEGACY_CASES = list({c[0]: (i, c) for i, c in LEGACY_CASES}.values())  # one case per function


@pytest.mark.parametrize("flags", LEGACY, ids=str)
@pytest.mark.parametrize("case", [c for _, c in LEGACY_CASES], ids=[i for i, _ in LEGACY_CASES])
def test_legacy_size_average_and_reduce(case, flags):
    name, build, diff, kwargs = case
    args = build(make_rng(name, "legacy", str(flags)))
    kw = {**kwargs, "size_average": flags[0], "reduce": flags[1], "reduction": "sum"}
    compare(*fn_pair(name), args, kw, diff)


def test_l1_and_huber_weights():
    rng = make_rng("weights")
    x, y, w = randn(rng, 4, 5), randn(rng, 4, 5), probs(rng, 4, 5)
    for reduction in REDUCTIONS:
        compare(*fn_pair("l1_loss"), [x, y], {"weight": w, "reduction": reduction}, (0, 1))
        kw = {"weight": w, "reduction": reduction, "delta": 0.5}
        compare(*fn_pair("huber_loss"), [x, y], kw, (0, 1))
    # the weights' own gradient
    compare(
        lambda a, b, c: F.l1_loss(a, b, weight=c),
        lambda a, b, c: TF.l1_loss(a, b, weight=c),
        [x, y, w],
        {},
        (0, 1, 2),
    )
    compare(
        lambda a, b, c: F.huber_loss(a, b, weight=c),
        lambda a, b, c: TF.huber_loss(a, b, weight=c),
        [x, y, w],
        {},
        (0, 1, 2),
    )


def test_binary_cross_entropy_at_zero_and_one():
    # The logs clamp at -100; the input gradient is (x - t) / max(x (1 - x), 1e-12), finite at 0 and 1.
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-50, 1 - 1e-17, 1e-300])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 1.0, 0.0, 0.3])
    for reduction in REDUCTIONS:
        compare(*fn_pair("binary_cross_entropy"), [x, t], {"reduction": reduction}, (0,))
    compare(*fn_pair("binary_cross_entropy"), [x[4:6], t[4:6]], {}, (0, 1))


def test_binary_cross_entropy_double_backward():
    rng = make_rng("bce2")
    x, t, v = probs(rng, 6), probs(rng, 6), randn(rng, 6)
    xp, tp = pygrad.from_numpy(x.copy()).requires_grad_(True), pygrad.from_numpy(t.copy())
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)
    (gp,) = pygrad.autograd.grad(F.binary_cross_entropy(xp, tp), [xp], create_graph=True)
    (gt,) = torch.autograd.grad(TF.binary_cross_entropy(xt, tt), [xt], create_graph=True)
    (gp * pygrad.from_numpy(v.copy())).sum().backward()
    (gt * torch.tensor(v)).sum().backward()
    assert_close(xp.grad.numpy(), xt.grad.numpy(), 1e-8, 1e-10, "second derivative")


def test_pairwise_distance_and_cosine_similarity():
    rng = make_rng("distances")
    x, y = randn(rng, 4, 5), randn(rng, 4, 5)
    for p in [2.0, 1.0, 3.0, 0.5, -1.5, float("inf"), float("-inf"), 0.0]:
        for keepdim in (False, True):
            kw = {"p": p, "keepdim": keepdim}
            compare(*fn_pair("pairwise_distance"), [x, y], kw, (0, 1))
            compare(*fn_pair("pairwise_distance"), [x, y], kw, (0, 1), dtype=np.float32)
    compare(*fn_pair("pairwise_distance"), [x, x], {"eps": 0.0}, (0, 1))  # zero distance
    compare(*fn_pair("pairwise_distance"), [randn(rng, 5), y], {"eps": 1e-3}, (0, 1))
    compare(*fn_pair("pairwise_distance"), [randn(rng, 5), np.array(0.5)], {}, (0, 1))
    compare(*fn_pair("pairwise_distance"), [np.array(1.0), np.array(3.0)], {}, (0, 1))
    compare(*fn_pair("pairwise_distance"), [randn(rng, 3, 0), randn(rng, 3, 0)], {}, (0, 1))
    for dim, a, b in [
        (1, x, y),
        (0, x, y),
        (-1, x, y),
        (-1, randn(rng, 3, 1, 5), y),
        (0, x[0], y[0]),
    ]:
        for dtype in DTYPES:
            compare(*fn_pair("cosine_similarity"), [a, b], {"dim": dim}, (0, 1), dtype)
    zeros = np.zeros((2, 5))
    zeros[1] = 1e-9  # a norm below eps
    compare(*fn_pair("cosine_similarity"), [zeros, y[:2]], {"eps": 1e-6}, (0, 1))
    compare(*fn_pair("cosine_similarity"), [randn(rng, 2, 5).astype(np.int64), y[:2]], {}, (1,))
    compare(*fn_pair("cosine_similarity"), [randn(rng, 2, 0), randn(rng, 2, 0)], {}, (0, 1))


def test_hinge_gradients_at_the_kinks():
    # Integer data puts many points exactly on the kinks, where torch's kernels (z > 0) and its
    # clamp_min composites (z >= 0) pick different one-sided gradients.
    rng = make_rng("kinks")
    x, y = rng.integers(-2, 3, (6, 5)) * 1.0, rng.integers(-2, 3, (6, 5)) * 1.0
    s = signs(rng, 6, 5)
    cases = [
        ("l1_loss", [x, y], {}),
        ("smooth_l1_loss", [x, y], {}),
        ("huber_loss", [x, y], {}),
        ("margin_ranking_loss", [x, y, s], {"margin": 1.0}),
        ("hinge_embedding_loss", [x, s], {}),
        ("multi_margin_loss", [x, rng.integers(0, 5, 6)], {}),
        ("multi_margin_loss", [x, rng.integers(0, 5, 6)], {"p": 2}),
        ("multilabel_margin_loss", [x, multilabel_targets(rng, 6, 5)], {}),
        ("cosine_embedding_loss", [x, x, s[:, 0]], {"margin": 1.0}),
        ("triplet_margin_loss", [x, y, y], {"p": 1, "eps": 0.0, "swap": True}),
        ("multilabel_soft_margin_loss", [x * 0, (s > 0) * 1.0], {}),
    ]
    for name, args, kwargs in cases:
        diff = tuple(i for i, a in enumerate(args) if a.dtype == np.float64 and i < 2)
        compare(*fn_pair(name), args, {**kwargs, "reduction": "sum"}, diff)


# losses on a batch of 0 samples, where torch defines the result
EMPTY = [
    ("l1_loss", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], REDUCTIONS),
    ("smooth_l1_loss", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], REDUCTIONS),
    ("huber_loss", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], REDUCTIONS),
    ("binary_cross_entropy", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], REDUCTIONS),
    ("kl_div", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], ["none", "sum", "batchmean"]),
    ("poisson_nll_loss", lambda: [np.zeros((0, 5)), np.zeros((0, 5))], REDUCTIONS),
    (
        "gaussian_nll_loss",
        lambda: [np.zeros((0, 5)), np.zeros((0, 5)), np.ones((0, 5))],
        REDUCTIONS,
    ),
    ("margin_ranking_loss", lambda: [np.zeros(0), np.zeros(0), np.ones(0)], REDUCTIONS),
    ("hinge_embedding_loss", lambda: [np.zeros((0, 5)), np.ones((0, 5))], REDUCTIONS),
    ("soft_margin_loss", lambda: [np.zeros((0, 5)), np.ones((0, 5))], REDUCTIONS),
    ("multilabel_soft_margin_loss", lambda: [np.zeros((0, 5)), np.ones((0, 5))], REDUCTIONS),
    ("multi_margin_loss", lambda: [np.zeros((0, 5)), np.zeros(0, np.int64)], ["none", "sum"]),
    (
        "multilabel_margin_loss",
        lambda: [np.zeros((0, 5)), np.zeros((0, 5), np.int64)],
        ["none", "sum"],
    ),
    ("cosine_embedding_loss", lambda: [np.zeros((0, 5)), np.zeros((0, 5)), np.ones(0)], REDUCTIONS),
    ("triplet_margin_loss", lambda: [np.zeros((0, 5))] * 3, REDUCTIONS),
]


@pytest.mark.parametrize("case", EMPTY, ids=[c[0] for c in EMPTY])
def test_empty_batch(case):
    name, build, reductions = case
    args = build()
    diff = tuple(i for i, a in enumerate(args) if a.dtype == np.float64)
    for reduction in reductions:
        compare(*fn_pair(name), args, {"reduction": reduction}, diff[:1])

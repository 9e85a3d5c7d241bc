"""The loss and distance modules against torch.nn (constructor defaults, attributes, reprs, buffers,
forward and gradients, the deprecated flags) and the error cases of the functional losses, which must
raise where torch raises, with the same exception class."""

import numpy as np
import pytest
from conftest import import_torch, make_rng
from loss_helpers import (
    DTYPES,
    compare,
    kl_target,
    log_softmax,
    multilabel_targets,
    probs,
    randn,
    signs,
)

import pygrad
import pygrad.nn.functional as F
from pygrad import nn

torch = import_torch()
TF = torch.nn.functional
tnn = torch.nn

NEW_MODULES = [
    "BCELoss",
    "CTCLoss",
    "CosineEmbeddingLoss",
    "CosineSimilarity",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PairwiseDistance",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
]


def _public_state(m):
    return {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training"}


@pytest.mark.parametrize("name", NEW_MODULES)
def test_defaults_attributes_and_repr_match_torch(name):
    mp, mt = getattr(nn, name)(), getattr(tnn, name)()
    assert repr(mp) == repr(mt)
    for key, value in _public_state(mt).items():
        assert getattr(mp, key) == value, key
    assert list(mp.state_dict()) == list(mt.state_dict())
    assert name in nn.__all__ and name in nn.modules.__all__


def _ctc_inputs(rng):
    lp = log_softmax(randn(rng, 8, 3, 5))
    return [
        lp,
        np.array([[1, 2, 2], [3, 1, 0], [4, 0, 0]]),
        np.array([8, 7, 5]),
        np.array([3, 2, 1]),
    ]


# module, constructor kwargs, inputs builder, differentiable inputs
MODULES = [
    ("L1Loss", {}, lambda r: [randn(r, 4, 5), randn(r, 4, 5)], (0, 1)),
    ("L1Loss", {"reduction": "sum"}, lambda r: [randn(r, 4, 5), randn(r, 4, 5)], (0, 1)),
    ("SmoothL1Loss", {"beta": 0.5}, lambda r: [randn(r, 4, 5), randn(r, 4, 5)], (0, 1)),
    (
        "HuberLoss",
        {"delta": 0.5, "reduction": "none"},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1),
    ),
    ("BCELoss", {}, lambda r: [probs(r, 4, 5), probs(r, 4, 5)], (0, 1)),
    ("BCELoss", {"weight": "w5"}, lambda r: [probs(r, 4, 5), probs(r, 4, 5)], (0, 1)),
    (
        "KLDivLoss",
        {"reduction": "batchmean"},
        lambda r: [log_softmax(randn(r, 4, 5)), kl_target(r)],
        (0, 1),
    ),
    (
        "KLDivLoss",
        {"reduction": "sum", "log_target": True},
        lambda r: [log_softmax(randn(r, 4, 5)), log_softmax(randn(r, 4, 5))],
        (0, 1),
    ),
    (
        "MarginRankingLoss",
        {"margin": 0.2},
        lambda r: [randn(r, 6), randn(r, 6), signs(r, 6)],
        (0, 1, 2),
    ),
    ("HingeEmbeddingLoss", {"margin": 2.0}, lambda r: [randn(r, 4, 5), signs(r, 4, 5)], (0,)),
    ("SoftMarginLoss", {}, lambda r: [randn(r, 4, 5), signs(r, 4, 5)], (0,)),
    (
        "MultiLabelSoftMarginLoss",
        {"weight": "w5"},
        lambda r: [randn(r, 4, 5), probs(r, 4, 5)],
        (0, 1),
    ),
    (
        "MultiMarginLoss",
        {"p": 2, "margin": 0.5, "weight": "w5"},
        lambda r: [randn(r, 4, 5), r.integers(0, 5, 4)],
        (0,),
    ),
    ("MultiLabelMarginLoss", {}, lambda r: [randn(r, 4, 5), multilabel_targets(r, 4, 5)], (0,)),
    (
        "CosineEmbeddingLoss",
        {"margin": 0.1},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), signs(r, 4)],
        (0, 1),
    ),
    (
        "TripletMarginLoss",
        {"margin": 0.5, "p": 1.0, "swap": True},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1, 2),
    ),
    (
        "TripletMarginWithDistanceLoss",
        {"margin": 0.5},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1, 2),
    ),
    (
        "TripletMarginWithDistanceLoss",
        {"distance_function": "l1", "swap": True, "reduction": "none"},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1, 2),
    ),
    (
        "PoissonNLLLoss",
        {"log_input": False, "full": True},
        lambda r: [probs(r, 4, 5) * 4, r.poisson(2.0, (4, 5)) * 1.0],
        (0, 1),
    ),
    (
        "GaussianNLLLoss",
        {"full": True},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5), probs(r, 4, 5)],
        (0, 1, 2),
    ),
    ("CTCLoss", {"blank": 0, "zero_infinity": True}, _ctc_inputs, (0,)),
    ("CTCLoss", {"reduction": "sum"}, _ctc_inputs, (0,)),
    (
        "CosineSimilarity",
        {"dim": 0, "eps": 1e-6},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1),
    ),
    (
        "PairwiseDistance",
        {"p": 1.0, "keepdim": True},
        lambda r: [randn(r, 4, 5), randn(r, 4, 5)],
        (0, 1),
    ),
]


def _build_modules(name, kwargs, rng):
    pk, tk = dict(kwargs), dict(kwargs)
    if kwargs.get("weight") == "w5":
        w = probs(rng, 5) + 0.5
        pk["weight"], tk["weight"] = pygrad.from_numpy(w.copy()), torch.tensor(w)
    if kwargs.get("distance_function") == "l1":
        pk["distance_function"] = nn.PairwiseDistance(p=1.0)
        tk["distance_function"] = tnn.PairwiseDistance(p=1.0)
    return getattr(nn, name)(**pk), getattr(tnn, name)(**tk)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("case", MODULES, ids=[f"{i}-{c[0]}" for i, c in enumerate(MODULES)])
def test_module_matches_torch(case, dtype):
    name, kwargs, build, diff = case
    rng = make_rng("module", name, str(kwargs))
    mp, mt = _build_modules(name, kwargs, rng)
    if dtype == np.float32:
        mt.float()
        mp.float()
    assert repr(mp) == repr(mt)
    for key, value in _public_state(mt).items():
        if not isinstance(value, tnn.Module):
            assert getattr(mp, key) == value, key
    assert list(mp.state_dict()) == list(mt.state_dict())
    compare(mp, mt, build(rng), {}, diff, dtype)


@pytest.mark.parametrize("flags", [(False, None), (None, False), (True, True)], ids=str)
@pytest.mark.parametrize(
    "name", ["L1Loss", "KLDivLoss", "SmoothL1Loss", "SoftMarginLoss", "BCELoss"]
)
def test_module_legacy_flags(name, flags):
    with pytest.warns(UserWarning, match="size_average and reduce"):
        mt = getattr(tnn, name)(size_average=flags[0], reduce=flags[1])
    with pytest.warns(UserWarning, match="size_average and reduce"):
        mp = getattr(nn, name)(size_average=flags[0], reduce=flags[1])
    assert mp.reduction == mt.reduction
    rng = make_rng("legacy-module", name)
    args = [probs(rng, 3, 4), probs(rng, 3, 4)]
    compare(mp, mt, args, {}, (0,) if name == "SoftMarginLoss" else (0, 1))


def test_module_constructor_errors():
    for call in (
        lambda lib: lib.MultiMarginLoss(p=3),
        lambda lib: lib.TripletMarginLoss(margin=0.0),
        lambda lib: lib.TripletMarginWithDistanceLoss(margin=-1.0),
    ):
        with pytest.raises(ValueError):
            call(tnn)
        with pytest.raises(ValueError, match=r"^\["):
            call(nn)
    with pytest.raises(ValueError, match="1D"):
        nn.MultiMarginLoss(weight=pygrad.ones(2, 5))
    with pytest.raises(TypeError, match="delta"):
        nn.HuberLoss(delta="1")
    # pygrad checks the reduction when the module is made (torch only when it runs)
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    nn.KLDivLoss(reduction="batchmean")
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="batchmean")


# --------------------------------------------------------------------------- errors
def _f(*shape):
    return np.full(shape, 0.5)


def _i(*values):
    return np.array(values, dtype=np.int64)


# function, arguments, keyword arguments, torch's exception class (pygrad's, when it differs)
ERRORS = [
    ("l1_loss", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("l1_loss", [_f(3), _f(3)], {"weight": _f(2)}, ValueError),
    ("l1_loss", [_f(3), _f(3)], {"weight": _f(3), "reduction": "avg"}, ValueError),
    ("smooth_l1_loss", [_f(3), _f(3)], {"beta": -1.0}, RuntimeError),
    ("smooth_l1_loss", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("huber_loss", [_f(3), _f(3)], {"delta": 0.0}, RuntimeError),
    ("huber_loss", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("huber_loss", [_f(3), _f(3)], {"weight": _f(3, 1)}, ValueError),
    ("binary_cross_entropy", [_f(3), _f(1, 3)], {}, ValueError),
    ("binary_cross_entropy", [_f(3) + 1, _f(3)], {}, RuntimeError),
    ("binary_cross_entropy", [np.array([np.nan, 0.5]), _f(2)], {}, RuntimeError),
    ("binary_cross_entropy", [_f(3), _f(3) - 1], {}, RuntimeError),
    ("binary_cross_entropy", [_f(3, 4), _f(3, 4)], {"weight": _f(3)}, RuntimeError),
    ("binary_cross_entropy", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("kl_div", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("kl_div", [_f(3), _i(1, 1, 1)], {"reduction": "sum"}, RuntimeError),
    ("poisson_nll_loss", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("gaussian_nll_loss", [_f(3), _f(3), -1.0], {}, ValueError),
    ("gaussian_nll_loss", [_f(3), _f(3), _f(3) - 1], {}, ValueError),
    ("gaussian_nll_loss", [_f(3, 4), _f(3, 4), _f(3, 2)], {}, ValueError),
    ("gaussian_nll_loss", [_f(3, 4), _f(3, 4), _f(1, 1)], {}, ValueError),
    ("gaussian_nll_loss", [_f(3), _f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("margin_ranking_loss", [_f(3, 4), _f(3, 4), _f(4)], {}, RuntimeError),
    ("margin_ranking_loss", [_f(3), _f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("hinge_embedding_loss", [_f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("soft_margin_loss", [_f(4), _f(3, 4)], {}, RuntimeError),
    ("multilabel_soft_margin_loss", [np.array(0.5), np.array(1.0)], {}, IndexError),
    ("multilabel_soft_margin_loss", [_f(2, 3), _f(2, 3)], {"reduction": "avg"}, ValueError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 1)], {"p": 3}, ValueError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 1)], {"weight": _f(1, 4)}, ValueError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 1)], {"weight": _f(3)}, RuntimeError),
    ("multi_margin_loss", [_f(2, 3, 4), _i(1, 1)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 0), _i(0, 0)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 1, 1)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 4)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 4), _i(1, -1)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 4), _f(2)], {}, RuntimeError),
    ("multi_margin_loss", [_f(2, 4), _i(1, 1)], {"reduction": "avg"}, ValueError),
    ("multilabel_margin_loss", [_f(2, 3, 4), np.zeros((2, 3, 4), np.int64)], {}, RuntimeError),
    ("multilabel_margin_loss", [_f(2, 4), np.zeros((2, 3), np.int64)], {}, RuntimeError),
    (
        "multilabel_margin_loss",
        [_f(2, 4), np.array([[4, -1, 0, 0], [0, 0, 0, 0]])],
        {},
        RuntimeError,
    ),
    (
        "multilabel_margin_loss",
        [_f(2, 4), np.array([[1, -1, 7, 0], [0, 0, 0, 0]])],
        {},
        RuntimeError,
    ),
    (
        "multilabel_margin_loss",
        [_f(2, 4), np.array([[-2, -1, 0, 0], [0, 0, 0, 0]])],
        {},
        RuntimeError,
    ),
    ("multilabel_margin_loss", [_f(2, 4), _f(2, 4)], {}, RuntimeError),
    ("cosine_embedding_loss", [_f(3, 4), _f(3, 4), _f(3, 1)], {}, RuntimeError),
    ("cosine_embedding_loss", [_f(2, 3, 4), _f(2, 3, 4), _f(2)], {}, RuntimeError),
    ("cosine_embedding_loss", [_f(3, 4), _f(4), _f(3)], {}, RuntimeError),
    ("cosine_embedding_loss", [_f(4), _f(4), _f(1)], {}, RuntimeError),
    ("triplet_margin_loss", [_f(3, 4), _f(3, 4), _f(3, 4)], {"margin": 0.0}, ValueError),
    ("triplet_margin_loss", [_f(3, 4), _f(4), _f(3, 4)], {}, RuntimeError),
    ("triplet_margin_loss", [_f(3, 4), _f(3, 4), _f(3, 4)], {"reduction": "avg"}, ValueError),
    (
        "triplet_margin_with_distance_loss",
        [_f(3, 4), _f(3, 4), _f(3, 4)],
        {"margin": -1.0},
        ValueError,
    ),
    ("triplet_margin_with_distance_loss", [_f(3, 4), _f(4), _f(3, 4)], {}, RuntimeError),
    ("triplet_margin_with_distance_loss", [_f(3), _f(3), _f(3)], {"reduction": "avg"}, ValueError),
    ("cosine_similarity", [_i(1, 2), _i(3, 4)], {"dim": 0}, RuntimeError),
    ("cosine_similarity", [_f(2, 4), _f(2, 4)], {"dim": 2}, IndexError),
    ("cosine_similarity", [_f(4), _f(4)], {}, IndexError),
    # shape mismatches caught by a core op: pygrad raises ValueError where torch raises RuntimeError
    ("pairwise_distance", [_f(3, 4), _f(3, 5)], {}, (RuntimeError, ValueError)),
    ("cosine_embedding_loss", [_f(3, 4), _f(3, 5), _f(3)], {}, (RuntimeError, ValueError)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[f"{i}-{c[0]}" for i, c in enumerate(ERRORS)])
def test_errors_match_torch(case):
    name, args, kwargs, exc = case
    exc_t, exc_p = exc if isinstance(exc, tuple) else (exc, exc)

    def run(lib, fn):
        conv = [
            (pygrad.from_numpy(a.copy()) if lib is pygrad else torch.tensor(a))
            if isinstance(a, np.ndarray)
            else a
            for a in args
        ]
        kw = {
            k: (pygrad.from_numpy(v.copy()) if lib is pygrad else torch.tensor(v))
            if isinstance(v, np.ndarray)
            else v
            for k, v in kwargs.items()
        }
        return fn(*conv, **kw)

    with pytest.raises(exc_t):
        run(torch, getattr(TF, name))
    with pytest.raises(exc_p) as info:
        run(pygrad, getattr(F, name))
    assert str(info.value).startswith("["), f"the message does not name the op: {info.value}"
    assert type(info.value) is exc_p

"""Transfer learning: replace_head, freeze / unfreeze, feature extraction then fine-tuning on the
bundled digits (0-4 -> 5-9), and load_pretrained from pygrad and PyTorch safetensors files."""

import numpy as np
import pytest
from conftest import import_torch

import pygrad
from pygrad import nn, optim
from pygrad.data import load_digits
from pygrad.train import evaluate, fit

LOW, HIGH = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


def _snapshot(model):
    return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}


def _changed(before, model, keys):
    after = _snapshot(model)
    return {k: not np.array_equal(before[k], after[k]) for k in keys}


@pytest.fixture(scope="module")
def digits():
    """The bundled digits split 75/25 (seeded), as {"train"/"test": {classes: (x, y)}}."""
    images, labels = load_digits()
    x, y = images.numpy().reshape(-1, 64), labels.numpy()
    order = np.random.default_rng(0).permutation(len(y))
    cut = int(0.75 * len(y))
    out = {}
    for part, rows in (("train", order[:cut]), ("test", order[cut:])):
        out[part] = {}
        for classes in (LOW, HIGH):
            keep = rows[np.isin(y[rows], classes)]
            out[part][classes] = (
                pygrad.tensor(x[keep]),
                pygrad.tensor(y[keep] - classes[0]),  # 0..4 either way
            )
    return out


def _mlp(num_classes=5):
    return nn.Sequential(
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, num_classes)
    )


def _accuracy(model, data):
    return evaluate(model, None, data, batch_size=1024)["accuracy"]


# ----------------------------------------------------------------------------------------------
# the recipe on real data


def test_digits_0_4_to_5_9_frozen_base_then_fine_tuning(digits):
    pygrad.manual_seed(0)
    loss_fn = nn.CrossEntropyLoss()
    model = _mlp()
    fit(
        model,
        loss_fn,
        optim.Adam(model.parameters(), lr=1e-2),
        digits["train"][LOW],
        epochs=8,
        batch_size=32,
        verbose=False,
    )
    assert _accuracy(model, digits["test"][LOW]) > 0.95

    # Feature-extractor mode: the base frozen, a fresh head for 5-9.
    model.freeze()
    old_head = model[4]
    head = model.replace_head()
    assert head is model[4] and head is not old_head
    assert isinstance(head, nn.Linear) and (head.in_features, head.out_features) == (32, 5)
    assert all(p.requires_grad for p in head.parameters())
    base_keys = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert not any(model.get_parameter(k).requires_grad for k in base_keys)
    before = _snapshot(model)
    chance = 1 / len(HIGH)
    untrained = _accuracy(model, digits["test"][HIGH])

    # All parameters go to the optimizer (with weight decay, even): the frozen ones get no
    # gradient, so Adam skips them and they stay bit-for-bit the same.
    opt = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    fit(model, loss_fn, opt, digits["train"][HIGH], epochs=10, batch_size=32, verbose=False)
    assert all(model.get_parameter(k).grad is None for k in base_keys)
    assert not any(_changed(before, model, base_keys).values()), "a frozen weight changed"
    assert all(_changed(before, model, ["4.weight", "4.bias"]).values())
    head_only = _accuracy(model, digits["test"][HIGH])
    # The head learns on features trained for other digits: 0.68 with this seed (0.60-0.69 over
    # seeds 0-7), from 0.17 untrained; chance is 0.20.
    assert head_only > 0.5 and head_only > 2.5 * chance, (untrained, head_only)
    assert head_only > untrained + 0.3

    # Fine-tuning: everything trainable, the base 10x slower than the head.
    model.unfreeze()
    groups = nn.fine_tuning_groups(model, lr=3e-3, base_lr=1e-3)
    assert [g["lr"] for g in groups] == [1e-3, 3e-3]
    assert len(groups[0]["params"]) == 4 and len(groups[1]["params"]) == 2
    before = _snapshot(model)
    fit(
        model,
        loss_fn,
        optim.Adam(groups),
        digits["train"][HIGH],
        epochs=8,
        batch_size=32,
        verbose=False,
    )
    assert all(_changed(before, model, base_keys).values()), "fine-tuning did not change the base"
    tuned = _accuracy(model, digits["test"][HIGH])
    # 0.94 with this seed (0.91-0.94 over seeds 0-4): the adapted features beat the frozen ones.
    assert tuned > 0.85 and tuned > head_only + 0.1, (head_only, tuned)


def test_frozen_parameters_cost_no_backward_compute():
    pygrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    model.freeze()
    model.replace_head()
    features = {}
    model[1].register_forward_hook(lambda m, args, out: features.setdefault("relu", out))
    loss = model(pygrad.randn(5, 8)).sum()
    # No graph is recorded through the frozen base: backward has nothing to walk there.
    assert not features["relu"].requires_grad and features["relu"].grad_fn is None
    loss.backward()
    assert model[0].weight.grad is None and model[0].bias.grad is None
    assert model[2].weight.grad is not None and model[2].bias.grad is not None
    model.summary(print_fn=None)
    text = model.summary(print_fn=None)
    assert "Trainable params: 68" in text and "Non-trainable (frozen) params: 144" in text


def test_optimizer_skips_frozen_parameters_even_with_a_gradient():
    layer = nn.Linear(3, 2)
    opt = optim.SGD(layer.parameters(), lr=1.0, momentum=0.9, weight_decay=0.1)
    layer.weight.requires_grad_(False)
    layer.weight.grad = pygrad.ones(2, 3)
    layer.bias.grad = pygrad.ones(2)
    weight, bias = _snapshot(layer)["weight"], _snapshot(layer)["bias"]
    opt.step()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), weight)
    assert not np.array_equal(layer.bias.detach().numpy(), bias)


# ----------------------------------------------------------------------------------------------
# replace_head


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 12), nn.ReLU())
        self.fc = nn.Linear(12, classes)

    def forward(self, x):
        return self.fc(self.features(x))


def test_replace_head_finds_the_last_layer_with_parameters():
    assert nn.find_head(_mlp()) == "4"
    assert nn.find_head(Net()) == "fc"
    nested = nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Dropout(0.1), nn.Linear(8, 3), nn.Softmax(1))
    )
    assert nn.find_head(nested) == "2.1"
    head = nested.replace_head(num_classes=2)
    assert nested[2][1] is head and tuple(nested(pygrad.randn(5, 4)).shape) == (5, 2)
    with pytest.raises(ValueError, match="no submodule with parameters"):
        nn.Sequential(nn.ReLU(), nn.Flatten()).replace_head()


def test_replace_head_fresh_copy_of_the_same_class_and_shape():
    pygrad.manual_seed(0)
    model = Net()
    model.freeze()
    model.fc.eval()
    old = model.fc
    head = model.replace_head()
    assert model.fc is head and head is not old
    assert type(head) is nn.Linear and repr(head) == repr(old)
    assert head.weight.shape == old.weight.shape and head.bias.shape == old.bias.shape
    assert not np.array_equal(head.weight.detach().numpy(), old.weight.detach().numpy())
    assert head.weight.requires_grad and head.bias.requires_grad and not head.training
    assert old.weight is not head.weight and not old.weight.requires_grad  # the old one untouched
    assert list(model.state_dict()) == [
        "features.0.weight",
        "features.0.bias",
        "fc.weight",
        "fc.bias",
    ]
    # Layers other than Linear: parameters and buffers re-made by reset_parameters().
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    conv[1].running_mean.add_(1.0)
    fresh = conv.replace_head()
    assert isinstance(fresh, nn.BatchNorm2d) and fresh.num_features == 4
    np.testing.assert_array_equal(fresh.running_mean.numpy(), np.zeros(4, np.float32))
    new_conv = conv.replace_head(name="0")
    assert isinstance(new_conv, nn.Conv2d) and new_conv.weight.shape == conv[0].weight.shape
    assert tuple(conv(pygrad.randn(2, 1, 5, 5)).shape) == (2, 4, 3, 3)


def test_replace_head_num_classes_new_head_name_and_assignment():
    model = Net().double()
    head = model.replace_head(num_classes=3)
    assert (head.in_features, head.out_features) == (12, 3) and head.weight.dtype == pygrad.float64
    given = nn.Linear(12, 7, bias=False).double()
    assert model.replace_head(given) is given and model.fc is given
    assert tuple(model(pygrad.randn(2, 6, dtype=pygrad.float64)).shape) == (2, 7)
    first = model.replace_head(nn.Linear(6, 12).double(), name="features.0")
    assert model.features[0] is first
    # Plain assignment registers the new layer under the same name, as in PyTorch.
    model.fc = nn.Linear(12, 4).double()
    assert "fc.weight" in model.state_dict() and "fc.bias" in model.state_dict()
    assert tuple(model(pygrad.randn(2, 6, dtype=pygrad.float64)).shape) == (2, 4)
    seq = _mlp()
    seq[4] = nn.Linear(32, 9)
    assert tuple(seq(pygrad.randn(1, 64)).shape) == (1, 9)

    # A Linear subclass keeps its class; a head that can't be rebuilt with num_classes says so.
    class Scaled(nn.Linear):
        pass

    scaled = nn.Sequential(nn.Linear(6, 4), Scaled(4, 2))
    new = scaled.replace_head(num_classes=5)
    assert type(new) is Scaled and (new.in_features, new.out_features) == (4, 5)

    class Wide(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_features = 4
            self.inner = nn.Linear(4, 2)

    with pytest.raises(TypeError, match="pass new_head= instead"):
        nn.Sequential(nn.Linear(6, 4), Wide()).replace_head(name="1", num_classes=3)
    with pytest.raises(TypeError, match="model must be a Module"):
        nn.replace_head(lambda x: x, num_classes=2)
    assert nn.replace_head(scaled, nn.Identity()) is scaled[1]

    with pytest.raises(ValueError, match="not both"):
        model.replace_head(nn.Linear(12, 2), num_classes=2)
    with pytest.raises(TypeError, match="must be a Module"):
        model.replace_head(lambda x: x)
    with pytest.raises(AttributeError, match="no submodule"):
        model.replace_head(name="classifier")
    with pytest.raises(TypeError, match="in_features"):
        nn.Sequential(nn.Conv2d(1, 2, 3)).replace_head(num_classes=5)
    with pytest.raises(ValueError, match="positive int"):
        model.replace_head(num_classes=0)


# ----------------------------------------------------------------------------------------------
# load_pretrained


def test_load_pretrained_from_a_torch_safetensors_file_reproduces_torch(tmp_path):
    torch = import_torch()
    st_torch = pytest.importorskip(
        "safetensors.torch", reason="the safetensors package is not installed"
    )
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, 32),
        torch.nn.BatchNorm1d(32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )
    with torch.no_grad():  # move BatchNorm's running statistics away from their defaults
        for _ in range(3):
            tnet(torch.randn(16, 1, 8, 8) * 2 + 0.5)
    tnet.eval()
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(tnet.state_dict(), str(path))

    model = nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10)
    )
    report = nn.load_pretrained(model, path)
    assert report.complete and report.skipped_keys == []
    assert sorted(report.loaded_keys) == sorted(tnet.state_dict())
    model.eval()
    x = np.random.default_rng(1).standard_normal((20, 1, 8, 8)).astype(np.float32)
    expected = tnet(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(
        model(pygrad.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5
    )

    # The same through the state-dict API, and from a half-precision file (widened on load).
    other = nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10)
    )
    assert other.load_state_dict(pygrad.load(path), strict=False) == ([], [])
    st_torch.save_file(
        {k: (v.half() if v.is_floating_point() else v) for k, v in tnet.state_dict().items()},
        str(tmp_path / "half.safetensors"),
    )
    assert nn.load_pretrained(other, tmp_path / "half.safetensors").complete
    other.eval()
    np.testing.assert_allclose(
        other(pygrad.tensor(x)).detach().numpy(), expected, rtol=0.05, atol=0.05
    )


def test_load_pretrained_skips_and_reports_what_does_not_fit(tmp_path):
    pygrad.manual_seed(0)
    source = Net(classes=10)
    state = source.state_dict()
    state["extra.weight"] = pygrad.ones(2)
    del state["features.0.bias"]
    path = tmp_path / "net.safetensors"
    pygrad.save(state, path)

    target = Net(classes=5)
    before = _snapshot(target)
    report = nn.load_pretrained(target, path)
    assert report.loaded_keys == ["features.0.weight"]
    assert report.missing_keys == ["features.0.bias"]
    assert report.unexpected_keys == ["extra.weight"]
    assert report.mismatched_keys == [("fc.weight", (10, 12), (5, 12)), ("fc.bias", (10,), (5,))]
    assert report.skipped_keys == ["extra.weight", "fc.weight", "fc.bias"]
    assert not report.complete
    text = str(report)
    assert "loaded 1 tensors" in text and "fc.weight [10, 12] in file vs [5, 12] in model" in text
    assert "extra.weight" in text and "missing (kept their values): features.0.bias" in text
    np.testing.assert_array_equal(
        target.features[0].weight.detach().numpy(), source.features[0].weight.detach().numpy()
    )
    for key in ("features.0.bias", "fc.weight", "fc.bias"):
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), before[key])

    # load_state_dict(strict=False) raises on the mis-shaped head, as PyTorch's does.
    with pytest.raises(RuntimeError, match=r"size mismatch for fc\.weight"):
        Net(classes=5).load_state_dict(pygrad.load(path), strict=False)
    # strict=True names everything and loads nothing.
    fresh = Net(classes=5)
    before = _snapshot(fresh)
    with pytest.raises(RuntimeError, match=r"extra\.weight") as info:
        nn.load_pretrained(fresh, path, strict=True)
    assert "fc.bias" in str(info.value) and "features.0.bias" in str(info.value)
    assert not any(_changed(before, fresh, before).values())


def test_load_pretrained_accepts_state_dicts_nested_checkpoints_and_prints(tmp_path, capsys):
    pygrad.manual_seed(0)
    source = Net()
    target = Net()
    report = nn.load_pretrained(target, source.state_dict(), verbose=True)
    assert report.complete and "load_pretrained: loaded 4 tensors" in capsys.readouterr().out
    np.testing.assert_array_equal(
        target.fc.weight.detach().numpy(), source.fc.weight.detach().numpy()
    )
    # ModelCheckpoint(include_optimizer=True) nests the weights under "model".
    opt = optim.Adam(source.parameters())
    pygrad.save(
        {"model": source.state_dict(), "optimizer": opt.state_dict(), "epoch": 3},
        tmp_path / "c.safetensors",
    )
    assert nn.load_pretrained(Net(), tmp_path / "c.safetensors").complete
    with pytest.raises(TypeError, match="file path or a state dict"):
        nn.load_pretrained(Net(), 42)

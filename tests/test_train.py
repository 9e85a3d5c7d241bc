"""pygrad.train: EarlyStopping against Keras's documented behaviour, the fit loop, checkpoints,
History / LearningRateMonitor / GradientMonitor, and vanishing gradients in a deep sigmoid MLP."""

import io
import math
import os
import sys

import numpy as np
import pytest

import pygrad
from pygrad import nn, optim
from pygrad.data import DataLoader, TensorDataset
from pygrad.optim import lr_scheduler
from pygrad.train import (
    Callback,
    EarlyStopping,
    GradientMonitor,
    History,
    LearningRateMonitor,
    ModelCheckpoint,
    evaluate,
    fit,
    predict,
)

# ----------------------------------------------------------------------------------------------
# EarlyStopping, driven epoch by epoch as fit drives it


def _marked_model():
    """A one-weight model; the weight is set to the epoch number so that restores can be checked."""
    return nn.Linear(1, 1, bias=False)


def simulate(stopper, values, monitor="val_loss", model=None):
    """Runs the callback protocol over scripted values; returns (epochs run, model)."""
    model = model or _marked_model()
    stopper.set_model(model)
    stopper.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        with pygrad.no_grad():
            model.weight.fill_(float(epoch))
        stopper.on_epoch_end(epoch, {monitor: value})
        epochs += 1
        if stopper.stop_training:
            break
    stopper.on_train_end()
    return epochs, model


def test_keras_docstring_example_patience_3_runs_4_epochs():
    # Keras: "EarlyStopping(monitor='loss', patience=3) ... Only 4 epochs are run" when the loss
    # never improves after the first epoch.
    stopper = EarlyStopping(monitor="loss", patience=3)
    epochs, _ = simulate(
        stopper, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], monitor="loss"
    )
    assert epochs == 4
    assert stopper.stopped_epoch == 3 and stopper.best == 1.0 and stopper.best_epoch == 0


@pytest.mark.parametrize(
    "patience,values,expected_epochs",
    [
        (0, [1.0, 0.9, 0.95, 0.8], 3),  # stops at the first epoch that does not improve
        (
            1,
            [1.0, 0.9, 0.8, 0.85, 0.7],
            4,
        ),  # as in Keras, patience 1 acts like 0 (wait counts first)
        (2, [1.0, 0.9, 0.95, 0.96, 0.5], 4),  # two bad epochs in a row: stop before 0.5
        (2, [1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.1], 6),
        (5, [1.0, 0.9, 0.8, 0.7], 4),  # always improving: runs out of epochs
    ],
)
def test_patience_counts_epochs_without_improvement(patience, values, expected_epochs):
    stopper = EarlyStopping(patience=patience)
    epochs, _ = simulate(stopper, values)
    assert epochs == expected_epochs
    stopped = expected_epochs < len(values)
    assert stopper.stop_training == stopped
    assert stopper.stopped_epoch == (expected_epochs - 1 if stopped else 0)
    assert stopper.best == min(values[:expected_epochs])


def test_never_stops_at_epoch_zero():
    # Keras checks `epoch > 0`: a first value worse than the baseline doesn't stop at once.
    stopper = EarlyStopping(patience=0, baseline=0.1)
    epochs, _ = simulate(stopper, [1.0, 2.0, 3.0])
    assert epochs == 2 and stopper.stopped_epoch == 1


def test_min_delta_sets_the_smallest_improvement():
    values = [1.0, 0.95, 0.92, 0.5]
    assert simulate(EarlyStopping(patience=1), values)[0] == 4
    stopper = EarlyStopping(patience=1, min_delta=0.1)
    assert simulate(stopper, values)[0] == 2  # 0.95 is not below 1.0 - 0.1
    assert stopper.best == 1.0
    # the sign of min_delta is ignored (Keras takes its absolute value)
    assert simulate(EarlyStopping(patience=1, min_delta=-0.1), values)[0] == 2
    # in max mode the value must grow by more than min_delta
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert simulate(stopper, [0.5, 0.54, 0.6], monitor="val_accuracy")[0] == 2


def test_mode_auto_max_min():
    rising = [0.1, 0.2, 0.3, 0.4]
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="acc").mode == "max"
    assert EarlyStopping(monitor="val_auc").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    assert EarlyStopping(monitor="mae").mode == "min"
    # auto on accuracy: rising values keep training going
    assert simulate(EarlyStopping(monitor="val_accuracy"), rising, monitor="val_accuracy")[0] == 4
    # the same values as a loss are "no improvement" from epoch 1 on
    assert simulate(EarlyStopping(monitor="val_loss"), rising)[0] == 2
    # explicit mode overrides the name
    assert simulate(EarlyStopping(monitor="score", mode="max"), rising, monitor="score")[0] == 4
    assert (
        simulate(EarlyStopping(monitor="val_accuracy", mode="min"), rising, monitor="val_accuracy")[
            0
        ]
        == 2
    )
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="maximum")


def test_baseline_only_resets_wait_when_beaten():
    values = [0.9, 0.8, 0.85, 0.7, 0.6, 0.55]
    # Without a baseline, 0.85 is one bad epoch and 0.7 improves again.
    assert simulate(EarlyStopping(patience=2), values)[0] == 6
    # With baseline 0.5 none of these beats it: wait is never reset, so the first epoch that does
    # not improve (0.85, with wait = 3 >= 2) stops training.
    stopper = EarlyStopping(patience=2, baseline=0.5)
    assert simulate(stopper, values)[0] == 3
    assert stopper.best == 0.8 and stopper.best_epoch == 1
    # A baseline that is beaten behaves like no baseline.
    assert simulate(EarlyStopping(patience=2, baseline=0.95), values)[0] == 6


def test_start_from_epoch_ignores_the_warm_up():
    values = [5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0]
    assert simulate(EarlyStopping(patience=1), values)[0] == 2
    stopper = EarlyStopping(patience=1, start_from_epoch=3)
    assert simulate(stopper, values)[0] == 5
    assert stopper.best == 1.0 and stopper.best_epoch == 3 and stopper.stopped_epoch == 4


@pytest.mark.parametrize("restore", [True, False])
def test_restore_best_weights_when_patience_triggers(restore):
    stopper = EarlyStopping(patience=2, restore_best_weights=restore)
    epochs, model = simulate(stopper, [1.0, 0.5, 0.7, 0.8, 0.1])
    assert epochs == 4 and stopper.best_epoch == 1
    assert model.weight.item() == (1.0 if restore else 3.0)
    if restore:
        assert list(stopper.best_weights) == ["weight"]


def test_restore_best_weights_when_epochs_run_out():
    # Patience never runs out, but the best epoch (2) is still restored at the end of training.
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    epochs, model = simulate(stopper, [1.0, 0.8, 0.3, 0.4, 0.5])
    assert epochs == 5 and stopper.stopped_epoch == 0
    assert model.weight.item() == 2.0


def test_best_weights_are_a_deep_copy():
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    model = _marked_model()
    stopper.set_model(model)
    stopper.on_train_begin()
    with pygrad.no_grad():
        model.weight.fill_(7.0)
    stopper.on_epoch_end(0, {"val_loss": 1.0})
    with pygrad.no_grad():
        model.weight.fill_(-1.0)  # in place: a shallow copy would see it
    assert stopper.best_weights["weight"].item() == 7.0


def test_restore_uses_first_epoch_when_nothing_improves_after_warm_up():
    stopper = EarlyStopping(patience=1, restore_best_weights=True, start_from_epoch=2)
    epochs, model = simulate(stopper, [0.1, 0.1, 5.0, 6.0, 7.0])
    assert epochs == 4 and model.weight.item() == 2.0


def test_missing_monitor_warns_and_is_ignored():
    stopper = EarlyStopping(monitor="val_loss")
    with pytest.warns(RuntimeWarning, match="val_loss.*available are \\['loss'\\]"):
        epochs, _ = simulate(stopper, [1.0, 2.0, 3.0], monitor="loss")
    assert epochs == 3


def test_nan_never_counts_as_improvement():
    stopper = EarlyStopping(patience=1)
    assert simulate(stopper, [1.0, math.nan, 0.5])[0] == 2


def test_instances_can_be_reused():
    stopper = EarlyStopping(patience=0)
    assert simulate(stopper, [1.0, 2.0])[0] == 2
    assert simulate(stopper, [5.0, 4.0, 3.0])[0] == 3
    assert stopper.best == 3.0 and stopper.stopped_epoch == 0


def test_hand_written_loop_with_step():
    model = _marked_model()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    values = [1.0, 0.6, 0.7, 0.9, 0.2]
    seen = []
    for epoch, v in enumerate(values):
        with pygrad.no_grad():
            model.weight.fill_(float(epoch))
        seen.append(v)
        if stopper.step(pygrad.tensor(v), model):  # a 0-d tensor is fine too
            break
    assert seen == [1.0, 0.6, 0.7, 0.9]
    assert model.weight.item() == 1.0  # restored as soon as step said stop
    stopper.finish(model)  # harmless after a stop
    assert model.weight.item() == 1.0

    # When the loop runs out of epochs, finish() restores the best epoch.
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    for epoch, v in enumerate([0.5, 0.2, 0.4]):
        with pygrad.no_grad():
            model.weight.fill_(float(epoch))
        assert not stopper.step(v, model)
    assert model.weight.item() == 2.0
    stopper.finish()
    assert model.weight.item() == 1.0


def test_step_without_model_needs_none_unless_restoring():
    stopper = EarlyStopping(patience=0)
    assert not stopper.step(1.0)
    assert stopper.step(1.5)
    with pytest.raises(ValueError, match="model"):
        EarlyStopping(restore_best_weights=True).step(1.0)


# ----------------------------------------------------------------------------------------------
# fit on a synthetic classification problem


def _blobs(n, seed, classes=3, dim=2, spread=0.6):
    """Gaussian blobs around fixed centres on a circle: a separable-enough classification task."""
    rng = np.random.default_rng(seed)
    centres = (
        np.stack(
            [
                np.cos(2 * np.pi * np.arange(classes) / classes),
                np.sin(2 * np.pi * np.arange(classes) / classes),
            ],
            1,
        )
        * 2.0
    )
    y = rng.integers(0, classes, n)
    x = centres[y] + spread * rng.standard_normal((n, dim))
    return pygrad.tensor(x.astype(np.float32)), pygrad.tensor(y)


def _mlp(dropout=0.0):
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(dropout), nn.Linear(32, 3))


class ScriptedValLoss(Callback):
    """Overwrites logs["val_loss"] with scripted values (callbacks see the same logs dict, in order)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_fit_reaches_accuracy_with_adam_dropout_and_early_stopping():
    pygrad.manual_seed(0)
    x, y = _blobs(600, seed=1)
    xv, yv = _blobs(300, seed=2)
    model = _mlp(dropout=0.2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    stopper = EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (x, y),
        val_data=(xv, yv),
        epochs=60,
        batch_size=32,
        callbacks=[stopper],
        verbose=False,
    )
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(h["loss"]) == len(history.epoch) <= 60
    assert h["loss"][-1] < h["loss"][0]
    # The stated target: at least 95% validation accuracy on the 3-blob problem.
    final = evaluate(model, nn.CrossEntropyLoss(), (xv, yv))
    assert final["accuracy"] >= 0.95, final
    # restore_best_weights put back the weights of the epoch with the lowest val_loss.
    best = int(np.argmin(h["val_loss"]))
    assert stopper.best_epoch == best
    assert final["loss"] == pytest.approx(h["val_loss"][best], rel=1e-5)
    assert model.training  # evaluate put the mode back


def _bars(n, seed, size=12, length=6, noise=0.3):
    """n noisy 1 x size x size images, each with one bar of `length` ones at a random place:
    class 0 a horizontal bar, class 1 a vertical one."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = noise * rng.standard_normal((n, 1, size, size))
    for i in range(n):
        line, start = rng.integers(0, size), rng.integers(0, size - length + 1)
        if y[i]:
            x[i, 0, start : start + length, line] += 1.0
        else:
            x[i, 0, line, start : start + length] += 1.0
    return pygrad.tensor(x.astype(np.float32)), pygrad.tensor(y)


def test_fit_trains_a_small_cnn_on_bar_orientation():
    pygrad.manual_seed(0)
    x, y = _bars(512, seed=1)
    xv, yv = _bars(256, seed=2)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),  # 8 x 12 x 12
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8 x 6 x 6
        nn.Flatten(),
        nn.Linear(8 * 6 * 6, 2),
    )
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=0.01),
        (x, y),
        val_data=(xv, yv),
        epochs=6,
        batch_size=32,
        verbose=False,
    )
    h = history.history
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    # The stated target: at least 95% validation accuracy (chance is 50%; a bar's position is random,
    # so the orientation must be found by the convolution, not by a fixed pixel).
    final = evaluate(model, nn.CrossEntropyLoss(), (xv, yv))
    assert final["accuracy"] >= 0.95, final
    assert final["accuracy"] == pytest.approx(h["val_accuracy"][-1])


def test_fit_restores_best_weights_when_epochs_run_out():
    pygrad.manual_seed(1)
    x, y = _blobs(128, seed=3)
    model = _mlp()
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append({k: v.clone() for k, v in self.model.state_dict().items()})

    script = ScriptedValLoss([0.9, 0.5, 0.3, 0.4, 0.6])
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=5,
        callbacks=[Snapshot(), script, stopper],
        verbose=False,
    )
    assert len(history.epoch) == 5 and stopper.stopped_epoch == 0 and stopper.best_epoch == 2
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snapshots[2][k].numpy())


def test_fit_stops_early_with_patience():
    pygrad.manual_seed(2)
    x, y = _blobs(64, seed=4)
    model = _mlp()
    script = ScriptedValLoss([1.0, 0.5, 0.6, 0.7, 0.8, 0.1, 0.1, 0.1])
    stopper = EarlyStopping(patience=2, verbose=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=8,
        callbacks=[script, stopper],
        verbose=False,
    )
    assert history.epoch == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3


def test_fit_accepts_batch_lists_and_prints_one_line_per_epoch(capsys):
    pygrad.manual_seed(3)
    x, y = _blobs(96, seed=5)
    batches = list(zip(x.split(32), y.split(32)))
    model = _mlp()
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        batches,
        val_data=batches[:1],
        epochs=3,
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 3
    assert out[0].startswith("Epoch 1/3") and "loss:" in out[0] and "val_accuracy:" in out[0]
    assert "lr: 0.1" in out[0]
    assert len(history.history["val_loss"]) == 3


class _FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_fit_shows_a_tqdm_bar_on_a_terminal(monkeypatch, capsys):
    pytest.importorskip("tqdm", reason="tqdm (the 'progress' extra) is not installed")
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    x, y = _blobs(64, seed=16)
    model = _mlp()
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        val_data=(x, y),
        epochs=2,
    )
    bar = terminal.getvalue()
    assert "Epoch 1/2" in bar and "Epoch 2/2" in bar and "val_loss" in bar and "2/2" in bar
    assert capsys.readouterr().out == ""  # the bar replaces the printed lines


def test_fit_prints_lines_on_a_terminal_without_tqdm(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stderr", _FakeTerminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    x, y = _blobs(64, seed=17)
    model = _mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2)
    assert capsys.readouterr().out.count("Epoch ") == 2


def test_fit_rejects_a_one_shot_generator():
    x, y = _blobs(64, seed=6)
    model = _mlp()
    gen = ((a, b) for a, b in zip(x.split(32), y.split(32)))
    with pytest.raises(ValueError, match="no batches in epoch 2"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            gen,
            epochs=2,
            verbose=False,
        )


def test_fit_train_and_eval_modes():
    modes = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 3)

        def forward(self, x):
            modes.append((self.training, pygrad.is_grad_enabled()))
            return self.lin(x)

    x, y = _blobs(8, seed=7)
    model = Probe()
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        [(x, y)],
        val_data=[(x, y)],
        epochs=1,
        verbose=False,
    )
    assert modes == [(True, True), (False, False)]


def test_schedulers_step_per_epoch_and_plateau_gets_val_loss():
    x, y = _blobs(64, seed=8)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=1.0)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (x, y),
        epochs=3,
        verbose=False,
        scheduler=lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
    )
    assert history.history["lr"] == [1.0, 0.5, 0.25]

    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
    script = ScriptedValLoss([0.5, 0.9, 0.9, 0.9])
    seen = []
    real_step = plateau.step

    def spy(metrics, epoch=None):
        seen.append(metrics)
        return real_step(metrics)

    plateau.step = spy
    fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (x, y),
        val_data=(x, y),
        epochs=2,
        verbose=False,
        scheduler=plateau,
        callbacks=[script],
    )
    assert len(seen) == 2
    # the scheduler sees the real val_loss (it runs before the callbacks)
    assert all(isinstance(v, float) and v > 0 for v in seen)


def test_learning_rate_monitor_records_each_epoch_and_step():
    x, y = _blobs(64, seed=9)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.8)
    per_epoch = LearningRateMonitor()
    per_step = LearningRateMonitor(logging_interval="step")
    fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (x, y),
        epochs=3,
        batch_size=32,
        verbose=False,
        scheduler=lr_scheduler.ExponentialLR(opt, gamma=0.5),
        callbacks=[per_epoch, per_step],
    )
    assert per_epoch.lrs == {"lr": [0.8, 0.4, 0.2]}
    assert per_step.lrs["lr"] == [0.8, 0.8, 0.4, 0.4, 0.2, 0.2]


def test_evaluate_and_predict():
    pygrad.manual_seed(4)
    x, y = _blobs(70, seed=10)
    model = _mlp(dropout=0.5)
    out = predict(model, x, batch_size=32)
    assert tuple(out.shape) == (70, 3) and not out.requires_grad
    with pygrad.no_grad():
        model.eval()
        expected = model(x)
        model.train()
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        predict(model, [(x[:30], y[:30]), (x[30:], y[30:])]).numpy(),
        expected.numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    result = evaluate(model, nn.CrossEntropyLoss(), (x, y), batch_size=16)
    expected_acc = float((expected.argmax(1) == y).sum().item()) / 70
    assert result["accuracy"] == pytest.approx(expected_acc)
    whole = nn.CrossEntropyLoss()(expected, y).item()
    assert result["loss"] == pytest.approx(whole, rel=1e-5)  # sample-weighted over uneven batches

    def error_rate(outputs, targets):
        return 1.0 - float((outputs.argmax(1) == targets).sum().item()) / targets.shape[0]

    result = evaluate(model, None, (x, y), metrics=[error_rate])
    assert result == {"error_rate": pytest.approx(1 - expected_acc)}


def test_whole_tensors_are_batched_by_a_seeded_data_loader():
    """fit / evaluate / predict cut whole tensors with pygrad.data.DataLoader: a new order from the
    seeded generator on each epoch, the same batches as a DataLoader over a TensorDataset."""
    x, y = _blobs(50, seed=3)

    def batches_seen(data, **kwargs):
        seen = []

        def record(outputs, targets):
            seen.append(targets.numpy().copy())
            return 0.0

        model = _mlp()
        pygrad.manual_seed(21)
        fit(
            model,
            _zero_loss,
            optim.SGD(model.parameters(), lr=0.0),
            data,
            epochs=2,
            metrics=[record],
            verbose=False,
            **kwargs,
        )
        return seen

    first, again = batches_seen((x, y), batch_size=16), batches_seen((x, y), batch_size=16)
    assert [len(b) for b in first] == [16, 16, 16, 2] * 2
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # reproducible under manual_seed
    assert not np.array_equal(np.concatenate(first[:4]), np.concatenate(first[4:]))  # reshuffled
    assert sorted(np.concatenate(first[:4]).tolist()) == sorted(y.numpy().tolist())
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    same = batches_seen(loader)
    assert all(np.array_equal(a, b) for a, b in zip(first, same))
    in_order = batches_seen((x.numpy(), y.numpy()), batch_size=20, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(in_order[:3]), y.numpy())

    with pytest.raises(ValueError, match=r"\[fit\] batch_size must be a positive int"):
        batches_seen((x, y), batch_size=0)
    with pytest.raises(ValueError, match=r"\[evaluate\] inputs and targets need the same first"):
        evaluate(_mlp(), None, (x, y[:10]))
    with pytest.raises(ValueError, match=r"\[predict\] batch_size"):
        predict(_mlp(), x, batch_size=-1)


def _zero_loss(outputs, targets):
    return (outputs * 0.0).sum()


def test_binary_accuracy_from_logits():
    from pygrad.train import accuracy

    logits = pygrad.tensor([[2.0], [-1.0], [0.5], [-3.0]])
    assert accuracy(logits, pygrad.tensor([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    assert accuracy(logits.reshape(4), pygrad.tensor([1, 0, 1, 1])) == 0.75
    scores = pygrad.tensor([[0.1, 0.9], [0.8, 0.2]])
    assert accuracy(scores, pygrad.tensor([[0.0, 1.0], [0.0, 1.0]])) == 0.5


# ----------------------------------------------------------------------------------------------
# ModelCheckpoint


def test_model_checkpoint_saves_the_best_epoch(tmp_path):
    x, y = _blobs(64, seed=11)
    model = _mlp()
    path = tmp_path / "best.safetensors"
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append({k: v.clone() for k, v in self.model.state_dict().items()})

    checkpoint = ModelCheckpoint(path)
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=4,
        verbose=False,
        callbacks=[Snapshot(), ScriptedValLoss([0.5, 0.2, 0.3, 0.4]), checkpoint],
    )
    assert checkpoint.best == 0.2
    saved = pygrad.load(path)
    for k, v in saved.items():
        np.testing.assert_array_equal(v.numpy(), snapshots[1][k].numpy())
    fresh = _mlp()
    fresh.load_state_dict(saved)


def test_model_checkpoint_every_n_epochs_with_optimizer(tmp_path):
    x, y = _blobs(64, seed=12)
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    checkpoint = ModelCheckpoint(
        tmp_path / "ckpt" / "epoch{epoch:02d}-{loss:.2f}.safetensors",
        save_every=2,
        include_optimizer=True,
    )
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=5, verbose=False, callbacks=[checkpoint])
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert [n[:7] for n in names] == ["epoch02", "epoch04"]
    state = pygrad.load(tmp_path / "ckpt" / names[-1])
    assert state["epoch"] == 4 and set(state) == {"model", "optimizer", "epoch"}
    # the optimizer's state comes back in a form Adam accepts
    again = optim.Adam(_mlp().parameters(), lr=0.5)
    again.load_state_dict(state["optimizer"])
    assert again.param_groups[0]["lr"] == 0.01
    assert again.state_dict()["state"][0]["step"] == 4 * 2  # 2 batches per epoch


def test_model_checkpoint_every_epoch_without_save_best_only(tmp_path):
    x, y = _blobs(32, seed=13)
    model = _mlp()
    checkpoint = ModelCheckpoint(tmp_path / "e{epoch}.safetensors", save_best_only=False)
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=3,
        verbose=False,
        callbacks=[checkpoint],
    )
    assert sorted(os.listdir(tmp_path)) == ["e1.safetensors", "e2.safetensors", "e3.safetensors"]


# ----------------------------------------------------------------------------------------------
# History / GradientMonitor plots


def test_history_records_and_plots(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    x, y = _blobs(64, seed=14)
    model = _mlp()
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        val_data=(x, y),
        epochs=3,
        verbose=False,
    )
    assert history["loss"] is history.history["loss"] and len(history["val_accuracy"]) == 3
    path = history.plot(tmp_path / "history.png")
    with open(path, "rb") as f:
        raw = f.read()
    assert raw.startswith(b"\x89PNG\r\n\x1a\n") and len(raw) > 1000


def test_plots_explain_a_missing_matplotlib(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    history = History()
    history.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ImportError, match=r"pip install matplotlib.*pygrad\[plot\]"):
        history.plot(tmp_path / "h.png")
    with pytest.raises(ImportError, match="pip install matplotlib"):
        GradientMonitor().plot(tmp_path / "g.png")
    assert not os.listdir(tmp_path)


# ----------------------------------------------------------------------------------------------
# GradientMonitor and vanishing gradients


def _deep_mlp(activation, depth=10, width=32, seed=0):
    pygrad.manual_seed(seed)
    layers = []
    for i in range(depth):
        linear = nn.Linear(width if i else 16, width if i < depth - 1 else 4)
        # Each activation gets its own recommended initialisation, so the comparison is fair.
        if activation is nn.Sigmoid:
            nn.init.xavier_normal_(linear.weight)
        else:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < depth - 1:
            layers.append(activation())
    return nn.Sequential(*layers)


def _gradient_norms(activation, seed):
    model = _deep_mlp(activation, seed=seed)
    monitor = GradientMonitor(threshold=1e-4)
    x = pygrad.randn(128, 16)
    y = pygrad.randint(0, 4, (128,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    monitor.record(model)
    return model, monitor


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_sigmoid_mlp_gradients_vanish_relu_ones_do_not(seed):
    _, sig = _gradient_norms(nn.Sigmoid, seed)
    _, relu = _gradient_norms(nn.ReLU, seed)
    first, last = "0.weight", "18.weight"  # Linear layers sit at even indices of the Sequential
    s, r = sig.latest(), relu.latest()
    assert list(s) == list(relu.latest()) and len(s) == 20
    # Sigmoid: each layer multiplies the gradient by sigmoid' <= 1/4: orders of magnitude lost.
    assert s[first] / s[last] < 1e-3, (s[first], s[last])
    # The norms fall (almost) monotonically from the output towards the input.
    weights = [s[f"{2 * i}.weight"] for i in range(10)]
    assert weights[0] < weights[4] < weights[9]
    # ReLU with He initialisation keeps them within an order of magnitude.
    assert 0.1 < r[first] / r[last] < 10, (r[first], r[last])
    # vanishing_layers flags the sigmoid network's first layers, and none of the ReLU network's.
    threshold = s[last] * 1e-3
    flagged = sig.vanishing_layers(threshold)
    assert first in flagged and last not in flagged
    assert relu.vanishing_layers(r[last] * 1e-3) == []


def test_gradient_monitor_in_fit_records_every_backward_and_plots(tmp_path):
    x, y = _blobs(96, seed=15)
    model = _mlp()
    monitor = GradientMonitor(threshold=1e-12)
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=2,
        batch_size=32,
        verbose=False,
        callbacks=[monitor],
    )
    assert list(monitor.norms) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert all(len(v) == 6 for v in monitor.norms.values())  # 3 batches x 2 epochs
    assert all(n > 0 for v in monitor.norms.values() for n in v)
    assert monitor.vanishing_layers() == []
    mean = monitor.mean_norms()["3.weight"]
    assert mean == pytest.approx(sum(monitor.norms["3.weight"]) / 6)
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    path = monitor.plot(tmp_path / "grads.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_gradient_monitor_norm_matches_numpy():
    model = nn.Linear(3, 2)
    model(pygrad.randn(5, 3)).sum().backward()
    monitor = GradientMonitor()
    monitor.record(model)
    expected = float(np.linalg.norm(model.weight.grad.numpy()))
    assert monitor.latest()["weight"] == pytest.approx(expected, rel=1e-6)
    inf = GradientMonitor(norm_type=math.inf)
    inf.record(model)
    assert inf.latest()["bias"] == pytest.approx(float(np.abs(model.bias.grad.numpy()).max()))

"""The first-run demo: an MLP with dropout learns the bundled 8x8 handwritten digits, then
transfers what it learnt on digits 0-4 to digits 5-9. ``pygrad demo --model transformer`` runs
the text demo instead: a tiny character-level transformer language model (``pygrad.demo_text``).

Run it with ``pygrad demo`` or ``python -m pygrad.demo``; ``--help`` lists the options. It
splits the 1,797 images into training, validation and test sets (70/15/15, seeded), trains with
random-shift augmentation, Adam and early stopping on the validation loss (the best epoch's
weights restored), prints the test accuracy, and writes into the output folder:

- ``curves.png``: loss and accuracy per epoch, training and validation (``History.plot``)
- ``gradients.png``: each parameter's gradient norm during training (``GradientMonitor.plot``)
- ``best.safetensors``: the best model's state dict (``ModelCheckpoint``; opens in the
  safetensors library and PyTorch too)
- ``digits0-4.safetensors``: the model pretrained on digits 0-4 for the transfer step

The transfer step pretrains the same MLP on digits 0-4, loads it into a new model with
``nn.load_pretrained``, freezes it, gives it a fresh head for digits 5-9 (``replace_head``),
trains only the head, then fine-tunes everything with a lower learning rate for the base.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import pygrad
from pygrad import nn, optim
from pygrad._C import Tensor
from pygrad.data import DataLoader, RandomShift, TensorDataset, load_digits
from pygrad.demo_text import TEXT_DEFAULTS, TEXT_QUICK, train_text
from pygrad.train import Callback, EarlyStopping, GradientMonitor, ModelCheckpoint, evaluate, fit

__all__ = [
    "DEFAULTS",
    "QUICK",
    "EpochProgress",
    "ShiftSome",
    "build_mlp",
    "main",
    "split_digits",
    "train",
]

# (images, labels) of one split.
_Split = tuple[Tensor, Tensor]

# The full configuration: ~98-99% test accuracy in a few seconds on 2 cores.
DEFAULTS: dict[str, Any] = {
    "epochs": 100,
    "hidden": (256, 128),
    "dropout": 0.2,
    "dropout_mode": "inverted",
    "augment": True,
    "shift_fraction": 0.5,
    "batch_size": 32,
    "lr": 1e-3,
    "patience": 15,
    "transfer_epochs": 15,
    "head_lr": 1e-2,
    "finetune_epochs": 10,
    "finetune_lr": 1e-3,
    "finetune_base_lr": 3e-4,
}
# --quick: the same pipeline, end to end, in about a second (for tests and a first look).
QUICK: dict[str, Any] = {
    "epochs": 5,
    "hidden": (64,),
    "lr": 3e-3,
    "patience": 2,
    "transfer_epochs": 2,
    "finetune_epochs": 1,
}


# ----------------------------------------------------------------------------------------------
# data and model


def split_digits(
    seed: int = 0, fractions: tuple[float, float, float] = (0.70, 0.15, 0.15)
) -> dict[str, _Split]:
    """The bundled digits split at random (seeded) into training, validation and test sets.

    Returns:
        ``{"train": (x, y), "val": (x, y), "test": (x, y)}``: float32 images [N, 1, 8, 8] in
        [0, 1] and int64 labels [N].
    """
    images, labels = load_digits()
    n = images.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_train = round(fractions[0] * n)
    n_val = round(fractions[1] * n)
    parts = {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }
    out = {}
    for name, rows in parts.items():
        index = pygrad.from_numpy(np.ascontiguousarray(rows, dtype=np.int64))
        out[name] = (images.index_select(0, index), labels.index_select(0, index))
    return out


def _classes(data: _Split, classes: Sequence[int]) -> _Split:
    """The samples of (x, y) whose label is in ``classes``, relabelled 0..len(classes)-1."""
    x, y = data
    labels = y.numpy()
    rows = np.flatnonzero(np.isin(labels, classes)).astype(np.int64)
    relabel = np.full(int(labels.max()) + 1, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    index = pygrad.from_numpy(rows)
    return x.index_select(0, index), pygrad.from_numpy(relabel[labels[rows]])


def build_mlp(
    num_classes: int = 10,
    hidden: Sequence[int] = (256, 128),
    dropout: float = 0.2,
    dropout_mode: str = "inverted",
) -> nn.Sequential:
    """Flatten -> [Linear -> ReLU -> Dropout] per hidden layer -> Linear (the head)."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = 64
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout, mode=dropout_mode)]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class ShiftSome:
    """Applies ``transform`` to a random fraction of the images of each batch, the rest unchanged.

    The test images are centred, so shifting every training image trades some accuracy for
    robustness; shifting half of them (the founding text's "shifted copies" beside the
    originals) gets both.
    """

    def __init__(
        self, transform: Callable[[Tensor], Tensor], fraction: float = 0.5, seed: int | None = None
    ) -> None:
        self.transform = transform
        self.fraction = fraction
        self.rng = np.random.default_rng(seed)

    def __call__(self, x: Tensor) -> Tensor:
        if self.fraction >= 1.0:
            return self.transform(x)
        shifted = self.transform(x)
        pick = self.rng.random(x.shape[0]) < self.fraction
        mask = pygrad.from_numpy(pick.reshape(-1, 1, 1, 1))
        return pygrad.where(mask, shifted, x)

    def __repr__(self) -> str:
        return f"ShiftSome({self.transform!r}, fraction={self.fraction})"


# ----------------------------------------------------------------------------------------------
# progress


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class EpochProgress(Callback):
    """One progress bar over the epochs (tqdm, when installed and stderr is a terminal), or a
    plain line every ``every`` epochs."""

    def __init__(
        self,
        epochs: int,
        every: int = 5,
        print_fn: Callable[[str], object] = print,
        desc: str = "training",
    ) -> None:
        self.epochs = epochs
        self.every = every
        self.print_fn = print_fn
        self.desc = desc
        self.bar: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.bar = None
        if _stderr_is_terminal():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=self.epochs, desc=self.desc, unit="epoch", dynamic_ncols=True)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        text = {
            "loss": f"{logs.get('loss', float('nan')):.4f}",
            "val_loss": f"{logs.get('val_loss', float('nan')):.4f}",
            "val_acc": f"{logs.get('val_accuracy', float('nan')):.1%}",
        }
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(text)
        elif epoch == 0 or (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            fields = "  ".join(f"{k} {v}" for k, v in text.items())
            self.print_fn(f"  epoch {epoch + 1:3d}/{self.epochs}  {fields}")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ----------------------------------------------------------------------------------------------
# the demo


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _accuracy(model: nn.Module, data: _Split, precision: str = "32") -> float:
    return evaluate(model, None, data, batch_size=1024, precision=precision)["accuracy"]


def _loader(
    data: _Split,
    batch_size: int,
    seed: int,
    transform: Callable[[Tensor], Tensor] | None = None,
) -> DataLoader:
    return DataLoader(
        TensorDataset(*data),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        batch_transform=transform,
    )


def _transfer(
    splits: dict[str, _Split],
    config: dict[str, Any],
    out: str,
    seed: int,
    say: Callable[[str], object],
) -> dict[str, Any]:
    """Digits 0-4 -> 5-9: pretrain, load, freeze, new head, train the head, fine-tune."""
    low, high = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
    train_low, test_low = _classes(splits["train"], low), _classes(splits["test"], low)
    train_high, test_high = _classes(splits["train"], high), _classes(splits["test"], high)
    epochs = config["transfer_epochs"]
    loss_fn = nn.CrossEntropyLoss()
    make = {k: config[k] for k in ("hidden", "dropout", "dropout_mode")}

    say("\ntransfer learning: digits 0-4 -> 5-9")
    base = build_mlp(5, **make)
    fit(
        base,
        loss_fn,
        optim.Adam(base.parameters(), lr=config["lr"]),
        _loader(train_low, config["batch_size"], seed + 1),
        epochs=epochs,
        verbose=False,
    )
    path = os.path.join(out, "digits0-4.safetensors")
    pygrad.save(base.state_dict(), path)
    say(
        f"  pretrained on digits 0-4 ({train_low[0].shape[0]} images, {_plural(epochs, 'epoch')}): "
        f"test accuracy on 0-4 {_accuracy(base, test_low):.1%}, saved to {path}"
    )

    model = build_mlp(5, **make)
    report = nn.load_pretrained(model, path)
    model.freeze()  # the base: no gradients, no backward work
    head = model.replace_head()  # a fresh Linear(.., 5) for digits 5-9
    frozen = {
        k: v.detach().clone().numpy()
        for k, v in model.state_dict().items()
        if not k.startswith(nn.find_head(model) + ".")
    }
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    say(
        f"  nn.load_pretrained: {report}; froze the base and replaced the head "
        f"({trainable:,} of {total:,} parameters trainable)"
    )

    # Feature-extractor mode: only the head's parameters reach the optimizer (the frozen ones would
    # be skipped anyway: they get no gradient).
    fit(
        model,
        loss_fn,
        optim.Adam(head.parameters(), lr=config["head_lr"]),
        _loader(train_high, config["batch_size"], seed + 2),
        epochs=epochs,
        verbose=False,
    )
    head_acc = _accuracy(model, test_high)
    unchanged = all(
        np.array_equal(frozen[k], v.numpy()) for k, v in model.state_dict().items() if k in frozen
    )
    say(
        f"  head only, on digits 5-9 ({train_high[0].shape[0]} images, {_plural(epochs, 'epoch')}): "
        f"test accuracy {head_acc:.1%} (chance 20%); frozen base unchanged: {unchanged}"
    )

    model.unfreeze()
    groups = nn.fine_tuning_groups(
        model, lr=config["finetune_lr"], base_lr=config["finetune_base_lr"]
    )
    fine_epochs = config["finetune_epochs"]
    fit(
        model,
        loss_fn,
        optim.Adam(groups),
        _loader(train_high, config["batch_size"], seed + 3),
        epochs=fine_epochs,
        verbose=False,
    )
    fine_acc = _accuracy(model, test_high)
    say(
        f"  fine-tuned everything ({_plural(fine_epochs, 'epoch')}, base lr {groups[0]['lr']:g}, head lr "
        f"{groups[1]['lr']:g}): test accuracy on 5-9 {fine_acc:.1%}"
    )
    return {
        "head_accuracy": head_acc,
        "finetune_accuracy": fine_acc,
        "frozen_unchanged": unchanged,
        "checkpoint": path,
        "load_report": report,
    }


def train(
    epochs: int | None = None,
    dropout: float | None = None,
    dropout_mode: str | None = None,
    augment: bool | None = None,
    seed: int = 0,
    out: str = "pygrad-demo",
    threads: int | None = 1,
    quick: bool = False,
    transfer: bool = True,
    verbose: bool = True,
    precision: str = "32",
    **overrides: Any,
) -> dict[str, Any]:
    """Runs the demo; returns what it measured and wrote.

    Args:
        epochs: the most epochs (early stopping usually ends sooner); default 100 (5 with quick).
        dropout: the dropout probability of each hidden layer (default 0.2).
        dropout_mode: "inverted" (PyTorch's) or "classic".
        augment: random one-pixel shifts of half of each training batch (default True).
        seed: seeds the split, the initial weights, the batch order and the augmentation.
        out: the output folder (created if needed).
        threads: CPU threads for pygrad's kernels while the demo runs (default 1: its matrices,
            batches of 32 by at most 256, are too small to gain from more; None keeps the
            current setting). The previous setting is restored at the end.
        quick: the short configuration (a smaller MLP, a few epochs).
        transfer: run the transfer-learning step.
        verbose: print progress and results (False: silent).
        precision: "32", or "bf16-mixed" to train and evaluate under bfloat16 autocast (fit's precision).
        overrides: any other key of ``DEFAULTS`` (hidden, batch_size, lr, patience,
            shift_fraction, transfer_epochs, head_lr, finetune_epochs, finetune_lr,
            finetune_base_lr).
    Returns:
        A dict: test_accuracy, test_correct, test_total, epochs_run, best_epoch, seconds,
        files (name -> path), skipped_plots, transfer (head_accuracy, finetune_accuracy,
        frozen_unchanged, ...; None without transfer), history.
    """
    config = dict(DEFAULTS)
    if quick:
        config.update(QUICK)
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"[demo] unknown options {sorted(unknown)}; known are {sorted(DEFAULTS)}")
    config.update(overrides)
    for key, value in (
        ("epochs", epochs),
        ("dropout", dropout),
        ("dropout_mode", dropout_mode),
        ("augment", augment),
    ):
        if value is not None:
            config[key] = value
    previous_threads = pygrad.get_num_threads()
    if threads:
        pygrad.set_num_threads(threads)
    try:
        return _run(config, seed, out, transfer, verbose, precision)
    finally:
        pygrad.set_num_threads(previous_threads)


def _run(
    config: dict[str, Any],
    seed: int,
    out: str,
    transfer: bool,
    verbose: bool,
    precision: str = "32",
) -> dict[str, Any]:
    say: Callable[[str], object] = print if verbose else (lambda *a, **k: None)
    start = time.perf_counter()
    pygrad.manual_seed(seed)
    os.makedirs(out, exist_ok=True)
    splits = split_digits(seed)
    n_train, n_val, n_test = (splits[k][0].shape[0] for k in ("train", "val", "test"))
    model = build_mlp(10, config["hidden"], config["dropout"], config["dropout_mode"])
    shift = (
        ShiftSome(RandomShift(1, seed=seed), config["shift_fraction"], seed=seed)
        if config["augment"]
        else None
    )
    say(
        f"pygrad {pygrad.__version__} demo: 8x8 digits, {n_train} train / {n_val} validation / "
        f"{n_test} test images; {_plural(pygrad.get_num_threads(), 'thread')}, CPU kernels "
        f"{pygrad._C.cpu_capability()}"
    )
    hidden = " -> ".join(str(h) for h in (64, *config["hidden"], 10))
    say(
        f"MLP {hidden}, dropout {config['dropout']} ({config['dropout_mode']}), augmentation: "
        + (
            f"random 1-pixel shifts of {config['shift_fraction']:.0%} of each batch"
            if shift
            else "off"
        )
        + f", Adam lr {config['lr']:g}, early stopping on val_loss (patience {config['patience']})"
    )

    files = {"checkpoint": os.path.join(out, "best.safetensors")}
    stopper = EarlyStopping(
        monitor="val_loss", patience=config["patience"], restore_best_weights=True
    )
    monitor = GradientMonitor(every=5)
    callbacks = [stopper, ModelCheckpoint(files["checkpoint"], monitor="val_loss"), monitor]
    if verbose:
        callbacks.append(EpochProgress(config["epochs"]))
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=config["lr"]),
        _loader(splits["train"], config["batch_size"], seed, shift),
        val_data=splits["val"],
        epochs=config["epochs"],
        callbacks=callbacks,
        verbose=False,
        batch_size=1024,
        precision=precision,
    )
    train_seconds = time.perf_counter() - start
    epochs_run = len(history.epoch)
    test_acc = _accuracy(model, splits["test"], precision)
    correct = round(test_acc * n_test)
    stopped = (
        f"early stop after epoch {epochs_run}"
        if stopper.stopped_epoch
        else _plural(epochs_run, "epoch")
    )
    say(
        f"trained in {train_seconds:.1f} s ({stopped}; best epoch {stopper.best_epoch + 1} restored)"
    )
    say(f"test accuracy: {test_acc:.2%} ({correct}/{n_test})")

    skipped = []
    for name, what in (("curves", history), ("gradients", monitor)):
        path = os.path.join(out, f"{name}.png")
        try:
            what.plot(path)
            files[name] = path
        except ImportError:
            skipped.append(path)
    if skipped:
        say(
            f"skipped the plots {', '.join(skipped)}: matplotlib is not installed "
            "(pip install matplotlib, or pip install 'pygrad[demo]')"
        )

    transfer_result = None
    if transfer:
        transfer_result = _transfer(splits, config, out, seed, say)
        files["pretrained"] = transfer_result["checkpoint"]
    seconds = time.perf_counter() - start
    say(f"\nwrote {', '.join(files[k] for k in files)}")
    say(f"done in {seconds:.1f} s")
    return {
        "test_accuracy": test_acc,
        "test_correct": correct,
        "test_total": n_test,
        "epochs_run": epochs_run,
        "best_epoch": stopper.best_epoch + 1,
        "train_seconds": train_seconds,
        "seconds": seconds,
        "files": files,
        "skipped_plots": skipped,
        "transfer": transfer_result,
        "history": history,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The ``pygrad demo`` command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="pygrad demo",
        description="--model mlp (the default): train an MLP on the bundled 8x8 handwritten digits "
        "(train / validation / test split, dropout, random-shift augmentation, Adam, early "
        "stopping), print the test accuracy, write training curves, gradient norms and the best "
        "checkpoint, then show transfer learning from digits 0-4 to 5-9. --model transformer: "
        "train a tiny character-level transformer language model on the bundled text (The Python "
        "Language Reference), print its validation cross-entropy beside the unigram entropy of the "
        "text, and a sample it writes.",
    )
    parser.add_argument(
        "--model",
        choices=("mlp", "transformer"),
        default="mlp",
        help="mlp: the digits classifier; transformer: the character-level language model "
        "(default mlp)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"(transformer) optimizer steps (default {TEXT_DEFAULTS['steps']}, "
        f"{TEXT_QUICK['steps']} with --quick)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"(mlp) the most training epochs; early stopping usually ends sooner "
        f"(default {DEFAULTS['epochs']}, {QUICK['epochs']} with --quick)",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=None,
        metavar="P",
        help=f"(mlp) dropout probability of each hidden layer (default {DEFAULTS['dropout']})",
    )
    parser.add_argument(
        "--dropout-mode",
        choices=("classic", "inverted"),
        default=None,
        help="(mlp) inverted: scale kept units by 1/(1-P) while training (PyTorch's); "
        "classic: keep units unscaled, multiply by 1-P at evaluation "
        "(default inverted)",
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="(mlp) random one-pixel shifts of half of each training batch "
        "(default on; --no-augment to turn off)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for pygrad's kernels (default 1: the MLP's matrices are too small to "
        "gain from more, and on a busy machine the transformer's second thread waits for a core)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split, initial weights, batch order and augmentation; of the "
        "transformer's weights, training windows and sample (default 0)",
    )
    parser.add_argument(
        "--out",
        default="pygrad-demo",
        help="(mlp) output folder for the plots and checkpoints (default ./pygrad-demo/)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short configuration (a small model, a few epochs or steps) that runs in a second "
        "or two",
    )
    parser.add_argument(
        "--precision",
        choices=("32", "bf16-mixed"),
        default="32",
        help="(mlp) 32: float32; bf16-mixed: forward passes under bfloat16 autocast (default 32)",
    )
    parser.add_argument(
        "--no-transfer",
        dest="transfer",
        action="store_false",
        help="(mlp) skip the transfer-learning step",
    )
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.dropout is not None and not 0.0 <= args.dropout < 1.0:
        parser.error("--dropout must be in [0, 1)")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.model == "transformer":
        mlp_only = {
            "--epochs": args.epochs is not None,
            "--dropout": args.dropout is not None,
            "--dropout-mode": args.dropout_mode is not None,
            "--augment/--no-augment": args.augment is not None,
            "--no-transfer": not args.transfer,
            "--precision": args.precision != "32",
        }
        given = [name for name, set_ in mlp_only.items() if set_]
        if given:
            parser.error(f"{', '.join(given)}: only for --model mlp")
        train_text(steps=args.steps, seed=args.seed, threads=args.threads, quick=args.quick)
        return 0
    if args.steps is not None:
        parser.error("--steps: only for --model transformer (the MLP trains for --epochs)")
    train(
        epochs=args.epochs,
        dropout=args.dropout,
        dropout_mode=args.dropout_mode,
        augment=args.augment,
        seed=args.seed,
        out=args.out,
        threads=args.threads,
        quick=args.quick,
        transfer=args.transfer,
        precision=args.precision,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

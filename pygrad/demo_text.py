"""The text demo (``pygrad demo --model transformer``): a tiny character-level transformer language
model learns the bundled text, five chapters of The Python Language Reference (PSF licence; see
``pygrad/data/PYTHON_REFERENCE_LICENSE.txt``).

The model is a token embedding plus a learnt position embedding, a stack of pre-norm
``nn.TransformerEncoderLayer``s run with the causal mask of
``nn.Transformer.generate_square_subsequent_mask`` (each position sees only the characters before
it), a final LayerNorm and a Linear head over the characters. It trains with AdamW and a cosine
learning-rate decay on random windows of the first 90% of the text, then reports its cross-entropy
on the last 10% beside the unigram entropy of the text (what a model that ignores the context
scores at best), and prints a sample it writes itself (temperature sampling, seeded).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import pygrad
from pygrad import nn, optim
from pygrad._C import Tensor
from pygrad.nn import functional as F

__all__ = [
    "TEXT_DEFAULTS",
    "TEXT_QUICK",
    "CharTransformer",
    "load_text",
    "train_text",
    "unigram_entropy",
]

_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "python_reference.txt")

# The full configuration: validation loss ~1.65 nats/char (unigram entropy 3.2) in 30-50 s on one
# thread of a 2-core machine.
TEXT_DEFAULTS: dict[str, Any] = {
    "steps": 400,
    "d_model": 128,
    "nhead": 4,
    "num_layers": 2,
    "dim_feedforward": 256,
    "block": 64,
    "batch_size": 32,
    "lr": 1e-2,
    "weight_decay": 0.01,
    "val_fraction": 0.1,
    "sample_chars": 240,
    "temperature": 0.8,
    "prompt": "The ",
}
# --quick: the same pipeline with a smaller model in a second or two (tests and a first look);
# validation loss ~2.65.
TEXT_QUICK: dict[str, Any] = {
    "steps": 80,
    "d_model": 64,
    "num_layers": 1,
    "dim_feedforward": 128,
    "block": 32,
    "sample_chars": 80,
}


def load_text() -> str:
    """The bundled training text: 86,070 ASCII characters of The Python Language Reference.

    Returns:
        The text of ``pygrad/data/python_reference.txt`` (PSF License Version 2).
    """
    with open(_TEXT, encoding="ascii") as f:
        return f.read()


def unigram_entropy(ids: np.ndarray) -> float:
    """The entropy in nats of the character frequencies of ``ids``: the lowest cross-entropy a
    model that ignores the context can reach on them."""
    counts = np.bincount(ids)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log(p)).sum())


class CharTransformer(nn.Module):
    """Embedding + position embedding -> causal pre-norm TransformerEncoder -> LayerNorm -> Linear.

    Args:
        vocab_size: the number of distinct characters.
        block: the longest context (the position embedding's size).
        d_model, nhead, num_layers, dim_feedforward: the encoder's shape.
    """

    def __init__(
        self,
        vocab_size: int,
        block: int = 64,
        d_model: int = 128,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 512,
    ) -> None:
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True, norm_first=True
        )
        # enable_nested_tensor=False: torch warns about it with norm_first layers.
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(block))

    def forward(self, ids: Tensor) -> Tensor:
        """Next-character logits.

        Args:
            ids: int64 [N, T] character indices, T <= block.
        Returns:
            [N, T, vocab_size]: position t's logits depend on ids[:, :t + 1] only.
        """
        length = int(ids.shape[1])
        if length > self.block:
            raise ValueError(
                f"[CharTransformer] sequence length {length} exceeds the block size {self.block}"
            )
        h = self.tok(ids) + self.pos(pygrad.arange(length))
        mask = self.causal_mask[:length, :length]
        return self.head(self.norm(self.encoder(h, mask=mask, is_causal=True)))

    def generate(
        self, ids: list[int], n: int, temperature: float = 0.8, seed: int = 0
    ) -> list[int]:
        """Extends ``ids`` by n characters, each drawn from softmax(logits / temperature) given the
        last ``block`` characters (temperature 0: the most likely one). Seeded: the same seed gives
        the same characters.

        Returns:
            The n new character indices.
        """
        rng = np.random.default_rng(seed)
        context = list(ids)
        out: list[int] = []
        was_training = self.training
        self.eval()
        try:
            with pygrad.no_grad():
                for _ in range(n):
                    window = np.asarray(context[-self.block :], dtype=np.int64)[None]
                    logits = self(pygrad.from_numpy(window))[0, -1].numpy().astype(np.float64)
                    if temperature <= 0:
                        nxt = int(logits.argmax())
                    else:
                        z = logits / temperature
                        p = np.exp(z - z.max())
                        nxt = int(rng.choice(p.size, p=p / p.sum()))
                    context.append(nxt)
                    out.append(nxt)
        finally:
            self.train(was_training)
        return out


def _windows(data: np.ndarray, starts: np.ndarray, block: int) -> tuple[Tensor, Tensor]:
    """(inputs, targets) [len(starts), block]: each window and the same shifted by one."""
    rows = starts[:, None] + np.arange(block + 1)[None, :]
    chunk = data[rows]
    return (
        pygrad.from_numpy(np.ascontiguousarray(chunk[:, :-1])),
        pygrad.from_numpy(np.ascontiguousarray(chunk[:, 1:])),
    )


def _val_loss(model: CharTransformer, data: np.ndarray, block: int, batch: int = 64) -> float:
    """Mean cross-entropy (nats per character) over non-overlapping windows of data."""
    starts = np.arange(0, data.size - block - 1, block)
    total, count = 0.0, 0
    model.eval()
    with pygrad.no_grad():
        for i in range(0, starts.size, batch):
            x, y = _windows(data, starts[i : i + batch], block)
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            total += float(loss) * y.numel()
            count += y.numel()
    model.train()
    return total / count


def train_text(
    steps: int | None = None,
    seed: int = 0,
    threads: int | None = 1,
    quick: bool = False,
    verbose: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """Trains the character-level transformer on the bundled text; returns what it measured.

    Args:
        steps: optimizer steps (default 400; 80 with quick).
        seed: seeds the initial weights, the training windows and the sample.
        threads: CPU threads for pygrad's kernels while it runs (default 1: on a busy 2-core
            machine a second thread waits for a core at every parallel region; None keeps the
            current setting). The previous setting is restored at the end.
        quick: the small configuration (a one-layer model of width 64, 80 steps).
        verbose: print progress and results (False: silent).
        overrides: any other key of ``TEXT_DEFAULTS`` (d_model, nhead, num_layers,
            dim_feedforward, block, batch_size, lr, weight_decay, val_fraction, sample_chars,
            temperature, prompt).
    Returns:
        A dict: unigram_entropy, val_loss, initial_val_loss, losses (training loss per step),
        sample, vocab (the characters), parameters, steps, train_seconds, seconds, model.
    """
    config = dict(TEXT_DEFAULTS)
    if quick:
        config.update(TEXT_QUICK)
    unknown = set(overrides) - set(TEXT_DEFAULTS)
    if unknown:
        raise TypeError(
            f"[demo] unknown options {sorted(unknown)}; known are {sorted(TEXT_DEFAULTS)}"
        )
    config.update(overrides)
    if steps is not None:
        config["steps"] = steps
    if config["steps"] < 1:
        raise ValueError(f"[demo] steps must be at least 1, got {config['steps']}")
    previous_threads = pygrad.get_num_threads()
    if threads:
        pygrad.set_num_threads(threads)
    try:
        return _run(config, seed, verbose)
    finally:
        pygrad.set_num_threads(previous_threads)


def _run(config: dict[str, Any], seed: int, verbose: bool) -> dict[str, Any]:
    say: Callable[[str], object] = print if verbose else (lambda *a, **k: None)
    start = time.perf_counter()
    pygrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    text = load_text()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    data = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    split = round((1 - config["val_fraction"]) * data.size)
    train_data, val_data = data[:split], data[split:]
    block, steps = config["block"], config["steps"]
    model = CharTransformer(
        len(vocab),
        block,
        config["d_model"],
        config["nhead"],
        config["num_layers"],
        config["dim_feedforward"],
    )
    n_params = sum(p.numel() for p in model.parameters())
    entropy = unigram_entropy(data)
    say(
        f"pygrad {pygrad.__version__} demo: character-level transformer on The Python Language "
        f"Reference ({len(text):,} characters, {len(vocab)} distinct; {train_data.size:,} train / "
        f"{val_data.size:,} validation); {pygrad.get_num_threads()} thread(s), CPU kernels "
        f"{pygrad._C.cpu_capability()}"
    )
    say(
        f"model: {config['num_layers']} causal pre-norm encoder layer(s), d_model "
        f"{config['d_model']}, {config['nhead']} heads, feed-forward {config['dim_feedforward']}, "
        f"context {block}; {n_params:,} parameters; AdamW lr {config['lr']:g} with cosine decay, "
        f"batch {config['batch_size']}, {steps} steps"
    )
    initial = _val_loss(model, val_data, block)
    optimizer = optim.AdamW(
        model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"]
    )
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    losses: list[float] = []
    every = max(1, steps // 10)
    for step in range(steps):
        starts = rng.integers(0, train_data.size - block - 1, config["batch_size"])
        x, y = _windows(train_data, starts, block)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(loss))
        if step == 0 or (step + 1) % every == 0 or step + 1 == steps:
            say(
                f"  step {step + 1:4d}/{steps}  loss {losses[-1]:.3f}  "
                f"({time.perf_counter() - start:.1f} s)"
            )
    train_seconds = time.perf_counter() - start
    val = _val_loss(model, val_data, block)
    say(f"trained in {train_seconds:.1f} s")
    say(
        f"unigram entropy of the text: {entropy:.3f} nats/char; validation cross-entropy: "
        f"{val:.3f} nats/char (untrained {initial:.3f}; {val / math.log(2):.2f} bits/char)"
    )
    prompt = [index[c] for c in config["prompt"] if c in index]
    new = model.generate(prompt, config["sample_chars"], config["temperature"], seed)
    sample = "".join(vocab[i] for i in prompt + new)
    say(f"sample (temperature {config['temperature']:g}, seed {seed}):\n{sample}")
    seconds = time.perf_counter() - start
    say(f"done in {seconds:.1f} s")
    return {
        "unigram_entropy": entropy,
        "val_loss": val,
        "initial_val_loss": initial,
        "losses": losses,
        "sample": sample,
        "vocab": "".join(vocab),
        "parameters": n_params,
        "steps": steps,
        "train_seconds": train_seconds,
        "seconds": seconds,
        "model": model,
    }

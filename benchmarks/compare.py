"""pygrad beside numpy and PyTorch in one process: the rows of ``python -m pygrad.bench`` plus the
neural-network rows below (an LSTM language-model step, scaled_dot_product_attention forward and
backward at sequence 1024 with its peak memory at 1024 and 2048, a transformer-encoder step, LayerNorm
and exact GELU forward and backward).

Usage: python benchmarks/compare.py [--quick] [--threads N] [--nn | --no-nn] [--json out.json]
       [--markdown out.md] [--no-progress]

Every model starts from the same weights in both libraries (torch's initialisation, copied into
pygrad through load_state_dict); pygrad and torch run with the same thread count. The peak-memory
rows run each library's forward and backward once in a fresh subprocess and report the growth of
the peak resident set size over what the process held before the pass.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import pygrad
import pygrad.bench as bench
import pygrad.nn.functional as F

torch: Any = bench.torch  # None when PyTorch is not installed: its columns stay empty
_Row = dict[str, Any]


def _libs() -> tuple[str, ...]:
    return ("pygrad", "torch") if torch is not None else ("pygrad",)


def _timed(
    case: str, fns: dict[str, Callable[[], object]], unit: str, quick: bool, heavy: bool = False
) -> _Row:
    """One row: the best median (ms or us) of each library's fn, timed in alternation. A heavy case
    (a training step of a second or more) runs 1 + 2 times per library with quick, 5 + 2 without."""
    scale = {"ms": 1e3, "us": 1e6}[unit]
    min_runs = (1 if heavy else 3) if quick else 5
    times = bench._best_medians(
        fns, 0.2 if quick else 0.5, rounds=1 if quick else bench.ROUNDS, min_runs=min_runs
    )
    return dict({"case": case, "unit": unit}, **{k: v * scale for k, v in times.items()})


def _same_weights(pg_model: Any, torch_model: Any) -> None:
    """Copies torch's initial weights into the pygrad model (identical starting points)."""
    state = {
        k: pygrad.from_numpy(v.detach().numpy().copy()) for k, v in torch_model.state_dict().items()
    }
    pg_model.load_state_dict(state)


def _train_step(
    model: Any, optimizer: Any, loss_fn: Callable[..., Any], x: Any, y: Any
) -> Callable[[], Any]:
    def step() -> Any:
        optimizer.zero_grad()
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out  # LSTM: (output, (h, c))
        loss = loss_fn(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    return step


class _LSTMLM:
    """Embedding(128, 256) -> 2-layer LSTM(256, 256) -> Linear(256, 128), built from nn."""

    def __init__(self, nn: Any) -> None:
        self.embed = nn.Embedding(128, 256)
        self.lstm = nn.LSTM(256, 256, num_layers=2, batch_first=True)
        self.head = nn.Linear(256, 128)
        self.model = nn.ModuleDict({"embed": self.embed, "lstm": self.lstm, "head": self.head})

    def __call__(self, x: Any) -> Any:
        return self.head(self.lstm(self.embed(x))[0])


def _lstm_row(quick: bool) -> _Row:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 128, (32, 64))
    y = rng.integers(0, 128, (32, 64))
    libs = {"pygrad": (pygrad, pygrad.nn, pygrad.optim, F.cross_entropy)}
    if torch is not None:
        libs["torch"] = (torch, torch.nn, torch.optim, torch.nn.functional.cross_entropy)
    models = {name: _LSTMLM(nn) for name, (_, nn, _, _) in libs.items()}
    if torch is not None:
        _same_weights(models["pygrad"].model, models["torch"].model)
    steps = {}
    for name, (lib, _, optim, loss_fn) in libs.items():
        m = models[name]
        opt = optim.SGD(m.model.parameters(), lr=0.1)
        steps[name] = _train_step(m, opt, loss_fn, lib.from_numpy(x), lib.from_numpy(y))
    case = "LSTM LM step: emb 256, 2-layer LSTM 256, vocab 128, seq 64, batch 32, CE, SGD"
    return _timed(case, steps, "ms", quick, heavy=True)


def _encoder_row(quick: bool) -> _Row:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 128, (32, 128))
    y = rng.integers(0, 128, (32, 128))
    steps = {}
    models: dict[str, Any] = {}
    for name in _libs():
        lib: Any = pygrad if name == "pygrad" else torch
        nn = lib.nn
        layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True)
        models[name] = nn.Sequential(
            nn.Embedding(128, 256),
            nn.TransformerEncoder(layer, 4, enable_nested_tensor=False),
            nn.Linear(256, 128),
        )
    if torch is not None:
        _same_weights(models["pygrad"], models["torch"])
    for name, model in models.items():
        lib = pygrad if name == "pygrad" else torch
        loss_fn = F.cross_entropy if name == "pygrad" else torch.nn.functional.cross_entropy
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        steps[name] = _train_step(model, opt, loss_fn, lib.from_numpy(x), lib.from_numpy(y))
    case = "Transformer encoder step: 4 layers d_model 256, nhead 4, ff 1024, seq 128, batch 32, LM head, Adam"
    return _timed(case, steps, "ms", quick, heavy=True)


def _fwd_bwd(
    lib: Any, fn: Callable[..., Any], arrays: list[np.ndarray], grad: np.ndarray
) -> Callable[[], Any]:
    """fn(*inputs).backward(grad) with fresh gradients each call."""
    inputs = [lib.from_numpy(a).requires_grad_(True) for a in arrays]
    g = lib.from_numpy(grad)

    def run() -> Any:
        for t in inputs:
            t.grad = None
        out = fn(*inputs)
        out.backward(g)
        return out

    return run


def _op_rows(quick: bool) -> list[_Row]:
    """SDPA at seq 1024, LayerNorm [8192, 1024] and exact GELU on 4M elements, forward + backward."""
    rng = np.random.default_rng(0)
    rows = []
    qkv = [rng.standard_normal((2, 4, 1024, 64)).astype(np.float32) for _ in range(3)]
    g = rng.standard_normal((2, 4, 1024, 64)).astype(np.float32)
    fns = {"pygrad": _fwd_bwd(pygrad, F.scaled_dot_product_attention, qkv, g)}
    if torch is not None:
        fns["torch"] = _fwd_bwd(torch, torch.nn.functional.scaled_dot_product_attention, qkv, g)
    rows.append(
        _timed("SDPA fwd+bwd seq 1024: batch 2, 4 heads, head dim 64, float32", fns, "ms", quick)
    )

    x = rng.standard_normal((8192, 1024)).astype(np.float32)
    w = (1 + 0.1 * rng.standard_normal(1024)).astype(np.float32)
    b = (0.1 * rng.standard_normal(1024)).astype(np.float32)
    g = rng.standard_normal((8192, 1024)).astype(np.float32)
    fns = {"pygrad": _fwd_bwd(pygrad, lambda x, w, b: F.layer_norm(x, (1024,), w, b), [x, w, b], g)}
    if torch is not None:
        tln = torch.nn.functional.layer_norm
        fns["torch"] = _fwd_bwd(torch, lambda x, w, b: tln(x, (1024,), w, b), [x, w, b], g)
    rows.append(_timed("LayerNorm fwd+bwd [8192, 1024] float32 (affine)", fns, "ms", quick))

    x = rng.standard_normal(4 * 1024 * 1024).astype(np.float32)
    g = rng.standard_normal(4 * 1024 * 1024).astype(np.float32)
    fns = {"pygrad": _fwd_bwd(pygrad, F.gelu, [x], g)}
    if torch is not None:
        fns["torch"] = _fwd_bwd(torch, torch.nn.functional.gelu, [x], g)
    rows.append(_timed("GELU exact fwd+bwd, 4M elements float32", fns, "ms", quick))
    return rows


# Runs in a fresh interpreter: one SDPA forward + backward, printing in bytes how far it raised the
# peak RSS above the resident size before the pass (library and inputs loaded). On Linux the peak is
# VmHWM of /proc/self/status, reset to the current RSS first through /proc/self/clear_refs: the
# ru_maxrss of a child starts at its parent's RSS at the fork (a parent holding torch: 200+ MiB).
# Elsewhere ru_maxrss before and after (KiB on Linux, bytes on macOS).
_MEMORY_SCRIPT = """
import re, resource, sys
import numpy as np
lib_name, seq, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if lib_name == "torch":
    import torch as lib
    sdpa = lib.nn.functional.scaled_dot_product_attention
else:
    import pygrad as lib
    import pygrad.nn.functional as F
    sdpa = F.scaled_dot_product_attention
lib.set_num_threads(threads)
rng = np.random.default_rng(0)
q, k, v, g = (lib.from_numpy(rng.standard_normal((2, 4, seq, 64)).astype(np.float32)) for _ in range(4))
for t in (q, k, v):
    t.requires_grad_(True)

def peak():
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", f.read()).group(1)) * 1024
    except (OSError, AttributeError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # peak RSS := current RSS
except OSError:
    pass
before = peak()
sdpa(q, k, v).backward(g)
print(peak() - before)
"""


def _peak_rss_growth(lib: str, seq: int, threads: int) -> float:
    """MiB by which one SDPA forward + backward raised the peak RSS of a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, lib, str(seq), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 2**20


def _memory_rows(threads: int) -> list[_Row]:
    rows: list[_Row] = []
    growth: dict[int, dict[str, float]] = {}
    for seq in (1024, 2048):
        growth[seq] = {lib: _peak_rss_growth(lib, seq, threads) for lib in _libs()}
        case = (
            f"SDPA fwd+bwd peak RSS increase, seq {seq} (batch 2, 4 heads, dim 64, fresh process)"
        )
        rows.append(dict({"case": case, "unit": "MiB"}, **growth[seq]))
    ratio = {lib: growth[2048][lib] / max(growth[1024][lib], 1e-9) for lib in _libs()}
    rows.append(dict({"case": "SDPA peak RSS increase, seq 2048 / seq 1024", "unit": "x"}, **ratio))
    return rows


def nn_rows(quick: bool = False, threads: int | None = None, progress: bool = True) -> list[_Row]:
    """The neural-network rows (all run by default and with --quick: each is one timed case)."""
    threads = threads or pygrad.get_num_threads()
    bench._set_threads(threads)
    stages: list[tuple[str, Callable[[], list[_Row]]]] = [
        ("nn: lstm", lambda: [_lstm_row(quick)]),
        ("nn: ops", lambda: _op_rows(quick)),
        ("nn: sdpa memory", lambda: _memory_rows(threads)),
        ("nn: transformer", lambda: [_encoder_row(quick)]),
    ]
    rows: list[_Row] = []
    for name, fn in stages:
        start = time.perf_counter()
        rows += fn()
        if progress:
            print(
                f"[compare] {name}: {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return rows


def _results_without_bench(threads: int | None) -> dict[str, Any]:
    """The machine description of bench.run, with no rows (for --nn)."""
    threads = threads or pygrad.get_num_threads()
    return {
        "cpu": bench._cpu_name(),
        "capability": pygrad._C.cpu_capability(),
        "caches": pygrad._C.cpu_cache_sizes(),
        "gemm_blocks": pygrad._C._gemm_blocksizes(False),
        "bf16_gemm": pygrad._C._gemm_bf16_path(),
        "threads": threads,
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "pygrad": pygrad.__version__,
        "peak_gflops": (pygrad._C.cpu_peak_gflops(1), pygrad._C.cpu_peak_gflops(threads)),
        "rows": [],
    }


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/compare.py",
        description="pygrad beside numpy and PyTorch: the rows of python -m pygrad.bench and the "
        "neural-network rows (LSTM, SDPA and its peak memory, transformer encoder, LayerNorm, GELU).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run (fewer cases and repetitions)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for pygrad and torch (default: all)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--nn",
        action="store_true",
        help="only the neural-network rows (LSTM, SDPA, encoder, LayerNorm, GELU)",
    )
    group.add_argument(
        "--no-nn", action="store_true", help="only the rows of python -m pygrad.bench"
    )
    parser.add_argument("--json", default=None, help="write results as JSON to this path")
    parser.add_argument("--markdown", default=None, help="write the table as markdown to this path")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--all-levels",
        action="store_true",
        help="also run the GEMM and MLP rows at each instruction-set level the CPU supports "
        "(avx512, avx2, portable)",
    )
    args = parser.parse_args(argv)
    progress = not args.no_progress
    if args.nn:
        results = _results_without_bench(args.threads)
        if args.all_levels:
            results["rows"] += bench.level_rows(args.quick, results["threads"])
    else:
        results = bench.run(args.quick, args.threads, progress, args.all_levels)
    if not args.no_nn:
        results["rows"] += nn_rows(args.quick, results["threads"], progress)
    table = bench.to_markdown(results)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Side-by-side benchmark: pygrad, numpy and PyTorch (when installed) in one process.

Covers the measured FMA peak, elementwise ops, GEMM sizes, the matrix shapes of training, three MLP training steps,
a small CNN step, and per-op overhead; prints a table of medians, ratios and fractions of peak, and
writes it as JSON and markdown. Run ``python -m pygrad.bench --help`` (or ``benchmarks/compare.py``).
Machines differ from run to run, so every figure is compared with the others measured in the same run.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import pygrad
import pygrad.nn.functional as F
from pygrad import _C

try:  # PyTorch is optional: without it, its columns stay empty.
    import torch
except ImportError:  # pragma: no cover - exercised only without the test extra
    torch = None

__all__ = ["ROUNDS", "SETTLE_SECONDS", "level_rows", "main", "run", "to_markdown"]

# One line of the table: case, unit, a number per library, and the fraction of peak.
_Row = dict[str, Any]


# After a parallel call, OpenBLAS's and OpenMP's worker threads spin for a while before they sleep (OpenBLAS
# about 0.1 s, Intel OpenMP 0.2 s by default); on a 2-core machine they would steal a core from whichever
# library is timed next. Each timing starts after that spin has ended, so every library runs on a quiet machine.
SETTLE_SECONDS = 0.3


def _median_seconds(
    fn: Callable[[], object], min_time: float = 0.3, min_runs: int = 5, max_runs: int = 2000
) -> float:
    """Median time of fn over enough runs to cover min_time (after a settle pause and one warm-up call)."""
    time.sleep(SETTLE_SECONDS)
    fn()
    start = time.perf_counter()
    fn()
    single = max(time.perf_counter() - start, 1e-7)
    runs = int(min(max_runs, max(min_runs, min_time / single)))
    # Batch tiny calls so the timer's resolution does not dominate.
    inner = max(1, int(1e-4 / single))
    samples = []
    for _ in range(max(min_runs, runs // inner)):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


# Another tenant of the VM can halve the speed of one vCPU for seconds at a time, for whichever library is
# being timed. Libraries are therefore timed in alternation over several rounds and each keeps its best median.
ROUNDS = 3


def _best_medians(
    fns: dict[str, Callable[[], object]], min_time: float, rounds: int = ROUNDS, min_runs: int = 5
) -> dict[str, float]:
    """{name: best over rounds of the median seconds of fns[name]}, the libraries timed in alternation."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, fn in fns.items():
            t = _median_seconds(fn, min_time, min_runs=min_runs)
            best[name] = min(best.get(name, t), t)
    return best


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _set_threads(n: int) -> None:
    pygrad.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


# ------------------------------------------------------------------ cases
def _gemm_fns(
    a: np.ndarray, b: np.ndarray, transpose: str | None
) -> dict[str, Callable[[], object]]:
    """The product a @ b in each library, with A or B read transposed (a strided view) as asked."""
    pa, pb = pygrad.from_numpy(a), pygrad.from_numpy(b)
    fns: dict[str, Callable[[], object]]
    if transpose == "A":
        fns = {"pygrad": lambda: pa.mT @ pb, "numpy": lambda: a.T @ b}
    elif transpose == "B":
        fns = {"pygrad": lambda: pa @ pb.mT, "numpy": lambda: a @ b.T}
    else:
        fns = {"pygrad": lambda: pa @ pb, "numpy": lambda: a @ b}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = {"A": lambda: ta.T @ tb, "B": lambda: ta @ tb.T}.get(
            transpose or "", lambda: ta @ tb
        )
    return fns


def _gemm_rows(
    shapes: Sequence[tuple[str, tuple[int, int, int], str | None]], peak: float, quick: bool
) -> list[_Row]:
    rows: list[_Row] = []
    rng = np.random.default_rng(0)
    for label, (m, k, n), transpose in shapes:
        a = rng.standard_normal((m, k) if transpose != "A" else (k, m)).astype(np.float32)
        b = rng.standard_normal((k, n) if transpose != "B" else (n, k)).astype(np.float32)
        flops = 2.0 * m * n * k
        fns = _gemm_fns(a, b, transpose)
        times = _best_medians(fns, 0.05 if quick else 0.15, rounds=1 if quick else ROUNDS)
        small = flops < 2 * 64**3
        row: _Row = {"case": label, "unit": "us" if small else "GFLOP/s"}
        for name, t in times.items():
            row[name] = t * 1e6 if small else flops / t / 1e9
        if not small:
            row["pygrad % peak"] = 100 * row["pygrad"] / peak
        rows.append(row)
    return rows


def _mlp_step(
    lib: str, hidden: int, batch: int, rng: np.random.Generator, mixed: bool = False
) -> Callable[[], Any]:
    """One SGD step of the 784-hidden-hidden-10 MLP; mixed: forward and loss under bfloat16 autocast."""
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    sizes = ((784, hidden), (hidden, hidden), (hidden, 10))
    weights = [rng.standard_normal((o, i)).astype(np.float32) * (1 / np.sqrt(i)) for i, o in sizes]
    biases = [np.zeros(o, np.float32) for _, o in sizes]
    model: Any
    optimizer: Any
    X: Any
    Y: Any
    loss_fn: Callable[..., Any]
    if lib == "pygrad":
        model = pygrad.nn.Sequential(
            pygrad.nn.Linear(784, hidden),
            pygrad.nn.ReLU(),
            pygrad.nn.Linear(hidden, hidden),
            pygrad.nn.ReLU(),
            pygrad.nn.Linear(hidden, 10),
        )
        optimizer = pygrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        X, Y, loss_fn = pygrad.from_numpy(x), pygrad.from_numpy(y), F.cross_entropy
    else:
        model = torch.nn.Sequential(
            torch.nn.Linear(784, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, 10),
        )
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        X, Y, loss_fn = torch.from_numpy(x), torch.from_numpy(y), torch.nn.functional.cross_entropy
    convert: Callable[[np.ndarray], Any] = torch.from_numpy if lib == "torch" else pygrad.from_numpy
    layers = [m for m in model if hasattr(m, "weight")]
    for layer, w, b in zip(layers, weights, biases):  # identical starting weights in both libraries
        layer.weight.data.copy_(convert(w))
        layer.bias.data.copy_(convert(b))

    autocast = pygrad.autocast if lib == "pygrad" else torch.autocast
    low = pygrad.bfloat16 if lib == "pygrad" else (torch.bfloat16 if torch is not None else None)

    def step() -> Any:
        optimizer.zero_grad()
        with autocast("cpu", dtype=low, enabled=mixed):
            loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _mlp_rows(configs: Sequence[tuple[int, int]], peak: float, quick: bool) -> list[_Row]:
    rows: list[_Row] = []
    for hidden, batch in configs:
        # Forward, weight gradients and input gradients of all but the first layer (x needs none).
        weights = 784 * hidden + hidden * hidden + hidden * 10
        flops = 2.0 * batch * (3 * weights - 784 * hidden)
        row: _Row = {
            "case": f"MLP step 784-{hidden}-{hidden}-10, batch {batch}, SGD momentum",
            "unit": "ms",
        }
        steps = {
            lib: _mlp_step(lib, hidden, batch, np.random.default_rng(0))
            for lib in (("pygrad", "torch") if torch is not None else ("pygrad",))
        }
        for lib, t in _best_medians(
            steps, 0.2 if quick else 0.4, rounds=1 if quick else ROUNDS
        ).items():
            row[lib] = t * 1e3
        row["pygrad % peak"] = 100 * flops / (row["pygrad"] / 1e3) / 1e9 / peak
        rows.append(row)
    return rows


def _bf16_rows(quick: bool) -> list[_Row]:
    """bfloat16 matmul against torch's, and the 784-1024-1024-10 step under autocast against pygrad's own
    float32 step and torch's autocast step."""
    rows: list[_Row] = []
    path = _C._gemm_bf16_path()
    rng = np.random.default_rng(0)
    n = 1024
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    pa, pb = pygrad.from_numpy(a).to(pygrad.bfloat16), pygrad.from_numpy(b).to(pygrad.bfloat16)
    fns: dict[str, Callable[[], object]] = {"pygrad": lambda: pa @ pb}
    if torch is not None:
        ta, tb = torch.from_numpy(a).bfloat16(), torch.from_numpy(b).bfloat16()
        fns["torch"] = lambda: ta @ tb
    row: _Row = {"case": f"bf16 matmul {n}x{n}x{n} (pygrad path: {path})", "unit": "GFLOP/s"}
    for lib, t in _best_medians(
        fns, 0.05 if quick else 0.15, rounds=1 if quick else ROUNDS
    ).items():
        row[lib] = 2.0 * n**3 / t / 1e9
    rows.append(row)
    hidden, batch = 1024, 512
    libs = ("pygrad", "torch") if torch is not None else ("pygrad",)
    steps = {
        lib: _mlp_step(lib, hidden, batch, np.random.default_rng(0), mixed=True) for lib in libs
    }
    steps["pygrad float32"] = _mlp_step("pygrad", hidden, batch, np.random.default_rng(0))
    times = _best_medians(steps, 0.2 if quick else 0.4, rounds=1 if quick else ROUNDS)
    own = times.pop("pygrad float32")
    row = {
        "case": f"MLP step 784-{hidden}-{hidden}-10, batch {batch}, bf16 autocast "
        f"({own / times['pygrad']:.2f}x pygrad's float32 step, {own * 1e3:.1f} ms; path {path})",
        "unit": "ms",
    }
    for lib, t in times.items():
        row[lib] = t * 1e3
    rows.append(row)
    return rows


def level_rows(quick: bool, threads: int) -> list[_Row]:
    """The GEMM and MLP rows again at every instruction-set level this CPU supports, best first (case names
    end in "[avx2]" etc.; % of peak against that level's own measured FMA peak)."""
    order = ["portable", "avx2", "avx512"]
    levels = order[: order.index(_C.detected_cpu_capability()) + 1][::-1]
    before = _C.cpu_capability()
    rows: list[_Row] = []
    try:
        for level in levels:
            _C.set_cpu_capability(level)
            peak = _C.cpu_peak_gflops(threads)
            sizes = (256, 1024) if quick else (256, 512, 1024, 2048)
            shapes = [
                (f"matmul {n}x{n}x{n} [{level}, peak {peak:.0f}]", (n, n, n), None) for n in sizes
            ]
            rows += _gemm_rows(shapes, peak, quick)
            configs = ((512, 128),) if quick else ((128, 32), (512, 128), (1024, 512))
            rows += [
                dict(r, case=f"{r['case']} [{level}]") for r in _mlp_rows(configs, peak, quick)
            ]
    finally:
        _C.set_cpu_capability(before)
    return rows


def _cnn_rows(quick: bool) -> list[_Row]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    row: _Row = {
        "case": "CNN step (64x1x28x28, conv16, pool, conv32, pool, linear), SGD",
        "unit": "ms",
    }
    libs: list[tuple[str, Any, Any, Any, Any]] = [
        ("pygrad", pygrad.nn, pygrad.optim, pygrad.from_numpy, F.cross_entropy)
    ]
    if torch is not None:
        libs.append(
            ("torch", torch.nn, torch.optim, torch.from_numpy, torch.nn.functional.cross_entropy)
        )
    steps: dict[str, Callable[[], object]] = {}
    for name, nn, optim, convert, loss_fn in libs:
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 10),
        )
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        X, Y = convert(x), convert(y)

        def step(
            model: Any = model,
            optimizer: Any = optimizer,
            X: Any = X,
            Y: Any = Y,
            loss_fn: Any = loss_fn,
        ) -> None:
            optimizer.zero_grad()
            loss_fn(model(X), Y).backward()
            optimizer.step()

        steps[name] = step
    for name, t in _best_medians(
        steps, 0.2 if quick else 0.4, rounds=1 if quick else ROUNDS
    ).items():
        row[name] = t * 1e3
    return [row]


def _elementwise_rows(quick: bool) -> list[_Row]:
    """Elementwise ops on a 512x1568 float32 activation (802,816 elements): memory- and math-bound cases."""
    from pygrad.nn import functional

    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((512, 1568)).astype(np.float32) for _ in range(2))
    positive = np.abs(y) + np.float32(0.01)
    px, py, ppos = pygrad.from_numpy(x), pygrad.from_numpy(y), pygrad.from_numpy(positive)
    tpos: Any = None
    cases: dict[
        str, tuple[Callable[[], object], Callable[[], object] | None, Callable[[Any, Any], object]]
    ]
    cases = {
        "exp": (lambda: px.exp(), lambda: np.exp(x), lambda t, u: t.exp()),
        "log": (lambda: ppos.log(), lambda: np.log(positive), lambda t, u: tpos.log()),
        "sigmoid": (lambda: px.sigmoid(), lambda: 1 / (1 + np.exp(-x)), lambda t, u: t.sigmoid()),
        "tanh": (lambda: px.tanh(), lambda: np.tanh(x), lambda t, u: t.tanh()),
        "relu": (lambda: px.relu(), lambda: np.maximum(x, 0), lambda t, u: t.relu()),
        "mul": (lambda: px * py, lambda: x * y, lambda t, u: t * u),
        "floor_divide": (lambda: px // ppos, lambda: x // positive, lambda t, u: t // tpos),
        "remainder": (lambda: px % ppos, lambda: x % positive, lambda t, u: t % tpos),
        "tan": (lambda: px.tan(), lambda: np.tan(x), lambda t, u: t.tan()),
        "sin": (lambda: px.sin(), lambda: np.sin(x), lambda t, u: t.sin()),
        "erf": (lambda: px.erf(), None, lambda t, u: t.erf()),
        "gelu (exact)": (
            lambda: functional.gelu(px),
            None,
            lambda t, u: torch.nn.functional.gelu(t),
        ),
        # Layout, scans and ordering along the rows (dim 1).
        "flip": (lambda: px.flip(1), lambda: np.flip(x, 1).copy(), lambda t, u: t.flip(1)),
        "roll": (lambda: px.roll(7, 1), lambda: np.roll(x, 7, 1), lambda t, u: t.roll(7, 1)),
        "pad reflect": (
            lambda: functional.pad(px, (3, 3), mode="reflect"),
            lambda: np.pad(x, ((0, 0), (3, 3)), mode="reflect"),
            lambda t, u: torch.nn.functional.pad(t, (3, 3), mode="reflect"),
        ),
        "cumsum": (lambda: px.cumsum(1), lambda: np.cumsum(x, 1), lambda t, u: t.cumsum(1)),
        "sort": (lambda: px.sort(1), lambda: np.sort(x, 1), lambda t, u: t.sort(1)),
        "topk 10": (
            lambda: px.topk(10, 1),
            lambda: np.partition(x, -10, 1)[:, -10:],
            lambda t, u: t.topk(10, 1),
        ),
    }
    tx, ty = (torch.from_numpy(x), torch.from_numpy(y)) if torch is not None else (None, None)
    tpos = torch.from_numpy(positive) if torch is not None else None
    # 16-bit storage: the conversions every float16/bfloat16 kernel runs on load and store (numpy has no bfloat16).
    xh, ph, pb = x.astype(np.float16), px.half(), px.bfloat16()
    th: Any = tx.half() if tx is not None else None
    tb: Any = tx.bfloat16() if tx is not None else None
    conversions: dict[
        str, tuple[Callable[[], object], Callable[[], object] | None, Callable[[Any, Any], object]]
    ]
    conversions = {
        "to float16": (lambda: px.half(), lambda: x.astype(np.float16), lambda t, u: t.half()),
        "float16 to float32": (
            lambda: ph.float(),
            lambda: xh.astype(np.float32),
            lambda t, u: th.float(),
        ),
        "to bfloat16": (lambda: px.bfloat16(), None, lambda t, u: t.bfloat16()),
        "bfloat16 to float32": (lambda: pb.float(), None, lambda t, u: tb.float()),
        "float16 mul": (lambda: ph * ph, lambda: xh * xh, lambda t, u: th * th),
    }
    rows: list[_Row] = []
    all_cases: dict[
        str, tuple[Callable[[], object], Callable[[], object] | None, Callable[[Any, Any], object]]
    ]
    all_cases = {**cases, **conversions}
    for name, (pygrad_fn, numpy_fn, torch_fn) in all_cases.items():
        fns = (
            {"pygrad": pygrad_fn} if numpy_fn is None else {"pygrad": pygrad_fn, "numpy": numpy_fn}
        )
        if torch is not None:
            fns["torch"] = functools.partial(torch_fn, tx, ty)
        times = _best_medians(fns, 0.05 if quick else 0.1, rounds=1 if quick else ROUNDS)
        rows.append(
            dict(
                {
                    "case": f"{name}, 512x1568 float32" if name in cases else f"{name}, 512x1568",
                    "unit": "us",
                },
                **{k: v * 1e6 for k, v in times.items()},
            )
        )
    return rows


def _einsum_rows(quick: bool) -> list[_Row]:
    """einsum as a batched matrix product and as attention scores (float32)."""
    rng = np.random.default_rng(0)
    cases = [
        ("bij,bjk->bik", (32, 64, 64), (32, 64, 64)),
        ("bhqd,bhkd->bhqk", (8, 8, 128, 64), (8, 8, 128, 64)),
    ]
    rows: list[_Row] = []
    for equation, sa, sb in cases:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        pa, pb = pygrad.from_numpy(a), pygrad.from_numpy(b)
        fns: dict[str, Callable[[], object]] = {
            "pygrad": functools.partial(pygrad.einsum, equation, pa, pb),
            "numpy": functools.partial(np.einsum, equation, a, b, optimize=True),
        }
        if torch is not None:
            fns["torch"] = functools.partial(
                torch.einsum, equation, torch.from_numpy(a), torch.from_numpy(b)
            )
        times = _best_medians(fns, 0.05 if quick else 0.1, rounds=1 if quick else ROUNDS)
        shapes = " x ".join("x".join(map(str, s)) for s in (sa, sb))
        rows.append(
            dict(
                {"case": f"einsum {equation}, {shapes} float32", "unit": "us"},
                **{k: v * 1e6 for k, v in times.items()},
            )
        )
    return rows


def _overhead_rows(quick: bool) -> list[_Row]:
    rng = np.random.default_rng(0)
    a_np, b_np = (
        rng.standard_normal(16).astype(np.float32),
        rng.standard_normal(16).astype(np.float32),
    )
    pa, pb = pygrad.tensor(a_np, requires_grad=True), pygrad.tensor(b_np, requires_grad=True)
    pna, pnb = pygrad.tensor(a_np), pygrad.tensor(b_np)

    def pygrad_graph() -> None:
        ((pa * pb + pa).tanh() * pb).sum().backward()

    graph_fns: dict[str, Callable[[], object]] = {"pygrad": pygrad_graph}
    add_fns: dict[str, Callable[[], object]] = {
        "pygrad": lambda: pna + pnb,
        "numpy": lambda: a_np + b_np,
    }
    if torch is not None:
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        tna, tnb = torch.tensor(a_np), torch.tensor(b_np)

        def torch_graph() -> None:
            ((ta * tb + ta).tanh() * tb).sum().backward()

        graph_fns["torch"] = torch_graph
        add_fns["torch"] = lambda: tna + tnb
    rounds = 1 if quick else ROUNDS
    graph: _Row = {"case": "4-op graph + backward, 16 elements", "unit": "us"}
    graph.update(
        {k: v * 1e6 for k, v in _best_medians(graph_fns, 0.1 if quick else 0.2, rounds).items()}
    )
    add: _Row = {"case": "no-grad add, 16 elements", "unit": "us"}
    add.update(
        {k: v * 1e6 for k, v in _best_medians(add_fns, 0.1 if quick else 0.2, rounds).items()}
    )
    return [graph, add]


def _scaling_rows(threads: int, peak: tuple[float, float], quick: bool) -> list[_Row]:
    """1024^2 matmul and the 784-512-512-10 step at `threads` threads, then at 1 (pygrad and torch only: numpy's
    BLAS keeps its own thread count)."""
    rows: list[_Row] = []
    for t in (threads, 1):
        _set_threads(t)
        tag = f" [{t} thread{'s' if t > 1 else ''}]"
        rows += [
            {k: v for k, v in dict(r, case=r["case"] + tag).items() if k != "numpy"}
            for r in _gemm_rows(
                [("matmul 1024x1024x1024", (1024, 1024, 1024), None)], peak[t > 1], quick
            )
        ]
        rows += [
            dict(r, case=r["case"] + tag) for r in _mlp_rows(((512, 128),), peak[t > 1], quick)
        ]
    _set_threads(threads)
    return rows


# ------------------------------------------------------------------ report
def _ratio(row: _Row) -> float | None:
    """pygrad's advantage over torch: > 1 means pygrad is faster."""
    if "torch" not in row or "pygrad" not in row:
        return None
    return (
        row["pygrad"] / row["torch"] if row["unit"] == "GFLOP/s" else row["torch"] / row["pygrad"]
    )


def _caches_line(results: dict[str, Any]) -> str:
    """The cache sizes and the float32 GEMM blocks chosen at this ISA level, in one line."""
    c, b = results.get("caches"), results.get("gemm_blocks")
    if not c or not b:
        return "Caches: not recorded"
    return (
        f"Caches (per core, {c['source']}): L1d {c['l1d'] >> 10} KiB, L2 {c['l2'] >> 10} KiB, "
        f"L3 {c['l3'] >> 20} MiB; float32 GEMM tile {b['mr']}x{b['nr']}, blocks MC {b['mc']}, "
        f"KC {b['kc']}, NC {b['nc']}; bfloat16 GEMM: {results.get('bf16_gemm', 'not recorded')}"
    )


def to_markdown(results: dict[str, Any]) -> str:
    """The results of ``run`` as a markdown table, with the machine described above it."""
    lines = [
        f"CPU: {results['cpu']}; pygrad kernels: {results['capability']}; threads: {results['threads']}; "
        f"numpy {results['numpy']}; torch {results['torch']}",
        "",
        _caches_line(results),
        "",
        f"Measured FMA peak: {results['peak_gflops'][0]:.0f} GFLOP/s (1 thread), "
        f"{results['peak_gflops'][1]:.0f} GFLOP/s ({results['threads']} threads)",
        "",
        "| case | unit | pygrad | numpy | torch | pygrad vs torch | pygrad % of peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:

        def cell(key: str, fmt: str = "{:.2f}", row: _Row = row) -> str:
            return fmt.format(row[key]) if key in row else "-"

        r = _ratio(row)
        lines.append(
            f"| {row['case']} | {row['unit']} | {cell('pygrad')} | {cell('numpy')} | {cell('torch')} | "
            f"{'-' if r is None else f'{r:.2f}x'} | {cell('pygrad % peak', '{:.0f}%')} |"
        )
    return "\n".join(lines)


def run(
    quick: bool = False, threads: int | None = None, progress: bool = True, all_levels: bool = False
) -> dict[str, Any]:
    """Times every case (fewer and shorter with quick; with all_levels, the GEMM and MLP rows again at each
    instruction-set level the CPU supports); returns the machine and the rows."""
    threads = threads or pygrad.get_num_threads()
    _set_threads(threads)
    peak = (_C.cpu_peak_gflops(1), _C.cpu_peak_gflops(threads))
    square = [
        (f"matmul {n}x{n}x{n}", (n, n, n), None)
        for n in ((16, 32, 64) if quick else (16, 32, 64, 256, 512, 1024, 2048))
    ]
    training = [
        ("x @ W.T 128x784 by 512x784", (128, 784, 512), "B"),
        ("dY @ W 128x512 by 512x784", (128, 512, 784), None),
        ("dY.T @ X 512x128 by 128x784", (512, 128, 784), "A"),
        ("x @ W.T 512x1024 by 1024x1024", (512, 1024, 1024), "B"),
        ("dY.T @ X 1024x512 by 512x1024", (1024, 512, 1024), "A"),
        ("x @ W.T 32x784 by 128x784", (32, 784, 128), "B"),
    ]
    stages = [
        ("overhead", lambda: _overhead_rows(quick)),
        ("elementwise", lambda: _elementwise_rows(quick)),
        ("einsum", lambda: _einsum_rows(quick)),
        ("gemm", lambda: _gemm_rows(square + ([] if quick else training), peak[1], quick)),
        (
            "mlp",
            lambda: _mlp_rows(
                ((128, 32), (512, 128)) if quick else ((128, 32), (512, 128), (1024, 512)),
                peak[1],
                quick,
            ),
        ),
        ("cnn", lambda: _cnn_rows(quick)),
        ("bf16", lambda: _bf16_rows(quick)),
    ]
    if not quick:
        stages.append(("thread scaling", lambda: _scaling_rows(threads, peak, quick)))
    if all_levels:
        stages.append(("isa levels", lambda: level_rows(quick, threads)))
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(stages), desc="pygrad.bench", unit="stage")
        except ImportError:
            bar = None
    rows = []
    for name, fn in stages:
        if bar is not None:
            bar.set_postfix_str(name)
        elif progress:
            print(f"[pygrad.bench] {name} ...", flush=True)
        rows += fn()
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return {
        "cpu": _cpu_name(),
        "capability": _C.cpu_capability(),
        "caches": _C.cpu_cache_sizes(),
        "gemm_blocks": _C._gemm_blocksizes(False),
        "bf16_gemm": _C._gemm_bf16_path(),
        "threads": threads,
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "pygrad": pygrad.__version__,
        "peak_gflops": peak,
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The ``python -m pygrad.bench`` command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m pygrad.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run (fewer cases and repetitions)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for pygrad and torch (default: all)"
    )
    parser.add_argument("--json", default=None, help="write results as JSON to this path")
    parser.add_argument("--markdown", default=None, help="write the table as markdown to this path")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--all-levels",
        action="store_true",
        help="also run the GEMM and MLP rows at each instruction-set level the CPU supports",
    )
    args = parser.parse_args(argv)
    results = run(args.quick, args.threads, not args.no_progress, args.all_levels)
    table = to_markdown(results)
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

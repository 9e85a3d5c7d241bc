"""pygrad beside numpy and PyTorch, in one process: per-op overhead, a tiny graph with backward, GEMM.

Usage: python benchmarks/compare.py [--quick] [--json out.json] [--markdown out.md]
Every figure is a median of repeated timings; compare ratios, not absolute times (machines differ).
"""

import argparse
import json
import platform
import statistics
import time

import numpy as np

import pygrad

try:
    import torch
except ImportError:  # torch is optional: its columns are left empty
    torch = None


def median_seconds(fn, repeat, number):
    """Median over `repeat` runs of the mean time of `number` calls."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tiny_graph_cases(quick):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    repeat, number = (5, 200) if quick else (15, 2000)

    pa = pygrad.tensor(a_np, requires_grad=True)
    pb = pygrad.tensor(b_np, requires_grad=True)

    def pygrad_graph():
        loss = ((pa * pb + pa).tanh() * pb).sum()
        loss.backward()

    pna, pnb = pygrad.tensor(a_np), pygrad.tensor(b_np)
    cases = {
        "4-op graph + backward, 16 elements (us)": {"pygrad": median_seconds(pygrad_graph, repeat, number) * 1e6},
        "no-grad add, 16 elements (us)": {
            "pygrad": median_seconds(lambda: pna + pnb, repeat, number * 5) * 1e6,
            "numpy": median_seconds(lambda: a_np + b_np, repeat, number * 5) * 1e6,
        },
    }
    if torch is not None:
        ta = torch.tensor(a_np, requires_grad=True)
        tb = torch.tensor(b_np, requires_grad=True)

        def torch_graph():
            loss = ((ta * tb + ta).tanh() * tb).sum()
            loss.backward()

        tna, tnb = torch.tensor(a_np), torch.tensor(b_np)
        cases["4-op graph + backward, 16 elements (us)"]["torch"] = median_seconds(torch_graph, repeat, number) * 1e6
        cases["no-grad add, 16 elements (us)"]["torch"] = median_seconds(lambda: tna + tnb, repeat, number * 5) * 1e6
    return cases


def gemm_cases(sizes, quick):
    cases = {}
    rng = np.random.default_rng(0)
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        flops = 2.0 * n**3
        number = max(1, int(2e9 / flops)) if not quick else max(1, int(2e8 / flops))
        repeat = 5 if quick else 9
        pa, pb = pygrad.from_numpy(a), pygrad.from_numpy(b)
        row = {
            "pygrad": flops / median_seconds(lambda: pa @ pb, repeat, number) / 1e9,
            "numpy": flops / median_seconds(lambda: a @ b, repeat, number) / 1e9,
        }
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            row["torch"] = flops / median_seconds(lambda: ta @ tb, repeat, number) / 1e9
        cases[f"matmul {n}x{n} float32 (GFLOP/s)"] = row
    return cases


def to_markdown(results):
    lines = [
        f"CPU: {results['cpu']}; pygrad kernels: {results['pygrad_cpu_capability']}; "
        f"threads: {results['threads']}",
        "",
        "| case | pygrad | numpy | torch | pygrad / torch |",
        "|---|---|---|---|---|",
    ]
    for name, row in results["cases"].items():
        def cell(key):
            return f"{row[key]:.2f}" if key in row else "-"

        ratio = "-"
        if "torch" in row:
            higher_is_better = "GFLOP/s" in name
            value = row["pygrad"] / row["torch"] if higher_is_better else row["torch"] / row["pygrad"]
            ratio = f"{value:.2f}x {'throughput' if higher_is_better else 'speed'}"
        lines.append(f"| {name} | {cell('pygrad')} | {cell('numpy')} | {cell('torch')} | {ratio} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("--markdown", help="write the table as markdown here")
    parser.add_argument("--threads", type=int, default=None, help="threads for pygrad and torch")
    args = parser.parse_args(argv)
    if args.threads:
        pygrad.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    results = {
        "cpu": cpu_name(),
        "pygrad_cpu_capability": pygrad._C.cpu_capability(),
        "threads": pygrad.get_num_threads(),
        "torch": torch.__version__ if torch is not None else None,
        "numpy": np.__version__,
        "cases": {},
    }
    results["cases"].update(tiny_graph_cases(args.quick))
    results["cases"].update(gemm_cases([256, 512, 1024] if not args.quick else [256], args.quick))
    table = to_markdown(results)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()

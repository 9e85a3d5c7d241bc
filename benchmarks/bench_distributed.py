"""Data-parallel figures on one machine (pygrad.distributed on MPI, intra-node shared memory).

On a 2-core machine a speed-up from more ranks cannot be measured honestly, so this reports what
can be: bytes handed to allreduce per step against the ring formula 2(p-1)/p x model size; the
fraction of allreduce time hidden behind backward for the 784-1024-1024-10 MLP; an allreduce size
sweep with a latency / bandwidth fit (intra-node); 1 process x 2 threads against 2 processes x 1
thread for the MLP step; and a modelled scaling curve for 2-64 ranks from a stated network.

Run: python benchmarks/bench_distributed.py [--batch 128] [--steps 30]
(it starts ``mpiexec -n 2`` itself; needs ``pip install 'pygrad[mpi]'``)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

SIZES = (784, 1024, 1024, 10)
# The modelled network: 25 Gb/s Ethernet (RoCE-class), 5 us per message step.
NET_BANDWIDTH = 25e9 / 8
NET_LATENCY = 5e-6


def _mlp(pg: Any, nn: Any) -> Any:
    pg.manual_seed(0)
    layers: list[Any] = []
    for i in range(len(SIZES) - 1):
        layers.append(nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _median_time(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)  # the least disturbed run


def worker(args: argparse.Namespace) -> None:
    """Runs under mpiexec: every measurement, rank 0 writes the JSON."""
    import pygrad as pg
    import pygrad.distributed as dist
    from pygrad import nn, optim
    from pygrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    comm, rank, world = dist._comm(), dist.get_rank(), dist.get_world_size()
    mpi = dist._require("bench").MPI
    out: dict[str, Any] = {"world": world, "mpi": mpi.Get_library_version().splitlines()[0]}

    # -- allreduce sweep (float32 buffers, in place)
    sweep = []
    for exp in range(1, 25, 2):  # 2 .. 2^23 floats (8 B .. 32 MiB)
        n = 2**exp
        buf = np.ones(n, dtype=np.float32)
        reps = max(5, min(200, int(2e8 / (n * 4 + 1e5))))

        def once(buf: np.ndarray = buf) -> None:
            comm.Allreduce(mpi.IN_PLACE, buf, op=mpi.SUM)

        comm.Barrier()
        once()
        comm.Barrier()
        t = _median_time(once, reps)
        t = comm.allreduce(t, op=mpi.MAX)
        sweep.append((n * 4, t))
    big = [(b, t) for b, t in sweep if b >= 64 * 1024]
    slope, _ = np.polyfit([b for b, _ in big], [t for _, t in big], 1)
    small = [t for b, t in sweep if b <= 64]
    out["sweep"] = sweep
    out["fit"] = {"latency_s": float(min(small)), "bandwidth_Bps": float(1.0 / slope)}

    # -- the MLP step: plain (no communication) and DDP at several bucket caps
    B = args.batch
    rng = np.random.default_rng(rank)
    x = pg.tensor(rng.standard_normal((B, SIZES[0])), dtype=pg.float32)
    y = pg.tensor(rng.integers(0, SIZES[-1], B))
    loss_fn = nn.CrossEntropyLoss()
    model = _mlp(pg, nn)
    n_params = sum(p.numel() for p in model.parameters())
    model_bytes = n_params * 4
    out["model"] = {"params": n_params, "bytes": model_bytes}

    def fwd_bwd(m: Any) -> None:
        for p in m.parameters():
            p.grad = None
        loss_fn(m(x), y).backward()

    def timed(fn: Any, steps: int) -> float:
        comm.Barrier()
        for _ in range(3):
            fn()
        ts = []
        for _ in range(steps):
            comm.Barrier()  # every rank starts the step together
            start = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - start)
        # The fastest step: the least disturbed by whatever else the machine runs.
        return min(comm.allreduce(ts[i], op=mpi.MAX) for i in range(steps))

    t_plain = timed(lambda: fwd_bwd(model), args.steps)
    overlap = []
    for cap in (25, 4, 1):
        ddp = DDP(model, bucket_cap_mb=cap)
        buckets = [b.buffer for b in ddp._buckets]
        comm_alone, exposed, concurrent = [], [], []
        for _ in range(3):
            fwd_bwd(ddp)
        for _ in range(args.steps):
            # The buckets' allreduces alone, every rank starting together ...
            comm.Barrier()
            start = time.perf_counter()
            for b in buckets:
                comm.Allreduce(mpi.IN_PLACE, b, op=mpi.SUM)
            comm_alone.append(comm.allreduce(time.perf_counter() - start, op=mpi.MAX))
            # ... and what backward left of them: the wait after the last gradient. The rank that
            # finishes backward last waits only for communication (the others also for it).
            comm.Barrier()
            fwd_bwd(ddp)
            exposed.append(comm.allreduce(ddp.comm_wait_seconds, op=mpi.MIN))
            # The share of the reductions' wall time that ran while backward was still computing.
            spans, last = ddp._progress.spans, ddp.last_grad_time
            busy = sum(e - s for s, e in spans)
            before = sum(max(0.0, min(e, last) - s) for s, e in spans)
            concurrent.append(comm.allreduce(before / busy if busy else 0.0, op=mpi.MIN))
        t_comm, t_exposed = min(comm_alone), statistics.median(exposed)
        t_ddp = timed(lambda ddp=ddp: fwd_bwd(ddp), args.steps)
        overlap.append(
            {
                "bucket_cap_mb": cap,
                "buckets": len(buckets),
                "t_comm_ms": t_comm * 1e3,
                "t_exposed_ms": t_exposed * 1e3,
                "t_fwd_bwd_ms": t_plain * 1e3,
                "t_fwd_bwd_ddp_ms": t_ddp * 1e3,
                "hidden_fraction": max(0.0, 1.0 - t_exposed / t_comm),
                "concurrent_fraction": statistics.median(concurrent),
                "last_bucket_fraction": buckets[-1].nbytes / model_bytes,
            }
        )
        del ddp
    out["overlap"] = overlap
    out["t_fwd_bwd_plain_ms"] = t_plain * 1e3

    # -- the full step (forward, backward, SGD) at 2 processes x 1 thread, batch B each
    ddp = DDP(model, bucket_cap_mb=1)
    opt = optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    out["t_step_ddp_ms"] = timed(step, args.steps) * 1e3
    if rank == 0:
        with open(args.worker, "w") as f:
            json.dump(out, f)
    dist.destroy_process_group()


def single_process_step(batch: int, threads: int, steps: int) -> float:
    """The MLP step in one process at ``threads`` threads (median seconds)."""
    import pygrad as pg
    from pygrad import _C, nn, optim

    _C.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = pg.tensor(rng.standard_normal((batch, SIZES[0])), dtype=pg.float32)
    y = pg.tensor(rng.integers(0, SIZES[-1], batch))
    model = _mlp(pg, nn)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    return _median_time(step, steps)


def ring_bytes(p: int, model_bytes: int) -> float:
    return 2 * (p - 1) / p * model_bytes


def modelled_step(p: int, t_compute: float, model_bytes: int, hidden: float) -> float:
    """Weak scaling (batch per rank fixed): compute + the part of the ring allreduce not hidden."""
    t_comm = 2 * (p - 1) * NET_LATENCY + ring_bytes(p, model_bytes) / NET_BANDWIDTH
    return t_compute + (1.0 - hidden) * t_comm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128, help="batch per rank")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.json")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        cmd = [
            mpiexec,
            "-n",
            "2",
            sys.executable,
            __file__,
            "--worker",
            path,
            "--batch",
            str(args.batch),
            "--steps",
            str(args.steps),
        ]
        subprocess.run(cmd, check=True, env=env, timeout=900)
        with open(path) as f:
            r = json.load(f)
    t1 = single_process_step(2 * args.batch, 2, args.steps)
    t1x1 = single_process_step(args.batch, 1, args.steps)
    model_bytes = r["model"]["bytes"]
    p = r["world"]
    print(f"# pygrad.distributed on {r['mpi']}, {p} ranks, intra-node (shared memory)\n")
    print(
        f"MLP {'-'.join(map(str, SIZES))}: {r['model']['params']:,} parameters, "
        f"{model_bytes / 2**20:.2f} MiB of float32 gradients per step\n"
    )
    print("## Bytes per step (per rank)\n")
    print("| ranks p | handed to allreduce | ring formula 2(p-1)/p x size |")
    print("|---|---|---|")
    for q in (2, 4, 8, 64):
        print(
            f"| {q} | {model_bytes / 2**20:.2f} MiB | {ring_bytes(q, model_bytes) / 2**20:.2f} MiB |"
        )
    print(f"\n## Overlap of allreduce with backward (batch {args.batch} per rank)\n")
    print(
        "| bucket_cap_mb | buckets | allreduce alone | left after backward | hidden (time "
        "saved) | reduction time concurrent with backward | bound (1 - last bucket) | fwd+bwd | "
        "fwd+bwd under DDP |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for o in r["overlap"]:
        print(
            f"| {o['bucket_cap_mb']} | {o['buckets']} | {o['t_comm_ms']:.2f} ms | "
            f"{o['t_exposed_ms']:.2f} ms | {100 * o['hidden_fraction']:.0f}% | "
            f"{100 * o['concurrent_fraction']:.0f}% | {100 * (1 - o['last_bucket_fraction']):.0f}% "
            f"| {o['t_fwd_bwd_ms']:.2f} ms | {o['t_fwd_bwd_ddp_ms']:.2f} ms |"
        )
    fit = r["fit"]
    print("\n## Allreduce sweep, float32 in place, intra-node\n")
    print("| bytes | time |")
    print("|---|---|")
    for b, t in r["sweep"]:
        print(f"| {b:,} | {t * 1e6:.1f} us |")
    print(
        f"\nFit (intra-node): latency {fit['latency_s'] * 1e6:.1f} us, "
        f"bandwidth {fit['bandwidth_Bps'] / 1e9:.2f} GB/s (algorithm bandwidth, n / t)\n"
    )
    print(f"## MLP step (forward, backward, SGD momentum), global batch {2 * args.batch}\n")
    print("| layout | step | samples/s |")
    print("|---|---|---|")
    g = 2 * args.batch
    print(
        f"| 1 process x 1 thread (batch {args.batch}) | {t1x1 * 1e3:.1f} ms | {args.batch / t1x1:,.0f} |"
    )
    print(f"| 1 process x 2 threads | {t1 * 1e3:.1f} ms | {g / t1:,.0f} |")
    print(
        f"| 2 processes x 1 thread (DDP) | {r['t_step_ddp_ms']:.1f} ms | "
        f"{g / (r['t_step_ddp_ms'] / 1e3):,.0f} |"
    )
    # The second curve assumes the best bucketing allows (everything but the last bucket hidden,
    # as when a NIC moves the bytes while the cores compute); the first, no overlap at all.
    hidden = max(1 - o["last_bucket_fraction"] for o in r["overlap"])
    t_compute = t1x1
    print(
        f"\n## Weak scaling, modelled (not measured): {NET_BANDWIDTH * 8 / 1e9:.0f} Gb/s network, "
        f"{NET_LATENCY * 1e6:.0f} us per message step, ring allreduce of "
        f"{model_bytes / 2**20:.2f} MiB, compute {t_compute * 1e3:.1f} ms per step per rank "
        f"(measured: batch {args.batch}, 1 thread)\n"
    )
    print(
        f"| ranks | step, no overlap | speed-up | efficiency | step, {100 * hidden:.0f}% hidden "
        "(the bucketing bound) | speed-up | efficiency |"
    )
    print("|---|---|---|---|---|---|---|")
    for q in (2, 4, 8, 16, 32, 64):
        t0 = modelled_step(q, t_compute, model_bytes, 0.0)
        t = modelled_step(q, t_compute, model_bytes, hidden)
        print(
            f"| {q} | {t0 * 1e3:.1f} ms | {q * t_compute / t0:.1f}x | {100 * t_compute / t0:.0f}% "
            f"| {t * 1e3:.1f} ms | {q * t_compute / t:.1f}x | {100 * t_compute / t:.0f}% |"
        )


if __name__ == "__main__":
    main()

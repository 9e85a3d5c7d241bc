"""Run under ``mpiexec -n N`` by tests/test_distributed.py: the process-group checks in one launch.

Each check asserts on every rank; a failure raises, which aborts the job (MPI_Abort from the
excepthook) so the test sees a non-zero exit and the traceback. Prints "CHECK <name> ok" on rank 0.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

import pygrad as pg
import pygrad.distributed as dist
from pygrad import nn, optim
from pygrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
RANK, WORLD = dist.get_rank(), dist.get_world_size()
COMM = dist._comm()


def ok(name: str) -> None:
    dist.barrier()
    if RANK == 0:
        print(f"CHECK {name} ok", flush=True)


def same_on_all_ranks(arrays: list[np.ndarray]) -> bool:
    """True when every rank holds these arrays bit for bit."""
    mine = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    return all(other == mine for other in COMM.allgather(mine))


def params_of(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.parameters()]


def mlp(dtype: pg.dtype, seed: int, hidden: int = 16) -> nn.Module:
    pg.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 3)
    ).to(dtype)


def rel_err(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-30)) for x, y in zip(a, b))


def check_collectives() -> None:
    rng = np.random.default_rng(RANK)
    x = rng.standard_normal((3, 4))
    everyone = COMM.allgather(x)
    for op, expect in (
        (dist.ReduceOp.SUM, sum(everyone)),
        (dist.ReduceOp.AVG, sum(everyone) / WORLD),
        (dist.ReduceOp.MAX, np.max(everyone, axis=0)),
        (dist.ReduceOp.MIN, np.min(everyone, axis=0)),
    ):
        t = pg.tensor(x, dtype=pg.float64)
        ptr = t.data_ptr()
        dist.all_reduce(t, op=op)
        assert t.data_ptr() == ptr  # in place on the tensor's buffer
        np.testing.assert_allclose(t.numpy(), expect, rtol=1e-14, atol=1e-14)
    w = dist.all_reduce(pg.tensor(x, dtype=pg.float32), async_op=True)
    assert w is not None and w.wait()
    ints = pg.tensor(np.arange(5) * (RANK + 1), dtype=pg.int64)
    dist.all_reduce(ints)
    assert ints.tolist() == [i * WORLD * (WORLD + 1) // 2 for i in range(5)]
    b = pg.tensor(np.full(4, float(RANK)), dtype=pg.float32)
    dist.broadcast(b, src=WORLD - 1)
    assert b.tolist() == [float(WORLD - 1)] * 4
    outs = [pg.zeros(2, 3, dtype=pg.float64) for _ in range(WORLD)]
    dist.all_gather(outs, pg.tensor(x[:2, :3], dtype=pg.float64))
    for r in range(WORLD):
        np.testing.assert_array_equal(outs[r].numpy(), everyone[r][:2, :3])
    ins = [pg.tensor(x[0] + j, dtype=pg.float64) for j in range(WORLD)]
    out = pg.zeros(4, dtype=pg.float64)
    dist.reduce_scatter(out, ins)
    np.testing.assert_allclose(out.numpy(), sum(e[0] for e in everyone) + WORLD * RANK, rtol=1e-14)
    try:
        dist.all_reduce(pg.tensor(x, dtype=pg.float64).T)
    except ValueError as error:
        assert "contiguous" in str(error)
    else:
        raise AssertionError("a non-contiguous tensor must be refused")
    ok("collectives")


def check_equivalence(opt_name: str, dtype: pg.dtype, tol: float) -> None:
    """N ranks at batch B == one process at batch N*B on the same data order, 20 steps."""
    B, steps = 4, 20
    data = np.random.default_rng(7)
    X = data.standard_normal((steps, WORLD * B, 6))
    Y = data.integers(0, 3, (steps, WORLD * B))
    model = mlp(dtype, seed=3)
    if RANK:  # different weights before wrapping: the wrap must broadcast rank 0's
        with pg.no_grad():
            for p in model.parameters():
                p.add_(1.0)
    ddp = DDP(model, bucket_cap_mb=0.0005)  # ~500 B buckets: several buckets in flight
    assert len(ddp.bucket_sizes) > 2
    if RANK == 0 and opt_name == "sgd" and dtype == pg.float64:
        print(f"MODE threaded={ddp._progress.threaded}", flush=True)
    assert same_on_all_ranks(params_of(model))
    ref = mlp(dtype, seed=3)
    ref.load_state_dict(model.state_dict())
    make = (
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
        if opt_name == "sgd"
        else (lambda ps: optim.Adam(ps, lr=1e-2))
    )
    opt, ref_opt = make(ddp.parameters()), make(ref.parameters())
    loss_fn = nn.CrossEntropyLoss()
    for s in range(steps):
        mine = slice(RANK * B, (RANK + 1) * B)
        opt.zero_grad()
        loss_fn(ddp(pg.tensor(X[s, mine], dtype=dtype)), pg.tensor(Y[s, mine])).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(pg.tensor(X[s], dtype=dtype)), pg.tensor(Y[s])).backward()
        ref_opt.step()
        assert same_on_all_ranks(params_of(model)), f"ranks differ after step {s}"
    err = rel_err(params_of(model), params_of(ref))
    assert err < tol, f"{opt_name} {dtype}: relative error {err} against one process"
    ok(f"equivalence {opt_name} {dtype}")


def check_no_sync() -> None:
    """k micro-batches under no_sync, then one synced: equals one step on all N*k*B rows."""
    B, k = 3, 3
    data = np.random.default_rng(11)
    X = data.standard_normal((k, WORLD * B, 6))
    Y = data.integers(0, 3, (k, WORLD * B))
    model = mlp(pg.float64, seed=5)
    ddp = DDP(model)
    ref = mlp(pg.float64, seed=5)
    ref.load_state_dict(model.state_dict())
    loss_fn = nn.CrossEntropyLoss()
    opt, ref_opt = optim.SGD(ddp.parameters(), lr=0.5), optim.SGD(ref.parameters(), lr=0.5)
    opt.zero_grad()
    mine = slice(RANK * B, (RANK + 1) * B)
    with ddp.no_sync():
        for j in range(k - 1):
            loss_fn(ddp(pg.tensor(X[j, mine])), pg.tensor(Y[j, mine])).backward()
    loss_fn(ddp(pg.tensor(X[k - 1, mine])), pg.tensor(Y[k - 1, mine])).backward()
    opt.step()
    ref_opt.zero_grad()
    # The sum of k micro-batch means = k x the mean over all rows (equal micro-batch sizes).
    (loss_fn(ref(pg.tensor(X.reshape(-1, 6))), pg.tensor(Y.reshape(-1))) * k).backward()
    ref_opt.step()
    assert same_on_all_ranks(params_of(model))
    assert rel_err(params_of(model), params_of(ref)) < 1e-10
    ok("no_sync")


def check_bucket_view() -> None:
    """gradient_as_bucket_view: grads become views of the buckets; zero_grad(set_to_none=False)
    then accumulates straight into them. Still one process at batch N*B."""
    B = 3
    data = np.random.default_rng(19)
    X = data.standard_normal((4, WORLD * B, 6))
    Y = data.integers(0, 3, (4, WORLD * B))
    model = mlp(pg.float64, seed=6)
    ddp = DDP(model, gradient_as_bucket_view=True, bucket_cap_mb=0.001)
    ref = mlp(pg.float64, seed=6)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(ddp.parameters(), lr=0.2, momentum=0.5)
    ref_opt = optim.SGD(ref.parameters(), lr=0.2, momentum=0.5)
    mine = slice(RANK * B, (RANK + 1) * B)
    for s in range(4):
        opt.zero_grad(set_to_none=s % 2 == 0)  # both: fresh grads and grads kept as views
        loss_fn(ddp(pg.tensor(X[s, mine])), pg.tensor(Y[s, mine])).backward()
        slot = ddp._buckets[ddp._where[0][0]].buffer
        grad = model[0].weight.grad.numpy()
        assert np.shares_memory(grad, slot)
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(pg.tensor(X[s])), pg.tensor(Y[s])).backward()
        ref_opt.step()
    assert same_on_all_ranks(params_of(model))
    assert rel_err(params_of(model), params_of(ref)) < 1e-10
    ok("gradient_as_bucket_view")


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(4, 2)
        self.never = nn.Linear(4, 2)

    def forward(self, x: pg.Tensor, use_b: bool) -> pg.Tensor:
        return self.a(x) + self.b(x) if use_b else self.a(x)


def check_unused() -> None:
    pg.manual_seed(2)
    model = Branchy().double()
    ddp = DDP(model, find_unused_parameters=True, bucket_cap_mb=0.0001)
    x = pg.tensor(np.random.default_rng(RANK).standard_normal((5, 4)))
    use_b = RANK == 0  # b is used on rank 0 only
    for _ in range(2):  # twice: the second forward must find the first iteration finished
        ddp.zero_grad()
        ddp(x, use_b).sum().backward()
    assert model.never.weight.grad is None and model.never.bias.grad is None
    # b's grad: rank 0's grad averaged with zeros from the others.
    expect_b = COMM.allgather(x.numpy().sum(0))[0] / WORLD
    for row in model.b.weight.grad.numpy():
        np.testing.assert_allclose(row, expect_b, rtol=1e-12)
    ok("find_unused_parameters")
    # Without find_unused_parameters, an unused parameter is reported at the next forward.
    plain = DDP(Branchy().double())
    plain(x, True).sum().backward()
    try:
        plain(x, True)
    except RuntimeError as error:
        assert "find_unused_parameters" in str(error)
    else:
        raise AssertionError("an unreduced iteration must raise at the next forward")
    ok("unused parameters reported")


def check_join() -> None:
    """Rank r has 2 + r batches; the job finishes and all ranks end with the reference model."""
    B = 2
    counts = [2 + r for r in range(WORLD)]
    data = np.random.default_rng(13)
    X = [data.standard_normal((c, B, 6)) for c in counts]
    Y = [data.integers(0, 3, (c, B)) for c in counts]
    model = mlp(pg.float64, seed=9)
    ddp = DDP(model)
    ref = mlp(pg.float64, seed=9)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(ddp.parameters(), lr=0.3)
    with ddp.join():
        for s in range(counts[RANK]):
            opt.zero_grad()
            loss_fn(ddp(pg.tensor(X[RANK][s])), pg.tensor(Y[RANK][s])).backward()
            opt.step()
    # Reference: each step averages the active ranks' grads over the whole world (torch's default).
    ref_opt = optim.SGD(ref.parameters(), lr=0.3)
    for s in range(max(counts)):
        ref_opt.zero_grad()
        total = None
        for r in range(WORLD):
            if s < counts[r]:
                loss = loss_fn(ref(pg.tensor(X[r][s])), pg.tensor(Y[r][s])) / WORLD
                total = loss if total is None else total + loss
        total.backward()
        ref_opt.step()
    assert same_on_all_ranks(params_of(model))
    assert rel_err(params_of(model), params_of(ref)) < 1e-10
    ok("join")


def check_rank_streams() -> None:
    """Init from the shared seed (identical), dropout from per-rank streams (different)."""
    pg.manual_seed(21)
    lin = nn.Linear(8, 8)
    assert same_on_all_ranks(params_of(lin))  # no broadcast involved: the same seed
    drop = nn.Dropout(0.5)
    DDP(lin)  # moves the global generator to this rank's stream (once per process group)
    mask = drop(pg.ones(64)).numpy() > 0
    masks = COMM.allgather(mask)
    assert WORLD == 1 or not all(np.array_equal(masks[0], m) for m in masks[1:])
    ok("rank streams")


def check_fit() -> None:
    """fit under a process group: shards whole tensors, averages logs, stops everywhere at the
    same epoch, prints and writes checkpoints on rank 0 only."""
    from pygrad.train import EarlyStopping, ModelCheckpoint, evaluate, fit

    data = np.random.default_rng(17)
    X = pg.tensor(data.standard_normal((60, 6)), dtype=pg.float32)
    Y = pg.tensor(data.integers(0, 3, 60))
    Xv = pg.tensor(data.standard_normal((25, 6)), dtype=pg.float32)
    Yv = pg.tensor(data.integers(0, 3, 25))
    ddp = DDP(mlp(pg.float32, seed=4))
    folder = COMM.bcast(tempfile.mkdtemp() if RANK == 0 else None)
    path = os.path.join(folder, f"rank{RANK}-e{{epoch}}.safetensors")
    stopper = EarlyStopping(patience=1, min_delta=10.0)  # stops at epoch 2 on the averaged loss
    history = fit(
        ddp,
        nn.CrossEntropyLoss(),
        optim.SGD(ddp.parameters(), lr=0.1),
        (X, Y),
        val_data=(Xv, Yv),
        epochs=6,
        batch_size=8,
        callbacks=[stopper, ModelCheckpoint(path, save_best_only=False)],
    )
    logs = np.array([v for k in sorted(history.history) for v in history.history[k]])
    assert same_on_all_ranks([logs]), "logs must be the averaged ones on every rank"
    assert len(history.epoch) == 2 and stopper.stopped_epoch == 1
    assert same_on_all_ranks(params_of(ddp))
    files = sorted(os.listdir(folder))
    assert files == ["rank0-e1.safetensors", "rank0-e2.safetensors"], files
    # The validation logs are the sample-weighted means over all 25 rows, each counted once.
    full = evaluate(ddp, nn.CrossEntropyLoss(), (Xv, Yv), batch_size=25)
    assert abs(history["val_loss"][-1] - full["loss"]) < 1e-6 * full["loss"]
    assert abs(history["val_accuracy"][-1] - full["accuracy"]) < 1e-12
    ok("fit")


check_collectives()
for opt_name in ("sgd", "adam"):
    check_equivalence(opt_name, pg.float64, 1e-10)
    check_equivalence(opt_name, pg.float32, 1e-5)
check_no_sync()
check_bucket_view()
check_unused()
check_join()
check_rank_streams()
check_fit()
dist.destroy_process_group()
if RANK == 0:
    print("ALL OK", flush=True)
sys.exit(0)

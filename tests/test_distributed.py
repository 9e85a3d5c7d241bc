"""pygrad.distributed, DistributedDataParallel and DistributedSampler.

The process-group checks run under ``mpiexec -n 2`` and ``-n 3`` (tests/distributed/*.py, started
as subprocesses with a timeout, so a hang fails the test); they skip when mpi4py is absent. The
sampler tests and the "no mpi4py" error run everywhere.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import run_python

import pygrad
from pygrad.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import mpi4py  # noqa: F401

    HAVE_MPI = True
except ImportError:
    HAVE_MPI = False
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="mpi4py not installed (pip install '.[mpi]')")


def _mpiexec() -> str:
    """The mpiexec next to this interpreter (the mpich wheel's), else the one on PATH."""
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = local if os.path.exists(local) else shutil.which("mpiexec")
    if found is None:
        pytest.skip("mpi4py is installed but no mpiexec was found")
    return found


def run_mpi(
    script: str, n: int, timeout: float = 60, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n n python tests/distributed/<script>``; the whole process group is killed on
    timeout so a hung collective fails the test rather than CI."""
    env = dict(
        os.environ,
        PYTHONPATH=os.path.dirname(os.path.dirname(pygrad.__file__)),
        OMP_NUM_THREADS="1",  # n ranks on 2 cores: no oversubscription
        **env_extra,
    )
    cmd = [_mpiexec(), "-n", str(n), sys.executable, os.path.join(HERE, "distributed", script)]
    proc = subprocess.Popen(
        cmd,
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {script} hung for {timeout} s\n{out}\n{err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# ----------------------------------------------------------------------------------------------
# under mpiexec


@needs_mpi
@pytest.mark.parametrize(("n", "thread_level"), [(2, "multiple"), (3, "multiple"), (2, "funneled")])
def test_process_group_checks(n, thread_level):
    # Collectives in place; DDP: bit-identical parameters after the wrap and every step; N ranks at
    # batch B == one process at batch N*B (SGD, Adam; float64 1e-10, float32 1e-5); no_sync;
    # find_unused_parameters; join with uneven batch counts; per-rank dropout streams; fit.
    # "multiple": buckets reduced by DDP's communication thread; "funneled": by the hooks' polling.
    result = run_mpi("ddp_checks.py", n, MPI4PY_RC_THREAD_LEVEL=thread_level)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"MODE threaded={thread_level == 'multiple'}" in lines
    for name in (
        "collectives",
        "equivalence sgd pygrad.float64",
        "equivalence sgd pygrad.float32",
        "equivalence adam pygrad.float64",
        "equivalence adam pygrad.float32",
        "no_sync",
        "gradient_as_bucket_view",
        "find_unused_parameters",
        "unused parameters reported",
        "join",
        "rank streams",
        "fit",
    ):
        assert f"CHECK {name} ok" in lines, result.stdout + result.stderr
    # fit printed one line per epoch for the whole job (rank 0), not one per rank.
    assert sum(line.startswith("Epoch 1/6") for line in lines) == 1
    assert "ALL OK" in lines


@needs_mpi
def test_a_raising_rank_aborts_the_job():
    result = run_mpi("raise_on_rank.py", 2, timeout=30)
    assert result.returncode != 0
    assert "deliberate failure on the last rank" in result.stderr
    assert "UNREACHABLE" not in result.stdout


@needs_mpi
def test_without_a_launcher_the_world_has_size_one():
    code = """
import numpy as np
import pygrad as pg
import pygrad.distributed as dist
from pygrad import nn
from pygrad.nn.parallel import DistributedDataParallel

assert not dist.is_initialized() and dist.get_world_size() == 1
dist.init_process_group()
assert dist.is_initialized() and (dist.get_rank(), dist.get_world_size()) == (0, 1)
t = pg.tensor([1.0, 2.0])
dist.all_reduce(t, op=dist.ReduceOp.AVG)
assert t.tolist() == [1.0, 2.0]
pg.manual_seed(0)
model = nn.Linear(3, 2)
ddp = DistributedDataParallel(model)
x = pg.randn(4, 3)
ddp(x).sum().backward()
np.testing.assert_allclose(model.weight.grad.numpy(), np.tile(x.numpy().sum(0), (2, 1)), rtol=1e-6)
dist.destroy_process_group()
assert not dist.is_initialized()
print("size one ok")
"""
    result = run_python(code, timeout=60)
    assert "size one ok" in result.stdout, result.stdout + result.stderr


# ----------------------------------------------------------------------------------------------
# without MPI


def test_import_pygrad_does_not_import_mpi4py_and_the_error_says_what_to_install():
    code = """
import sys
sys.modules["mpi4py"] = None  # as if mpi4py were not installed
import pygrad, pygrad.train, pygrad.nn.parallel, pygrad.utils.data
import pygrad.distributed as dist
assert not dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
try:
    dist.init_process_group("mpi")
except ImportError as error:
    print("ERROR:", error)
"""
    result = run_python(code, timeout=60)
    assert "ERROR:" in result.stdout, result.stdout + result.stderr
    assert "pip install 'pygrad[mpi]'" in result.stdout
    clean = run_python(
        "import sys, pygrad, pygrad.train, pygrad.nn.parallel, pygrad.distributed, "
        "pygrad.utils.data; print('mpi4py' in sys.modules)",
        timeout=60,
    )
    assert clean.stdout.strip() == "False", clean.stdout + clean.stderr


def test_wrapping_without_a_process_group_raises():
    from pygrad.nn.parallel import DistributedDataParallel

    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(pygrad.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(10))


def _torch_layout(order: list[int], n: int, replicas: int, rank: int, drop_last: bool) -> list[int]:
    """torch's DistributedSampler padding / truncation / striding, applied to a given order."""
    ref = torch.utils.data.DistributedSampler(
        range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last
    )
    # torch's unshuffled shard holds positions into 0..n-1: map them through our order.
    return [order[i] for i in ref]


@pytest.mark.parametrize("n", [1, 7, 10, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_and_covers(n, replicas, drop_last):
    shards = []
    for rank in range(replicas):
        plain = DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last
        )
        ref = torch.utils.data.DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last
        )
        assert list(plain) == list(ref) and len(plain) == len(ref)
        shuffled = DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, seed=3, drop_last=drop_last
        )
        shuffled.set_epoch(4)
        order = pygrad.randperm(n, generator=pygrad.Generator().manual_seed(3 + 4)).tolist()
        assert list(shuffled) == _torch_layout(order, n, replicas, rank, drop_last)
        shards.append(list(shuffled))
    sizes = {len(s) for s in shards}
    assert len(sizes) == 1  # equal shards: every rank runs the same number of steps
    everything = [i for s in shards for i in s]
    if drop_last:
        assert len(set(everything)) == len(everything)  # disjoint
        assert len(everything) == n - n % replicas
    else:
        assert set(everything) == set(range(n))  # covering
        assert len(everything) == math.ceil(n / replicas) * replicas
        # Only the padding repeats, and it repeats the order's first indices.
        assert len(everything) - len(set(everything)) == len(everything) - n


def test_sampler_set_epoch_changes_the_order_and_seed_fixes_it():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    first = list(a)
    assert first == list(b)  # same seed and epoch: the same order on every rank
    a.set_epoch(1)
    assert list(a) != first
    other_rank = DistributedSampler(range(50), num_replicas=2, rank=1, seed=1)
    other_rank.set_epoch(1)
    assert sorted([*list(a), *list(other_rank)]) == list(range(50))
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler(range(5), num_replicas=2, rank=2)


def test_sampler_in_a_dataloader():
    X = pygrad.tensor(np.arange(11.0))
    dataset = pygrad.data.TensorDataset(X)
    seen = []
    for rank in range(3):
        sampler = pygrad.utils.data.DistributedSampler(dataset, num_replicas=3, rank=rank)
        loader = pygrad.data.DataLoader(dataset, batch_size=2, sampler=sampler)
        seen += [v for (batch,) in loader for v in batch.tolist()]
    assert sorted(set(seen)) == [float(i) for i in range(11)] and len(seen) == 12

"""DataLoader with worker processes: the same batches as num_workers=0 (shuffled from a seeded
generator, samplers, batch_sampler, batch_size=None, custom collate_fn, drop_last), nested
samples through shared memory, worker seeding and get_worker_info, worker_init_fn, persistent
workers, errors and dead workers, timeout, torch's argument errors, no leaked segments or
processes, IterableDataset sharding, pin_memory, the spawn start method."""

import collections
import gc
import multiprocessing
import os
import random
import signal
import textwrap
import time

import numpy as np
import pytest
from conftest import import_torch, run_python

import pygrad
from pygrad import data
from pygrad.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    _shared,
    default_collate,
    get_worker_info,
)

Pair = collections.namedtuple("Pair", "left right")


def _segments():
    """This loader's shared-memory segments currently in /dev/shm."""
    return {name for name in os.listdir("/dev/shm") if name.startswith("pgdl_")}


@pytest.fixture(autouse=True)
def no_leaked_segments():
    """Every test must leave no segment behind once its loaders are gone."""
    before = _segments()
    yield
    gc.collect()
    assert _segments() - before == set()


def _py(obj):
    """A comparable plain-Python form of a batch: tensors and arrays become (kind, dtype, values)."""
    if isinstance(obj, pygrad.Tensor):
        return ("tensor", str(obj.dtype), obj.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.tolist())
    if isinstance(obj, dict):
        return ("dict", {k: _py(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_py(x) for x in obj])
    return obj


def _rows(n):
    x = pygrad.from_numpy(np.arange(3 * n, dtype=np.float32).reshape(n, 3))
    return TensorDataset(x, pygrad.arange(n))


class Samples(Dataset):
    """Map-style samples with nested structure; index `fail` raises, `die` kills the worker,
    `slow` sleeps `delay` seconds."""

    def __init__(self, n, fail=None, error=ValueError, die=None, kill=None, slow=None, delay=0.0):
        self.n, self.fail, self.error, self.die, self.kill = n, fail, error, die, kill
        self.slow, self.delay = slow, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail:
            raise self.error(i, "bad") if self.error is Picky else self.error(f"bad sample {i}")
        if i == self.die:
            os._exit(7)
        if i == self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == self.slow:
            time.sleep(self.delay)
        return {
            "image": np.full((2, 2), i, dtype=np.float32),
            "label": i,
            "weight": i / 4,
            "flag": i % 2 == 0,
            "name": f"s{i}",
            "pair": Pair(np.int64(i), (np.uint8(i), f"t{i}")),
        }


class WhoAmI(Dataset):
    """Sample i reports the worker that loaded it: pid, id, seed and draws from its generators."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (
            os.getpid(),
            -1 if info is None else info.id,
            -1 if info is None else info.seed,
            -1 if info is None else info.num_workers,
            float(pygrad.rand(1).item()),
            random.random(),
            float(np.random.random()),
        )


def _epochs(loader, n=2):
    return [[_py(b) for b in loader] for _ in range(n)]


@pytest.mark.parametrize(
    "make",
    [
        lambda **k: DataLoader(_rows(11), batch_size=3, shuffle=True, generator=5, **k),
        lambda **k: DataLoader(
            _rows(11), 3, True, generator=pygrad.Generator().manual_seed(3), **k
        ),
        lambda **k: DataLoader(_rows(10), batch_size=4, shuffle=True, drop_last=True, seed=1, **k),
        lambda **k: DataLoader(Samples(7), batch_size=2, shuffle=True, seed=4, **k),
        lambda **k: DataLoader(Samples(5), batch_size=None, **k),
        lambda **k: DataLoader(_rows(6), sampler=[5, 0, 3, 3, 1], batch_size=2, **k),
        lambda **k: DataLoader(Samples(9), batch_sampler=[[8, 1], [2], [0, 4, 6]], **k),
        lambda **k: DataLoader(
            Samples(6), batch_size=4, collate_fn=lambda s: (len(s), default_collate(s)), **k
        ),
        lambda **k: DataLoader(_rows(7), batch_size=3, batch_transform=lambda x: x * 10, **k),
    ],
    ids=[
        "int-generator",
        "pygrad-generator",
        "drop_last-seed",
        "dict-samples",
        "batch_size-None",
        "sampler",
        "batch_sampler",
        "collate_fn",
        "batch_transform",
    ],
)
def test_same_batches_as_in_process(make):
    expected = _epochs(make())
    loader = make(num_workers=2)
    assert len(loader) == len(make()) == len(expected[0])
    assert _epochs(loader) == expected
    unordered = [_py(b) for b in make(num_workers=2, in_order=False)]
    assert sorted(map(repr, unordered)) == sorted(map(repr, expected[0]))


def test_global_seed_gives_the_same_orders():
    def run(num_workers):
        pygrad.manual_seed(11)
        loader = DataLoader(_rows(9), batch_size=2, shuffle=True, num_workers=num_workers)
        return _epochs(loader, 3)

    assert run(2) == run(0)


def test_nested_structures_and_dtypes_survive_shared_memory():
    loader = DataLoader(Samples(5), batch_size=2, num_workers=2)
    batch = next(iter(loader))
    assert isinstance(batch, dict) and batch["name"] == ["s0", "s1"]
    assert batch["image"].dtype == pygrad.float32 and batch["image"].shape == (2, 2, 2)
    assert batch["label"].dtype == pygrad.int64 and batch["label"].tolist() == [0, 1]
    assert batch["weight"].dtype == pygrad.float64 and batch["flag"].dtype == pygrad.bool
    assert isinstance(batch["pair"], Pair) and isinstance(batch["pair"].right, list)
    assert batch["pair"].right[1] == ["t0", "t1"]

    def odd(samples):
        return (
            np.arange(6, dtype=np.int16).reshape(2, 3)[:, ::2],  # non-contiguous ndarray
            pygrad.ones(2, 3, dtype=pygrad.bfloat16) * len(samples),
            pygrad.zeros(0, 4),
            {"none": None, "text": "x", "list": [pygrad.arange(3)[1:]]},
            collections.OrderedDict(b=1, a=np.float64(2.5)),
        )

    batch = next(iter(DataLoader(Samples(3), batch_size=2, collate_fn=odd, num_workers=2)))
    assert isinstance(batch, tuple)
    assert isinstance(batch[0], np.ndarray) and batch[0].tolist() == [[0, 2], [3, 5]]
    assert batch[1].dtype == pygrad.bfloat16 and batch[1].tolist() == [[2.0] * 3] * 2
    assert batch[2].shape == (0, 4)
    assert batch[3]["none"] is None and batch[3]["list"][0].tolist() == [1, 2]
    assert type(batch[4]) is collections.OrderedDict and list(batch[4]) == ["b", "a"]
    images = batch[1]
    images += 1  # the tensors are writable
    assert batch[1].tolist() == [[3.0] * 3] * 2


def test_shared_memory_round_trip_is_zero_copy_and_unlinks_at_once():
    payload = _shared.to_shared([pygrad.arange(5), np.ones(3)], "pgdl_test_zero_copy")
    assert "pgdl_test_zero_copy" in _segments()
    assert len(payload) < 1000  # only metadata is pickled
    tensor, array = _shared.from_shared(payload)
    assert "pgdl_test_zero_copy" not in _segments()  # unlinked: it lives as long as its views
    base = array
    while isinstance(base, (np.ndarray, memoryview)):
        base = base.base if isinstance(base, np.ndarray) else base.obj
    assert type(base).__name__ == "mmap"
    assert tensor.tolist() == [0, 1, 2, 3, 4] and array.tolist() == [1.0, 1.0, 1.0]


def test_worker_info_ids_and_seeds():
    assert get_worker_info() is None
    assert "get_worker_info" in data.__all__ and "IterableDataset" in data.__all__

    def seen(generator):
        loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=generator)
        return [[t.tolist() for t in b] for b in loader]

    first, again, other = seen(7), seen(7), seen(8)
    assert [b[1:] for b in first] == [b[1:] for b in again]  # all but the pids
    assert [b[2] for b in first] != [b[2] for b in other]
    by_worker = {}
    for batch in first:
        pids, ids, seeds, counts = batch[:4]
        assert len(set(pids)) == len(set(ids)) == 1 and set(counts) == {2}
        by_worker.setdefault(ids[0], set()).add((pids[0], seeds[0]))
    assert sorted(by_worker) == [0, 1] and all(len(v) == 1 for v in by_worker.values())
    (_, seed0), (_, seed1) = by_worker[0].pop(), by_worker[1].pop()
    assert seed1 == seed0 + 1
    for k in (4, 5, 6):  # pygrad, random and numpy are seeded differently per worker
        assert first[0][k] != first[1][k]


def test_worker_init_fn_runs_once_per_worker(tmp_path):
    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id
        with pytest.raises(RuntimeError, match="Cannot assign attributes"):
            info.id = 5
        with open(tmp_path / f"init{worker_id}", "a") as f:
            f.write(f"{os.getpid()}\n")

    loader = DataLoader(Samples(12), batch_size=2, num_workers=2, worker_init_fn=init)
    assert len(list(loader)) == 6
    lines = {p.name: p.read_text().split() for p in tmp_path.iterdir()}
    assert sorted(lines) == ["init0", "init1"] and all(len(v) == 1 for v in lines.values())


def test_persistent_workers_keep_their_processes(tmp_path):
    def pids(loader):
        return {pid for batch in loader for pid in batch[0].tolist()}

    loader = DataLoader(
        WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True,
        worker_init_fn=lambda i: open(tmp_path / f"{i}-{os.getpid()}", "w").close(),
    )  # fmt: skip
    first = pids(loader)
    assert len(first) == 2 and pids(loader) == first
    assert len(list(tmp_path.iterdir())) == 2  # initialised once
    fresh = DataLoader(WhoAmI(), batch_size=2, num_workers=2)
    assert pids(fresh).isdisjoint(pids(fresh))  # without persistence: new processes each epoch
    del loader
    gc.collect()
    for pid in first:  # stopped and joined with their loader
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_persistent_workers_after_an_epoch_cut_short():
    def epochs(**kwargs):
        loader = DataLoader(_rows(9), batch_size=2, shuffle=True, seed=3, **kwargs)
        out = [[_py(b) for b in loader]]
        for _ in loader:  # broken off: what is in flight is dropped
            break
        out.append([_py(b) for b in loader])
        return out

    assert epochs(num_workers=2, persistent_workers=True, prefetch_factor=3) == epochs()


class Picky(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


@pytest.mark.parametrize(
    ("error", "raised"), [(ValueError, ValueError), (KeyError, KeyError), (Picky, RuntimeError)]
)
def test_worker_exception_is_reraised_with_its_traceback(error, raised):
    loader = DataLoader(Samples(8, fail=2, error=error), batch_size=2, num_workers=2)
    with pytest.raises(raised) as info:
        list(loader)
    text = str(info.value)
    assert f"Caught {error.__name__} in DataLoader worker process 1." in text
    assert "Original Traceback (most recent call last):" in text and "__getitem__" in text
    if error is not Picky:
        assert "bad sample 2" in text


def test_worker_init_fn_error_is_reraised():
    def init(worker_id):
        raise OSError("no device here")

    loader = DataLoader(Samples(4), batch_size=2, num_workers=2, worker_init_fn=init)
    with pytest.raises(OSError, match="Caught OSError in DataLoader worker process 0"):
        next(iter(loader))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"die": 4}, "worker 0 exited with code 7"),
        ({"kill": 3}, "worker 1 was killed by signal SIGKILL"),
    ],
)
def test_dead_worker_raises_quickly(kwargs, message):
    start = time.monotonic()
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        try:
            list(DataLoader(Samples(10, **kwargs), batch_size=2, num_workers=2))
        except RuntimeError as error:
            assert message in str(error)
            raise
    assert time.monotonic() - start < 4.0


def test_timeout():
    loader = DataLoader(Samples(4, slow=0, delay=0.6), batch_size=2, num_workers=2, timeout=0.1)
    iterator = iter(loader)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.1 seconds$"):
        next(iterator)
    assert time.monotonic() - start < 0.5
    del iterator  # waits for the slow worker to finish its sample, then stops it
    patient = DataLoader(Samples(4, slow=0, delay=0.2), batch_size=2, num_workers=2, timeout=5)
    assert len(list(patient)) == 2


def test_break_and_delete_stop_the_workers():
    pids = []
    for batch in DataLoader(WhoAmI(), batch_size=1, num_workers=2):
        pids.append(batch[0].item())
        break
    gc.collect()
    iterator = iter(DataLoader(WhoAmI(), batch_size=1, num_workers=2))
    pids.append(next(iterator)[0].item())
    del iterator
    gc.collect()
    for pid in pids:  # joined: not even a zombie is left
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not [p for p in multiprocessing.active_children() if p.pid in pids]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_workers": -1},
        {"timeout": -1},
        {"prefetch_factor": 2},
        {"num_workers": 2, "prefetch_factor": -1},
        {"persistent_workers": True},
        {"multiprocessing_context": "spawn"},
        {"num_workers": 2, "multiprocessing_context": "nonsense"},
        {"num_workers": 2, "multiprocessing_context": 3},
        {"shuffle": True, "sampler": [0, 1]},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_size": None, "drop_last": True},
    ],
)
def test_argument_errors_match_torch(kwargs):
    torch = import_torch()
    with pytest.raises((ValueError, TypeError)) as expected:
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(4)), **kwargs)
    with pytest.raises(expected.type) as info:
        DataLoader(_rows(4), **kwargs)
    assert str(info.value) == str(expected.value)


def test_defaults_and_iterable_argument_errors():
    loader = DataLoader(_rows(4))
    assert loader.prefetch_factor is None and loader.multiprocessing_context is None
    loader = DataLoader(_rows(4), num_workers=2, multiprocessing_context="spawn")
    assert loader.prefetch_factor == 2
    assert loader.multiprocessing_context.get_start_method() == "spawn"
    for kwargs in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspec"):
            DataLoader(Shards(4), **kwargs)


class Shards(IterableDataset):
    """range(n), split between the workers by get_worker_info (or whole when `shard` is off)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def test_iterable_dataset_sharding():
    assert isinstance(Shards(3), data.Dataset)
    assert [b.tolist() for b in DataLoader(Shards(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    loader = DataLoader(Shards(10), batch_size=3, num_workers=2)
    assert len(loader) == 4
    batches = [b.tolist() for b in loader]
    assert batches == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # alternating workers, in order
    for _ in range(2):
        assert [b.tolist() for b in loader] == batches
    dropped = DataLoader(Shards(10), batch_size=3, num_workers=2, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 2, 4], [1, 3, 5]]
    whole = DataLoader(Shards(5, shard=False), batch_size=None, num_workers=2)
    assert sorted(whole) == sorted(list(range(5)) * 2)  # unbatched ints stay ints, as torch
    persistent = DataLoader(Shards(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [[b.tolist() for b in persistent] for _ in range(2)] == [[[0, 2], [1, 3], [4], [5]]] * 2


def test_pin_memory_is_accepted():
    loader = DataLoader(_rows(5), batch_size=2, num_workers=2, pin_memory=True)
    assert loader.pin_memory is True
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accel"):
        batches = [_py(b) for b in loader]
    assert batches == [_py(b) for b in DataLoader(_rows(5), batch_size=2)]


SPAWN_HELPER = '''
"""A dataset importable by a spawned worker."""
import numpy as np
from pygrad.data import Dataset, get_worker_info


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        info = get_worker_info()
        return np.full(2, i * i, dtype=np.float32), -1 if info is None else info.id
'''


def test_spawn_and_context_objects(tmp_path, monkeypatch):
    (tmp_path / "dataloader_spawn_helper.py").write_text(textwrap.dedent(SPAWN_HELPER))
    monkeypatch.syspath_prepend(str(tmp_path))  # the spawned children inherit sys.path
    from dataloader_spawn_helper import Squares

    expected = [b[0].tolist() for b in DataLoader(Squares(), batch_size=3)]
    spawn = multiprocessing.get_context("spawn")
    for context in ("spawn", spawn):
        batches = list(
            DataLoader(Squares(), batch_size=3, num_workers=2, multiprocessing_context=context)
        )
        assert [b[0].tolist() for b in batches] == expected
        assert [b[1].tolist() for b in batches] == [[0] * 3, [1] * 3, [0]]


def test_persistent_workers_alive_at_exit_leave_nothing_behind():
    code = """
import os, warnings
warnings.simplefilter("error")
import numpy as np
from pygrad.data import DataLoader, Dataset

class D(Dataset):
    def __len__(self):
        return 6
    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32)

before = {n for n in os.listdir("/dev/shm") if n.startswith("pgdl_")}
loader = DataLoader(D(), batch_size=1, num_workers=2, persistent_workers=True, prefetch_factor=3)
for batch in loader:
    break
print("ok", batch.tolist())
"""
    result = run_python(code, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok [[0.0, 0.0, 0.0]]"
    assert result.stderr == ""  # no resource_tracker warning about leaked segments

"""Samplers (Sequential, Random, SubsetRandom, WeightedRandom, Batch), the dataset combinators
(ConcatDataset, ChainDataset, StackDataset, ``+``) and DataLoader with them, against torch 2.13:
deterministic results equal torch's; random ones are checked for their properties (coverage,
repeats, frequencies with a fixed seed, reproducibility), since the random streams differ."""

import numpy as np
import pytest
from conftest import import_torch

import pygrad
from pygrad import data
from pygrad.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

torch = import_torch()
tud = torch.utils.data


def _pair(n, seed=0):
    """The same (x, y) data as a pygrad and a torch TensorDataset."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = rng.choice(1000, n, replace=False)  # distinct labels name the rows
    return (
        TensorDataset(pygrad.from_numpy(x), pygrad.from_numpy(y)),
        tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
    )


def _plain(obj):
    """Nested tensors / tuples / lists / dicts as plain Python values, to compare both libraries."""
    if isinstance(obj, (pygrad.Tensor, torch.Tensor)):
        return obj.tolist()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _same_error(make_ours, make_torch):
    """Both raise the same exception type with the same text."""
    with pytest.raises(Exception) as expected:
        make_torch()
    with pytest.raises(expected.type) as ours:
        make_ours()
    assert str(ours.value) == str(expected.value)


class Count(IterableDataset):
    """range(start, stop), with a length."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


class TorchCount(tud.IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


# --- samplers ---------------------------------------------------------------------------------


def test_sequential_and_batch_sampler_equal_torch():
    for n in (0, 1, 7, 12):
        assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))
        assert len(SequentialSampler(range(n))) == n
        for size in (1, 3, 4, 13):
            for drop_last in (False, True):
                ours = BatchSampler(SequentialSampler(range(n)), size, drop_last)
                ref = tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop_last)
                assert list(ours) == list(ref), (n, size, drop_last)
                assert len(ours) == len(ref), (n, size, drop_last)
    # any iterable of indices, and an epoch per iter()
    batches = BatchSampler([5, 1, 4, 1, 5, 9, 2], 3, drop_last=False)
    assert list(batches) == list(tud.BatchSampler([5, 1, 4, 1, 5, 9, 2], 3, False))
    assert list(batches) == [[5, 1, 4], [1, 5, 9], [2]]


@pytest.mark.parametrize("n,num_samples", [(10, None), (10, 4), (10, 25), (1, 3)])
def test_random_sampler_without_replacement_chains_permutations(n, num_samples):
    sampler = RandomSampler(range(n), num_samples=num_samples, generator=0)
    k = n if num_samples is None else num_samples
    assert len(sampler) == len(tud.RandomSampler(range(n), num_samples=num_samples)) == k
    order = list(sampler)
    assert len(order) == k
    # whole permutations first, then the distinct head of one more, as torch
    for start in range(0, k - k % n, n):
        assert sorted(order[start : start + n]) == list(range(n))
    tail = order[k - k % n :]
    assert len(set(tail)) == len(tail) and set(tail) <= set(range(n))


def test_random_sampler_epochs_differ_and_seeds_reproduce():
    ds = range(40)
    for make in (
        lambda: 7,
        lambda: np.random.default_rng(7),
        lambda: pygrad.Generator().manual_seed(7),
    ):
        sampler = RandomSampler(ds, generator=make())
        epochs = [list(sampler) for _ in range(3)]
        assert all(sorted(e) == list(range(40)) for e in epochs)
        assert epochs[0] != epochs[1] != epochs[2]
        again = RandomSampler(ds, generator=make())
        assert [list(again) for _ in range(3)] == epochs
    other = list(RandomSampler(ds, generator=8))
    assert other != list(RandomSampler(ds, generator=7))
    # no generator: pygrad's global one
    pygrad.manual_seed(3)
    first = list(RandomSampler(ds))
    pygrad.manual_seed(3)
    assert list(RandomSampler(ds)) == first


def test_random_sampler_with_replacement():
    sampler = RandomSampler(range(6), replacement=True, num_samples=6000, generator=1)
    drawn = np.array(list(sampler))
    assert len(sampler) == len(drawn) == 6000
    counts = np.bincount(drawn, minlength=6)
    assert counts.size == 6
    # each index with probability 1/6: within 5 standard deviations of 1000
    sd = np.sqrt(6000 * (1 / 6) * (5 / 6))
    assert np.all(np.abs(counts - 1000) < 5 * sd), counts
    short = list(RandomSampler(range(100), replacement=True, num_samples=50, generator=2))
    assert len(short) == 50 and len(set(short)) < 50  # repeats (birthday bound: p ~ 1 - 4e-6)
    assert list(RandomSampler(range(9), True, 20, generator=4)) == list(
        RandomSampler(range(9), True, 20, generator=4)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"replacement": 1},
        {"replacement": None},
        {"num_samples": 0},
        {"num_samples": -2},
        {"num_samples": 2.5},
        {"num_samples": "3"},
    ],
)
def test_random_sampler_errors_equal_torch(kwargs):
    _same_error(
        lambda: RandomSampler(range(5), **kwargs), lambda: tud.RandomSampler(range(5), **kwargs)
    )


def test_empty_data_errors_equal_torch():
    _same_error(lambda: RandomSampler([]), lambda: tud.RandomSampler([]))
    _same_error(
        lambda: DataLoader(TensorDataset(pygrad.zeros(0, 2)), shuffle=True),
        lambda: tud.DataLoader(tud.TensorDataset(torch.zeros(0, 2)), shuffle=True),
    )


def test_generator_type_error():
    for make in (
        lambda g: RandomSampler(range(3), generator=g),
        lambda g: SubsetRandomSampler([0, 1], generator=g),
        lambda g: WeightedRandomSampler([1.0, 2.0], 2, generator=g),
    ):
        with pytest.raises(TypeError, match=r"generator must be a pygrad\.Generator"):
            make("seed")
        with pytest.raises(TypeError, match="generator"):
            make(True)


def test_subset_random_sampler():
    indices = [12, 3, 40, 7, 7, 21]
    sampler = SubsetRandomSampler(indices, generator=5)
    assert len(sampler) == len(tud.SubsetRandomSampler(indices)) == 6
    epochs = [list(sampler) for _ in range(4)]
    assert all(sorted(e) == sorted(indices) for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1
    again = SubsetRandomSampler(indices, generator=5)
    assert [list(again) for _ in range(4)] == epochs
    assert list(SubsetRandomSampler([], generator=0)) == []


def test_weighted_sampler_frequencies_with_replacement():
    weights = [0.5, 1.0, 0.0, 2.0, 0.5]
    p = np.array(weights) / sum(weights)
    for gen in (11, pygrad.Generator().manual_seed(11)):
        sampler = WeightedRandomSampler(weights, 20000, generator=gen)
        drawn = np.array(list(sampler))
        assert len(sampler) == drawn.size == 20000
        counts = np.bincount(drawn, minlength=5)
        assert counts[2] == 0  # zero weight: never drawn
        sd = np.sqrt(20000 * p * (1 - p))
        assert np.all(np.abs(counts - 20000 * p) <= 5 * sd + 1e-9), counts
    a = list(WeightedRandomSampler(pygrad.tensor(weights), 50, generator=3))
    assert a == list(WeightedRandomSampler(np.array(weights), 50, generator=3))
    pygrad.manual_seed(4)
    first = list(WeightedRandomSampler(weights, 30))
    pygrad.manual_seed(4)
    assert list(WeightedRandomSampler(weights, 30)) == first


def test_weighted_sampler_without_replacement():
    weights = [1.0, 0.0, 3.0, 6.0]
    sampler = WeightedRandomSampler(
        weights, 3, replacement=False, generator=np.random.default_rng(2)
    )
    firsts = []
    for _ in range(3000):
        drawn = list(sampler)
        assert sorted(drawn) == [0, 2, 3]  # distinct, the zero weight left out
        firsts.append(drawn[0])
    # the first draw has probability weight / total
    counts = np.bincount(firsts, minlength=4)
    p = np.array(weights) / 10
    sd = np.sqrt(3000 * p * (1 - p))
    assert np.all(np.abs(counts - 3000 * p) <= 5 * sd + 1e-9), counts
    # more than there are weights: an error when drawing, in both libraries
    with pytest.raises(RuntimeError, match="n_sample > prob_dist"):
        list(tud.WeightedRandomSampler(weights, 5, replacement=False))
    with pytest.raises(RuntimeError, match="n_sample > prob_dist"):
        list(WeightedRandomSampler(weights, 5, replacement=False))


@pytest.mark.parametrize(
    "args",
    [
        ([1.0, 2.0], 0),
        ([1.0, 2.0], -1),
        ([1.0, 2.0], 2.0),
        ([1.0, 2.0], True),
        ([1.0, 2.0], 3, "yes"),
        ([[1.0, 2.0], [3.0, 4.0]], 2),
    ],
)
def test_weighted_sampler_errors_equal_torch(args):
    _same_error(lambda: WeightedRandomSampler(*args), lambda: tud.WeightedRandomSampler(*args))


@pytest.mark.parametrize(
    "size,drop_last", [(0, False), (-3, False), (2.0, False), (True, False), (2, 1), (2, None)]
)
def test_batch_sampler_errors_equal_torch(size, drop_last):
    _same_error(
        lambda: BatchSampler(range(4), size, drop_last),
        lambda: tud.BatchSampler(range(4), size, drop_last),
    )


def test_sampler_base_and_subclasses():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    with pytest.raises(NotImplementedError):
        iter(Sampler())
    for cls in (SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler):
        assert issubclass(cls, Sampler)
    assert issubclass(BatchSampler, Sampler)
    assert issubclass(pygrad.utils.data.DistributedSampler, Sampler)
    ds, ref = _pair(9)
    loader = DataLoader(ds, sampler=Evens(9), batch_size=2)
    expected = tud.DataLoader(ref, sampler=[0, 2, 4, 6, 8], batch_size=2)
    assert len(loader) == len(expected) == 3
    assert [_plain(b) for b in loader] == [_plain(b) for b in expected]


# --- datasets ---------------------------------------------------------------------------------


def test_concat_dataset_equals_torch():
    parts = [_pair(n, seed=n) for n in (4, 0, 3, 5)]
    ours = ConcatDataset([p for p, _ in parts])
    ref = tud.ConcatDataset([r for _, r in parts])
    assert ours.cumulative_sizes == ref.cumulative_sizes == [4, 4, 7, 12]
    assert len(ours) == len(ref) == 12
    for i in range(-12, 12):
        assert _plain(ours[i]) == _plain(ref[i]), i
    _same_error(lambda: ours[-13], lambda: ref[-13])
    with pytest.raises(IndexError):
        ref[12]
    with pytest.raises(IndexError):
        ours[12]
    _same_error(lambda: ConcatDataset([]), lambda: tud.ConcatDataset([]))
    _same_error(
        lambda: ConcatDataset([parts[0][0], Count(0, 2)]),
        lambda: tud.ConcatDataset([parts[0][1], TorchCount(0, 2)]),
    )
    assert ConcatDataset.cumsum([[1], [], [2, 3]]) == tud.ConcatDataset.cumsum([[1], [], [2, 3]])
    with pytest.warns(FutureWarning, match="cumulative_sizes"):
        assert ours.cummulative_sizes == [4, 4, 7, 12]


def test_dataset_add_and_iterable_add():
    (a, ta), (b, tb), (c, tc) = _pair(2, 1), _pair(3, 2), _pair(4, 3)
    ours, ref = a + b + c, ta + tb + tc
    assert isinstance(ours, ConcatDataset) and isinstance(ours.datasets[0], ConcatDataset)
    assert ours.cumulative_sizes == ref.cumulative_sizes
    assert [_plain(ours[i]) for i in range(9)] == [_plain(ref[i]) for i in range(9)]
    chain = Count(0, 3) + Count(10, 12)
    assert isinstance(chain, ChainDataset)
    assert list(chain) == list(TorchCount(0, 3) + TorchCount(10, 12)) == [0, 1, 2, 10, 11]


def test_chain_dataset_equals_torch():
    ours = ChainDataset([Count(0, 3), Count(5, 5), Count(7, 9)])
    ref = tud.ChainDataset([TorchCount(0, 3), TorchCount(5, 5), TorchCount(7, 9)])
    assert list(ours) == list(ref) == [0, 1, 2, 7, 8]
    assert list(ours) == [0, 1, 2, 7, 8]  # a new pass each time
    assert len(ours) == len(ref) == 5
    ds, tds = _pair(2)
    _same_error(
        lambda: list(ChainDataset([Count(0, 1), ds])),
        lambda: list(tud.ChainDataset([TorchCount(0, 1), tds])),
    )
    _same_error(lambda: len(ChainDataset([ds])), lambda: len(tud.ChainDataset([tds])))
    # a DataLoader batches the chained stream
    batches = [b.tolist() for b in DataLoader(ours, batch_size=2)]
    assert batches == [b.tolist() for b in tud.DataLoader(ref, batch_size=2)]


def test_stack_dataset_tuple_and_dict_equal_torch():
    (a, ta), (b, tb) = _pair(5, 1), _pair(5, 2)
    for ours, ref in (
        (StackDataset(a, b), tud.StackDataset(ta, tb)),
        (StackDataset(x=a, y=b), tud.StackDataset(x=ta, y=tb)),
    ):
        assert len(ours) == len(ref) == 5
        for i in range(5):
            assert type(ours[i]) is type(ref[i])
            assert _plain(ours[i]) == _plain(ref[i])
        assert _plain(ours.__getitems__([4, 0, 2])) == _plain(ref.__getitems__([4, 0, 2]))
        ours_batches = [_plain(x) for x in DataLoader(ours, batch_size=2)]
        assert ours_batches == [_plain(x) for x in tud.DataLoader(ref, batch_size=2)]
    (c, tc) = _pair(4)
    _same_error(lambda: StackDataset(a, c), lambda: tud.StackDataset(ta, tc))
    _same_error(lambda: StackDataset(x=a, y=c), lambda: tud.StackDataset(x=ta, y=tc))
    _same_error(lambda: StackDataset(a, y=b), lambda: tud.StackDataset(ta, y=tb))
    _same_error(lambda: StackDataset(), lambda: tud.StackDataset())


# --- DataLoader with samplers -----------------------------------------------------------------


def test_loader_default_samplers_as_torch():
    ds, ref = _pair(10)
    for kwargs in (
        {},
        {"batch_size": 3},
        {"batch_size": 3, "drop_last": True},
        {"batch_size": 4, "shuffle": True},
        {"batch_size": None},
    ):
        ours, theirs = DataLoader(ds, **kwargs), tud.DataLoader(ref, **kwargs)
        assert type(ours.sampler).__name__ == type(theirs.sampler).__name__, kwargs
        assert type(ours.batch_sampler).__name__ == type(theirs.batch_sampler).__name__, kwargs
        if theirs.batch_sampler is not None:
            assert ours.batch_sampler.batch_size == theirs.batch_sampler.batch_size
            assert ours.batch_sampler.drop_last == theirs.batch_sampler.drop_last
            assert ours.batch_sampler.sampler is ours.sampler
        assert (ours.batch_size, ours.drop_last) == (theirs.batch_size, theirs.drop_last)
        assert len(ours) == len(theirs), kwargs
    # the shuffling sampler draws from the loader's generator: the loader's order is its order
    loader = DataLoader(ds, batch_size=10, shuffle=True, seed=6)
    assert loader.sampler.generator is loader.generator
    order = [int(v) for v in next(iter(loader))[1].tolist()]
    rows = [int(v) for v in ds.tensors[1].tolist()]
    again = RandomSampler(ds, generator=6)
    assert order == [rows[i] for i in again]
    batches = BatchSampler(RandomSampler(ds), 2, True)
    loader = DataLoader(ds, batch_sampler=batches)
    assert loader.batch_sampler is batches and loader.batch_size is None
    assert loader.drop_last is False
    sampler = RandomSampler(ds)
    assert DataLoader(ds, sampler=sampler).sampler is sampler
    assert type(DataLoader(Count(0, 3)).sampler).__name__ == "_InfiniteConstantSampler"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_samples": 25, "replacement": True, "batch_size": 4},
        {"num_samples": 25, "replacement": True, "batch_size": 4, "drop_last": True},
        {"num_samples": 7, "batch_size": 3},
        {"batch_size": None},
    ],
)
def test_loader_len_and_batches_with_random_sampler(kwargs):
    ds, ref = _pair(10)
    sampler_args = {k: kwargs.pop(k) for k in ("num_samples", "replacement") if k in kwargs}
    ours = DataLoader(ds, sampler=RandomSampler(ds, generator=3, **sampler_args), **kwargs)
    theirs = tud.DataLoader(ref, sampler=tud.RandomSampler(ref, **sampler_args), **kwargs)
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert len(batches) == len(ours)
    rows = {tuple(x): int(y) for x, y in zip(ds.tensors[0].tolist(), ds.tensors[1].tolist())}
    labels = []
    for x, y in batches:
        xs = x.tolist() if kwargs.get("batch_size", 1) else [x.tolist()]
        ys = y.tolist() if kwargs.get("batch_size", 1) else [y.item()]
        assert [rows[tuple(r)] for r in xs] == ys  # rows stay together
        labels += ys
    if not sampler_args.get("replacement"):
        assert len(set(labels)) == len(labels)


def test_loader_batch_sampler_equals_torch():
    ds, ref = _pair(11)
    for drop_last in (False, True):
        ours = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, drop_last))
        theirs = tud.DataLoader(
            ref, batch_sampler=tud.BatchSampler(tud.SequentialSampler(ref), 3, drop_last)
        )
        assert len(ours) == len(theirs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    # a non-TensorDataset goes through default_collate
    concat, tconcat = ConcatDataset([ds, ds]), tud.ConcatDataset([ref, ref])
    ours = DataLoader(concat, batch_sampler=BatchSampler(range(21, 3, -2), 4, False))
    theirs = tud.DataLoader(tconcat, batch_sampler=tud.BatchSampler(range(21, 3, -2), 4, False))
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shuffle": True, "sampler": "random"},
        {"batch_sampler": "batches", "batch_size": 2},
        {"batch_sampler": "batches", "shuffle": True},
        {"batch_sampler": "batches", "sampler": "random"},
        {"batch_sampler": "batches", "drop_last": True},
        {"batch_size": 0},
        {"batch_size": -1},
        {"batch_size": 2.5},
        {"batch_size": 2, "drop_last": "no"},
    ],
)
def test_loader_sampler_errors_equal_torch(kwargs):
    ds, ref = _pair(4)

    def build(lib, dataset):
        made = dict(kwargs)
        if made.get("sampler") == "random":
            made["sampler"] = lib.RandomSampler(dataset)
        if made.get("batch_sampler") == "batches":
            made["batch_sampler"] = lib.BatchSampler(lib.SequentialSampler(dataset), 2, False)
        return lib.DataLoader(dataset, **made)

    _same_error(lambda: build(data, ds), lambda: build(tud, ref))


def test_loader_with_samplers_and_workers():
    ds, _ = _pair(30)
    weights = np.linspace(0.0, 1.0, 30)

    def batches(num_workers, **kwargs):
        loader = DataLoader(ds, num_workers=num_workers, **kwargs)
        return [[t.tolist() for t in b] for b in loader]

    for make in (
        lambda: {"sampler": WeightedRandomSampler(weights, 17, generator=9), "batch_size": 4},
        lambda: {"batch_sampler": BatchSampler(RandomSampler(ds, generator=9), 7, True)},
    ):
        assert batches(2, **make()) == batches(0, **make())


def test_torch_module_paths():
    from torch.utils.data import dataloader, dataset, sampler

    import pygrad.utils.data.dataloader as loader_mod
    import pygrad.utils.data.dataset as dataset_mod
    import pygrad.utils.data.sampler as sampler_mod

    for ours, theirs in ((sampler_mod, sampler), (dataset_mod, dataset)):
        assert set(ours.__all__) == set(theirs.__all__)
        for name in ours.__all__:
            assert getattr(ours, name) is getattr(data, name)
            assert getattr(pygrad.utils.data, name) is getattr(data, name)
    assert set(loader_mod.__all__) == set(dataloader.__all__)
    assert loader_mod.DataLoader is DataLoader and pygrad.utils.data.sampler is sampler_mod
    assert issubclass(ConcatDataset, Dataset) and issubclass(ChainDataset, IterableDataset)

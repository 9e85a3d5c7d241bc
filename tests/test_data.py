"""pygrad.data: DataLoader, datasets and random_split, the bundled digits, file loaders, transforms."""

import collections
import gzip
import itertools
import os
import struct

import numpy as np
import pytest
from conftest import run_python

import pygrad
from pygrad import data
from pygrad.data import (
    Compose,
    DataLoader,
    Dataset,
    GaussianNoise,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _np(t):
    return np.array(t.numpy(), copy=True)


def _rows(n, width=3):
    """A TensorDataset whose row i is (i, i, ...) as float32 with label i."""
    x = pygrad.from_numpy(np.repeat(np.arange(n, dtype=np.float32)[:, None], width, axis=1))
    y = pygrad.arange(n)
    return TensorDataset(x, y)


def _flat(lists):
    return list(itertools.chain.from_iterable(lists))


def _labels(loader):
    return [_np(y).tolist() for _, y in loader]


class ListDataset(Dataset):
    """A plain map-style dataset of (numpy vector, int label) samples."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), i

    def __len__(self):
        return self.n


# --- DataLoader ------------------------------------------------------------------------------


def test_sequential_order_len_and_last_partial_batch():
    loader = DataLoader(_rows(10), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = batches[0]
    assert x.dtype == pygrad.float32 and y.dtype == pygrad.int64
    np.testing.assert_array_equal(_np(x)[:, 0], _np(y))


def test_drop_last():
    loader = DataLoader(_rows(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    exact = DataLoader(_rows(8), batch_size=4, drop_last=True)
    assert len(exact) == 2 and len(list(exact)) == 2
    assert len(DataLoader(_rows(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(_rows(3), batch_size=4, drop_last=True)) == []


def test_default_batch_size_is_one():
    loader = DataLoader(_rows(3))
    assert len(loader) == 3
    assert _labels(loader) == [[0], [1], [2]]


def test_shuffle_is_a_permutation_reproducible_from_the_seed_and_differs_per_epoch():
    loader = DataLoader(_rows(50), batch_size=8, shuffle=True, seed=123)
    epochs = [_flat(_labels(loader)) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]
    again = DataLoader(_rows(50), batch_size=8, shuffle=True, seed=123)
    assert [_flat(_labels(again)) for _ in range(3)] == epochs
    other = DataLoader(_rows(50), batch_size=8, shuffle=True, seed=124)
    assert _flat(_labels(other)) != epochs[0]


def test_shuffle_rows_stay_together():
    loader = DataLoader(_rows(20), batch_size=6, shuffle=True, seed=0)
    for x, y in loader:
        np.testing.assert_array_equal(
            _np(x), np.repeat(_np(y)[:, None], 3, axis=1).astype(np.float32)
        )


def test_shuffle_from_numpy_generator_and_global_seed():
    a = DataLoader(_rows(30), batch_size=30, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(_rows(30), batch_size=30, shuffle=True, generator=np.random.default_rng(5))
    assert _labels(a) == _labels(b)
    pygrad.manual_seed(7)
    loader = DataLoader(_rows(30), batch_size=30, shuffle=True)
    first, second = _labels(loader), _labels(loader)
    assert first != second
    pygrad.manual_seed(7)
    loader = DataLoader(_rows(30), batch_size=30, shuffle=True)
    assert _labels(loader) == first and _labels(loader) == second
    with pytest.raises(ValueError, match="either generator or seed"):
        DataLoader(_rows(3), seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match="generator"):
        DataLoader(_rows(3), generator="abc")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_rows(3), batch_size=bad)


def test_tensor_dataset_fast_path_uses_index_select(monkeypatch):
    dataset = _rows(10)
    calls = []
    real = pygrad.index_select

    def counting(t, dim, index):
        calls.append((tuple(t.shape), dim, index.shape[0]))
        return real(t, dim, index)

    def no_samples(self, i):
        raise AssertionError("the fast path must not index samples one by one")

    monkeypatch.setattr(pygrad._C, "index_select", counting)  # where the DataLoader calls it
    monkeypatch.setattr(TensorDataset, "__getitem__", no_samples)
    batches = list(DataLoader(dataset, batch_size=4, shuffle=True, seed=0))
    assert len(batches) == 3
    assert calls == [((10, 3), 0, 4), ((10,), 0, 4)] * 2 + [((10, 3), 0, 2), ((10,), 0, 2)]
    for x, y in batches:
        assert x.is_contiguous()
        np.testing.assert_array_equal(_np(x)[:, 0], _np(y))


def test_fast_path_batches_are_fresh_tensors():
    dataset = _rows(4)
    x, _ = next(iter(DataLoader(dataset, batch_size=2)))
    x += 100
    assert _np(dataset.tensors[0])[0, 0] == 0


def test_fast_path_through_subsets_matches_the_slow_path(monkeypatch):
    dataset = _rows(40)
    parts = random_split(dataset, [25, 15], seed=3)
    nested = Subset(parts[0], list(range(0, 25, 2)))
    fast = [[_np(t) for t in b] for b in DataLoader(nested, batch_size=4, shuffle=True, seed=9)]
    slow = DataLoader(nested, batch_size=4, shuffle=True, seed=9, collate_fn=default_collate)
    assert slow._source is None
    slow = [[_np(t) for t in b] for b in slow]
    assert len(fast) == len(slow) == 4
    for fb, sb in zip(fast, slow):
        for f, s in zip(fb, sb):
            np.testing.assert_array_equal(f, s)


def test_generic_dataset_collation():
    loader = DataLoader(ListDataset(5), batch_size=2)
    batches = list(loader)
    assert len(batches) == 3
    x, y = batches[0]
    assert isinstance(batches[0], list)
    assert x.shape == (2, 2) and x.dtype == pygrad.float32
    assert y.dtype == pygrad.int64 and _np(y).tolist() == [0, 1]
    assert _np(batches[2][1]).tolist() == [4]


def test_default_collate_structures():
    Pair = collections.namedtuple("Pair", "a b")
    out = default_collate([Pair(1.5, True), Pair(2.5, False)])
    assert isinstance(out, Pair)
    assert out.a.dtype == pygrad.float64 and _np(out.a).tolist() == [1.5, 2.5]
    assert out.b.dtype == pygrad.bool
    out = default_collate([{"x": pygrad.ones(3), "name": "a"}, {"x": pygrad.zeros(3), "name": "b"}])
    assert out["x"].shape == (2, 3) and out["name"] == ["a", "b"]
    ints = default_collate([np.array([1, 2], dtype=np.uint8), np.array([3, 4], dtype=np.uint8)])
    assert ints.dtype == pygrad.int64 and _np(ints).tolist() == [[1, 2], [3, 4]]
    f64 = default_collate([np.float64(1.0), np.float64(2.0)])
    assert f64.dtype == pygrad.float64
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])
    with pytest.raises(TypeError, match="object"):
        default_collate([object()])


def test_custom_collate_fn():
    loader = DataLoader(_rows(5), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


def test_batch_transform_applies_to_inputs_only():
    loader = DataLoader(_rows(6), batch_size=3, batch_transform=lambda x: x * 10)
    for x, y in loader:
        np.testing.assert_array_equal(_np(x)[:, 0], _np(y) * 10)
    single = DataLoader(
        ListDataset(4),
        batch_size=2,
        collate_fn=lambda s: pygrad.ones(2),
        batch_transform=lambda x: x + 1,
    )
    assert all(_np(b).tolist() == [2.0, 2.0] for b in single)


def test_dataloader_works_with_fit():
    from pygrad import nn
    from pygrad.train import fit

    pygrad.manual_seed(0)
    x = pygrad.randn(40, 4)
    y = (x.sum(1) > 0).long()
    model = nn.Linear(4, 2)
    opt = pygrad.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, verbose=False)
    assert len(history.history["loss"]) == 2


# --- datasets and random_split ---------------------------------------------------------------


def test_tensor_dataset():
    ds = TensorDataset(pygrad.arange(6).reshape(3, 2), np.array([1.0, 2.0, 3.0]))
    assert len(ds) == 3
    a, b = ds[1]
    assert _np(a).tolist() == [2, 3] and b.item() == 2.0
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(pygrad.zeros(3), pygrad.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_subset():
    sub = Subset(_rows(10), [7, 2, 5])
    assert len(sub) == 3
    assert sub[0][1].item() == 7 and sub[-1][1].item() == 5
    assert Subset(_rows(4), pygrad.tensor([3, 0])).indices == [3, 0]


def test_random_split_lengths_and_fractions():
    ds = _rows(10)
    parts = random_split(ds, [3, 7], seed=0)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(ds, [3, 7], seed=0)
    assert [p.indices for p in again] == [p.indices for p in parts]
    fractions = random_split(_rows(11), [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    assert [len(p) for p in fractions] == [
        6,
        3,
        2,
    ]  # floors 5, 3, 2; the remainder goes to the first
    assert sorted(_flat(p.indices for p in fractions)) == list(range(11))
    pygrad.manual_seed(3)
    g1 = [p.indices for p in random_split(ds, [5, 5])]
    pygrad.manual_seed(3)
    assert [p.indices for p in random_split(ds, [5, 5])] == g1


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.2], [-1, 11], []])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError):
        random_split(_rows(10), lengths, seed=0)


def test_utils_data_alias():
    import pygrad.utils.data as utils_data
    from pygrad.utils.data import DataLoader as UtilsLoader

    assert UtilsLoader is DataLoader
    assert utils_data.TensorDataset is TensorDataset
    assert utils_data.RandomShift is RandomShift and utils_data.load_digits is data.load_digits
    assert pygrad.utils.data is utils_data
    assert pygrad.data is data


def test_import_pygrad_does_not_load_the_data_pipeline():
    code = "import sys, pygrad; print(any(m.startswith('pygrad.data') for m in sys.modules))"
    out = run_python(code, check=True)
    assert out.stdout.strip() == "False"


# --- the bundled digits ----------------------------------------------------------------------


def test_load_digits():
    x, y = data.load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == pygrad.float32
    assert y.shape == (1797,) and y.dtype == pygrad.int64
    xn, yn = _np(x), _np(y)
    assert xn.min() == 0.0 and xn.max() == 1.0
    np.testing.assert_array_equal(np.unique(xn * 16), np.arange(17))  # counts 0..16 / 16
    np.testing.assert_array_equal(
        np.bincount(yn), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )
    # The first image of the UCI test set is a zero.
    assert yn[0] == 0
    assert (xn[0, 0] * 16)[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_attribution_is_shipped():
    folder = os.path.dirname(data.__file__)
    with open(os.path.join(folder, "DIGITS_LICENSE.txt"), encoding="utf-8") as f:
        text = f.read()
    assert "CC BY 4.0" in text and "Alpaydin" in text and "Kaynak" in text
    assert os.path.getsize(os.path.join(folder, "digits.npz")) < 100_000


# --- file loaders ----------------------------------------------------------------------------


def _idx_bytes(array, code=0x08):
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def _write(path, payload, gz=False):
    if gz:
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("code", [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E])
def test_load_idx_roundtrip(tmp_path, rng, gz, code):
    array = rng.integers(0, 100, size=(4, 3, 5))
    path = _write(tmp_path / ("a.idx" + (".gz" if gz else "")), _idx_bytes(array, code), gz)
    out = data.load_idx(path)
    assert out.shape == (4, 3, 5)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_load_idx_detects_gzip_by_content(tmp_path):
    array = np.arange(6, dtype=np.uint8)
    path = _write(tmp_path / "labels-idx1-ubyte", _idx_bytes(array), gz=True)
    np.testing.assert_array_equal(data.load_idx(str(path)), array)


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x12\x34\x08\x01\x00\x00\x00\x02ab", "bad magic number"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x02ab", "unknown element type code 0x07"),
        (b"\x00\x00\x08\x00", "zero dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated header"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03abcde", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02abc", "trailing data"),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x02abcdefg", r"need 8 data bytes, found 7"),
    ],
)
def test_load_idx_errors_name_the_path_and_problem(tmp_path, payload, message):
    path = _write(tmp_path / "bad-idx3-ubyte", payload)
    with pytest.raises(ValueError, match=message) as info:
        data.load_idx(path)
    assert str(path) in str(info.value)


def test_load_idx_truncated_gzip(tmp_path):
    full = gzip.compress(_idx_bytes(np.arange(1000, dtype=np.uint8).reshape(10, 100)))
    path = _write(tmp_path / "cut.gz", full[: len(full) // 2])
    with pytest.raises(ValueError, match="gzip") as info:
        data.load_idx(path)
    assert str(path) in str(info.value)


def test_load_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.load_idx(tmp_path / "nope")


def _write_mnist(folder, prefix, n, gz, rng, dotted=False):
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    sep = "." if dotted else "-"
    suffix = ".gz" if gz else ""
    _write(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", _idx_bytes(images), gz)
    _write(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", _idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path, rng, gz):
    images, labels = _write_mnist(tmp_path, "train", 5, gz, rng)
    _, test_labels = _write_mnist(
        tmp_path / "FashionMNIST" / "raw", "t10k", 3, gz, rng, dotted=True
    )
    x, y = data.load_mnist(tmp_path)
    assert x.shape == (5, 1, 28, 28) and x.dtype == pygrad.float32
    assert y.dtype == pygrad.int64
    np.testing.assert_allclose(_np(x)[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(_np(y), labels)
    xt, yt = data.load_mnist(str(tmp_path), train=False)
    assert xt.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(_np(yt), test_labels)
    assert _np(xt).max() <= 1.0


def test_load_mnist_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.load_mnist(tmp_path)
    _write(tmp_path / "train-images-idx3-ubyte", _idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match=r"4 images but .* 3 labels"):
        data.load_mnist(tmp_path)


def test_load_csv_with_auto_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,0\n3.5,4,1\n\n5,6,2\n")
    x, y = data.load_csv(path)
    assert x.dtype == pygrad.float32 and y.dtype == pygrad.int64
    np.testing.assert_array_equal(_np(x), [[1, 2], [3.5, 4], [5, 6]])
    np.testing.assert_array_equal(_np(y), [0, 1, 2])


def test_load_csv_options(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("0;1.5;2\n1;2.5;3\n")
    x, y = data.load_csv(path, label_column=0, delimiter=";")
    np.testing.assert_array_equal(_np(x), [[1.5, 2], [2.5, 3]])
    np.testing.assert_array_equal(_np(y), [0, 1])
    only = data.load_csv(path, label_column=None, delimiter=";")
    assert only.shape == (2, 3)
    _, regression = data.load_csv(path, label_column=1, delimiter=";", skip_header=False)
    assert regression.dtype == pygrad.float32
    gz = _write(tmp_path / "d.csv.gz", b"h1,h2\n1,0\n2,1\n", gz=True)
    x, y = data.load_csv(gz, skip_header=True)
    np.testing.assert_array_equal(_np(x), [[1], [2]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("1,2,3\n4,5\n", "line 2: 2 fields, expected 3"),
        ("x,y\n1,2\n3,oops\n", r"line 3: 'oops' is not a number"),
        ("a,b\n", "no data rows"),
    ],
)
def test_load_csv_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        data.load_csv(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match="label_column 5 is out of range"):
        data.load_csv(_write(tmp_path / "ok.csv", b"1,2\n"), label_column=5)


def test_load_npz(tmp_path, rng):
    path = tmp_path / "d.npz"
    images = rng.integers(0, 256, size=(6, 1, 4, 4)).astype(np.uint8)
    np.savez_compressed(path, x=images, y=np.arange(6), feats=rng.standard_normal((6, 3)))
    x, y = data.load_npz(path)
    assert x.dtype == pygrad.int64 and y.dtype == pygrad.int64 and x.shape == (6, 1, 4, 4)
    xf, _ = data.load_npz(path, dtype=pygrad.float32)
    assert xf.dtype == pygrad.float32
    np.testing.assert_array_equal(_np(xf), images)
    feats = data.load_npz(str(path), x_key="feats", y_key=None)
    assert feats.dtype == pygrad.float64 and feats.shape == (6, 3)


def test_load_npz_errors(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((4, 2), np.float32), y=np.zeros(3))
    with pytest.raises(ValueError, match=r"no array named 'labels'.*\['x', 'y'\]") as info:
        data.load_npz(path, y_key="labels")
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match="4 rows but 'y' has 3"):
        data.load_npz(path)
    garbage = _write(tmp_path / "garbage.npz", b"this is not a zip file at all")
    with pytest.raises(ValueError, match="not a valid or complete npz archive") as info:
        data.load_npz(garbage)
    assert str(garbage) in str(info.value)
    big = tmp_path / "big.npz"
    np.savez(big, x=np.arange(5000.0), y=np.arange(5000))
    cut = _write(tmp_path / "cut.npz", big.read_bytes()[:30000])
    with pytest.raises(ValueError, match=r"cut\.npz: not a valid or complete"):
        data.load_npz(cut)
    compressed = tmp_path / "c.npz"
    np.savez_compressed(compressed, x=np.linspace(0, 1, 5000), y=np.arange(5000))
    damaged = bytearray(compressed.read_bytes())
    damaged[2000] ^= 0xFF
    flipped = _write(tmp_path / "flipped.npz", bytes(damaged))
    with pytest.raises(ValueError, match=r"flipped\.npz: corrupt or truncated array data"):
        data.load_npz(flipped)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="not an npz archive"):
        data.load_npz(single)
    with pytest.raises(FileNotFoundError):
        data.load_npz(tmp_path / "missing.npz")


# --- transforms ------------------------------------------------------------------------------


def _crop_reference(x, top, left, out_h, out_w, fill):
    """Straightforward per-image reference: out[b, :, i, j] = x[b, :, i + top, j + left] or fill."""
    b, c, h, w = x.shape
    out = np.full((b, c, out_h, out_w), fill, dtype=x.dtype)
    for n in range(b):
        for i in range(out_h):
            for j in range(out_w):
                sy, sx = i + top[n], j + left[n]
                if 0 <= sy < h and 0 <= sx < w:
                    out[n, :, i, j] = x[n, :, sy, sx]
    return out


def _shift_reference(x, dy, dx, fill):
    """Each image moved down by dy and right by dx with numpy slicing into a filled canvas."""
    out = np.full_like(x, fill)
    h, w = x.shape[2:]
    for n in range(x.shape[0]):
        a, b = dy[n], dx[n]
        if abs(a) >= h or abs(b) >= w:
            continue  # moved out entirely
        src = x[n, :, max(0, -a) : h - max(0, a), max(0, -b) : w - max(0, b)]
        out[n, :, max(0, a) : max(0, a) + src.shape[1], max(0, b) : max(0, b) + src.shape[2]] = src
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_pixels", [0, 1, 3, 9])
def test_random_shift_matches_reference(rng, dtype, max_pixels):
    x = rng.standard_normal((16, 3, 7, 9)).astype(dtype)
    shift = RandomShift(max_pixels, fill=-5.0, seed=42)
    out = shift(pygrad.from_numpy(x))
    assert out.shape == (16, 3, 7, 9) and _np(out).dtype == dtype
    offsets = np.random.default_rng(42).integers(-max_pixels, max_pixels + 1, size=32)
    dy, dx = offsets[:16], offsets[16:]
    np.testing.assert_array_equal(_np(out), _shift_reference(x, dy, dx, -5.0))
    np.testing.assert_array_equal(_np(out), _crop_reference(x, -dy, -dx, 7, 9, -5.0))


def test_random_shift_moves_each_image_with_the_border_filled():
    x = np.ones((64, 1, 5, 5), np.float32)
    out = _np(RandomShift(2, fill=0.0, seed=0)(pygrad.from_numpy(x)))
    ones = out.sum(axis=(1, 2, 3))
    assert set(ones.tolist()) <= {float(r * c) for r in (3, 4, 5) for c in (3, 4, 5)}
    assert len(set(ones.tolist())) > 3  # different images get different offsets
    for img in out[:, 0]:  # the kept region is one rectangle touching two opposite-free edges
        rows, cols = np.nonzero(img)
        assert img[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()


def test_random_shift_seeds_and_global_generator(rng):
    x = pygrad.from_numpy(rng.standard_normal((8, 2, 6, 6)).astype(np.float32))
    a = RandomShift(2, seed=1)
    b = RandomShift(2, seed=1)
    first = _np(a(x))
    np.testing.assert_array_equal(first, _np(b(x)))
    assert not np.array_equal(first, _np(a(x)))  # the next batch gets new offsets
    pygrad.manual_seed(11)
    g1 = _np(RandomShift(2)(x))
    pygrad.manual_seed(11)
    np.testing.assert_array_equal(g1, _np(RandomShift(2)(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size, padding", [(5, 0), ((4, 6), 0), (8, 2), ((3, 9), 1), (7, 4)])
def test_random_crop_matches_reference(rng, dtype, size, padding):
    x = rng.standard_normal((12, 2, 6, 7)).astype(dtype)
    crop = RandomCrop(size, padding=padding, fill=2.5, seed=3)
    out = crop(pygrad.from_numpy(x))
    oh, ow = (size, size) if isinstance(size, int) else size
    assert out.shape == (12, 2, oh, ow) and _np(out).dtype == dtype
    gen = np.random.default_rng(3)
    top = gen.integers(0, 6 + 2 * padding - oh + 1, size=12) - padding
    left = gen.integers(0, 7 + 2 * padding - ow + 1, size=12) - padding
    np.testing.assert_array_equal(_np(out), _crop_reference(x, top, left, oh, ow, 2.5))
    padded = np.pad(
        x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=2.5
    )
    for n in range(12):
        t, l_ = top[n] + padding, left[n] + padding
        np.testing.assert_array_equal(_np(out)[n], padded[n, :, t : t + oh, l_ : l_ + ow])


def test_random_crop_covers_every_position_and_errors(rng):
    x = pygrad.from_numpy(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4).repeat(400, 0))
    corners = {float(v) for v in _np(RandomCrop(2, seed=0)(x))[:, 0, 0, 0]}
    assert corners == {0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0}
    with pytest.raises(ValueError, match="larger than the padded image"):
        RandomCrop(7, padding=1)(x)
    with pytest.raises(TypeError, match="size"):
        RandomCrop("3")
    with pytest.raises(ValueError, match="padding"):
        RandomCrop(3, padding=-1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_horizontal_flip_matches_reference(rng, dtype):
    x = rng.standard_normal((40, 3, 5, 6)).astype(dtype)
    out = _np(RandomHorizontalFlip(0.5, seed=8)(pygrad.from_numpy(x)))
    flags = np.random.default_rng(8).random(40) < 0.5
    expected = np.where(flags[:, None, None, None], x[..., ::-1], x)
    np.testing.assert_array_equal(out, expected)
    assert 0 < flags.sum() < 40
    np.testing.assert_array_equal(_np(RandomHorizontalFlip(0.0)(pygrad.from_numpy(x))), x)
    np.testing.assert_array_equal(
        _np(RandomHorizontalFlip(1.0)(pygrad.from_numpy(x))), x[..., ::-1]
    )
    with pytest.raises(ValueError, match="p must be"):
        RandomHorizontalFlip(1.5)


def test_flip_reproducible_under_manual_seed(rng):
    x = pygrad.from_numpy(rng.standard_normal((32, 1, 3, 3)))
    pygrad.manual_seed(5)
    a = _np(RandomHorizontalFlip()(x))
    pygrad.manual_seed(5)
    np.testing.assert_array_equal(a, _np(RandomHorizontalFlip()(x)))


def test_transforms_accept_non_contiguous_input(rng):
    base = rng.standard_normal((4, 6, 6, 2)).astype(np.float32)
    x = pygrad.from_numpy(base).permute(0, 3, 1, 2)  # [4, 2, 6, 6], not contiguous
    assert not x.is_contiguous()
    out = _np(RandomShift(1, seed=0)(x))
    gen = np.random.default_rng(0).integers(-1, 2, size=8)
    np.testing.assert_array_equal(
        out, _shift_reference(base.transpose(0, 3, 1, 2), gen[:4], gen[4:], 0.0)
    )


@pytest.mark.parametrize(
    "transform",
    [RandomShift(1), RandomCrop(2), RandomHorizontalFlip(), GaussianNoise(0.1), Normalize(0, 1)],
)
def test_transform_input_checks(transform):
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        transform(pygrad.zeros(3, 4, 4))
    with pytest.raises(TypeError, match="float32 or float64"):
        transform(pygrad.zeros(1, 1, 4, 4, dtype=pygrad.int64))
    with pytest.raises(TypeError, match="Tensor"):
        transform([[1.0]])


def test_transforms_on_an_empty_batch():
    x = pygrad.zeros(0, 1, 4, 4)
    for t in (RandomShift(1, seed=0), RandomCrop(3, seed=0), RandomHorizontalFlip(seed=0)):
        assert t(x).shape[0] == 0


@pytest.mark.parametrize("dtype", [pygrad.float32, pygrad.float64])
def test_gaussian_noise_statistics(dtype):
    x = pygrad.full((64, 2, 16, 16), 3.0, dtype=dtype)
    out = GaussianNoise(0.5, seed=0)(x)
    assert out.dtype == dtype and out.shape == x.shape
    noise = _np(out) - 3.0
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    shifted = _np(GaussianNoise(0.2, mean=1.0, seed=1)(x)) - 3.0
    assert abs(shifted.mean() - 1.0) < 0.01 and abs(shifted.std() - 0.2) < 0.01
    np.testing.assert_array_equal(_np(GaussianNoise(0.5, seed=0)(x)), _np(out))
    pygrad.manual_seed(2)
    a = _np(GaussianNoise(0.5)(x))
    pygrad.manual_seed(2)
    np.testing.assert_array_equal(a, _np(GaussianNoise(0.5)(x)))
    np.testing.assert_array_equal(_np(GaussianNoise(0.0)(x)), _np(x))
    with pytest.raises(ValueError, match="std"):
        GaussianNoise(-1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_values(rng, dtype):
    x = rng.standard_normal((5, 3, 4, 4)).astype(dtype)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 1.5]
    out = Normalize(mean, std)(pygrad.from_numpy(x))
    assert _np(out).dtype == dtype
    expected = (x - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(_np(out), expected.astype(dtype), rtol=1e-6, atol=1e-6)
    scalar = Normalize(0.5, 0.25)(pygrad.from_numpy(x))
    np.testing.assert_allclose(_np(scalar), (x - 0.5) / 0.25, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="2 values but the batch has 3 channels"):
        Normalize([0, 0], [1, 1])(pygrad.from_numpy(x))
    with pytest.raises(ValueError, match="nonzero"):
        Normalize(0, [1, 0, 1])


def test_compose_and_repr(rng):
    x = pygrad.from_numpy(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
    pipeline = Compose([RandomShift(1, seed=0), RandomCrop(6, seed=0), Normalize(0.0, 2.0)])
    out = pipeline(x)
    assert out.shape == (6, 1, 6, 6)
    step = Normalize(0.0, 2.0)(RandomCrop(6, seed=0)(RandomShift(1, seed=0)(x)))
    np.testing.assert_allclose(_np(out), _np(step))
    assert "RandomShift(max_pixels=1" in repr(pipeline) and "Normalize" in repr(pipeline)
    with pytest.raises(TypeError, match="not callable"):
        Compose([1])


def test_dataloader_with_augmentation_on_digits():
    x, y = data.load_digits()
    train, val = random_split(TensorDataset(x, y), [0.8, 0.2], seed=0)
    assert (len(train), len(val)) == (1438, 359)
    loader = DataLoader(
        train, batch_size=128, shuffle=True, seed=0, batch_transform=RandomShift(1, seed=0)
    )
    batches = list(loader)
    assert len(batches) == len(loader) == 12
    assert batches[-1][0].shape == (1438 - 11 * 128, 1, 8, 8)
    total = sum(_np(b[1]).shape[0] for b in batches)
    assert total == 1438

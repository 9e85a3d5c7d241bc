"""pygrad.save / pygrad.load: safetensors round trips, interop with the safetensors package,
atomic writes, and a clear ValueError for each kind of malformed file."""

import collections
import json
import math
import os
import struct

import numpy as np
import pytest

import pygrad
import pygrad.io


def _tensor(array):
    return pygrad.from_numpy(np.array(array, order="C", copy=True))


def _same(a, b):
    assert isinstance(b, pygrad.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.numpy())


DTYPE_CASES = [
    ("float32", np.float32),
    ("float64", np.float64),
    ("int64", np.int64),
    ("bool", np.bool_),
]
SHAPES = [(), (0,), (3, 0, 2), (5,), (2, 3, 4)]


def _values(rng, np_dtype, shape):
    if np_dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np_dtype == np.int64:
        return rng.integers(-(2**62), 2**62, size=shape, dtype=np.int64)
    return rng.standard_normal(shape).astype(np_dtype)


# ----------------------------------------------------------------------------------------------
# round trips


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,np_dtype", DTYPE_CASES, ids=[d[0] for d in DTYPE_CASES])
def test_tensor_round_trip(tmp_path, rng, name, np_dtype, shape):
    t = _tensor(_values(rng, np_dtype, shape))
    path = tmp_path / "t.safetensors"
    pygrad.save(t, path)
    back = pygrad.load(path)
    _same(t, back)
    assert str(back.dtype) == f"pygrad.{name}"


def test_special_float_values_round_trip(tmp_path):
    t = pygrad.tensor([math.nan, math.inf, -math.inf, -0.0, 1e-45, 3.4e38])
    pygrad.save(t, tmp_path / "f.safetensors")
    back = pygrad.load(tmp_path / "f.safetensors").numpy()
    np.testing.assert_array_equal(back, t.numpy())
    assert np.signbit(back[3])


def test_non_contiguous_and_requires_grad_tensors(tmp_path):
    base = pygrad.randn(4, 6)
    view = base.T[::2]  # strided view
    leaf = pygrad.randn(3, requires_grad=True)
    pygrad.save({"view": view, "leaf": leaf}, tmp_path / "v.safetensors")
    back = pygrad.load(tmp_path / "v.safetensors")
    np.testing.assert_array_equal(back["view"].numpy(), view.numpy())
    np.testing.assert_array_equal(back["leaf"].numpy(), leaf.detach().numpy())
    assert not back["leaf"].requires_grad
    assert back["view"].is_contiguous()


def test_state_dict_round_trip_keeps_order(tmp_path, rng):
    sd = collections.OrderedDict()
    sd["layer.weight"] = _tensor(rng.standard_normal((4, 3)).astype(np.float32))
    sd["layer.bias"] = _tensor(rng.standard_normal(4).astype(np.float32))
    sd["bn.num_batches_tracked"] = pygrad.tensor(7)
    sd["mask"] = _tensor(rng.random(5) > 0.5)
    sd["a.float64"] = _tensor(rng.standard_normal((2, 2)))
    pygrad.save(sd, tmp_path / "sd.safetensors")
    back = pygrad.load(tmp_path / "sd.safetensors")
    assert isinstance(back, collections.OrderedDict)
    assert list(back) == list(sd)
    for k in sd:
        _same(sd[k], back[k])


def test_loaded_tensors_are_aligned_and_writable(tmp_path):
    # Mixed item sizes: the writer orders the data so that every tensor is aligned.
    sd = {"flag": pygrad.tensor([True, False, True]), "x": pygrad.randn(3), "i": pygrad.arange(5)}
    pygrad.save(sd, tmp_path / "m.safetensors")
    back = pygrad.load(tmp_path / "m.safetensors")
    for t in back.values():
        assert t.numpy().flags.aligned
    back["x"].add_(1.0)  # loaded tensors are ordinary, writable tensors
    np.testing.assert_allclose(back["x"].numpy(), sd["x"].numpy() + 1, rtol=1e-6)


def test_nested_optimizer_state_round_trip(tmp_path):
    state = {
        "state": {
            0: {"step": 12, "exp_avg": pygrad.randn(3, 2), "exp_avg_sq": pygrad.rand(3, 2)},
            1: {"step": pygrad.tensor(12.0), "momentum_buffer": None},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "nesterov": True,
                "name": "backbone",
                "maximize": None,
                "odd": [math.inf, -math.inf, 2**70, "x.y"],
                "params": [0, 1],
            }
        ],
        "extras": collections.OrderedDict([("b", 1), ("a", 2)]),
        (1, "t"): 2.5,
        1.5: "float key",
        None: True,
    }
    pygrad.save(state, tmp_path / "opt.safetensors")
    back = pygrad.load(tmp_path / "opt.safetensors")
    assert set(back) == set(state)
    assert list(back["state"]) == [0, 1]  # int keys stay ints
    s0 = back["state"][0]
    assert s0["step"] == 12 and isinstance(s0["step"], int)
    _same(state["state"][0]["exp_avg"], s0["exp_avg"])
    _same(state["state"][0]["exp_avg_sq"], s0["exp_avg_sq"])
    _same(state["state"][1]["step"], back["state"][1]["step"])
    assert back["state"][1]["momentum_buffer"] is None
    group = back["param_groups"][0]
    expected = dict(state["param_groups"][0])
    assert group == expected
    assert isinstance(group["betas"], tuple) and isinstance(group["lr"], float)
    assert isinstance(group["weight_decay"], int) and group["amsgrad"] is False
    assert isinstance(back["extras"], collections.OrderedDict) and list(back["extras"]) == [
        "b",
        "a",
    ]
    assert back[(1, "t")] == 2.5 and back[1.5] == "float key" and back[None] is True


def test_nan_in_structure_and_flat_key_collisions(tmp_path):
    obj = {
        "a": {"b": pygrad.ones(1)},
        "a.b": pygrad.zeros(1),
        "nan": math.nan,
        "list": [pygrad.ones(2), 3],
    }
    pygrad.save(obj, tmp_path / "c.safetensors")
    back = pygrad.load(tmp_path / "c.safetensors")
    assert back["a"]["b"].item() == 1.0 and back["a.b"].item() == 0.0
    assert math.isnan(back["nan"])
    assert back["list"][1] == 3 and back["list"][0].tolist() == [1.0, 1.0]


def test_numpy_values_are_converted(tmp_path):
    pygrad.save(
        {"step": np.int64(3), "lr": np.float32(0.5), "arr": np.arange(3)},
        tmp_path / "n.safetensors",
    )
    back = pygrad.load(tmp_path / "n.safetensors")
    assert back["step"] == 3 and back["lr"] == 0.5
    assert back["arr"].tolist() == [0, 1, 2]


def test_unsupported_objects_raise_type_error(tmp_path):
    class Thing:
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match="state_dict"):
        pygrad.save(Thing(), tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="set"):
        pygrad.save({"a": {1, 2}}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)


def test_user_metadata_and_file_objects(tmp_path):
    import io

    buf = io.BytesIO()
    pygrad.save({"w": pygrad.ones(2)}, buf, metadata={"author": "me"})
    buf.seek(0)
    back = pygrad.load(buf)
    assert back["w"].tolist() == [1.0, 1.0]
    n = struct.unpack("<Q", buf.getvalue()[:8])[0]
    header = json.loads(buf.getvalue()[8 : 8 + n])
    assert header["__metadata__"]["author"] == "me"
    with pytest.raises(ValueError, match="reserved"):
        pygrad.save({"w": pygrad.ones(2)}, buf, metadata={"pygrad.format": "x"})


def test_lazy_exports():
    assert pygrad.save is pygrad.io.save and pygrad.load is pygrad.io.load


def test_header_layout_is_safetensors(tmp_path):
    pygrad.save(
        {"b": pygrad.zeros(2, dtype=pygrad.bool), "w": pygrad.ones(2, 3)},
        tmp_path / "h.safetensors",
    )
    raw = (tmp_path / "h.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert (8 + n) % 8 == 0
    header = json.loads(raw[8 : 8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["b"] == {"dtype": "BOOL", "shape": [2], "data_offsets": [24, 26]}
    assert len(raw) == 8 + n + 26
    assert np.frombuffer(raw[8 + n : 8 + n + 24], "<f4").tolist() == [1.0] * 6


# ----------------------------------------------------------------------------------------------
# no pickle


def test_files_are_not_pickles(tmp_path):

    pygrad.save({"state": {0: {"x": pygrad.ones(2)}}, "name": "a"}, tmp_path / "p.safetensors")
    raw = (tmp_path / "p.safetensors").read_bytes()
    assert not raw.startswith(b"\x80")  # every pickle protocol >= 2 starts with PROTO
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])  # plain JSON, then raw numbers: nothing to unpickle
    assert header["state.0.x"]["dtype"] == "F32" and len(raw) == 8 + n + 8


def test_load_map_location_is_a_cpu_device_or_refused(tmp_path):
    pygrad.save(pygrad.ones(2), tmp_path / "t.safetensors")
    for where in (None, "cpu", pygrad.device("cpu")):
        assert pygrad.load(tmp_path / "t.safetensors", map_location=where).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"\[load\] cannot use device 'cuda:0'"):
        pygrad.load(tmp_path / "t.safetensors", map_location="cuda:0")
    # PyTorch's callables and dicts remap storages between devices: nothing to remap here.
    for where in (lambda storage, location: storage, {"cuda:0": "cpu"}):
        with pytest.raises(TypeError, match="map_location must be None, a device string"):
            pygrad.load(tmp_path / "t.safetensors", map_location=where)


def test_load_never_unpickles(tmp_path, monkeypatch):
    import pickle

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    pygrad.save({"a": [pygrad.ones(1), {"b": 2}]}, tmp_path / "q.safetensors")
    assert pygrad.load(tmp_path / "q.safetensors")["a"][1] == {"b": 2}
    # A pickle handed to load is rejected as malformed, not executed.
    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"x": 1}, protocol=2) + b"\0" * 16)
    with pytest.raises(ValueError, match=r"evil\.pt"):
        pygrad.load(tmp_path / "evil.pt")


# ----------------------------------------------------------------------------------------------
# interop with the safetensors package


def test_state_dict_opens_in_safetensors_numpy(tmp_path, rng):
    st_numpy = pytest.importorskip(
        "safetensors.numpy", reason="the safetensors package (a test extra) is not installed"
    )
    sd = {
        "w": _tensor(rng.standard_normal((3, 4)).astype(np.float32)),
        "d": _tensor(rng.standard_normal(2)),
        "i": pygrad.arange(4),
        "m": pygrad.tensor([True, False]),
        "s": pygrad.tensor(2.5),
        "e": pygrad.zeros(0, 2),
    }
    pygrad.save(sd, tmp_path / "sd.safetensors")
    arrays = st_numpy.load_file(str(tmp_path / "sd.safetensors"))
    assert set(arrays) == set(sd)
    for k, t in sd.items():
        assert arrays[k].shape == tuple(t.shape)
        np.testing.assert_array_equal(arrays[k], t.numpy())
    from safetensors import safe_open

    with safe_open(str(tmp_path / "sd.safetensors"), framework="numpy") as f:
        assert f.metadata()["pygrad.format"] == "state_dict"
        np.testing.assert_array_equal(f.get_tensor("w"), sd["w"].numpy())


def test_nested_state_opens_in_safetensors(tmp_path):
    st_numpy = pytest.importorskip(
        "safetensors.numpy", reason="the safetensors package (a test extra) is not installed"
    )
    pygrad.save(
        {"state": {0: {"exp_avg": pygrad.ones(2)}}, "param_groups": [{"lr": 0.1}]},
        tmp_path / "o.safetensors",
    )
    arrays = st_numpy.load_file(str(tmp_path / "o.safetensors"))
    assert list(arrays) == ["state.0.exp_avg"]


def test_state_dict_opens_in_torch_through_safetensors(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed")
    st_torch = pytest.importorskip(
        "safetensors.torch", reason="the safetensors package (a test extra) is not installed"
    )
    import torch

    sd = {
        "w": pygrad.randn(2, 3),
        "b": pygrad.zeros(3, dtype=pygrad.float64),
        "n": pygrad.tensor(3),
    }
    pygrad.save(sd, tmp_path / "sd.safetensors")
    tensors = st_torch.load_file(str(tmp_path / "sd.safetensors"))
    assert tensors["w"].dtype == torch.float32 and tensors["b"].dtype == torch.float64
    assert tensors["n"].dtype == torch.int64 and tensors["n"].shape == ()
    np.testing.assert_array_equal(tensors["w"].numpy(), sd["w"].numpy())


def test_files_from_safetensors_load_in_pygrad(tmp_path, rng):
    st_numpy = pytest.importorskip(
        "safetensors.numpy", reason="the safetensors package (a test extra) is not installed"
    )
    arrays = {
        "f32": rng.standard_normal((3, 2)).astype(np.float32),
        "f64": rng.standard_normal(4),
        "i64": np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
        "b": np.array([True, False, True]),
        "scalar": np.array(1.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "i32": np.array([1, -2, 3], dtype=np.int32),
        "f16": np.array([0.5, -2.0], dtype=np.float16),
    }
    st_numpy.save_file(arrays, str(tmp_path / "np.safetensors"), metadata={"source": "numpy"})
    back = pygrad.load(tmp_path / "np.safetensors")
    assert isinstance(back, collections.OrderedDict) and set(back) == set(arrays)
    for k, a in arrays.items():
        np.testing.assert_array_equal(back[k].numpy(), a)
        assert tuple(back[k].shape) == a.shape
    assert back["i32"].dtype == pygrad.int32 and back["f16"].dtype == pygrad.float16  # kept


def test_files_from_safetensors_torch_load_in_pygrad(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed")
    st_torch = pytest.importorskip(
        "safetensors.torch", reason="the safetensors package (a test extra) is not installed"
    )
    import torch

    g = torch.Generator().manual_seed(0)
    tensors = {
        "linear.weight": torch.randn(4, 3, generator=g),
        "linear.bias": torch.randn(4, generator=g, dtype=torch.float64),
        "steps": torch.tensor(5),
        "bf16": torch.tensor([1.5, -0.25], dtype=torch.bfloat16),
    }
    st_torch.save_file(tensors, str(tmp_path / "t.safetensors"))
    back = pygrad.load(tmp_path / "t.safetensors")
    for k, t in tensors.items():
        assert str(back[k].dtype) == str(t.dtype).replace("torch", "pygrad")
        np.testing.assert_array_equal(back[k].float().numpy(), t.float().numpy())
    # and the round trip back into torch through pygrad's writer, bit for bit in every dtype
    pygrad.save(back, tmp_path / "again.safetensors")
    again = st_torch.load_file(str(tmp_path / "again.safetensors"))
    for k, t in tensors.items():
        assert again[k].dtype == t.dtype and torch.equal(again[k], t)


# ----------------------------------------------------------------------------------------------
# atomic writes


def test_crash_mid_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    pygrad.save({"w": pygrad.ones(3)}, path)
    before = path.read_bytes()

    real_write = pygrad.io._write

    def crashing_write(f, head, arrays):
        f.write(head[:5])
        raise KeyboardInterrupt("power cut")  # even a BaseException cleans up

    monkeypatch.setattr(pygrad.io, "_write", crashing_write)
    with pytest.raises(KeyboardInterrupt):
        pygrad.save({"w": pygrad.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]

    monkeypatch.setattr(pygrad.io, "_write", real_write)
    pygrad.save({"w": pygrad.zeros(2)}, path)
    assert pygrad.load(path)["w"].tolist() == [0.0, 0.0]
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_failed_fsync_or_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    pygrad.save(pygrad.ones(2), path)
    before = path.read_bytes()

    def failing(*args, **kwargs):
        raise OSError("disk full")

    for target in ("fsync", "replace"):
        with monkeypatch.context() as m:
            m.setattr(pygrad.io.os, target, failing)
            with pytest.raises(OSError, match="disk full"):
                pygrad.save(pygrad.zeros(5), path)
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_save_uses_temp_file_fsync_and_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append("fsync")
        return real_fsync(fd)

    def replace(src, dst):
        calls.append(
            ("replace", os.path.dirname(src) == os.path.dirname(dst), os.path.basename(src))
        )
        return real_replace(src, dst)

    monkeypatch.setattr(pygrad.io.os, "fsync", fsync)
    monkeypatch.setattr(pygrad.io.os, "replace", replace)
    pygrad.save(pygrad.ones(2), tmp_path / "a.safetensors")
    assert calls[0] == "fsync"  # the data before the rename
    assert calls[1][0] == "replace" and calls[1][1] and calls[1][2].endswith(".tmp")
    assert calls[2:] == ["fsync"]  # then the directory


def test_save_into_a_directory_path_fails_cleanly(tmp_path):
    with pytest.raises(IsADirectoryError):
        pygrad.save(pygrad.ones(1), tmp_path)


# ----------------------------------------------------------------------------------------------
# malformed files


def _file(tmp_path, header, data=b"", raw_header=None, length=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    n = len(text) if length is None else length
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", n) + text + data)
    return path


def _entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


MALFORMED = {
    "empty file": (None, "truncated"),
    "short file": (b"\x01\x02\x03", "truncated"),
    "header length larger than the file": ("long", "larger than the file"),
    "invalid json": ("json", "not valid JSON"),
    "invalid utf-8": ("utf8", "not valid JSON"),
    "header not an object": ([1, 2], "not an object"),
    "unknown dtype": ({"x": _entry("F128", [1], 0, 16)}, "unknown or unsupported dtype 'F128'"),
    "missing field": ({"x": {"dtype": "F32", "shape": [1]}}, "exactly"),
    "negative shape": ({"x": _entry("F32", [-1], 0, 4)}, "non-negative"),
    "shape/offset size mismatch": ({"x": _entry("F32", [2, 2], 0, 12)}, "needs 16 bytes"),
    "begin after end": ({"x": _entry("F32", [0], 8, 4)}, "begin <= end"),
    "offsets out of bounds": ({"x": _entry("F32", [4], 0, 16)}, "out of bounds"),
    "overlapping tensors": (
        {"a": _entry("F32", [2], 0, 8), "b": _entry("F32", [2], 4, 12)},
        "overlaps",
    ),
    "gap between tensors": (
        {"a": _entry("F32", [1], 0, 4), "b": _entry("F32", [1], 8, 12)},
        "gap",
    ),
    "trailing bytes": ({"a": _entry("F32", [1], 0, 4)}, "trailing"),
    "duplicate keys": ("dup", "duplicate key 'a'"),
    "metadata not strings": ({"__metadata__": {"a": 1}}, "__metadata__"),
    "structure not json": (
        {"__metadata__": {"pygrad.format": "structure", "pygrad.structure": "{oops"}},
        "pygrad.structure",
    ),
    "structure unknown element": (
        {
            "__metadata__": {
                "pygrad.format": "structure",
                "pygrad.structure": '{"code": "import os"}',
            }
        },
        "unknown element",
    ),
    "structure missing tensor": (
        {"__metadata__": {"pygrad.format": "structure", "pygrad.structure": '{"tensor": "nope"}'}},
        "doesn't hold",
    ),
    "unknown format": ({"__metadata__": {"pygrad.format": "pickle"}}, "unknown pygrad.format"),
    "bool bytes other than 0/1": ({"m": _entry("BOOL", [2], 0, 2)}, "BOOL"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_files_raise_value_error(tmp_path, case):
    header, message = MALFORMED[case]
    data_bytes = (
        12
        if case in ("gap between tensors", "overlapping tensors", "shape/offset size mismatch")
        else 8
    )
    if header is None:
        path = tmp_path / "bad.safetensors"
        path.write_bytes(b"")
    elif isinstance(header, bytes):
        path = tmp_path / "bad.safetensors"
        path.write_bytes(header)
    elif header == "long":
        path = _file(tmp_path, None, raw_header=b"{}", length=10**6)
    elif header == "json":
        path = _file(tmp_path, None, raw_header=b'{"a": ')
    elif header == "utf8":
        path = _file(tmp_path, None, raw_header=b'{"\xff": 1}')
    elif header == "dup":
        path = _file(
            tmp_path,
            None,
            raw_header=b'{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, '
            b'"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}',
        )
    elif case == "bool bytes other than 0/1":
        path = _file(tmp_path, header, data=b"\x01\x07")
    elif case.startswith("structure") or case in ("metadata not strings", "unknown format"):
        path = _file(tmp_path, header)
    else:
        path = _file(tmp_path, header, data=b"\0" * data_bytes)
    with pytest.raises(ValueError, match=r"bad\.safetensors") as info:
        pygrad.load(path)
    assert message in str(info.value), str(info.value)


def test_truncated_checkpoint_is_rejected(tmp_path):
    path = tmp_path / "full.safetensors"
    pygrad.save({"w": pygrad.randn(10, 10), "b": pygrad.randn(10)}, path)
    raw = path.read_bytes()
    for cut in (4, 20, len(raw) - 1):
        path.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match=r"full\.safetensors"):
            pygrad.load(path)

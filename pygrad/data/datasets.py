"""The bundled 8x8 digits, and loaders for user files: MNIST-style IDX, CSV and npz.

Every loader raises a ValueError that names the file and the problem when a file is malformed
or truncated (a missing file raises FileNotFoundError as usual).
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from typing import Any, Union, overload

import numpy as np

from pygrad import _C
from pygrad._C import Tensor

__all__ = ["load_csv", "load_digits", "load_idx", "load_mnist", "load_npz"]

# A file name: a str or a pathlib.Path.
_Path = Union[str, "os.PathLike[str]"]

_HERE = os.path.dirname(os.path.abspath(__file__))

# IDX element type codes (http://yann.lecun.com/exdb/mnist/): big-endian multi-byte values.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def load_digits() -> tuple[Tensor, Tensor]:
    """The bundled 8x8 handwritten digits (UCI ML hand-written digits, 1,797 images, CC BY 4.0).

    E. Alpaydin and C. Kaynak's "Optical Recognition of Handwritten Digits" test set, as shipped
    with scikit-learn; see ``pygrad/data/DIGITS_LICENSE.txt`` for source and attribution.

    Returns:
        (images, labels): float32 tensor [1797, 1, 8, 8] with values in [0, 1] (the original
        0..16 counts divided by 16), and int64 tensor [1797] of classes 0..9.
    """
    path = os.path.join(_HERE, "digits.npz")
    with np.load(path, allow_pickle=False) as archive:
        images = archive["images"]
        labels = archive["labels"]
    x = (images.astype(np.float32) / np.float32(16.0)).reshape(-1, 1, 8, 8)
    return _C.from_numpy(np.ascontiguousarray(x)), _C.from_numpy(labels.astype(np.int64))


def _read_bytes(path: str, op: str) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (by magic bytes, not its name)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"[{op}] {path}: corrupt or truncated gzip data ({error})") from None
    return data


def load_idx(path: _Path) -> np.ndarray:
    """Reads an IDX file (MNIST / Fashion-MNIST format), gzipped or not.

    Args:
        path: the file (``train-images-idx3-ubyte``, ``...-idx1-ubyte.gz``, ...).
    Returns:
        A numpy array in native byte order with the file's element type (uint8 for MNIST) and its
        dimensions, e.g. [60000, 28, 28].
    Raises:
        ValueError: naming the path, for a bad magic number, an unknown type code, or a size that
            does not match the header's dimensions (a truncated or padded file).
    """
    path = os.fspath(path)
    data = _read_bytes(path, "load_idx")
    if len(data) < 4:
        raise ValueError(f"[load_idx] {path}: file too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"[load_idx] {path}: bad magic number 0x{data[:4].hex()} (an IDX file starts with two "
            "zero bytes, a type code and the number of dimensions)"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"[load_idx] {path}: unknown element type code 0x{code:02x} in magic number "
            f"0x{data[:4].hex()} (expected one of "
            + ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
            + ")"
        )
    if ndim == 0:
        raise ValueError(f"[load_idx] {path}: the header declares zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"[load_idx] {path}: truncated header: {ndim} dimensions need {header} bytes, "
            f"the file has {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        problem = "truncated" if actual < expected else "has trailing data"
        raise ValueError(
            f"[load_idx] {path}: file {problem}: dimensions {list(dims)} of {dtype.name} need "
            f"{expected} data bytes, found {actual}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


_MNIST_NAMES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find_mnist_file(root: str, stem: str) -> str:
    folders = [root] + [os.path.join(root, sub, "raw") for sub in ("MNIST", "FashionMNIST")]
    folders.append(os.path.join(root, "raw"))
    candidates = []
    for folder in folders:
        for name in (stem, stem.replace("-idx", ".idx")):  # some mirrors use a dot
            for suffix in ("", ".gz"):
                candidate = os.path.join(folder, name + suffix)
                candidates.append(candidate)
                if os.path.isfile(candidate):
                    return candidate
    raise FileNotFoundError(
        f"[load_mnist] no {stem}[.gz] under {root} (looked in {', '.join(sorted(set(folders)))})"
    )


def load_mnist(root: _Path, train: bool = True) -> tuple[Tensor, Tensor]:
    """Loads MNIST or Fashion-MNIST from the standard IDX files under ``root``.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (``t10k-...`` when
    ``train=False``), gzipped or not, in ``root``, ``root/raw``, ``root/MNIST/raw`` and
    ``root/FashionMNIST/raw`` (torchvision's layout).

    Args:
        root: the folder holding the files.
        train: the training split (60,000 images) or the test split (10,000).
    Returns:
        (images, labels): float32 tensor [N, 1, H, W] scaled to [0, 1], int64 tensor [N].
    """
    root = os.fspath(root)
    image_path, label_path = (_find_mnist_file(root, stem) for stem in _MNIST_NAMES[bool(train)])
    images = load_idx(image_path)
    labels = load_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"[load_mnist] {image_path}: expected uint8 images [N, H, W], got {images.dtype} "
            f"{list(images.shape)}"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"[load_mnist] {label_path}: expected labels [N], got {list(labels.shape)}"
        )
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"[load_mnist] {image_path} has {images.shape[0]} images but {label_path} has "
            f"{labels.shape[0]} labels"
        )
    x = (images.astype(np.float32) / np.float32(255.0))[:, None]
    return _C.from_numpy(np.ascontiguousarray(x)), _C.from_numpy(labels.astype(np.int64))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels_tensor(values: np.ndarray) -> Tensor:
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return _C.from_numpy(values.astype(np.int64))
    return _C.from_numpy(values.astype(np.float32))


@overload
def load_csv(
    path: _Path,
    label_column: int = -1,
    skip_header: bool | str = "auto",
    delimiter: str = ",",
) -> tuple[Tensor, Tensor]: ...


@overload
def load_csv(
    path: _Path,
    label_column: None,
    skip_header: bool | str = "auto",
    delimiter: str = ",",
) -> Tensor: ...


def load_csv(
    path: _Path,
    label_column: int | None = -1,
    skip_header: bool | str = "auto",
    delimiter: str = ",",
) -> Tensor | tuple[Tensor, Tensor]:
    """Loads a numeric CSV file: one sample a row, one column of labels.

    Args:
        path: the file (``.gz`` files are decompressed).
        label_column: index of the label column (negative counts from the end), or None when
            every column is a feature.
        skip_header: True / False, or "auto": skip the first line when one of its fields is not
            a number.
        delimiter: the field separator.
    Returns:
        (features, labels): float32 tensor [N, F], and labels as int64 [N] when they are all
        whole numbers (float32 otherwise); ``features`` alone when label_column is None.
    Raises:
        ValueError: naming the path and line for a non-numeric field or a row of the wrong length.
    """
    path = os.fspath(path)
    raw = _read_bytes(path, "load_csv")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"[load_csv] {path}: not a UTF-8 text file ({error})") from None
    lines = text.splitlines()
    first = 0
    if lines:
        if skip_header == "auto":
            skip = not all(_is_number(field) for field in lines[0].split(delimiter))
        elif isinstance(skip_header, bool):
            skip = skip_header
        else:
            raise ValueError(
                f"[load_csv] skip_header must be True, False or 'auto', got {skip_header!r}"
            )
        first = 1 if skip else 0
    rows: list[list[float]] = []
    width = 0
    for number, line in enumerate(lines[first:], start=first + 1):
        if not line.strip():
            continue
        fields = line.split(delimiter)
        if not width:
            width = len(fields)
        elif len(fields) != width:
            raise ValueError(
                f"[load_csv] {path}, line {number}: {len(fields)} fields, expected {width}"
            )
        try:
            rows.append([float(field) for field in fields])
        except ValueError:
            bad = next(f for f in fields if not _is_number(f))
            raise ValueError(
                f"[load_csv] {path}, line {number}: {bad.strip()!r} is not a number"
            ) from None
    if not rows:
        raise ValueError(f"[load_csv] {path}: no data rows")
    table = np.asarray(rows, dtype=np.float64)
    if label_column is None:
        return _C.from_numpy(table.astype(np.float32))
    if not -width <= label_column < width:
        raise ValueError(
            f"[load_csv] {path}: label_column {label_column} is out of range for {width} columns"
        )
    column = label_column % width
    features = np.delete(table, column, axis=1).astype(np.float32)
    return _C.from_numpy(np.ascontiguousarray(features)), _labels_tensor(table[:, column])


def _array_tensor(array: np.ndarray, path: str, key: str, dtype: _C.dtype | None) -> Tensor:
    kind = array.dtype.kind
    if kind not in "biuf":
        raise ValueError(f"[load_npz] {path}: array {key!r} has unsupported dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"[load_npz] {path}: array {key!r} is a scalar, expected [N, ...]")
    target: type[np.generic]
    if kind == "f":
        target = np.float64 if array.dtype == np.float64 else np.float32
    else:
        target = np.bool_ if kind == "b" else np.int64
    tensor = _C.from_numpy(np.ascontiguousarray(array, dtype=target))
    return tensor if dtype is None else tensor.to(dtype)


@overload
def load_npz(
    path: _Path, x_key: str = "x", y_key: str = "y", dtype: _C.dtype | None = None
) -> tuple[Tensor, Tensor]: ...


@overload
def load_npz(path: _Path, x_key: str, y_key: None, dtype: _C.dtype | None = None) -> Tensor: ...


@overload
def load_npz(
    path: _Path, x_key: str = "x", *, y_key: None, dtype: _C.dtype | None = None
) -> Tensor: ...


def load_npz(
    path: _Path, x_key: str = "x", y_key: str | None = "y", dtype: _C.dtype | None = None
) -> Tensor | tuple[Tensor, Tensor]:
    """Loads inputs and targets from a numpy ``.npz`` archive (never unpickling anything).

    Args:
        path: the file.
        x_key, y_key: the names of the input and target arrays; y_key=None loads inputs only.
        dtype: converts the inputs to this pygrad dtype (e.g. ``pygrad.float32`` for uint8 images).
    Returns:
        (x, y) tensors (integers become int64, floats keep float32 / float64), or x alone.
    Raises:
        ValueError: naming the path when the file is not a valid npz archive, is truncated, or
            lacks a key (the message lists the keys it has).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[load_npz] no such file: {path}")
    keys = [x_key] + ([] if y_key is None else [y_key])
    with open(path, "rb") as f:  # our own handle: np.load leaks its file when the zip is bad
        try:
            archive = np.load(f, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"[load_npz] {path}: not a valid or complete npz archive ({error})"
            ) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(
                f"[load_npz] {path}: a single .npy array, not an npz archive of named arrays"
            )
        with archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise ValueError(
                    f"[load_npz] {path}: no array named {', '.join(map(repr, missing))}; "
                    f"the archive has {archive.files}"
                )
            try:
                arrays = [archive[k] for k in keys]
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
                raise ValueError(
                    f"[load_npz] {path}: corrupt or truncated array data "
                    f"({type(error).__name__}: {error})"
                ) from None
    x = _array_tensor(arrays[0], path, x_key, dtype)
    if y_key is None:
        return x
    y = _array_tensor(arrays[1], path, y_key, None)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"[load_npz] {path}: {x_key!r} has {x.shape[0]} rows but {y_key!r} has {y.shape[0]}"
        )
    return x, y

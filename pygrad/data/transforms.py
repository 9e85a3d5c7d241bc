"""Augmentation transforms on whole batches [B, C, H, W] of float32 / float64 pygrad tensors.

Each transform draws its per-image random numbers in one vectorised call, from its own numpy
Generator when built with ``seed=``, otherwise from pygrad's global generator (so
``pygrad.manual_seed`` makes a run reproducible). The per-image window copies and flips run in
the Cython kernels of ``pygrad.data._augment``, without the GIL.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import as_tensor, rand, randint, randn, tensor
from pygrad.data.dataset import _is_int

__all__ = [
    "Compose",
    "GaussianNoise",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomShift",
    "Transform",
]


def _kernels() -> ModuleType:
    try:
        from pygrad.data import _augment
    except ImportError as error:  # pragma: no cover - only in a broken install
        raise ImportError(
            "pygrad.data._augment (the Cython augmentation kernels) is not built; reinstall "
            f"pygrad or rebuild it ({error})"
        ) from None
    return _augment


class _Random:
    """Vectorised random draws: a seeded numpy Generator, or pygrad's global generator."""

    def __init__(self, seed: int | None) -> None:
        if seed is not None and not _is_int(seed):
            raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
        self.rng = None if seed is None else np.random.default_rng(int(seed))

    def integers(self, low: int, high: int, size: int) -> np.ndarray:
        """int64 numpy array of ``size`` draws from [low, high] (both ends included)."""
        if self.rng is not None:
            return self.rng.integers(low, high + 1, size=size, dtype=np.int64)
        return randint(low, high + 1, (size,)).numpy()

    def uniform(self, size: int) -> np.ndarray:
        """float64 numpy array of ``size`` draws from [0, 1)."""
        if self.rng is not None:
            return self.rng.random(size)
        return rand(size, dtype=_C.float64).numpy()

    def normal(self, shape: tuple[int, ...], dtype: _C.dtype) -> Tensor:
        """A standard normal pygrad tensor of ``shape`` and ``dtype``."""
        if self.rng is not None:
            if dtype == _C.float64:
                return _C.from_numpy(self.rng.standard_normal(shape, dtype=np.float64))
            return _C.from_numpy(self.rng.standard_normal(shape, dtype=np.float32))
        return randn(*shape, dtype=dtype)


def _batch(x: object, op: str) -> tuple[Tensor, np.ndarray]:
    """(tensor, contiguous numpy view) of a float [B, C, H, W] batch, with clear errors."""
    if isinstance(x, np.ndarray):
        x = as_tensor(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expects a pygrad Tensor, got {type(x).__name__}")
    if x.dtype not in (_C.float32, _C.float64):
        raise TypeError(f"[{op}] expects a float32 or float64 batch, got {x.dtype}")
    if x.dim() != 4:
        raise ValueError(f"[{op}] expects a batch [B, C, H, W], got shape {list(x.shape)}")
    return x, x.detach().contiguous().numpy()


def _pair(value: object, name: str, op: str) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and _is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"[{op}] {name} must be an int or a pair of ints, got {value!r}")


class Transform:
    """Base class: a callable from a batch tensor to a batch tensor."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._repr_fields().items())
        return f"{type(self).__name__}({fields})"

    def _repr_fields(self) -> dict[str, Any]:
        return {}


class RandomShift(Transform):
    """Moves each image by its own random integer offset, filling the uncovered border.

    Image b is shifted down by dy[b] and right by dx[b] pixels (negative: up / left), with
    dy, dx drawn independently and uniformly from [-max_pixels, max_pixels]; pixels shifted out
    are dropped and the uncovered ones set to ``fill``. Every channel of an image moves together.

    Args:
        max_pixels: the largest shift in either axis.
        fill: the value of the uncovered border.
        seed: an int for a private generator; None draws from pygrad's global generator.
    """

    def __init__(self, max_pixels: int, fill: float = 0.0, seed: int | None = None) -> None:
        if not _is_int(max_pixels) or max_pixels < 0:
            raise ValueError(
                f"[RandomShift] max_pixels must be a non-negative int, got {max_pixels!r}"
            )
        self.max_pixels = int(max_pixels)
        self.fill = float(fill)
        self.seed = seed
        self._random = _Random(seed)

    def __call__(self, x: Tensor) -> Tensor:
        x, src = _batch(x, "RandomShift")
        b = src.shape[0]
        m = self.max_pixels
        offsets = self._random.integers(-m, m, 2 * b)
        dy, dx = offsets[:b], offsets[b:]
        out = np.empty_like(src)
        _kernels().crop_windows(
            src, out, np.ascontiguousarray(-dy), np.ascontiguousarray(-dx), self.fill
        )
        return _C.from_numpy(out)

    def _repr_fields(self) -> dict[str, Any]:
        return {"max_pixels": self.max_pixels, "fill": self.fill, "seed": self.seed}


class RandomCrop(Transform):
    """Crops each image at its own random position, after optional padding.

    Image b is padded with ``padding`` pixels of ``fill`` on every side, then a ``size`` window
    is cut at a top-left corner drawn uniformly from all positions that fit (as torchvision's
    RandomCrop, with a different position per image). No padded copy is made: the kernel reads
    the window straight from the source and writes ``fill`` where it falls outside.

    Args:
        size: the output (height, width), or an int for a square.
        padding: pixels of ``fill`` added on each side before cropping.
        fill: the padding value.
        seed: an int for a private generator; None draws from pygrad's global generator.
    """

    def __init__(
        self,
        size: int | tuple[int, int],
        padding: int = 0,
        fill: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.size = _pair(size, "size", "RandomCrop")
        if min(self.size) < 1:
            raise ValueError(f"[RandomCrop] size must be positive, got {size!r}")
        if not _is_int(padding) or padding < 0:
            raise ValueError(f"[RandomCrop] padding must be a non-negative int, got {padding!r}")
        self.padding = int(padding)
        self.fill = float(fill)
        self.seed = seed
        self._random = _Random(seed)

    def __call__(self, x: Tensor) -> Tensor:
        x, src = _batch(x, "RandomCrop")
        b, c, h, w = src.shape
        oh, ow = self.size
        p = self.padding
        if oh > h + 2 * p or ow > w + 2 * p:
            raise ValueError(
                f"[RandomCrop] crop size {oh}x{ow} is larger than the padded image "
                f"{h + 2 * p}x{w + 2 * p}"
            )
        top = self._random.integers(0, h + 2 * p - oh, b) - p
        left = self._random.integers(0, w + 2 * p - ow, b) - p
        out = np.empty((b, c, oh, ow), dtype=src.dtype)
        _kernels().crop_windows(src, out, top, left, self.fill)
        return _C.from_numpy(out)

    def _repr_fields(self) -> dict[str, Any]:
        return {"size": self.size, "padding": self.padding, "fill": self.fill, "seed": self.seed}


class RandomHorizontalFlip(Transform):
    """Mirrors each image left-right with probability p (a separate draw per image).

    Args:
        p: the probability of flipping an image.
        seed: an int for a private generator; None draws from pygrad's global generator.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[RandomHorizontalFlip] p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.seed = seed
        self._random = _Random(seed)

    def __call__(self, x: Tensor) -> Tensor:
        x, src = _batch(x, "RandomHorizontalFlip")
        flags = (self._random.uniform(src.shape[0]) < self.p).astype(np.uint8)
        out = np.empty_like(src)
        _kernels().hflip(src, out, flags)
        return _C.from_numpy(out)

    def _repr_fields(self) -> dict[str, Any]:
        return {"p": self.p, "seed": self.seed}


class GaussianNoise(Transform):
    """Adds independent normal noise N(mean, std^2) to every element.

    Args:
        std: the noise's standard deviation.
        mean: the noise's mean.
        seed: an int for a private generator; None draws from pygrad's global generator.
    """

    def __init__(self, std: float, mean: float = 0.0, seed: int | None = None) -> None:
        if std < 0:
            raise ValueError(f"[GaussianNoise] std must be non-negative, got {std!r}")
        self.std = float(std)
        self.mean = float(mean)
        self.seed = seed
        self._random = _Random(seed)

    def __call__(self, x: Tensor) -> Tensor:
        x, _ = _batch(x, "GaussianNoise")
        x = x.detach()
        noise = self._random.normal(tuple(x.shape), x.dtype)
        return x + (noise * self.std + self.mean)

    def _repr_fields(self) -> dict[str, Any]:
        return {"std": self.std, "mean": self.mean, "seed": self.seed}


class Normalize(Transform):
    """Per-channel standardisation: ``out[:, c] = (x[:, c] - mean[c]) / std[c]``.

    Args:
        mean: one value per channel (or a single value for all).
        std: one value per channel (or a single value for all); must be nonzero.
    """

    def __init__(self, mean: float | Iterable[float], std: float | Iterable[float]) -> None:
        self.mean = tuple(float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64)))
        self.std = tuple(float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64)))
        if any(s == 0.0 for s in self.std):
            raise ValueError(f"[Normalize] std must be nonzero, got {self.std}")

    def __call__(self, x: Tensor) -> Tensor:
        x, _ = _batch(x, "Normalize")
        channels = x.shape[1]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(
                    f"[Normalize] {name} has {len(values)} values but the batch has {channels} channels"
                )
        mean = tensor(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = tensor(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        return (x.detach() - mean) / std

    def _repr_fields(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std}


class Compose(Transform):
    """Applies transforms one after another: ``Compose([RandomShift(2), Normalize(m, s)])``."""

    def __init__(self, transforms: Iterable[Callable[[Tensor], Tensor]]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"[Compose] {t!r} is not callable")

    def __call__(self, x: Tensor) -> Tensor:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"

"""Augmentation: the Cython batch kernels (RandomShift, RandomCrop) vs a vectorised numpy version.

Run: pytest benchmarks/bench_augment.py --benchmark-only    (pytest-benchmark table)
     python benchmarks/bench_augment.py                      (prints the numpy / Cython ratios)

Both sides draw their offsets with numpy's Generator and produce the same output (checked at
import); the numpy version pads once into a filled canvas and gathers every image's window from a
sliding_window_view with one fancy index (the fastest numpy form we found).
"""

import timeit

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import pygrad
from pygrad.data import RandomCrop, RandomShift

SHAPE = (256, 1, 28, 28)
MAX_SHIFT = 2
CROP, PADDING = 28, 4
X_NP = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
X = pygrad.from_numpy(X_NP)


def _gather_windows(x, top, left, out_h, out_w, pad, fill):
    """out[b, :, i, j] = padded[b, :, top[b] + i, left[b] + j] with pad pixels of fill per side."""
    b, c, h, w = x.shape
    padded = np.full((b, c, h + 2 * pad, w + 2 * pad), fill, dtype=x.dtype)
    padded[:, :, pad : pad + h, pad : pad + w] = x
    windows = sliding_window_view(padded, (out_h, out_w), axis=(2, 3))  # a view, no copy
    return windows[np.arange(b), :, top, left]  # one gather: [B, C, out_h, out_w]


def numpy_shift(x, max_pixels, rng, fill=0.0):
    """RandomShift in vectorised numpy: each image moved by (dy, dx), border filled."""
    b, _, h, w = x.shape
    offsets = rng.integers(-max_pixels, max_pixels + 1, size=2 * b)
    dy, dx = offsets[:b], offsets[b:]
    return _gather_windows(x, max_pixels - dy, max_pixels - dx, h, w, max_pixels, fill)


def numpy_crop(x, size, padding, rng, fill=0.0):
    """RandomCrop in vectorised numpy: pad, then one window per image at a random corner."""
    b, _, h, w = x.shape
    top = rng.integers(0, h + 2 * padding - size + 1, size=b)
    left = rng.integers(0, w + 2 * padding - size + 1, size=b)
    return _gather_windows(x, top, left, size, size, padding, fill)


def _check_same_output():
    np.testing.assert_array_equal(
        RandomShift(MAX_SHIFT, seed=1)(X).numpy(),
        numpy_shift(X_NP, MAX_SHIFT, np.random.default_rng(1)),
    )
    np.testing.assert_array_equal(
        RandomCrop(CROP, padding=PADDING, seed=1)(X).numpy(),
        numpy_crop(X_NP, CROP, PADDING, np.random.default_rng(1)),
    )


_check_same_output()


def test_random_shift_cython(benchmark):
    shift = RandomShift(MAX_SHIFT, seed=0)
    benchmark(shift, X)


def test_random_shift_numpy(benchmark):
    rng = np.random.default_rng(0)
    benchmark(numpy_shift, X_NP, MAX_SHIFT, rng)


def test_random_crop_cython(benchmark):
    crop = RandomCrop(CROP, padding=PADDING, seed=0)
    benchmark(crop, X)


def test_random_crop_numpy(benchmark):
    rng = np.random.default_rng(0)
    benchmark(numpy_crop, X_NP, CROP, PADDING, rng)


@pytest.mark.parametrize("kind", ["shift", "crop"])
def test_outputs_agree(kind):
    _check_same_output()


def _best(fn, number=200, repeat=7):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    shift, crop = RandomShift(MAX_SHIFT, seed=0), RandomCrop(CROP, padding=PADDING, seed=0)
    rng = np.random.default_rng(0)
    rows = [
        (
            "RandomShift(2)",
            _best(lambda: shift(X)),
            _best(lambda: numpy_shift(X_NP, MAX_SHIFT, rng)),
        ),
        (
            f"RandomCrop({CROP}, padding={PADDING})",
            _best(lambda: crop(X)),
            _best(lambda: numpy_crop(X_NP, CROP, PADDING, rng)),
        ),
    ]
    print(f"batch {list(SHAPE)} float32, best of 7 x 200 calls")
    print(f"{'transform':28s} {'Cython':>10s} {'numpy':>10s} {'numpy/Cython':>13s}")
    for name, ours, ref in rows:
        print(f"{name:28s} {ours * 1e6:8.1f}us {ref * 1e6:8.1f}us {ref / ours:12.1f}x")


if __name__ == "__main__":
    main()

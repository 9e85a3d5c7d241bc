"""Stubs of the Cython augmentation kernels in _augment.pyx (contiguous float32 / float64 batches)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

def crop_windows(
    src: NDArray[np.floating[Any]],
    dst: NDArray[np.floating[Any]],
    top: NDArray[np.int64],
    left: NDArray[np.int64],
    fill: float,
) -> None:
    """dst[b, c, i, j] = src[b, c, i + top[b], j + left[b]], or ``fill`` where that lies outside src."""

def hflip(
    src: NDArray[np.floating[Any]], dst: NDArray[np.floating[Any]], flip: NDArray[np.uint8]
) -> None:
    """dst[b] = src[b] mirrored left-right where flip[b], else a copy."""

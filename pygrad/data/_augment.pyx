# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Batch loops of the augmentation transforms: window copies with a border fill, and flips.

Every kernel takes a contiguous [B, C, H, W] source and a preallocated contiguous destination
of the same dtype (float32 or float64) and per-image parameters drawn (vectorised) in Python;
the loops run without the GIL.
"""

from cython cimport floating
from libc.string cimport memcpy


def crop_windows(const floating[:, :, :, ::1] src, floating[:, :, :, ::1] dst,
                 const long long[::1] top, const long long[::1] left, double fill):
    """dst[b, c, i, j] = src[b, c, i + top[b], j + left[b]], or ``fill`` where that lies outside src.

    A window of dst's size placed at (top[b], left[b]) in source coordinates (either may be
    negative or run past the edge): RandomShift is a window at (-dy, -dx) of the image's own
    size, RandomCrop with padding p a window at (t - p, l - p).
    """
    cdef Py_ssize_t B = src.shape[0], C = src.shape[1], H = src.shape[2], W = src.shape[3]
    cdef Py_ssize_t OH = dst.shape[2], OW = dst.shape[3]
    if dst.shape[0] != B or dst.shape[1] != C:
        raise ValueError(f"[crop_windows] destination batch/channels {dst.shape[0]}x{dst.shape[1]} "
                         f"do not match the source's {B}x{C}")
    if top.shape[0] != B or left.shape[0] != B:
        raise ValueError(f"[crop_windows] need {B} offsets, got {top.shape[0]} and {left.shape[0]}")
    cdef Py_ssize_t b, c, i, j, sy, j0, j1, i0, i1
    cdef long long t, l
    cdef floating f = <floating>fill
    cdef const floating* s
    cdef floating* d
    if B == 0 or C == 0 or OH == 0 or OW == 0:
        return
    with nogil:
        for b in range(B):
            t = top[b]
            l = left[b]
            # Output rows [i0, i1) and columns [j0, j1) read inside the source; the rest are border.
            i0 = min(max(-t, 0), OH)
            i1 = max(min(H - t, OH), i0)
            j0 = min(max(-l, 0), OW)
            j1 = max(min(W - l, OW), j0)
            if j0 == j1:
                i1 = i0  # no column inside: every row is border
            for c in range(C):
                d = &dst[b, c, 0, 0]
                for j in range(i0 * OW):
                    d[j] = f
                if j0 == 0 and j1 == OW and OW == W and l == 0:
                    # whole rows move: one copy for the block of rows inside
                    if i1 > i0:
                        memcpy(d + i0 * OW, &src[b, c, i0 + t, 0], (i1 - i0) * OW * sizeof(floating))
                else:
                    for i in range(i0, i1):
                        s = &src[b, c, i + t, 0]
                        for j in range(j0):
                            d[i * OW + j] = f
                        memcpy(d + i * OW + j0, s + (j0 + l), (j1 - j0) * sizeof(floating))
                        for j in range(j1, OW):
                            d[i * OW + j] = f
                for j in range(i1 * OW, OH * OW):
                    d[j] = f


def hflip(const floating[:, :, :, ::1] src, floating[:, :, :, ::1] dst, const unsigned char[::1] flip):
    """dst[b] = src[b] mirrored left-right where flip[b] is nonzero, else a copy of src[b]."""
    cdef Py_ssize_t B = src.shape[0], C = src.shape[1], H = src.shape[2], W = src.shape[3]
    if dst.shape[0] != B or dst.shape[1] != C or dst.shape[2] != H or dst.shape[3] != W:
        raise ValueError("[hflip] destination shape does not match the source")
    if flip.shape[0] != B:
        raise ValueError(f"[hflip] need {B} flags, got {flip.shape[0]}")
    cdef Py_ssize_t b, c, i, j
    with nogil:
        for b in range(B):
            if flip[b]:
                for c in range(C):
                    for i in range(H):
                        for j in range(W):
                            dst[b, c, i, j] = src[b, c, i, W - 1 - j]
            elif B > 0 and C > 0 and H > 0 and W > 0:
                memcpy(&dst[b, 0, 0, 0], &src[b, 0, 0, 0], C * H * W * sizeof(floating))

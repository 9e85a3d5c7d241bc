"""``pygrad.backends``: torch.backends' switches, so scripts that set them run unchanged.

pygrad's CPU kernels are its own (no MKL, oneDNN or cuDNN) and already deterministic; the flags are kept and
readable, and each ``is_available()`` says what pygrad really has. ``pygrad.backends.cpu.get_cpu_capability()``
names the instruction set the CPU kernels use, as torch does. (``pygrad.backend``, singular, is pygrad's own
report of the CPU backend: caches, GEMM blocks, the measured peak.)
"""

from __future__ import annotations

from pygrad.backends import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]

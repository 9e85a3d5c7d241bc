"""``pygrad.backends.cpu``: the instruction set of the CPU kernels, in torch's names."""

from __future__ import annotations

from pygrad import _C

__all__ = ["get_cpu_capability"]

_TORCH_NAMES = {"avx512": "AVX512", "avx2": "AVX2", "portable": "DEFAULT"}


def get_cpu_capability() -> str:
    """ "AVX512", "AVX2" or "DEFAULT": the level pygrad's CPU kernels run at now (PYGRAD_CPU_CAPABILITY lowers it)."""
    return _TORCH_NAMES[_C.cpu_capability()]

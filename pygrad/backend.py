"""What the CPU backend runs on: the active micro-kernel ISA, overrides for testing, the measured FMA peak, the
cache sizes and the GEMM blocks chosen from them, and the bfloat16 GEMM's instructions."""

from __future__ import annotations

from pygrad import _C

__all__ = [
    "bf16_gemm_path",
    "cpu_bf16_features",
    "cpu_cache_sizes",
    "cpu_capability",
    "cpu_peak_gflops",
    "detected_cpu_capability",
    "gemm_blocksizes",
    "set_bf16_gemm_path",
    "set_cpu_capability",
]


def cpu_capability() -> str:
    """The instruction set the CPU kernels use now: 'avx512', 'avx2' or 'portable'."""
    return _C.cpu_capability()


def detected_cpu_capability() -> str:
    """The best instruction set this CPU (and OS) supports."""
    return _C.detected_cpu_capability()


def set_cpu_capability(name: str) -> None:
    """Caps the kernels at an instruction set ('portable', 'avx2', 'avx512'); for tests and comparisons.

    The environment variable PYGRAD_CPU_CAPABILITY does the same at start-up.
    """
    _C.set_cpu_capability(name)


def cpu_peak_gflops(threads: int | None = None) -> float:
    """Measured float32 FMA peak of this machine in GFLOP/s, on `threads` threads (default: all).

    A register-resident loop of fused multiply-adds in the active ISA's widest vectors: the ceiling
    every kernel's speed is reported against.
    """
    return _C.cpu_peak_gflops(threads or _C.get_num_threads())


def cpu_cache_sizes() -> dict[str, int | str]:
    """This CPU's data caches as one core sees them: ``{"l1d", "l2", "l3"}`` in bytes (the L3 whole, 0 where
    unknown) and ``"source"``: ``"cpuid"`` (leaf 4 on Intel, 0x8000001D on AMD) or ``"sysfs"``."""
    return _C.cpu_cache_sizes()


def gemm_blocksizes(dtype: str = "float32") -> dict[str, int]:
    """The GEMM's register tile (mr x nr) and cache blocks (mc, kc, nc) at the active ISA level.

    ``PYGRAD_GEMM_BLOCKS="mc,kc,nc"`` overrides the float32 blocks at start-up, for experiments (mc and nc are
    rounded up to whole tiles); a malformed value makes ``import pygrad`` fail with the reason.
    """
    if dtype not in ("float32", "float64"):
        raise ValueError(f"[gemm_blocksizes] dtype must be 'float32' or 'float64', got {dtype!r}")
    return dict(_C._gemm_blocksizes(dtype == "float64"))


def bf16_gemm_path() -> str:
    """How bfloat16 matmuls run: 'amx' (AMX-BF16 tiles), 'avx512_bf16' (vdpbf16ps) or 'float32' (operands
    widened to the float32 GEMM). PYGRAD_BF16_GEMM lowers the choice at start-up."""
    return _C._gemm_bf16_path()


def set_bf16_gemm_path(name: str) -> None:
    """Lowers the bfloat16 GEMM path ('amx', 'avx512_bf16', 'float32'); ValueError for one this CPU lacks."""
    _C._set_gemm_bf16_path(name)


def cpu_bf16_features() -> dict[str, bool]:
    """Whether this CPU has the AVX512_BF16 dot products and usable AMX-BF16 tiles."""
    return _C._cpu_bf16_features()

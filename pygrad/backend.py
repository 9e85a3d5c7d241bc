"""What the CPU backend runs on: the active micro-kernel ISA, overrides for testing, the measured FMA peak."""

from __future__ import annotations

from pygrad import _C

__all__ = ["cpu_capability", "cpu_peak_gflops", "detected_cpu_capability", "set_cpu_capability"]


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

"""``pygrad.backends.cuda``: torch's CUDA matmul and attention switches (read by the CUDA backend when built)."""

from __future__ import annotations

__all__ = [
    "enable_flash_sdp",
    "enable_math_sdp",
    "enable_mem_efficient_sdp",
    "flash_sdp_enabled",
    "is_built",
    "math_sdp_enabled",
    "matmul",
    "mem_efficient_sdp_enabled",
]


class _MatmulFlags:
    """``matmul.allow_tf32`` (False by default, as in torch), ``allow_fp16_reduced_precision_reduction`` and
    ``allow_bf16_reduced_precision_reduction`` (True by default)."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()
_sdp = {"flash": True, "mem_efficient": True, "math": True}


def is_built() -> bool:
    """Whether this pygrad was compiled with its CUDA backend (pygrad.cuda.is_built())."""
    from pygrad import cuda

    return cuda.is_built()


def enable_flash_sdp(enabled: bool) -> None:
    """Records torch's flash-attention switch (pygrad's one SDPA kernel serves every choice)."""
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Records torch's memory-efficient attention switch."""
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled: bool) -> None:
    """Records torch's math attention switch."""
    _sdp["math"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    """The flash-attention switch."""
    return _sdp["flash"]


def mem_efficient_sdp_enabled() -> bool:
    """The memory-efficient attention switch."""
    return _sdp["mem_efficient"]


def math_sdp_enabled() -> bool:
    """The math attention switch."""
    return _sdp["math"]

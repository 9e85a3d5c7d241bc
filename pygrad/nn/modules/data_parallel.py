"""``nn.DataParallel``: torch's single-process wrapper, as torch runs it on a machine without GPUs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pygrad.nn.modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wraps ``module`` as ``torch.nn.DataParallel`` does; pygrad computes on the CPU, where torch's wrapper
    runs the module unchanged (no replicas, ``device_ids`` left empty), so a script that wraps its model keeps
    working, its state_dict keys prefixed with ``module.`` as torch's. Several cores are used by the kernels'
    own threads; several processes or machines by ``nn.parallel.DistributedDataParallel``.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"[DataParallel] module must be a Module, got {type(module).__name__}")
        self.module = module
        self.device_ids: list[Any] = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)

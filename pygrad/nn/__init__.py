"""Neural-network building blocks with PyTorch's names: Module, layers, losses, init, functional.

``from pygrad import nn`` then ``nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))``.
"""

from types import ModuleType

from pygrad.nn import attention, functional, grad, init, modules
from pygrad.nn.modules import *  # noqa: F403  (the layers, listed once in modules.__all__)
from pygrad.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from pygrad.nn.transfer import (
    LoadReport,
    find_head,
    fine_tuning_groups,
    load_pretrained,
    replace_head,
)

__all__ = [
    *modules.__all__,
    "LoadReport",
    "Buffer",
    "Parameter",
    "UninitializedBuffer",
    "UninitializedParameter",
    "attention",
    "find_head",
    "fine_tuning_groups",
    "functional",
    "grad",
    "init",
    "load_pretrained",
    "parallel",  # noqa: F405  (loaded on first use by __getattr__ below)
    "replace_head",
    "utils",  # noqa: F405  (loaded on first use by __getattr__ below)
]


def __getattr__(name: str) -> ModuleType:
    # nn.utils and nn.parallel load on first use (rarely needed at import).
    if name in ("utils", "parallel"):
        import importlib

        return importlib.import_module(f"pygrad.nn.{name}")
    raise AttributeError(f"module 'pygrad.nn' has no attribute {name!r}")

"""Neural-network building blocks with PyTorch's names: Module, layers, losses, init, functional.

``from pygrad import nn`` then ``nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))``.
"""

from pygrad.nn import functional, init
from pygrad.nn.modules import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from pygrad.nn.parameter import Parameter
from pygrad.nn.transfer import (
    LoadReport,
    find_head,
    fine_tuning_groups,
    load_pretrained,
    replace_head,
)

__all__ = [
    "GELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LoadReport",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "find_head",
    "fine_tuning_groups",
    "functional",
    "init",
    "load_pretrained",
    "replace_head",
    "utils",
]


def __getattr__(name):
    # nn.utils lives in its own file, maintained separately: load it on first use.
    if name == "utils":
        import importlib

        return importlib.import_module("pygrad.nn.utils")
    raise AttributeError(f"module 'pygrad.nn' has no attribute {name!r}")

"""nn layers as modules, with PyTorch's names."""

from pygrad.nn.modules.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from pygrad.nn.modules.container import ModuleDict, ModuleList, Sequential
from pygrad.nn.modules.conv import Conv2d
from pygrad.nn.modules.dropout import Dropout
from pygrad.nn.modules.flatten import Flatten
from pygrad.nn.modules.linear import Identity, Linear
from pygrad.nn.modules.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from pygrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from pygrad.nn.modules.sparse import Embedding

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
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]

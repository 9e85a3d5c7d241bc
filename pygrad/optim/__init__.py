"""Optimizers with PyTorch's names, defaults and update rules; a step: one fused C++ call per group.

``pygrad.optim.lr_scheduler`` holds the learning-rate schedulers.
"""

from pygrad.optim import lr_scheduler
from pygrad.optim.adadelta import Adadelta
from pygrad.optim.adagrad import Adagrad
from pygrad.optim.adam import Adam, AdamW
from pygrad.optim.adamax import Adamax
from pygrad.optim.nadam import NAdam
from pygrad.optim.optimizer import Optimizer, StateSlot
from pygrad.optim.radam import RAdam
from pygrad.optim.rmsprop import RMSprop
from pygrad.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "StateSlot",
    "lr_scheduler",
]

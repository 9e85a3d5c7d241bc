"""Optimizers with PyTorch's names, defaults and update rules; a step: one fused C++ call per group
(Rprop, ASGD, Adafactor and LBFGS: tensor ops in Python).

``pygrad.optim.lr_scheduler`` holds the learning-rate schedulers, ``pygrad.optim.swa_utils`` the
weight averaging (AveragedModel, SWALR, update_bn).
"""

from pygrad.optim import lr_scheduler, swa_utils
from pygrad.optim.adadelta import Adadelta
from pygrad.optim.adafactor import Adafactor
from pygrad.optim.adagrad import Adagrad
from pygrad.optim.adam import Adam, AdamW
from pygrad.optim.adamax import Adamax
from pygrad.optim.asgd import ASGD
from pygrad.optim.lbfgs import LBFGS
from pygrad.optim.nadam import NAdam
from pygrad.optim.optimizer import Optimizer, StateSlot
from pygrad.optim.radam import RAdam
from pygrad.optim.rmsprop import RMSprop
from pygrad.optim.rprop import Rprop
from pygrad.optim.sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "StateSlot",
    "lr_scheduler",
    "swa_utils",
]

"""``pygrad.nn.parallel``: data-parallel training over MPI ranks (``DistributedDataParallel``).

Importing it does not import mpi4py; wrapping a model needs an initialised process group.
"""

from pygrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]

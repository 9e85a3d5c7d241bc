"""``pygrad.nn.parallel``: data-parallel training over MPI ranks (``DistributedDataParallel``), and torch's
single-process ``DataParallel`` wrapper.

Importing it does not import mpi4py; wrapping a model needs an initialised process group.
"""

from pygrad.nn.modules.data_parallel import DataParallel
from pygrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]

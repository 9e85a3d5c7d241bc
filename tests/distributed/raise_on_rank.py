"""Run under ``mpiexec -n N``: the last rank raises while the others wait in a collective; the
excepthook must abort the whole job (non-zero exit, the error shown) instead of hanging."""

import pygrad as pg
import pygrad.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == dist.get_world_size() - 1:
    raise ValueError("deliberate failure on the last rank")
dist.all_reduce(pg.ones(3))  # never completes: the last rank is gone
print("UNREACHABLE", flush=True)

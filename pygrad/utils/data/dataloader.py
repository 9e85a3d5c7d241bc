"""``pygrad.utils.data.dataloader``: torch's module path for DataLoader and the collate functions
(``pygrad.data.dataloader``)."""

from pygrad.data._workers import get_worker_info
from pygrad.data.dataloader import DataLoader, default_collate, default_convert

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

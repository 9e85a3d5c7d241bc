"""``nn.utils.init``: torch's module path for skip_init."""

from pygrad.nn.utils._extra import skip_init

__all__ = ["skip_init"]

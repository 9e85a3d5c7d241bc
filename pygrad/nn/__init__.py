"""Neural-network building blocks. ``pygrad.nn.functional`` holds the functional forms."""

from pygrad.nn import functional  # noqa: F401

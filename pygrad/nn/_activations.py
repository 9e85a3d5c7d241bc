"""The activation functions of nn.functional beyond relu, leaky_relu, gelu, sigmoid, tanh and the softmaxes,
as composites of core ops with torch's signatures and gradients."""

from __future__ import annotations

__all__: list[str] = []

"""``nn.utils.clip_grad``: torch's module path for the gradient-clipping functions (defined in _clip/_extra)."""

from pygrad.nn.utils._clip import clip_grad_norm_, clip_grad_value_
from pygrad.nn.utils._extra import clip_grad_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]

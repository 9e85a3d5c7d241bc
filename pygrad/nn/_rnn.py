"""The gate math of the recurrent layers, one step for a batch: the only place where LSTM, GRU and RNN
(modules and cells) turn pre-activations into new states, so a fused kernel can replace it here.

The callers compute the input projection of all steps at once ([T*B, I] @ W_ih^T + b_ih) and, per step,
h @ W_hh^T + b_hh; these functions get those products. Gate orders are torch's.
"""

from __future__ import annotations

from pygrad import _C
from pygrad._C import Tensor

__all__: list[str] = []


def _lstm_cell(x_gates: Tensor, h_gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step: one fused C++ op forward and backward.

    Args:
        x_gates: [B, 4H] = x W_ih^T + b_ih, gates in the order i, f, g, o.
        h_gates: [B, 4H] = h W_hh^T + b_hh, same order.
        c: [B, H] the previous cell state.
    Returns:
        (h, c'): the new hidden state o * tanh(c') (before any projection) and cell state
        c' = f * c + i * g (two views of the op's [2, B, H] result).
    """
    h, c_next = _C._lstm_cell(x_gates, h_gates, c).unbind(0)
    return h, c_next


def _gru_cell(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """One GRU step: one fused C++ op forward and backward.

    Args:
        gi: [B, 3H] = x W_ih^T + b_ih, in the order r, z, n.
        gh: [B, 3H] = h W_hh^T + b_hh, same order.
        h: [B, H] the previous hidden state.
    Returns:
        The new hidden state (1 - z) * n + z * h with n = tanh(gi_n + r * gh_n).
    """
    return _C._gru_cell(gi, gh, h)


def _rnn_cell(pre: Tensor, nonlinearity: str) -> Tensor:
    """One Elman RNN step.

    Args:
        pre: [B, H] = x W_ih^T + b_ih + h W_hh^T + b_hh.
        nonlinearity: "tanh" or "relu".
    Returns:
        The new hidden state.
    """
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()

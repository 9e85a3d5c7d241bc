"""The single-step recurrent cells with torch's API: RNNCell, LSTMCell, GRUCell (and their base
RNNCellBase); parameter names, initialisation and shapes as torch. Also importable from
pygrad.nn.modules.rnn, as in torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import check_device
from pygrad.nn import init
from pygrad.nn._rnn import _gru_cell, _lstm_cell, _rnn_cell
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "RNNCellBase"]


def _zeros(shape: list[int], like: Tensor) -> Tensor:
    return _C._full(shape, 0.0, like.dtype, False)


class RNNCellBase(Module):
    """The parameters of the one-step cells: weight_ih [G*H, I], weight_hh [G*H, H], bias_ih, bias_hh.

    Args:
        input_size: the features of x.
        hidden_size: the features of h.
        bias: use the biases.
        num_chunks: gates per unit (4 LSTM, 3 GRU, 1 RNN).
        device: None or "cpu".
        dtype: the parameters' dtype (float32 by default).
    """

    bias_ih: Parameter | None
    bias_hh: Parameter | None

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_empty((num_chunks * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(_empty((num_chunks * hidden_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(_empty((num_chunks * hidden_size,), dtype))
            self.bias_hh = Parameter(_empty((num_chunks * hidden_size,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) on every weight and bias, as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, states: tuple[Tensor | None, ...]) -> tuple[Tensor, ...]:
        """Checks, adds the batch dim to unbatched input and states, fills missing states with zeros;
        returns (input, *states) as [B, *]."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"[{name}] Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, s in enumerate(states):
            if s is not None and s.ndim not in (1, 2):
                what = "hidden" if len(states) == 1 else f"hx[{i}]"
                raise ValueError(f"[{name}] Expected {what} to be 1D or 2D, got {s.ndim}D instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(
                f"[{name}] input has inconsistent input_size: got {x.shape[1]} expected "
                f"{self.input_size}"
            )
        out = [x]
        for i, s in enumerate(states):
            if s is None:
                s = _zeros([x.shape[0], self.hidden_size], x)
            elif not batched:
                s = s.unsqueeze(0)
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"[{name}] hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                    f"{self.hidden_size}"
                )
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(
                    f"[{name}] Input batch size {x.shape[0]} doesn't match hidden{i} batch size "
                    f"{s.shape[0]}"
                )
            out.append(s)
        return tuple(out)


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh).

    Args:
        input_size, hidden_size, bias, device, dtype: as RNNCellBase.
        nonlinearity: "tanh" or "relu".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """Args: input [B, I] or [I]; hx [B, H] or [H] (zeros when None). Returns: h' shaped like hx."""
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"[RNNCell] Unknown nonlinearity: {self.nonlinearity}")
        x, h = self._prepare(input, (hx,))
        pre = _C.linear(x, self.weight_ih, self.bias_ih) + _C.linear(
            h, self.weight_hh, self.bias_hh
        )
        out = _rnn_cell(pre, self.nonlinearity)
        return out if input.ndim == 2 else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o).

    Args:
        input_size, hidden_size, bias, device, dtype: as RNNCellBase.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        """Args: input [B, I] or [I]; hx (h, c) each [B, H] or [H] (zeros when None).
        Returns: (h', c')."""
        x, h, c = self._prepare(input, (None, None) if hx is None else tuple(hx))
        h, c = _lstm_cell(
            _C.linear(x, self.weight_ih, self.bias_ih),
            _C.linear(h, self.weight_hh, self.bias_hh),
            c,
        )
        return (h, c) if input.ndim == 2 else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n).

    Args:
        input_size, hidden_size, bias, device, dtype: as RNNCellBase.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """Args: input [B, I] or [I]; hx [B, H] or [H] (zeros when None). Returns: h'."""
        x, h = self._prepare(input, (hx,))
        gi = _C.linear(x, self.weight_ih, self.bias_ih)
        out = _gru_cell(gi, _C.linear(h, self.weight_hh, self.bias_hh), h)
        return out if input.ndim == 2 else out.squeeze(0)

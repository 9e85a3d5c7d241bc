"""Recurrent layers with torch's API: RNN, LSTM (with proj_size), GRU over padded or packed sequences
(the single-step cells live in rnn_cell and are re-exported here, as torch.nn.modules.rnn has them);
parameter names, initialisation and shapes as torch.

Each layer and direction runs one matmul for the input projection of all steps, then per step only
h @ W_hh^T and the gate math of nn._rnn. Padded input is run as a packed sequence whose batch never
shrinks; packed input shrinks the batch as batch_sizes says (rows of step t are the first batch_sizes[t]
sequences), so each sequence's final state comes from its own last step.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any, overload

from pygrad import _C
from pygrad._autocast import _autocast_off, _cast
from pygrad._C import Tensor
from pygrad._device import check_device
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn._rnn import _gru_cell, _lstm_cell, _rnn_cell
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase, _zeros
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike
    from pygrad.nn.utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _split_rows(x: Tensor, sizes: list[int]) -> list[Tensor]:
    """x [sum(sizes), *] split into row blocks of these sizes, halving recursively: a view's gradient
    is as large as its base, so T views of x would cost O(T * numel) in backward, this O(log T)."""
    if len(sizes) <= 2:
        return list(x.split(sizes, 0)) if len(sizes) == 2 else [x]
    mid = len(sizes) // 2
    head, tail = x.split([sum(sizes[:mid]), sum(sizes[mid:])], 0)
    return _split_rows(head, sizes[:mid]) + _split_rows(tail, sizes[mid:])


class RNNBase(Module):
    """The shared body of RNN, LSTM and GRU: parameters, checks and the layer/direction/step loops.

    Args:
        mode: "LSTM", "GRU", "RNN_TANH" or "RNN_RELU".
        input_size: the features of the input x.
        hidden_size: the features of the hidden state h.
        num_layers: stacked recurrent layers, each fed the previous one's output.
        bias: use the biases b_ih and b_hh.
        batch_first: input and output are [B, T, *] instead of [T, B, *] (not the states).
        dropout: dropout on the outputs of every layer but the last, in training mode.
        bidirectional: also run each layer over the reversed sequence, concatenating the features.
        proj_size: LSTM only: project h to this size with weight_hr (0: no projection).
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= float(dropout) <= 1
        ):
            raise ValueError(
                f"[{name}] dropout should be a number in range [0, 1] representing the probability "
                "of an element being zeroed"
            )
        if float(dropout) > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        flags: dict[str, object] = {"bias": bias, "batch_first": batch_first}
        for arg, flag in flags.items():
            if not isinstance(flag, bool):
                raise TypeError(
                    f"[{name}] {arg} should be of type bool, got: {type(flag).__name__}"
                )
        sizes: dict[str, object] = {"input_size": input_size, "hidden_size": hidden_size}
        for arg, size in sizes.items():
            if not isinstance(size, int):
                raise TypeError(f"[{name}] {arg} should be of type int, got: {type(size).__name__}")
            if size <= 0:
                raise ValueError(f"[{name}] {arg} must be greater than zero")
        if num_layers <= 0:
            raise ValueError(f"[{name}] num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                f"[{name}] proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError(f"[{name}] proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"[{name}] Unrecognized RNN mode: {mode}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, out_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = [kind + suffix for kind, _ in shapes]
                for full, (_, shape) in zip(names, shapes):
                    setattr(self, full, Parameter(_empty(shape, dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter]:
        # Looked up on each use, so it follows load_state_dict, .to() and reassigned parameters.
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, in torch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as torch's on the CPU (it packs the weights for cuDNN)."""

    def reset_parameters(self) -> None:
        """U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) on every weight and bias, as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"proj_size": 0, "num_layers": 1, "bias": True, "batch_first": False}
        for key, default in {**defaults, "dropout": 0, "bidirectional": False}.items():
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        return s

    @overload
    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]: ...
    @overload
    def forward(
        self, input: PackedSequence, hx: Tensor | None = None
    ) -> tuple[PackedSequence, Tensor]: ...
    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        """Runs the sequence (RNN and GRU; LSTM overrides it for its (h, c) states).

        Args:
            input: [T, B, I] ([B, T, I] with batch_first), unbatched [T, I], or a PackedSequence.
            hx: the initial states [L*D, B, H] ([L*D, H] unbatched); zeros when None.
        Returns:
            (output [T, B, D*H] (or packed), h_n [L*D, B, H]).
        """
        if self.mode == "LSTM":
            raise NotImplementedError("[RNNBase] an LSTM's states are (h, c): use nn.LSTM")
        out, (h_n,) = self._run(input, [hx])
        return out, h_n

    # ------------------------------------------------------------------ checks
    def _check_input(self, data: Tensor, expected_dim: int) -> None:
        name = type(self).__name__
        weight_dtype = self._flat_weights[0].dtype
        if data.dtype != weight_dtype:
            raise ValueError(
                f"[{name}] input dtype ({data.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: model.to({data.dtype})"
            )
        if data.ndim != expected_dim:
            raise RuntimeError(
                f"[{name}] input must have {expected_dim} dimensions, got {data.ndim}"
            )
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"[{name}] input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {data.shape[-1]}"
            )

    def _check_hidden(self, hx: Tensor, size: int, batch: int, what: str) -> None:
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, size)
        if tuple(hx.shape) != expected:
            raise RuntimeError(
                f"[{type(self).__name__}] Expected {what} size {expected}, got {list(hx.shape)}"
            )

    # ------------------------------------------------------------------ the recurrence
    def _direction(
        self, k: int, gi: Tensor, batch_sizes: list[int], init: list[Tensor], reverse: bool
    ) -> tuple[Tensor, list[Tensor]]:
        """Runs layer/direction k over the packed input projection gi [N, G] from the states init
        ([h0] or [h0, c0], each [B, *]); returns the packed output [N, H_out] and the final states."""
        names = self._all_weights[k]
        w_hh = getattr(self, names[1])
        b_hh = getattr(self, names[3]) if self.bias else None
        w_hr = getattr(self, names[-1]) if self.proj_size > 0 else None
        act = "relu" if self.mode == "RNN_RELU" else "tanh"
        steps = _split_rows(gi, batch_sizes)
        # Reversed, the batch grows: start with the sequences that run through the last step.
        first = batch_sizes[-1] if reverse else batch_sizes[0]
        states = [s[:first] if first < s.shape[0] else s for s in init]
        outs = [states[0]] * len(batch_sizes)
        done: list[list[Tensor]] = []
        for t in reversed(range(len(steps))) if reverse else range(len(steps)):
            b, n = batch_sizes[t], states[0].shape[0]
            if b < n:  # sequences b..n-1 ended at the previous step: their states are final
                done.append([s[b:] for s in states])
                states = [s[:b] for s in states]
            elif b > n:  # reversed: sequences n..b-1 start here from their initial states
                states = [_C.cat([s, s0[n:b]], 0) for s, s0 in zip(states, init)]
            gh = _C.linear(states[0], w_hh, b_hh)
            if self.mode == "LSTM":
                h, c = _lstm_cell(steps[t], gh, states[1])
                states = [h if w_hr is None else _C.linear(h, w_hr), c]
            elif self.mode == "GRU":
                states = [_gru_cell(steps[t], gh, states[0])]
            else:
                states = [_rnn_cell(steps[t] + gh, act)]
            outs[t] = states[0]
        if done:  # rows in batch order: the longest sequences are the ones still running
            states = [_C.cat([s, *(d[i] for d in reversed(done))], 0) for i, s in enumerate(states)]
        return _C.cat(outs, 0), states

    def _fused_lstm(
        self, k: int, gi: Tensor, batch: int, init: list[Tensor], reverse: bool
    ) -> tuple[Tensor, list[Tensor]]:
        """LSTM layer/direction k as one C++ op (the steps, and W_hh's gradient as one GEMM): gi [T*B, 4H]
        holds both biases; returns the output [T*B, H] and the final (h, c)."""
        w_hh = getattr(self, self._all_weights[k][1])
        steps = gi.shape[0] // batch
        hc = _C._lstm_layer(gi.reshape(steps, batch, -1), w_hh, _C.stack(init, 0), reverse)
        last = 0 if reverse else steps - 1
        return hc[0].reshape(steps * batch, -1), [hc[0, last], hc[1, last]]

    def _fused_gru(
        self, k: int, gi: Tensor, batch: int, h0: Tensor, reverse: bool
    ) -> tuple[Tensor, list[Tensor]]:
        """GRU layer/direction k as one C++ op: gi [T*B, 3H] holds b_ih; b_hh rides as W_hh's last column
        (it sits inside r * (W_hn h + b_hn), so it cannot join the input projection)."""
        names = self._all_weights[k]
        w = getattr(self, names[1])
        if self.bias:
            w = _C.cat([w, getattr(self, names[3]).unsqueeze(1)], 1)
        steps = gi.shape[0] // batch
        hs = _C._gru_layer(gi.reshape(steps, batch, -1), w, h0, reverse)
        return hs.reshape(steps * batch, -1), [hs[0 if reverse else steps - 1]]

    def _layers(
        self, data: Tensor, batch_sizes: list[int], init: list[Tensor]
    ) -> tuple[Tensor, list[Tensor]]:
        """All layers and directions over packed data [N, I] from the states init ([hx] or [hx, cx],
        each [L*D, B, *]); returns the packed output [N, D*H_out] and the final states, stacked so."""
        num_directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = []
        x = data
        # An LSTM or GRU over a full batch (no packing, no projection): each layer direction is one fused op.
        fused = self.mode in ("LSTM", "GRU") and self.proj_size == 0 and len(set(batch_sizes)) == 1
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_directions):
                k = layer * num_directions + d
                names = self._all_weights[k]
                b_ih = getattr(self, names[2]) if self.bias else None
                if (
                    fused and self.mode == "LSTM" and b_ih is not None
                ):  # both biases in the input projection
                    b_ih = b_ih + getattr(self, names[3])
                gi = _C.linear(x, getattr(self, names[0]), b_ih)  # every step at once
                if fused and self.mode == "GRU":
                    out, states = self._fused_gru(k, gi, batch_sizes[0], init[0][k], d == 1)
                elif fused:
                    out, states = self._fused_lstm(
                        k, gi, batch_sizes[0], [s[k] for s in init], d == 1
                    )
                else:
                    out, states = self._direction(k, gi, batch_sizes, [s[k] for s in init], d == 1)
                outs.append(out)
                finals.append(states)
            x = outs[0] if num_directions == 1 else _C.cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [_C.stack([f[i] for f in finals], 0) for i in range(len(init))]

    def _run(
        self, input: Tensor | PackedSequence, hx: list[Tensor | None]
    ) -> tuple[Tensor | PackedSequence, list[Tensor]]:
        """Shared forward: checks, unbatched and batch_first layouts, packed order, zero states.
        hx is [h0] or, for LSTM, [h0, c0] (each None for zeros); returns (output, final states)."""
        # Imported here so that nn.utils stays lazy (loaded on first use, see pygrad/nn/__init__.py).
        from pygrad.nn.utils.rnn import PackedSequence

        name = type(self).__name__
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        sizes = [out_size, self.hidden_size][: len(hx)]
        batched = True
        sorted_indices = unsorted_indices = None
        if isinstance(input, PackedSequence):
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            self._check_input(data, 2)
            batch_sizes = [int(b) for b in batch_sizes_t.tolist()]
        else:
            if input.ndim not in (2, 3):
                raise ValueError(
                    f"[{name}] Expected input to be 2D or 3D, got {input.ndim}D tensor instead"
                )
            batched = input.ndim == 3
            for s, what in zip(hx, ("hx", "cx")):
                if s is not None and s.ndim != input.ndim:
                    raise RuntimeError(
                        f"[{name}] For {'batched 3-D' if batched else 'unbatched 2-D'} input, {what} "
                        f"should also be {input.ndim}-D but got {s.ndim}-D tensor"
                    )
            if not batched:
                input = input.unsqueeze(1)
                hx = [None if s is None else s.unsqueeze(1) for s in hx]
            elif self.batch_first:
                input = input.transpose(0, 1)
            self._check_input(input, 3)
            batch_sizes = [input.shape[1]] * input.shape[0]
            data = input.reshape(-1, self.input_size)
        batch = batch_sizes[0]
        num_states = self.num_layers * (2 if self.bidirectional else 1)
        init = [_zeros([num_states, batch, n], data) if s is None else s for s, n in zip(hx, sizes)]
        for i, (s, n) in enumerate(zip(init, sizes)):
            what = f"hidden[{i}]" if len(init) == 2 else "hidden"
            self._check_hidden(s, n, batch, what)
        if sorted_indices is not None:  # the states follow the user's batch order
            init = [s.index_select(1, sorted_indices) for s in init]
        if _C._autocast_cpu_enabled():
            # torch runs recurrent layers in the autocast dtype; pygrad's fused cells compute in float32 and
            # hand back the autocast dtype, as torch's outputs are.
            low, weights = _C._autocast_state("cpu")[1], self.weight_ih_l0.dtype
            with _autocast_off():
                out, finals = self._layers(_cast(data, weights), batch_sizes, _cast(init, weights))
            out, finals = out.to(low), [s.to(low) for s in finals]
        else:
            out, finals = self._layers(data, batch_sizes, init)
        if unsorted_indices is not None:
            finals = [s.index_select(1, unsorted_indices) for s in finals]
        if isinstance(input, PackedSequence):
            return PackedSequence(out, input.batch_sizes, sorted_indices, unsorted_indices), finals
        output = out.reshape(len(batch_sizes), batch, out.shape[-1])
        if not batched:
            return output.squeeze(1), [s.squeeze(1) for s in finals]
        return (output.transpose(0, 1) if self.batch_first else output), finals


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype:
            as RNNBase.
        nonlinearity: "tanh" or "relu" (also the 4th positional argument, as torch).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("[RNN] proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"[RNN] Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h (gate order r, z, n as torch).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype:
            as RNNBase.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("[GRU] proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c' = f * c + i * g, h' = o * tanh(c'), and with
    proj_size > 0, h' = (o * tanh(c')) W_hr^T.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size,
        device, dtype: as RNNBase.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    @overload  # type: ignore[override]
    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]: ...
    @overload
    def forward(
        self, input: PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[PackedSequence, tuple[Tensor, Tensor]]: ...
    def forward(
        self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        """Runs the sequence.

        Args:
            input: [T, B, I] ([B, T, I] with batch_first), unbatched [T, I], or a PackedSequence.
            hx: (h_0 [L*D, B, H_out], c_0 [L*D, B, H]) (without B unbatched); zeros when None.
        Returns:
            (output [T, B, D*H_out] (or packed), (h_n, c_n)) with H_out = proj_size or hidden_size.
        """
        out, (h_n, c_n) = self._run(input, [None, None] if hx is None else list(hx))
        return out, (h_n, c_n)

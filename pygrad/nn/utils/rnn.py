"""``pygrad.nn.utils.rnn``: PackedSequence and the pack/pad utilities of ``torch.nn.utils.rnn``.

A PackedSequence holds the steps of a batch of sequences sorted by decreasing length, time-major:
``data`` has the rows of step 0 for all ``batch_sizes[0]`` sequences, then step 1 for the first
``batch_sizes[1]`` sequences, and so on. Every conversion here is one ``index_select`` over the rows (with
a padding row appended where needed), so gradients flow through packing, padding and unpadding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

# Sequence lengths as torch takes them: a list of ints or an int64 tensor.
_Lengths = Union[Tensor, Sequence[int]]


def _long(values: Sequence[int]) -> Tensor:
    return tensor(list(values), dtype=_C.int64)


def _ints(values: _Lengths) -> list[int]:
    return [int(v) for v in (values.tolist() if isinstance(values, Tensor) else values)]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """The packed steps of a batch of variable-length sequences (a named tuple, as torch's).

    Build one with ``pack_padded_sequence`` or ``pack_sequence``, never by hand.

    Args:
        data: the packed rows [sum(lengths), *].
        batch_sizes: int64 [max length]: how many sequences are still running at each step.
        sorted_indices: the batch order the sequences were sorted into (None when already sorted).
        unsorted_indices: its inverse (computed from sorted_indices when None).
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # torch's legacy form PackedSequence((data, batch_sizes)).
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError(
                    "[PackedSequence] expected data to be a list or tuple of length 2"
                )
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with ``data.to(*args, **kwargs)`` (indices stay as they are); self when
        nothing changes."""
        data = self.data.to(*args, **kwargs)
        if (
            data is self.data or data.dtype == self.data.dtype
        ):  # nothing to convert: torch gives self
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        """Returns self (pygrad tensors live on the CPU)."""
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=_C.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=_C.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=_C.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=_C.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=_C.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=_C.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=_C.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=_C.uint8)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None for None).

    Args:
        permutation: a 1-d int64 tensor.
    Returns:
        inverse with inverse[permutation[i]] = i.
    """
    if permutation is None:
        return None
    perm = _ints(permutation)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return _long(inverse)


def _gather_rows(
    rows: Tensor, index: list[int], shape: Sequence[int], padding_value: float
) -> Tensor:
    """rows [N, *] gathered by index (-1 picks padding_value) and reshaped to shape + [*]: one op for
    autograd, whose gradient scatters back into rows."""
    tail = list(rows.shape[1:])
    if any(i < 0 for i in index):
        pad = _C._full([1, *tail], padding_value, rows.dtype, False)
        rows = _C.cat([rows, pad], 0)
        index = [len(rows) - 1 if i < 0 else i for i in index]
    return rows.index_select(0, _long(index)).reshape(*shape, *tail)


def _offsets(batch_sizes: list[int]) -> list[int]:
    """The first row of each step in the packed data."""
    out, total = [], 0
    for b in batch_sizes:
        out.append(total)
        total += b
    return out


def pack_padded_sequence(
    input: Tensor,
    lengths: _Lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Packs a padded batch of variable-length sequences.

    Args:
        input: [T, B, *] ([B, T, *] with batch_first) padded sequences.
        lengths: the B lengths (list or int64 tensor), each in 1..T.
        batch_first: the layout of input.
        enforce_sorted: the lengths must be in decreasing order; when False they are sorted here and
            the order is kept in sorted_indices / unsorted_indices.
    Returns:
        A PackedSequence.
    """
    lens = _ints(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError(
                "[pack_padded_sequence] `lengths` array must be sorted in decreasing order when "
                "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
                "not need ONNX exportability."
            )
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        lens = [lens[i] for i in order]
        sorted_indices = _long(order)
        if input.ndim > batch_dim and len(order) == input.shape[batch_dim]:
            input = input.index_select(batch_dim, sorted_indices)
    if input.ndim < 2 or len(lens) != input.shape[batch_dim]:
        raise RuntimeError(
            f"[pack_padded_sequence] Expected `len(lengths)` to be equal to batch_size, but got "
            f"{len(lens)} (batch_size={input.shape[batch_dim] if input.ndim >= 2 else 0})"
        )
    if lens and lens[-1] <= 0:
        raise RuntimeError(
            "[pack_padded_sequence] Length of all samples has to be greater than 0, but found an "
            "element in 'lengths' that is <= 0"
        )
    steps = input.shape[1 - batch_dim]
    if lens and lens[0] > steps:
        raise RuntimeError(
            f"[pack_padded_sequence] a length {lens[0]} exceeds the {steps} steps of the input"
        )
    batch = len(lens)
    batch_sizes = [sum(1 for n in lens if n > t) for t in range(lens[0] if lens else 0)]
    # Row of (t, b) in input flattened over its first two dims.
    index = [
        b * steps + t if batch_first else t * batch + b
        for t, bs in enumerate(batch_sizes)
        for b in range(bs)
    ]
    data = input.reshape(batch * steps, *input.shape[2:]).index_select(0, _long(index))
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpacks a PackedSequence into a padded batch (the inverse of pack_padded_sequence).

    Args:
        sequence: the PackedSequence.
        batch_first: return [B, T, *] instead of [T, B, *].
        padding_value: the value of the padding.
        total_length: pad to this many steps (at least the longest sequence) instead of the longest.
    Returns:
        (padded, lengths): the sequences in their original batch order and their int64 lengths.
    """
    batch_sizes = _ints(sequence.batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "[pad_packed_sequence] Expected total_length to be at least the length of the "
                f"longest sequence in input, but got total_length={total_length} and max sequence "
                f"length being {steps}"
            )
        steps = total_length
    batch = batch_sizes[0] if batch_sizes else 0
    lens = [sum(1 for bs in batch_sizes if bs > b) for b in range(batch)]
    order = list(range(batch))
    if sequence.unsorted_indices is not None:
        order = _ints(sequence.unsorted_indices)
        lens = [lens[s] for s in order]
    starts = _offsets(batch_sizes)

    def row(t: int, s: int) -> int:
        return starts[t] + s if t < len(batch_sizes) and s < batch_sizes[t] else -1

    if batch_first:
        index = [row(t, s) for s in order for t in range(steps)]
        shape = [batch, steps]
    else:
        index = [row(t, s) for t in range(steps) for s in order]
        shape = [steps, batch]
    return _gather_rows(sequence.data, index, shape, padding_value), _long(lens)


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Pads a list of [L_i, *] tensors to the longest one and stacks them.

    Args:
        sequences: the tensors (or one tensor, unbound along dim 0); trailing dims must match.
        batch_first: return [B, T, *] instead of [T, B, *].
        padding_value: the value of the padding.
        padding_side: "right" (pad after each sequence) or "left".
    Returns:
        The padded batch.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "[pad_sequence] Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    seqs = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"[pad_sequence] Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if not seqs:
        raise RuntimeError("[pad_sequence] received an empty list of sequences")
    tail = list(seqs[0].shape[1:])
    for s in seqs:
        if list(s.shape[1:]) != tail:
            raise RuntimeError(
                f"[pad_sequence] every sequence must have the trailing shape {tail}, got "
                f"{list(s.shape[1:])}"
            )
    lens = [s.shape[0] if s.ndim else 1 for s in seqs]
    steps = max(lens)
    starts = _offsets(lens)

    def row(t: int, b: int) -> int:
        # Left padding shifts each sequence to end at the last step.
        i = t - (steps - lens[b]) if padding_side == "left" else t
        return starts[b] + i if 0 <= i < lens[b] else -1

    batch = len(seqs)
    if batch_first:
        index = [row(t, b) for b in range(batch) for t in range(steps)]
        shape = [batch, steps]
    else:
        index = [row(t, b) for t in range(steps) for b in range(batch)]
        shape = [steps, batch]
    rows = _C.cat([s.reshape(lens[i], *tail) for i, s in enumerate(seqs)], 0)
    return _gather_rows(rows, index, shape, padding_value)


def unpad_sequence(
    padded_sequences: Tensor, lengths: _Lengths, batch_first: bool = False
) -> list[Tensor]:
    """Splits a padded batch into its sequences (the inverse of pad_sequence with right padding).

    Args:
        padded_sequences: [T, B, *] ([B, T, *] with batch_first).
        lengths: the B lengths.
        batch_first: the layout of padded_sequences.
    Returns:
        A list of B tensors [L_i, *] (views of the input; torch transposes its input in place, this
        leaves it alone).
    """
    lens = _ints(lengths)
    if batch_first:
        return [padded_sequences[b, :n] for b, n in enumerate(lens)]
    return [padded_sequences[:n, b] for b, n in enumerate(lens)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of [L_i, *] tensors: ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    Args:
        sequences: the tensors, by decreasing length unless enforce_sorted is False.
        enforce_sorted: see pack_padded_sequence.
    Returns:
        A PackedSequence.
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of [L_i, *] tensors of a PackedSequence, in their original order.

    Args:
        packed_sequences: the PackedSequence.
    Returns:
        A list of tensors.
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

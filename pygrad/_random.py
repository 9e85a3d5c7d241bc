"""Random sampling beyond rand/randn: pygrad.Generator, normal, bernoulli, multinomial, poisson and the
in-place samplers (Tensor.uniform_, normal_, exponential_, random_, bernoulli_, geometric_, ...)."""

# mypy: disable-error-code="method-assign,assignment"
from __future__ import annotations

import builtins

from pygrad import _C
from pygrad._C import Tensor
from pygrad._config import default_float
from pygrad._device import check_device
from pygrad._device import device as _device
from pygrad._dtype_info import iinfo
from pygrad._grad_mode import no_grad

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    import numpy as np

    from pygrad._device import DeviceLike

__all__ = [
    "Generator",
    "bernoulli",
    "get_rng_state",
    "multinomial",
    "normal",
    "poisson",
    "seed",
    "set_rng_state",
]

# torch.Generator()'s seed before manual_seed: a fresh Generator gives the same stream every run.
_DEFAULT_SEED = 67280421310721
# Mantissa digits: rand draws k / 2**digits, so a sample never rounds up to 1.
_UNIFORM_DIGITS = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}


class Generator:
    """An independent random stream (``pygrad.Generator().manual_seed(0)``), for ``generator=``.

    Functions given ``generator=None`` draw from pygrad's global generator (``pygrad.manual_seed``);
    a Generator draws from its own PCG64 state, so two streams never disturb each other.
    """

    def __init__(self, device: DeviceLike = "cpu") -> None:
        check_device(device, "Generator")
        self.device = _device("cpu")
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restarts the stream from ``seed``; returns the generator, as torch does."""
        import numpy as np

        if isinstance(seed, builtins.bool) or not hasattr(seed, "__index__"):
            raise TypeError(
                f"[Generator.manual_seed] seed must be an integer, got {type(seed).__name__}"
            )
        self._initial = seed.__index__() & (2**64 - 1)
        self._rng = np.random.Generator(np.random.PCG64(self._initial))
        return self

    def seed(self) -> int:
        """Reseeds from the operating system's entropy and returns the new seed."""
        import os

        value = int.from_bytes(os.urandom(8), "little") & (2**63 - 1)
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._initial

    def get_state(self) -> Tensor:
        """The stream's state as a uint8 tensor, for ``set_state``."""
        import json

        import numpy as np

        state = {"initial": self._initial, "bit_generator": self._rng.bit_generator.state}
        data = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy()
        return _C.from_numpy(data)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restores a state taken by ``get_state``."""
        import json

        if not isinstance(new_state, Tensor) or new_state.dtype != _C.uint8:
            raise TypeError(
                "[Generator.set_state] expects the uint8 tensor that get_state returned"
            )
        try:
            state = json.loads(bytes(new_state.numpy().tobytes()).decode())
            self.manual_seed(state["initial"])
            self._rng.bit_generator.state = state["bit_generator"]
        except (ValueError, KeyError, TypeError) as err:
            raise RuntimeError(
                "[Generator.set_state] not a state from Generator.get_state"
            ) from err
        return self

    def __repr__(self) -> str:
        return "<pygrad.Generator object>"


# ---- the global generator's state (torch.get_rng_state / set_rng_state / seed / initial_seed)
# The C++ generator is (seed, stream counter) and exposes only manual_seed and initial_seed, so a
# state can't name the current counter. get_rng_state therefore draws a seed from the current
# stream and restarts the generator from it: the draws that follow are the ones set_rng_state
# replays, and a run stays reproducible under manual_seed (its numbers differ from a run without
# the get_rng_state call). initial_seed keeps answering the seed the user gave.
_restarted: list[int] = []  # [seed get_rng_state restarted from, initial seed to report] or []


def initial_seed() -> int:
    """The seed of the global generator (what manual_seed or seed last set)."""
    current = _C.initial_seed()
    if _restarted and _restarted[0] == current:
        return _restarted[1]
    return current


def seed() -> int:
    """Seeds the global generator from the operating system's entropy; returns the seed."""
    import os

    value = int.from_bytes(os.urandom(8), "little") & (2**63 - 1)
    _C.manual_seed(value)
    return value


def _restart(stream_seed: int, reported: int) -> None:
    _C.manual_seed(stream_seed)
    _restarted[:] = [stream_seed, reported]


def get_rng_state() -> Tensor:
    """The global generator's state as a uint8 tensor, for ``set_rng_state`` (16 bytes, not torch's
    5056: pygrad's generator is a seed and a stream counter)."""
    import numpy as np

    reported = initial_seed()
    stream_seed = int(_C._randint(0, 2**62, [1], _C.int64).item())
    _restart(stream_seed, reported)
    data = np.array([reported, stream_seed], dtype="<u8").view(np.uint8)
    return _C.from_numpy(data.copy())


def set_rng_state(new_state: Tensor) -> None:
    """Restores the global generator to a state from ``get_rng_state``."""
    import numpy as np

    if not isinstance(new_state, Tensor) or new_state.dtype != _C.uint8:
        raise TypeError("[set_rng_state] expects the uint8 tensor that get_rng_state returned")
    if new_state.numel() != 16:
        raise RuntimeError(
            f"[set_rng_state] expected a state of 16 bytes (from get_rng_state), got {new_state.numel()}"
        )
    reported, stream_seed = np.ascontiguousarray(new_state.numpy()).view("<u8").tolist()
    _restart(int(stream_seed), int(reported))


def numpy_rng(generator: Generator | None, op: str) -> np.random.Generator:
    """The numpy stream to sample from: the Generator's own, or one seeded by the global generator."""
    import numpy as np

    if generator is None:
        seed = _C._randint(0, 2**62, [2], _C.int64).numpy()
        return np.random.Generator(np.random.PCG64([int(s) for s in seed]))
    if not isinstance(generator, Generator):
        raise TypeError(
            f"[{op}] generator must be a pygrad.Generator or None, got {type(generator).__name__}"
        )
    return generator._rng


def _from_numpy(values: np.ndarray[Any, Any], dtype: _C.dtype) -> Tensor:
    out = _C.from_numpy(values)
    return out if out.dtype == dtype else out._to_dtype(dtype)


def uniform(size: list[int], dtype: _C.dtype, generator: Generator | None, op: str) -> Tensor:
    """Samples in [0, 1) of a floating dtype."""
    if generator is None:
        return _C._rand(size, dtype, False)
    import numpy as np

    digits = _UNIFORM_DIGITS.get(str(dtype).removeprefix("pygrad."))
    if digits is None:
        raise TypeError(f"[{op}] random floats need a floating dtype, got {dtype}")
    k = numpy_rng(generator, op).integers(0, 2**digits, size, dtype=np.uint64)
    return _from_numpy(k.astype(np.float64) * 2.0**-digits, dtype)


def standard_normal(
    size: list[int], dtype: _C.dtype, generator: Generator | None, op: str
) -> Tensor:
    """Standard normal samples of a floating dtype."""
    if generator is None:
        return _C._randn(size, dtype, False)
    if not dtype.is_floating_point:
        raise TypeError(f"[{op}] normal samples need a floating dtype, got {dtype}")
    return _from_numpy(numpy_rng(generator, op).standard_normal(size), dtype)


def integers(
    low: int, high: int, size: list[int], dtype: _C.dtype, generator: Generator | None, op: str
) -> Tensor:
    """Integers in [low, high)."""
    if generator is None:
        return _C._randint(low, high, size, dtype)
    import numpy as np

    if high <= low:
        raise RuntimeError(f"[{op}] expects low < high, got low={low}, high={high}")
    return _from_numpy(numpy_rng(generator, op).integers(low, high, size, dtype=np.int64), dtype)


def _floating(op: str, *tensors: Tensor) -> None:
    for t in tensors:
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"[{op}] expects a floating point tensor, got {t.dtype}")


def normal(
    mean: Tensor | float = 0.0,
    std: Tensor | float = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: _C.dtype | None = None,
    device: DeviceLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples with the given mean and std (tensors broadcast; floats need ``size``)."""
    check_device(device, "normal")
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        if size is not None:
            raise TypeError("[normal] size= is only for a float mean and std")
        _floating("normal", *tensors)
        both = (
            tensors[0].detach() if len(tensors) == 1 else tensors[0].detach() + tensors[1].detach()
        )
        out_dtype, shape = both.dtype, list(both.shape)
    else:
        if size is None:
            raise TypeError(
                "[normal] a float mean and std need size=, e.g. normal(0.0, 1.0, (2, 3))"
            )
        out_dtype = default_float[0] if dtype is None else dtype
        shape = [int(s) for s in size]
    with no_grad():
        s = std.detach() if isinstance(std, Tensor) else std
        if (s < 0).any() if isinstance(s, Tensor) else s < 0:
            raise RuntimeError(f"[normal] expects std >= 0.0, got {s}")
        m = mean.detach() if isinstance(mean, Tensor) else mean
        out = (standard_normal(shape, out_dtype, generator, "normal") * s + m)._to_dtype(out_dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _check_probability(p: Tensor | float, op: str) -> None:
    bad = ((p < 0) | (p > 1) | (p != p)).any() if isinstance(p, Tensor) else not 0 <= p <= 1
    if bad:
        raise RuntimeError(f"[{op}] expects 0 <= p <= 1")


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """0/1 samples, 1 with probability input (or p): the result has input's dtype."""
    _floating("bernoulli", input)
    with no_grad():
        probs = input.detach() if p is None else p
        _check_probability(probs, "bernoulli")
        draws = uniform(list(input.shape), _C.float64, generator, "bernoulli")
        return (draws < probs)._to_dtype(input.dtype)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson samples with rates input; the result has input's dtype."""
    _floating("poisson", input)
    rates = input.detach().double().numpy()
    if (rates < 0).any() or not (rates == rates).all():
        raise RuntimeError("[poisson] invalid Poisson rate, expected rate to be non-negative")
    return _from_numpy(
        numpy_rng(generator, "poisson").poisson(rates).astype("float64"), input.dtype
    )


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of input (int64)."""
    import numpy as np

    _floating("multinomial", input)
    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"[multinomial] prob_dist must be 1 or 2 dim, got shape {tuple(input.shape)}"
        )
    weights = input.detach().double().numpy().reshape(-1, input.shape[-1])
    categories = weights.shape[1]
    if categories == 0:
        raise RuntimeError("[multinomial] number of categories cannot be zero")
    if num_samples <= 0:
        raise RuntimeError(f"[multinomial] cannot sample n_sample <= 0 samples, got {num_samples}")
    if not replacement and num_samples > categories:
        raise RuntimeError(
            f"[multinomial] cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} > {categories})"
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError(
            "[multinomial] probability tensor contains either `inf`, `nan` or element < 0"
        )
    totals = weights.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError(
            "[multinomial] invalid multinomial distribution (sum of probabilities <= 0)"
        )
    if not replacement and (np.count_nonzero(weights, axis=1) < num_samples).any():
        raise RuntimeError(
            "[multinomial] invalid multinomial distribution (with replacement=False, not enough "
            "non-negative category to sample)"
        )
    rng = numpy_rng(generator, "multinomial")
    rows = [
        rng.choice(categories, size=num_samples, replace=replacement, p=w / total)
        for w, total in zip(weights, totals)
    ]
    out = np.asarray(rows, dtype=np.int64).reshape(len(rows), num_samples)
    return _C.from_numpy(out[0] if input.ndim == 1 else out)


def _fill_(self: Tensor, values: Tensor) -> Tensor:
    """Writes the samples into self: an in-place op, so a leaf that requires grad refuses outside
    no_grad, as in torch, and a non-leaf records a copy of constants (zero gradient upstream)."""
    return self.copy_(values.detach())


def _uniform_(
    self: Tensor,
    from_: float = 0.0,
    to: float = 1.0,
    *,
    generator: Generator | None = None,
    **kw: Any,
) -> Tensor:
    from_ = kw.pop("from", from_)
    if kw:
        raise TypeError(f"[uniform_] unexpected arguments {sorted(kw)}")
    _floating("uniform_", self)
    if from_ > to:
        raise RuntimeError(
            f"[uniform_] expects to return a [from, to) range, but found from={from_} > to={to}"
        )
    u = uniform(list(self.shape), _C.float64, generator, "uniform_")
    return _fill_(self, u * (to - from_) + from_)


def _normal_(
    self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    _floating("normal_", self)
    if std < 0:
        raise RuntimeError(f"[normal_] expects std >= 0.0, but found std {std}")
    z = standard_normal(list(self.shape), _C.float64, generator, "normal_")
    return _fill_(self, z * std + mean)


def _log_normal_(
    self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None
) -> Tensor:
    _floating("log_normal_", self)
    if std <= 0:
        raise RuntimeError(f"[log_normal_] expects std > 0.0, but found std={std}")
    z = standard_normal(list(self.shape), _C.float64, generator, "log_normal_")
    return _fill_(self, (z * std + mean).exp())


def _exponential_(
    self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    _floating("exponential_", self)
    if not lambd > 0:
        raise RuntimeError(f"[exponential_] expects lambda > 0.0, but found lambda={lambd}")
    u = uniform(list(self.shape), _C.float64, generator, "exponential_")
    return _fill_(self, -(1.0 - u).log() / lambd)


def _geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"[geometric_] expects p to be in (0, 1), but got p={p}")
    u = uniform(list(self.shape), _C.float64, generator, "geometric_")
    import math

    # The number of trials to the first success: ceil(log(1 - u) / log(1 - p)), at least 1.
    trials = ((1.0 - u).log() / math.log1p(-p)).ceil().clamp_min(1.0)
    return _fill_(self, trials)


def _cauchy_(
    self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    _floating("cauchy_", self)
    import math

    u = uniform(list(self.shape), _C.float64, generator, "cauchy_")
    return _fill_(self, ((u - 0.5) * math.pi).tan() * sigma + median)


def _random_(
    self: Tensor,
    from_: int = 0,
    to: int | None = None,
    *,
    generator: Generator | None = None,
    **kw: Any,
) -> Tensor:
    """Integers in [from, to); ``random_(to)`` is [0, to); ``random_()`` spans the dtype's integers."""
    if "from" in kw:
        from_ = kw.pop("from")
    elif to is None and from_ != 0:
        from_, to = 0, from_
    if kw:
        raise TypeError(f"[random_] unexpected arguments {sorted(kw)}")
    if to is None:
        dt = self.dtype
        if dt == _C.bool:
            to = 2
        elif dt.is_floating_point:
            to = 2 ** _UNIFORM_DIGITS[str(dt).removeprefix("pygrad.")] + 1
        else:
            to = iinfo(dt).max + 1
    if from_ >= to:
        raise RuntimeError(
            f"[random_] expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    return _fill_(
        self, integers(int(from_), int(to), list(self.shape), self.dtype, generator, "random_")
    )


def _bernoulli_(
    self: Tensor, p: Tensor | float = 0.5, *, generator: Generator | None = None
) -> Tensor:
    with no_grad():
        probs = p.detach() if isinstance(p, Tensor) else p
        _check_probability(probs, "bernoulli_")
        draws = uniform(list(self.shape), _C.float64, generator, "bernoulli_")
        return _fill_(self, (draws < probs)._to_dtype(self.dtype))


def _bernoulli_method(
    self: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    return bernoulli(self, p, generator=generator)


def _multinomial_method(
    self: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None
) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)


for _name, _fn in {
    "uniform_": _uniform_,
    "normal_": _normal_,
    "log_normal_": _log_normal_,
    "exponential_": _exponential_,
    "geometric_": _geometric_,
    "cauchy_": _cauchy_,
    "random_": _random_,
    "bernoulli_": _bernoulli_,
    "bernoulli": _bernoulli_method,
    "multinomial": _multinomial_method,
}.items():
    setattr(Tensor, _name, _fn)

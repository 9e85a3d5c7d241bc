"""Dynamic loss scaling for mixed-precision training: ``GradScaler``, as torch.amp.GradScaler.

The scale multiplies the loss before backward so small float16 gradients don't flush to zero;
``unscale_`` divides the gradients back and records whether any is inf/NaN, ``step`` skips the
optimizer step on such an iteration, and ``update`` backs the scale off after a skipped step or grows
it after ``growth_interval`` clean steps in a row (torch's rule, in float32 as torch's kernel).
The scale lives in a 0-d float32 tensor as in torch; the growth tracker is a Python int (torch keeps
an int32 tensor on the device to avoid syncs, which pygrad's CPU tensors don't need).
"""

from __future__ import annotations

import struct
import warnings
from collections import abc, defaultdict
from enum import Enum
from typing import Any, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad

__all__ = ["GradScaler", "OptState"]

_Outputs = Union[Tensor, abc.Iterable[Any]]


class OptState(Enum):
    """Where an optimizer is in the current iteration (what unscale_/step may still do)."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf": None}


def _f32(x: float) -> float:
    """x rounded to float32, as torch's float32 scale tensor stores it (inf past float32's range)."""
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


class GradScaler:
    """Scales the loss and unscales gradients, skipping steps whose gradients overflowed.

    Args:
        device: "cuda" or "cpu"; "cuda" without an available GPU warns and disables the scaler (as torch).
        init_scale: the scale before the first update.
        growth_factor: multiplies the scale after ``growth_interval`` steps without inf/NaN gradients.
        backoff_factor: multiplies the scale after a step whose gradients had an inf/NaN.
        growth_interval: clean steps in a row before the scale grows.
        enabled: False makes every method a pass-through (``step`` just calls ``optimizer.step``).
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            from pygrad import cuda

            if not cuda.is_available():
                # torch's warning, with pygrad's name
                warnings.warn(
                    "pygrad.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                    stacklevel=2,
                )
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # created by the first scale(), as torch's
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: int | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(
                _refresh_per_optimizer_state
            )

    # ---- scale
    def _lazy_init_scale_growth_tracker(self) -> None:
        self._scale = _C._full([], float(self._init_scale), _C.float32, False)
        self._growth_tracker = self._init_growth_tracker

    def _check_scale_growth_tracker(self, funcname: str) -> Tensor:
        fix = (
            "This may indicate your script did not use scaler.scale(loss or outputs) earlier in "
            "the iteration."
        )
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale

    def scale(self, outputs: _Outputs) -> Any:
        """outputs (a tensor, or nested lists/tuples/iterables of them) times the scale; unchanged when disabled."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._lazy_init_scale_growth_tracker()
        scale = self._scale
        assert scale is not None

        def apply_scale(val: Any) -> Any:
            if isinstance(val, Tensor):
                return val * scale
            if isinstance(val, abc.Iterable):
                scaled = map(apply_scale, val)
                if isinstance(val, (list, tuple)):
                    return type(val)(scaled)
                return scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    # ---- unscale and step
    def _unscale_grads_(self, optimizer: Any, inv_scale: float, allow_fp16: bool) -> bool:
        """Multiplies every gradient by inv_scale in place; True when one had an inf or NaN."""
        found_inf = False
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if not isinstance(param, Tensor):
                        raise AssertionError(
                            f"expected param to be torch.Tensor, got {type(param).__name__}"
                        )
                    grad = param.grad
                    if grad is None:
                        continue
                    if not allow_fp16 and grad.dtype == _C.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    # torch's kernel checks, then multiplies every element (inf stays inf)
                    if not bool(grad.isfinite().all()):
                        found_inf = True
                    if inv_scale != 1.0:
                        grad.mul_(inv_scale)
        return found_inf

    def unscale_(self, optimizer: Any) -> None:
        """Divides optimizer's gradients by the scale (once per optimizer between updates), recording infs.

        Call it before clipping gradients; ``step`` then doesn't unscale again.
        """
        if not self._enabled:
            return
        scale = self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # the reciprocal in float64, rounded to float32: torch's way around imprecise fp32 division
        inv_scale = _f32(1.0 / scale.item())
        state["found_inf"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscales (unless ``unscale_`` already did) and calls ``optimizer.step(*args, **kwargs)`` unless a
        gradient was inf/NaN; returns what step returned, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not state["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    # ---- update
    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Backs the scale off if any optimizer skipped its step this iteration, else counts a clean step and
        grows the scale every ``growth_interval`` of them; ``new_scale`` sets it instead."""
        if not self._enabled:
            return
        scale = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = (
                    "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                    "torch.FloatTensor with requires_grad=False."
                )
                if not isinstance(new_scale, Tensor):
                    raise AssertionError(reason)
                if new_scale.device.type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad:
                    raise AssertionError(reason)
                with no_grad():
                    scale.copy_(new_scale)
        else:
            found = [
                s["found_inf"]
                for s in self._per_optimizer_states.values()
                if s["found_inf"] is not None
            ]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            current = scale.item()
            tracker = self._growth_tracker
            assert tracker is not None
            if any(found):
                scale.fill_(_f32(current * self._backoff_factor))
                self._growth_tracker = 0
            else:
                successful = tracker + 1
                if successful == self._growth_interval:
                    grown = _f32(current * self._growth_factor)
                    if grown != float("inf"):  # an overflowing scale keeps its value (torch)
                        scale.fill_(grown)
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    # ---- getters and setters
    def get_scale(self) -> float:
        """The current scale (init_scale before the first ``scale()``); 1.0 when disabled."""
        if self._enabled:
            return self._init_scale if self._scale is None else self._scale.item()
        return 1.0

    def get_growth_factor(self) -> float:
        """The factor the scale grows by."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Sets the factor the scale grows by."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale backs off by."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Sets the factor the scale backs off by."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """Clean steps in a row before the scale grows."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Sets the clean steps in a row before the scale grows."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            return (
                self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker
            )
        return 0

    def is_enabled(self) -> bool:
        """False when constructed disabled (or with device="cuda" and no GPU)."""
        return self._enabled

    # ---- checkpointing
    def state_dict(self) -> dict[str, Any]:
        """torch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker ({} when disabled)."""
        if self._enabled:
            return {
                "scale": self.get_scale(),
                "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker(),
            }
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores what ``state_dict`` returned (a torch GradScaler's state dict works too)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale.fill_(float(state_dict["scale"]))
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = int(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning "
                    "of an iteration, or at the end after scaler.update()."
                )
            # the unpickled scaler re-creates its scale lazily, from these
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
            state["_per_optimizer_states"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._enabled:
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

"""The in-place forms torch gives its ops (``x.clamp_(0, 1)``, ``x.exp_()``, ``x.masked_fill_(m, 0)``,
``x.squeeze_()``, ...), made from the out-of-place ones: the result is written into self through
``copy_``, so autograd records the write (on self or, for a view, on its base) as torch does.

The arithmetic hot ones (``add_``, ``mul_``, ``sub_``, ``div_``, ...) are C++ kernels of their own
and are not touched here. ``install()`` runs at the end of ``pygrad/__init__.py``, after every method module."""

from __future__ import annotations

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

# Ops whose result is written into self (value in-place forms): those taking no argument (their
# in-place form takes none either), then the rest.
_NO_ARGUMENT = (
    "abs",
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "bitwise_not",
    "ceil",
    "cos",
    "cosh",
    "deg2rad",
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "exp",
    "expm1",
    "fix",
    "floor",
    "frac",
    "lgamma",
    "log10",
    "log1p",
    "log2",
    "log",
    "logical_not",
    "neg",
    "negative",
    "rad2deg",
    "reciprocal",
    "relu",
    "rsqrt",
    "sgn",
    "sigmoid",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
    "absolute",
)
_WITH_ARGUMENTS = (
    "addbmm",
    "addcdiv",
    "addcmul",
    "addmm",
    "addmv",
    "addr",
    "arctan2",
    "atan2",
    "baddbmm",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "copysign",
    "cumprod",
    "cumsum",
    "divide",
    "eq",
    "float_power",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "heaviside",
    "hypot",
    "index_add",
    "ldexp",
    "le",
    "lerp",
    "less",
    "less_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logit",
    "lt",
    "masked_fill",
    "multiply",
    "nan_to_num",
    "ne",
    "nextafter",
    "not_equal",
    "polygamma",
    "round",
    "scatter_add",
    "subtract",
    "true_divide",
    "xlogy",
    "gcd",
    "lcm",
)

# Ops that change self's shape and strides in place (views of self's memory).
_GEOMETRY_OPS = ["squeeze", "unsqueeze", "t", "transpose", "swapaxes", "swapdims"]


def _check_leaf(self: Tensor, name: str) -> None:
    if self.requires_grad and self.is_leaf and _C.is_grad_enabled():
        raise RuntimeError(
            f"[{name}] a leaf tensor that requires grad is being used in an in-place operation; "
            "wrap the update in pygrad.no_grad()"
        )


def _recording(self: Tensor, args: Any, kwargs: Any) -> bool:
    if not _C.is_grad_enabled():
        return False
    return any(isinstance(a, Tensor) and a.requires_grad for a in (self, *args, *kwargs.values()))


def _value_inplace(op: str) -> Any:
    out_of_place = getattr(Tensor, op)
    name = op + "_"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _check_leaf(self, name)
        # Recorded: the op reads a copy, so what its gradient saved is not the value overwritten below.
        source = self.clone() if _recording(self, args, kwargs) else self
        result = out_of_place(source, *args, **kwargs)
        if not _C.can_cast(result.dtype, self.dtype):
            raise RuntimeError(
                f"[{name}] result type {result.dtype} can't be cast to the desired output type "
                f"{self.dtype}"
            )
        if tuple(result.shape) != tuple(self.shape):
            raise RuntimeError(
                f"[{name}] output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}"
            )
        return self.copy_(result)

    def no_argument(self: Tensor) -> Tensor:
        return method(self)

    chosen = no_argument if op in _NO_ARGUMENT else method
    chosen.__name__ = chosen.__qualname__ = name
    chosen.__doc__ = f"In-place {op}: the result written into self; returns self."
    return chosen


def _geometry_inplace(op: str) -> Any:
    out_of_place = getattr(Tensor, op)
    name = op + "_"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _check_leaf(self, name)
        self._assume_geometry(out_of_place(self, *args, **kwargs))
        return self

    def no_argument(self: Tensor) -> Tensor:
        return method(self)

    chosen = no_argument if op == "t" else method
    chosen.__name__ = chosen.__qualname__ = name
    chosen.__doc__ = f"In-place {op}: self takes the new shape and strides; returns self."
    return chosen


# The in-place ops torch also has as functions (torch.relu_(x), torch.zero_(x), ...).
_FUNCTION_FORMS = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ "
    "atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ "
    "expm1_ fill_ fix_ floor_ frac_ gcd_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ "
    "nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ "
    "sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_"
)


def _function_form(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, ...): input.{name}(...)"
    return function


def install() -> dict[str, Any]:
    """Adds the in-place forms whose out-of-place op exists and that have none of their own; returns
    the torch-level function forms of in-place ops, for pygrad's namespace."""
    for op in _NO_ARGUMENT + _WITH_ARGUMENTS:
        if hasattr(Tensor, op) and not hasattr(Tensor, op + "_"):
            setattr(Tensor, op + "_", _value_inplace(op))
    for op in _GEOMETRY_OPS:
        if hasattr(Tensor, op) and not hasattr(Tensor, op + "_"):
            setattr(Tensor, op + "_", _geometry_inplace(op))
    return {name: _function_form(name) for name in _FUNCTION_FORMS.split() if hasattr(Tensor, name)}

"""``Module.summary``: a table of a model's layers, output shapes and parameter counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import randn
from pygrad._grad_mode import no_grad

if TYPE_CHECKING:
    from pygrad.nn.modules.module import Module, RemovableHandle


def summary(
    model: Module,
    input_size: Iterable[int] | None = None,
    input: Tensor | tuple[Any, ...] | None = None,
    dtype: _C.dtype | None = None,
    print_fn: Callable[[str], object] | None = print,
) -> str:
    """The table of ``Module.summary`` (see there), printed with print_fn unless it is None."""
    named = list(model.named_modules())
    shapes: dict[str, str] = {}
    if input is not None or input_size is not None:
        if input is None:
            if dtype is None:
                first = next(model.parameters(), None)
                dtype = (
                    first.dtype
                    if first is not None and first.dtype.is_floating_point
                    else _C.float32
                )
            input = randn(*tuple(input_size or ()), dtype=dtype)
        inputs = input if isinstance(input, tuple) else (input,)
        handles: list[RemovableHandle] = []
        for name, module in named:

            def hook(mod: Module, args: tuple[Any, ...], output: Any, name: str = name) -> None:
                shapes[name] = _shape_of(output)

            handles.append(module.register_forward_hook(hook))
        modes = [(m, m.training) for _, m in named]
        try:
            model.eval()
            with no_grad():
                model(*inputs)
        finally:
            for handle in handles:
                handle.remove()
            for m, mode in modes:
                object.__setattr__(m, "training", mode)

    rows: list[tuple[str, str, str]] = []
    for name, module in named:
        count = sum(p.numel() for p in module._parameters.values() if p is not None)
        label = f"{name} ({module._get_name()})" if name else f"{module._get_name()} (model)"
        depth = name.count(".") + 1 if name else 0
        rows.append(("  " * max(depth - 1, 0) + label, shapes.get(name, "--"), f"{count:,}"))
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    widths = [
        max(len(h), *(len(r[i]) for r in rows))
        for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))
    ]
    line = "  ".join(
        h.ljust(w) if i < 2 else h.rjust(w)
        for i, (h, w) in enumerate(zip(("Layer (type)", "Output Shape", "Param #"), widths))
    )
    rule = "=" * len(line)
    out = [rule, line, rule]
    for r in rows:
        out.append(f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2].rjust(widths[2])}")
    out += [
        rule,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable (frozen) params: {total - trainable:,}",
        rule,
    ]
    text = "\n".join(out)
    if print_fn is not None:
        print_fn(text)
    return text


def _shape_of(output: object) -> str:
    if isinstance(output, Tensor):
        return str(list(output.shape))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output)
    return type(output).__name__

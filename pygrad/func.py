"""pygrad.func: torch.func's function transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
vmap, functional_call, stack_module_state), built on pygrad's reverse-mode autograd.

pygrad has one autograd (reverse mode, with create_graph for higher orders) and no batching rules, so:
- grad/vjp/jacrev differentiate with pygrad.autograd.grad; a transform called inside another transform (or on
  inputs that require grad) records its derivative graph, which is what makes grad(grad(f)) and hessian work;
- jvp and jacfwd have no forward mode behind them: jvp is the double-vjp trick and jacfwd computes the same
  Jacobian as jacrev (same results, reverse-mode cost);
- vmap is a Python loop over the mapped dimension: it calls func on each slice and stacks the results. It gives
  vmap's results (nested vmap, in_dims/out_dims pytrees) but not its speed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import enable_grad

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "stack_module_state",
    "vjp",
    "vmap",
]

_ArgNums = Union[int, Sequence[int]]

# How many transforms are running: at depth 0 (a top-level call on inputs that don't require grad) results
# are detached, as torch.func's; inside another transform they keep their graph so the outer one can
# differentiate them.
_depth = [0]


# ---- pytrees: tuples, lists and dicts of leaves


def _flatten(tree: Any) -> tuple[list[Any], Any]:
    """(leaves, spec): leaves in order; spec rebuilds the tree with _unflatten."""
    if isinstance(tree, (tuple, list)):
        leaves: list[Any] = []
        specs: list[tuple[Any, ...]] = []
        for item in tree:
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((len(sub), spec))
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves = []
        specs = []
        for key, item in tree.items():
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((key, len(sub), spec))
        return leaves, (dict, specs)
    return [tree], None


def _unflatten(leaves: Sequence[Any], spec: Any) -> Any:
    if spec is None:
        return leaves[0]
    kind, specs = spec
    if kind is dict:
        out: dict[Any, Any] = {}
        at = 0
        for key, count, sub in specs:
            out[key] = _unflatten(leaves[at : at + count], sub)
            at += count
        return out
    items = []
    at = 0
    for count, sub in specs:
        items.append(_unflatten(leaves[at : at + count], sub))
        at += count
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # a namedtuple


def _broadcast_to_tree(prefix: Any, tree: Any, what: str) -> list[Any]:
    """One entry of prefix per leaf of tree: a non-container in prefix covers a whole subtree of tree."""
    if isinstance(prefix, (tuple, list)):
        if not isinstance(tree, (tuple, list)) or len(tree) != len(prefix):
            raise ValueError(f"{what} {prefix!r} does not match the structure of the inputs")
        out: list[Any] = []
        for p, t in zip(prefix, tree):
            out.extend(_broadcast_to_tree(p, t, what))
        return out
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            raise ValueError(f"{what} {prefix!r} does not match the structure of the inputs")
        out = []
        for key in tree:
            out.extend(_broadcast_to_tree(prefix[key], tree[key], what))
        return out
    return [prefix] * len(_flatten(tree)[0])


# ---- reverse-mode helpers


def _argnums(argnums: _ArgNums, count: int, fn: str) -> tuple[bool, tuple[int, ...]]:
    many = isinstance(argnums, (tuple, list))
    nums: tuple[Any, ...] = tuple(argnums) if isinstance(argnums, (tuple, list)) else (argnums,)
    if many and not nums:
        raise RuntimeError(f"{fn}: argnums must be non-empty")
    out = []
    for n in nums:
        if not isinstance(n, int):
            raise RuntimeError(
                f"{fn}: argnums must be int or Tuple[int, ...], got {type(n).__name__}"
            )
        if not -count <= n < count:
            raise RuntimeError(
                f"{fn}: Got argnums={n}, but only {count} positional inputs were given"
            )
        out.append(n % count)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{fn}: argnums must be unique, got {argnums}")
    return many, tuple(out)


def _tensors(leaves: Iterable[Any], what: str, fn: str) -> list[Tensor]:
    out = list(leaves)
    for x in out:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{fn}: expected {what} to be tensors, got {type(x).__name__}")
    return out


def _keep_graph(tensors: Iterable[Tensor]) -> bool:
    """Whether derivatives must be recorded: inside another transform or for inputs that require grad."""
    if not _C.is_grad_enabled():
        return False
    return _depth[0] > 0 or any(t.requires_grad for t in tensors)


def _track(x: Tensor) -> Tensor:
    # A tensor to differentiate at: connected to the caller's graph when it has one, else a fresh leaf.
    if x.requires_grad and _C.is_grad_enabled():
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _done(x: Any, keep: bool) -> Any:
    return x if keep or not isinstance(x, Tensor) else x.detach()


def _vjp_grads(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    cotangents: Sequence[Tensor | None],
    create_graph: bool,
) -> list[Tensor]:
    """sum_k cotangent_k . d outputs_k / d inputs, zeros for inputs the outputs do not reach."""
    from pygrad.autograd import grad as autograd_grad

    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    found: Sequence[Tensor | None]
    if pairs and inputs:
        found = autograd_grad(
            [o for o, _ in pairs],
            list(inputs),
            [c for _, c in pairs],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    else:
        found = [None] * len(inputs)
    return [
        g if g is not None else _C._full(list(x.shape), 0, x.dtype, False)
        for g, x in zip(found, inputs)
    ]


def _split_aux(out: Any, has_aux: bool, fn: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise RuntimeError(
            f"{fn}(f, ...)(*args): output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return out[0], out[1]


class _Level:
    """Marks a transform as running (see _depth)."""

    def __enter__(self) -> None:
        _depth[0] += 1

    def __exit__(self, *exc: Any) -> None:
        _depth[0] -= 1


def _prepare_args(
    args: tuple[Any, ...], nums: tuple[int, ...], fn: str
) -> tuple[list[Any], list[list[Tensor]], list[Any], bool]:
    """(args with the differentiated ones replaced by tracked copies, their leaves per argnum, their specs,
    whether to keep the derivative graph)."""
    new_args = list(args)
    leaves_per: list[list[Tensor]] = []
    specs = []
    originals: list[Tensor] = []
    for n in nums:
        leaves, spec = _flatten(args[n])
        leaves = _tensors(leaves, "the differentiated inputs", fn)
        originals.extend(leaves)
        specs.append(spec)
    keep = _keep_graph(originals)
    for n, spec in zip(nums, specs):
        tracked = [_track(x) for x in _flatten(args[n])[0]]
        leaves_per.append(tracked)
        new_args[n] = _unflatten(tracked, spec)
    return new_args, leaves_per, specs, keep


# ---- grad, grad_and_value, vjp, jvp


def grad_and_value(
    func: Callable[..., Any], argnums: _ArgNums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """A function returning (gradient, value) of func (a scalar) w.r.t. the args in argnums (pytrees of tensors);
    with has_aux, func returns (value, aux) and the result is (gradient, (value, aux))."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        many, nums = _argnums(argnums, len(args), "grad_and_value")
        new_args, leaves_per, specs, keep = _prepare_args(args, nums, "grad_and_value")
        with _Level(), enable_grad():
            out = func(*new_args, **kwargs)
            value, aux = _split_aux(out, has_aux, "grad_and_value")
            if not isinstance(value, Tensor):
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(value).__name__}"
                )
            if value.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{value.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            flat = [x for leaves in leaves_per for x in leaves]
            grads = _vjp_grads([value], flat, [None], keep)
        per_arg = []
        at = 0
        for leaves, spec in zip(leaves_per, specs):
            per_arg.append(_unflatten([_done(g, keep) for g in grads[at : at + len(leaves)]], spec))
            at += len(leaves)
        g_out = tuple(per_arg) if many else per_arg[0]
        value = _done(value, keep)
        if has_aux:
            aux = _unflatten([_done(a, keep) for a in _flatten(aux)[0]], _flatten(aux)[1])
            return g_out, (value, aux)
        return g_out, value

    return wrapper


def grad(
    func: Callable[..., Any], argnums: _ArgNums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """A function returning the gradient of func (a scalar) w.r.t. the args in argnums; (gradient, aux) with
    has_aux. Composes: grad(grad(f)) is the second derivative."""
    both = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) returns a tuple with the cotangents pulled back to each
    primal (cotangents shaped like the output pytree). vjp_fn may be called several times."""
    new_args, leaves_per, specs, keep = _prepare_args(primals, tuple(range(len(primals))), "vjp")
    with _Level(), enable_grad():
        out = func(*new_args)
    output, aux = _split_aux(out, has_aux, "vjp")
    out_leaves, out_spec = _flatten(output)
    out_leaves = _tensors(out_leaves, "the outputs of the function", "vjp")
    flat_in = [x for leaves in leaves_per for x in leaves]

    def vjp_fn(*cotangents: Any) -> tuple[Any, ...]:
        tree = cotangents[0] if len(cotangents) == 1 else cotangents
        cts, _ = _flatten(tree)
        if len(cts) != len(out_leaves):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                f"to the function ({len(cts)} tensors given, {len(out_leaves)} outputs)"
            )
        for c, o in zip(cts, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output has a shape of {tuple(c.shape)} and output has a shape "
                    f"of {tuple(o.shape)}"
                )
        inner = keep or any(c.requires_grad for c in cts) or _depth[0] > 0
        with _Level(), enable_grad():
            grads = _vjp_grads(out_leaves, flat_in, cts, inner and _C.is_grad_enabled())
        result = []
        at = 0
        for leaves, spec in zip(leaves_per, specs):
            result.append(_unflatten([_done(g, inner) for g in grads[at : at + len(leaves)]], spec))
            at += len(leaves)
        return tuple(result)

    output = _unflatten([_done(o, keep) for o in out_leaves], out_spec)
    if has_aux:
        return output, vjp_fn, aux
    return output, vjp_fn


def jvp(
    func: Callable[..., Any],
    primals: Any,
    tangents: Any,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> Any:
    """(func(*primals), J @ tangents[, aux]), primals and tangents being tuples of the same structure.

    pygrad has no forward mode: this is the double-vjp trick (u -> u^T J is linear in u, so its vjp with the
    tangents is J @ tangents), which needs the function's backward to be differentiable."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple.")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple.")
    p_leaves, p_spec = _flatten(primals)
    t_leaves, _ = _flatten(tangents)
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure."
        )
    for p, t in zip(_tensors(p_leaves, "primals", "jvp"), _tensors(t_leaves, "tangents", "jvp")):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "jvp(f, primals, tangents): Expected primals and tangents to have the same shape, got "
                f"{tuple(p.shape)} and {tuple(t.shape)}"
            )
    keep = _keep_graph([*p_leaves, *t_leaves])
    tracked = [_track(x) for x in p_leaves]
    args = _unflatten(tracked, p_spec)
    with _Level(), enable_grad():
        out = func(*args)
        output, aux = _split_aux(out, has_aux, "jvp")
        out_leaves, out_spec = _flatten(output)
        out_leaves = _tensors(out_leaves, "the outputs of the function", "jvp")
        us = [_C._full(list(o.shape), 0, o.dtype, True) for o in out_leaves]
        pulled = _vjp_grads(out_leaves, tracked, us, True)
        pushed = _vjp_grads(pulled, us, t_leaves, keep)
    out_tree = _unflatten([_done(o, keep) for o in out_leaves], out_spec)
    jv_tree = _unflatten([_done(j, keep) for j in pushed], out_spec)
    if has_aux:
        return out_tree, jv_tree, aux
    return out_tree, jv_tree


# ---- Jacobians and the Hessian


def jacrev(
    func: Callable[..., Any],
    argnums: _ArgNums = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _fn: str = "jacrev",
) -> Callable[..., Any]:
    """A function returning the Jacobian of func w.r.t. the args in argnums, one reverse pass per output element.
    For an output leaf o and an input leaf x the block is shaped o.shape + x.shape; blocks nest as the output
    pytree, then (a tuple when argnums is a tuple) the input pytree. chunk_size is accepted and has no effect."""
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"{_fn}: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        many, nums = _argnums(argnums, len(args), _fn)
        new_args, leaves_per, specs, keep = _prepare_args(args, nums, _fn)
        flat_in = [x for leaves in leaves_per for x in leaves]
        from pygrad import stack

        with _Level(), enable_grad():
            out = func(*new_args, **kwargs)
            output, aux = _split_aux(out, has_aux, _fn)
            out_leaves, out_spec = _flatten(output)
            out_leaves = _tensors(out_leaves, "the outputs of the function", _fn)
            blocks = []
            for o in out_leaves:
                flat = o.reshape(-1)
                rows: list[list[Tensor]] = [[] for _ in flat_in]
                for k in range(flat.numel()):
                    for j, g in enumerate(_vjp_grads([flat[k]], flat_in, [None], keep)):
                        rows[j].append(g)
                per_leaf = []
                for j, x in enumerate(flat_in):
                    shape = [*o.shape, *x.shape]
                    if rows[j]:
                        per_leaf.append(_done(stack(rows[j]).reshape(shape), keep))
                    else:  # an empty output
                        per_leaf.append(_C._full(shape, 0, x.dtype, False))
                per_arg = []
                at = 0
                for leaves, spec in zip(leaves_per, specs):
                    per_arg.append(_unflatten(per_leaf[at : at + len(leaves)], spec))
                    at += len(leaves)
                blocks.append(tuple(per_arg) if many else per_arg[0])
        result = _unflatten(blocks, out_spec)
        if has_aux:
            aux_leaves, aux_spec = _flatten(aux)
            return result, _unflatten([_done(a, keep) for a in aux_leaves], aux_spec)
        return result

    return wrapper


def jacfwd(
    func: Callable[..., Any],
    argnums: _ArgNums = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable[..., Any]:
    """torch.func.jacfwd's signature and results; computed by reverse mode as jacrev (pygrad has no forward
    mode), so it costs one backward pass per output element."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )
    return jacrev(func, argnums, has_aux=has_aux, _fn="jacfwd")


def hessian(func: Callable[..., Any], argnums: _ArgNums = 0) -> Callable[..., Any]:
    """A function returning the Hessian of func w.r.t. the args in argnums: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---- vmap (a loop)


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """func mapped over a dimension of its inputs, as torch.func.vmap, computed by a Python loop.

    Each call slices every mapped input at index i of its in_dim (in_dims: an int or None for all inputs, or a
    tuple with one entry per positional argument, each an int/None or a pytree of them matching the argument),
    calls func on the slices, and stacks each output leaf along its out_dim (out_dims: an int, None for an
    output that is not batched, or a tuple per output). Nested vmap nests the loops. This gives vmap's results
    at the cost of one func call per batch element (there are no batching rules). randomness='same' restores
    the global generator before each call, so every element draws the same numbers; 'error' and 'different'
    both let each element draw its own (the loop cannot detect random calls to raise on). chunk_size is
    accepted and has no effect."""
    _check_randomness(randomness)
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("vmap: chunk_size should be None or greater than 0.")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_dims, (tuple, list)):
            if len(in_dims) != len(args):
                raise ValueError(
                    f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                    f"structure of `inputs`. in_dims has structure with {len(in_dims)} entries but "
                    f"inputs has {len(args)}."
                )
            dims = _broadcast_to_tree(tuple(in_dims), args, "vmap: in_dims")
        elif in_dims is None or isinstance(in_dims, int):
            dims = [in_dims] * len(_flatten(args)[0])
        else:
            raise ValueError(
                f"vmap(f, in_dims={in_dims}, ...): expected `in_dims` to be int or a (potentially nested) "
                "tuple matching the structure of inputs"
            )
        leaves, spec = _flatten(args)
        size = None
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(
                    f"vmap: Got in_dim={d} for an input but the input is of type {type(x).__name__}. We "
                    "cannot vmap over non-Tensor arguments; please use None as the respective in_dim"
                )
            if not isinstance(d, int) or not -x.ndim <= d < max(x.ndim, 1) or x.ndim == 0:
                raise ValueError(
                    f"vmap: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                    f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}."
                )
            n = int(x.shape[d])
            if size is not None and n != size:
                raise ValueError(
                    "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                    f"{size} and {n} for the mapped dimension"
                )
            size = n
        if size is None:
            raise ValueError(
                "vmap: at least one input must be a Tensor mapped over a dimension (in_dims not all None)"
            )
        state = None
        if randomness == "same":
            from pygrad._random import get_rng_state

            state = get_rng_state()
        results = []
        for i in range(size):
            if state is not None:
                from pygrad._random import set_rng_state

                set_rng_state(state)
            sliced = [x if d is None else x.select(d, i) for x, d in zip(leaves, dims)]
            results.append(func(*_unflatten(sliced, spec), **kwargs))
        return _stack_outputs(results, out_dims)

    return wrapper


def _stack_outputs(results: list[Any], out_dims: Any) -> Any:
    from pygrad import stack

    first_leaves, spec = _flatten(results[0])
    per_call = [_flatten(r)[0] for r in results]
    if isinstance(out_dims, (tuple, list)):
        outs = results[0] if isinstance(results[0], (tuple, list)) else (results[0],)
        if len(out_dims) != len(outs):
            raise ValueError(
                f"vmap(f, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                "structure of `outputs`."
            )
        dims = _broadcast_to_tree(tuple(out_dims), outs, "vmap: out_dims")
    else:
        dims = [out_dims] * len(first_leaves)
    stacked = []
    for j, d in enumerate(dims):
        column = [leaves[j] for leaves in per_call]
        if d is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap: `{type(column[0]).__name__}` outputs cannot be batched: return a Tensor, or use None "
                "as its out_dim"
            )
        dim = d if d >= 0 else d + column[0].ndim + 1
        stacked.append(stack(column, dim))
    return _unflatten(stacked, spec)


# ---- modules as functions


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """module(*args, **kwargs) with its parameters/buffers replaced by the given tensors (a dict, or a sequence
    of dicts): pygrad.nn.utils.stateless.functional_call."""
    from pygrad.nn.utils.stateless import functional_call as stateless_call

    return stateless_call(
        module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def stack_module_state(models: Sequence[Any]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(params, buffers) of several modules of the same structure, each name mapped to the models' tensors
    stacked along a new dim 0 (for vmap over functional_call). Stacked parameters are new leaves that require
    grad where the models' do; buffers are stacked as they are."""
    from pygrad import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    named_params = [dict(m.named_parameters()) for m in models]
    named_buffers = [dict(m.named_buffers()) for m in models]
    params = {}
    for name, p in named_params[0].items():
        s = stack([d[name].detach() for d in named_params])
        params[name] = s.requires_grad_(True) if p.requires_grad else s
    buffers = {name: stack([d[name] for d in named_buffers]) for name in named_buffers[0]}
    return params, buffers

"""einsum with torch's equation language: implicit and explicit outputs, '...' ellipsis, repeated subscripts
(diagonals), size-1 broadcasting, any number of operands. Operands contract left to right, two at a time,
each contraction one batched matrix product (permute + reshape + matmul), so nothing is ever materialised
as a broadcast product of all subscripts.
"""

from __future__ import annotations

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = ["einsum"]


def _err(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


def _parse_term(term: str, ndim: int | None, index: int) -> tuple[list[str], bool]:
    """The subscripts of one term ('...' kept as one '.' entry) and whether it had an ellipsis."""
    labels: list[str] = []
    ellipsis = False
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i : i + 3] != "..." or ellipsis:
                raise _err("found '.' for operand {index} that is not part of any ellipsis")
            ellipsis = True
            labels.append(".")
            i += 3
            continue
        if not c.isalpha():
            raise _err(
                f"invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
            )
        labels.append(c)
        i += 1
    if ndim is not None:
        n = len(labels) - ellipsis
        if (not ellipsis and n != ndim) or (ellipsis and n > ndim):
            raise _err(
                f"the number of subscripts in the equation ({n}) "
                + ("does not match" if not ellipsis else "is more than")
                + f" the number of dimensions ({ndim}) for operand {index}"
                + ("" if ellipsis else " and no ellipsis was given")
            )
    return labels, ellipsis


def _expand(labels: list[str], n_ell: int) -> list[Any]:
    """Subscripts with '.' replaced by n_ell ellipsis labels, numbered from the right (-n_ell .. -1)."""
    out: list[Any] = []
    for c in labels:
        if c == ".":
            out += list(range(-n_ell, 0))
        else:
            out.append(c)
    return out


def _prod(sizes: list[int]) -> int:
    p = 1
    for s in sizes:
        p *= s
    return p


def _sum_out(t: Tensor, labels: list[Any], drop: list[Any]) -> tuple[Tensor, list[Any]]:
    dims = [i for i, lab in enumerate(labels) if lab in drop]
    if not dims:
        return t, labels
    return t.sum(dim=dims), [lab for lab in labels if lab not in drop]


def _contract(
    a: Tensor, la: list[Any], b: Tensor, lb: list[Any], keep: set[Any]
) -> tuple[Tensor, list[Any]]:
    """a and b contracted over their shared subscripts not in keep; one matmul with broadcast batch dims."""
    shared = [lab for lab in la if lab in lb]
    batch = [lab for lab in shared if lab in keep]
    summed = [lab for lab in shared if lab not in keep]
    # a subscript of size 1 on one side and n on the other: sum the n side first (sum_k x * y_k = x * sum_k y_k)
    for lab in summed:
        sa, sb = a.shape[la.index(lab)], b.shape[lb.index(lab)]
        if sa == 1 and sb != 1:
            b = b.sum(dim=lb.index(lab), keepdim=True)
        elif sb == 1 and sa != 1:
            a = a.sum(dim=la.index(lab), keepdim=True)
    m_labels = [lab for lab in la if lab not in shared]
    n_labels = [lab for lab in lb if lab not in shared]
    sizes_a = dict(zip(la, a.shape))
    sizes_b = dict(zip(lb, b.shape))
    m_sizes = [sizes_a[lab] for lab in m_labels]
    n_sizes = [sizes_b[lab] for lab in n_labels]
    k = _prod([sizes_a[lab] for lab in summed])
    batch_a = [sizes_a[lab] for lab in batch]
    batch_b = [sizes_b[lab] for lab in batch]
    am = a.permute([la.index(lab) for lab in batch + m_labels + summed])
    am = am.reshape([*batch_a, _prod(m_sizes), k])
    bm = b.permute([lb.index(lab) for lab in batch + summed + n_labels])
    bm = bm.reshape([*batch_b, k, _prod(n_sizes)])
    out = _C.matmul(am, bm)
    batch_out = [max(x, y) if min(x, y) != 0 else 0 for x, y in zip(batch_a, batch_b)]
    return out.reshape(batch_out + m_sizes + n_sizes), batch + m_labels + n_labels


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums products of operands' elements over the subscripts the equation contracts (torch's einsum).

    Args:
        equation: subscripts per operand separated by commas, with an optional '->' output; '...' stands
            for the broadcast leading dims; a subscript repeated within an operand takes its diagonal.
        operands: the tensors (or one list of them).

    Returns:
        The contracted tensor, its dims in the output's subscript order (implicit: ellipsis dims, then the
        subscripts that appear once, alphabetically).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise _err("must provide at least one operand")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise _err("fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise _err("more operands were provided than specified in the equation")
    parsed = [_parse_term(term, op.ndim, i) for i, (term, op) in enumerate(zip(terms, operands))]
    n_ells = [op.ndim - (len(labs) - ell) for (labs, ell), op in zip(parsed, operands)]
    max_ell = max(n_ells)
    labels = [_expand(labs, n) for (labs, _), n in zip(parsed, n_ells)]
    counts: dict[Any, int] = {}
    for labs in labels:
        for lab in labs:
            counts[lab] = counts.get(lab, 0) + 1
    if arrow:
        out_terms, _ = _parse_term(rhs, None, -1)
        out = _expand(out_terms, max_ell)
        seen: set[Any] = set()
        for lab in out:
            if lab in seen:
                raise _err(f"output subscript {lab} appears more than once in the output")
            if lab not in counts:
                raise _err(
                    f"output subscript {lab} does not appear in the equation for any input operand"
                )
            seen.add(lab)
    else:
        letters = sorted(c for c, n in counts.items() if isinstance(c, str) and n == 1)
        out = list(range(-max_ell, 0)) + letters
    # subscript sizes must agree or be 1 (broadcast)
    sizes: dict[Any, int] = {}
    for i, (labs, op) in enumerate(zip(labels, operands)):
        local: dict[Any, int] = {}
        for lab, s in zip(labs, op.shape):
            if lab in local and local[lab] != s:
                raise _err(
                    f"subscript {lab} is repeated for operand {i} but the sizes don't match, {local[lab]} != {s}"
                )
            local[lab] = s
        for lab, s in local.items():
            if lab not in sizes or sizes[lab] == 1:
                sizes[lab] = s
            elif s != 1 and s != sizes[lab]:
                what = "subscript " + str(lab) if isinstance(lab, str) else "ellipsis dimension"
                raise _err(
                    f"{what} has size {s} for operand {i} which does not broadcast with previously seen size {sizes[lab]}"
                )
    # per operand: diagonals of repeated subscripts, then sum out subscripts used nowhere else
    tensors: list[Tensor] = []
    for i, (labs, op) in enumerate(zip(labels, operands)):
        t, labs = op, list(labs)
        while len(set(labs)) != len(labs):
            lab = next(lab for lab in labs if labs.count(lab) > 1)
            p = labs.index(lab)
            q = labs.index(lab, p + 1)
            t = t.diagonal(0, p, q)
            labs = [x for j, x in enumerate(labs) if j not in (p, q)] + [lab]
        elsewhere = set(out).union(*(set(x) for j, x in enumerate(labels) if j != i))
        t, labs = _sum_out(t, labs, [lab for lab in labs if lab not in elsewhere])
        tensors.append(t)
        labels[i] = labs
    acc, acc_labels = tensors[0], labels[0]
    for i in range(1, len(tensors)):
        keep = set(out).union(*(set(x) for x in labels[i + 1 :]))
        acc, acc_labels = _contract(acc, acc_labels, tensors[i], labels[i], keep)
    acc, acc_labels = _sum_out(acc, acc_labels, [lab for lab in acc_labels if lab not in out])
    result = acc.permute([acc_labels.index(lab) for lab in out]) if acc_labels != out else acc
    target = [sizes[lab] for lab in out]
    if list(result.shape) != target:  # a size-1 subscript broadcast against a larger one elsewhere
        result = result.broadcast_to(target)
    return result

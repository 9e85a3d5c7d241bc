"""The Python surface comes from the op registry (csrc/core/op_list.def): functions, Tensor methods, the
public list and the stub's generated blocks cannot drift from it.

Running this file as a script rewrites the generated blocks of pygrad/_C.pyi from the built module:
``python tests/test_surface.py``.
"""

import ast
import pathlib
import re
import sys

import pygrad
from pygrad import _C

STUB = pathlib.Path(__file__).resolve().parents[1] / "pygrad" / "_C.pyi"
BLOCK = re.compile(
    r"(?P<indent>[ ]*)# BEGIN GENERATED: (?P<name>[a-z ]+)\n.*?(?P=indent)# END GENERATED\n", re.S
)


def natural(name):
    """Ruff's (isort-style) order of __all__: digit runs compare as numbers (log2 before log10)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def registry():
    return [dict(zip(("name", "family", "kind", "public", "doc"), row)) for row in _C._registry()]


def public_elementwise():
    return [op for op in registry() if op["public"] and op["family"] in ("unary", "binary")]


def render(name):
    """The text of one generated block of the stub."""
    lines = []
    if name == "all":
        lines.append("__all__ = [")
        lines += [f'    "{n}",' for n in sorted(_C.__all__, key=natural)]
        lines.append("]")
    elif name == "functions":
        for op in public_elementwise():
            args = (
                "input: Tensor, /"
                if op["family"] == "unary"
                else "input: _TensorOrNumber, other: _TensorOrNumber, /"
            )
            lines += [f"def {op['name']}({args}) -> Tensor:", f'    """{op["doc"]}"""', ""]
    elif name == "tensor methods":
        for op in public_elementwise():
            args = "self" if op["family"] == "unary" else "self, other: _TensorOrNumber, /"
            lines += [f"    def {op['name']}({args}) -> Tensor:", f'        """{op["doc"]}"""']
    else:
        raise ValueError(name)
    return "\n".join(lines) + "\n"


def regenerate(text):
    def block(m):
        indent, name = m.group("indent"), m.group("name")
        return f"{indent}# BEGIN GENERATED: {name}\n{render(name)}{indent}# END GENERATED\n"

    return BLOCK.sub(block, text)


def test_stub_generated_blocks_match_the_registry():
    text = STUB.read_text()
    names = {m.group("name") for m in BLOCK.finditer(text)}
    assert names == {"all", "functions", "tensor methods"}
    assert regenerate(text) == text, "pygrad/_C.pyi is stale: run `python tests/test_surface.py`"


def test_every_public_registry_op_is_a_function_and_a_tensor_method():
    for op in registry():
        name = op["name"]
        if op["family"] == "primitive":
            continue
        if (
            op["family"] == "unary_param"
        ):  # bound by hand with their parameters (nn.functional re-exports)
            assert callable(getattr(_C, name)), name
        elif op["public"]:
            assert name in _C.__all__, name
            assert getattr(pygrad, name) is getattr(_C, name), name
            assert hasattr(pygrad.Tensor, name), name
        else:  # internal ops: only pygrad._C._<name>
            assert hasattr(_C, "_" + name), name
            assert not hasattr(_C, name) and not hasattr(pygrad, name), name
            assert not hasattr(pygrad.Tensor, name), name
            assert name not in _C.__all__, name


def test_public_lists_resolve_and_match_the_stub():
    for name in pygrad.__all__:
        assert hasattr(pygrad, name), name
    assert set(_C.__all__) <= set(pygrad.__all__)
    tree = ast.parse(STUB.read_text())
    stub_all = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"
    )
    assert [e.value for e in stub_all.elts] == sorted(_C.__all__, key=natural)


def test_a_differentiable_registry_op_has_a_derivative_rule():
    # The import itself checks this (check_derivative_table); every such op also backpropagates here.
    x = pygrad.tensor([0.3, 0.7], requires_grad=True)
    for op in registry():
        if op["family"] != "unary" or op["kind"] in ("Compare", "Bitwise") or not op["public"]:
            continue
        y = getattr(pygrad, op["name"])(x)
        if y.requires_grad:
            y.sum().backward()
    assert x.grad is not None


if __name__ == "__main__":
    STUB.write_text(regenerate(STUB.read_text()))
    sys.exit(0)

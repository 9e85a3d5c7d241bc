"""Module containers' repr against torch: ModuleList groups runs of equal child reprs as
``(0-2): 3 x Linear(...)`` (nested, empty, one child, subclasses), Sequential and ModuleDict never
group, and the stacks built from a ModuleList (TransformerEncoder/Decoder, Transformer)."""

import pytest
from conftest import import_torch

from pygrad import nn

torch = import_torch()
tnn = torch.nn


def _lists(m):
    """name -> a container built the same way from module namespace m (pygrad.nn or torch.nn)."""
    return {
        "empty": m.ModuleList(),
        "one": m.ModuleList([m.Linear(2, 3)]),
        "three-equal": m.ModuleList([m.Linear(4, 4) for _ in range(3)]),
        "mixed": m.ModuleList(
            [
                m.Linear(2, 3),
                m.Linear(2, 3),
                m.ReLU(),
                m.Linear(3, 2),
                m.ReLU(),
                m.ReLU(),
                m.Linear(2, 3),
            ]
        ),
        "equal-but-not-adjacent": m.ModuleList([m.Tanh(), m.ReLU(), m.Tanh()]),
        "same-type-other-args": m.ModuleList([m.Linear(2, 3), m.Linear(2, 3, bias=False)]),
        "nested": m.ModuleList(
            [m.ModuleList([m.ReLU(), m.ReLU()]), m.ModuleList([m.ReLU(), m.ReLU()]), m.Tanh()]
        ),
        "multiline-children": m.ModuleList(
            [m.Sequential(m.Linear(2, 2), m.ReLU()) for _ in range(2)]
        ),
        "sequential-not-grouped": m.Sequential(m.Linear(2, 2), m.Linear(2, 2), m.ReLU()),
        "sequential-holding-list": m.Sequential(m.ModuleList([m.ReLU()] * 4), m.Linear(1, 1)),
        "dict-not-grouped": m.ModuleDict({"a": m.ReLU(), "b": m.ReLU()}),
        "encoder": m.TransformerEncoder(
            m.TransformerEncoderLayer(8, 2, 16), 3, enable_nested_tensor=False
        ),
        "encoder-norm": m.TransformerEncoder(
            m.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True),
            2,
            m.LayerNorm(8),
            enable_nested_tensor=False,
        ),
        "decoder": m.TransformerDecoder(m.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2),
        "transformer": m.Transformer(8, 2, 2, 3, 16, batch_first=True),
    }


@pytest.mark.parametrize("name", list(_lists(nn)))
def test_repr_matches_torch(name):
    ours, theirs = repr(_lists(nn)[name]), repr(_lists(tnn)[name])
    assert ours == theirs


def test_module_list_groups_runs():
    text = repr(nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]))
    assert text == ("ModuleList(\n  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n)")
    mixed = repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU()]))
    assert mixed == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n  (3): ReLU()\n)"
    seq = repr(nn.Sequential(nn.ReLU(), nn.ReLU()))
    assert seq == "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)"


def test_module_list_subclass_uses_its_name_and_ignores_extra_repr():
    def build(m):
        class Blocks(m.ModuleList):
            def extra_repr(self):
                return "ignored=True"  # torch's ModuleList.__repr__ shows no extra_repr

        return Blocks([m.ReLU(), m.ReLU()])

    ours, theirs = repr(build(nn)), repr(build(tnn))
    assert ours == theirs
    assert ours.startswith("Blocks(") and "ignored" not in ours

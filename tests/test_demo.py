"""The first-run demo trains: its loss falls by an order of magnitude and it classifies the spirals."""

import pygrad.demo


def test_demo_learns_spirals():
    first, last, accuracy = pygrad.demo.train(steps=1000, hidden=64, lr=0.5, seed=1, quiet=True)
    assert last < first / 10
    assert accuracy > 0.9


def test_cli_help(capsys):
    from pygrad.cli import main

    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out

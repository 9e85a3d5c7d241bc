"""The first-run demo (`pygrad demo`): trains on the bundled digits, prints the test accuracy,
writes its plots and checkpoints, shows the transfer step; --help documents its options."""

import os
import sys

import numpy as np
import pytest
from conftest import run_python

import pygrad
import pygrad.demo


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_quick_demo_trains_prints_and_writes(tmp_path, capsys):
    out = tmp_path / "demo-out"
    assert pygrad.demo.main(["--quick", "--out", str(out), "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text and "transfer learning: digits 0-4 -> 5-9" in text
    assert "head only, on digits 5-9" in text and "fine-tuned everything" in text
    assert "frozen base unchanged: True" in text
    written = {"best.safetensors", "digits0-4.safetensors"}
    if _has_matplotlib():
        written |= {"curves.png", "gradients.png"}
    assert written <= set(os.listdir(out))
    for name in written:
        assert (out / name).stat().st_size > 0
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The checkpoint is the best model: reloaded into a fresh MLP it scores what was printed.
    result = pygrad.demo.train(quick=True, out=str(out), seed=1, verbose=False, transfer=False)
    assert f"test accuracy: {result['test_accuracy']:.2%}" in text
    model = pygrad.demo.build_mlp(10, pygrad.demo.QUICK["hidden"])
    assert pygrad.nn.load_pretrained(model, out / "best.safetensors").complete
    test = pygrad.demo.split_digits(1)["test"]
    from pygrad.train import evaluate

    assert evaluate(model, None, test)["accuracy"] == pytest.approx(result["test_accuracy"])


def test_quick_demo_result_and_options(tmp_path):
    result = pygrad.demo.train(
        quick=True,
        out=str(tmp_path),
        verbose=False,
        dropout=0.3,
        dropout_mode="classic",
        augment=False,
    )
    assert result["test_total"] == 269 and 0.0 <= result["test_accuracy"] <= 1.0
    assert result["test_accuracy"] > 0.5  # 5 epochs of a small MLP: far above chance (0.1)
    assert 1 <= result["epochs_run"] <= pygrad.demo.QUICK["epochs"]
    assert result["transfer"]["frozen_unchanged"] and result["transfer"]["load_report"].complete
    assert result["transfer"]["head_accuracy"] > 0.3  # chance: 0.2
    assert set(result["history"].history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    with pytest.raises(TypeError, match="unknown options"):
        pygrad.demo.train(quick=True, out=str(tmp_path), verbose=False, hiden=(3,))


def test_demo_without_matplotlib_still_trains_and_says_what_it_skipped(
    tmp_path, capsys, monkeypatch
):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    result = pygrad.demo.train(quick=True, out=str(tmp_path), transfer=False)
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    assert "skipped the plots" in text and "curves.png" in text and "gradients.png" in text
    assert "matplotlib is not installed" in text
    assert len(result["skipped_plots"]) == 2 and "curves" not in result["files"]
    assert sorted(os.listdir(tmp_path)) == ["best.safetensors"]


def test_progress_bar_on_a_terminal_plain_lines_otherwise(tmp_path, capsys, monkeypatch):
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    pygrad.demo.train(quick=True, out=str(tmp_path), transfer=False)
    captured = capsys.readouterr()
    first = f"epoch   1/{pygrad.demo.QUICK['epochs']}"
    assert first in captured.out and "val_acc" in captured.out  # not a terminal: plain lines
    monkeypatch.setattr(pygrad.demo, "_stderr_is_terminal", lambda: True)
    pygrad.demo.train(quick=True, out=str(tmp_path), transfer=False)
    captured = capsys.readouterr()
    assert first not in captured.out
    assert "training" in captured.err and "epoch" in captured.err and "val_acc" in captured.err


def test_full_demo_reaches_97_percent(tmp_path):
    # The default configuration, as `pygrad demo` runs it: 3.5 s on 2 idle cores, up to 15 s on busy ones.
    result = pygrad.demo.train(out=str(tmp_path), verbose=False)
    assert result["test_accuracy"] >= 0.97, result["test_accuracy"]
    assert result["epochs_run"] < pygrad.demo.DEFAULTS["epochs"] or result["best_epoch"] > 1
    transfer = result["transfer"]
    assert transfer["frozen_unchanged"]
    assert transfer["head_accuracy"] > 0.6 and transfer["finetune_accuracy"] > 0.9, transfer


def test_python_m_pygrad_demo_and_cli(tmp_path):
    out = tmp_path / "o"
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['pygrad.demo', '--quick', '--no-augment', '--dropout', '0.1', "
        f"'--dropout-mode', 'classic', '--threads', '2', '--seed', '3', '--no-transfer', '--out', {str(out)!r}]\n"
        "runpy.run_module('pygrad.demo', run_name='__main__')\n"
    )
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    assert "augmentation: off" in r.stdout and "dropout 0.1 (classic)" in r.stdout
    assert "2 threads," in r.stdout and "test accuracy:" in r.stdout
    assert (out / "best.safetensors").exists()
    state = pygrad.load(out / "best.safetensors")
    assert list(state) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert np.isfinite(state["4.weight"].numpy()).all()


def test_help_documents_the_options(capsys):
    from pygrad.cli import main

    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["demo", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--epochs",
        "--dropout P",
        "--dropout-mode {classic,inverted}",
        "--augment",
        "--no-augment",
        "--threads",
        "--seed",
        "--out",
        "--quick",
    ):
        assert option in text, option
    with pytest.raises(SystemExit):
        main(["demo", "--dropout", "1.5"])
    assert "--dropout must be in [0, 1)" in capsys.readouterr().err

"""The first-run demo (`pygrad demo`): trains on the bundled digits, prints the test accuracy,
writes its plots and checkpoints, shows the transfer step; --help documents its options."""

import os
import re
import sys

import numpy as np
import pytest
from conftest import run_python

import pygrad
import pygrad.demo
import pygrad.demo_text


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


# ----------------------------------------------------------------------------------------------
# `pygrad demo --model transformer`: the character-level transformer language model


def _nats(text, label):
    """The number printed after `label` (e.g. 'validation cross-entropy: 1.234 nats/char')."""
    return float(re.search(re.escape(label) + r" ([0-9.]+) nats/char", text).group(1))


def test_transformer_demo_cli_learns_below_the_unigram_entropy(capsys):
    from pygrad.cli import main

    assert main(["demo", "--model", "transformer", "--quick", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "character-level transformer" in text and "1 thread(s)" in text
    unigram = _nats(text, "unigram entropy of the text:")
    val = _nats(text, "validation cross-entropy:")
    untrained = float(re.search(r"untrained ([0-9.]+)", text).group(1))
    assert unigram == pytest.approx(3.204, abs=1e-3)  # the bundled text's character entropy
    assert untrained > unigram > val + 0.3, (untrained, unigram, val)  # 80 steps of a tiny model
    sample = text.split("sample (temperature 0.8, seed 1):\n", 1)[1].split("\ndone in", 1)[0]
    assert sample.startswith("The ")
    assert len(sample) == len("The ") + pygrad.demo_text.TEXT_QUICK["sample_chars"]


def test_transformer_demo_is_deterministic_given_the_seed():
    def run(seed):
        return pygrad.demo_text.train_text(
            quick=True, steps=12, seed=seed, verbose=False, sample_chars=20
        )

    a, b, c = run(3), run(3), run(4)
    assert a["losses"] == b["losses"] and a["val_loss"] == b["val_loss"]
    assert a["sample"] == b["sample"]
    assert a["losses"] != c["losses"] and a["sample"] != c["sample"]
    assert a["losses"][-1] < a["losses"][0]
    assert len(a["losses"]) == a["steps"] == 12
    assert set(a["sample"]) <= set(a["vocab"])
    with pytest.raises(TypeError, match="unknown options"):
        pygrad.demo_text.train_text(quick=True, verbose=False, d_mdoel=3)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        pygrad.demo_text.train_text(steps=0, verbose=False)


def test_char_transformer_is_causal():
    pygrad.manual_seed(0)
    model = pygrad.demo_text.CharTransformer(10, block=8, d_model=16, nhead=2, num_layers=2)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, (2, 8))
    changed = ids.copy()
    changed[:, 5:] = (changed[:, 5:] + 1 + rng.integers(0, 9, (2, 3))) % 10  # differs from 5 on
    out = model(pygrad.from_numpy(ids)).detach().numpy()
    out2 = model(pygrad.from_numpy(changed)).detach().numpy()
    assert out.shape == (2, 8, 10)
    np.testing.assert_allclose(out[:, :5], out2[:, :5], rtol=1e-5, atol=1e-6)  # the past only
    assert np.abs(out[:, 5:] - out2[:, 5:]).min(axis=-1).max() > 1e-4  # later positions see it
    # A shorter window uses the leading part of the mask: the same logits as the long one.
    short = model(pygrad.from_numpy(np.ascontiguousarray(ids[:, :3]))).detach().numpy()
    np.testing.assert_allclose(short, out[:, :3], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="exceeds the block size 8"):
        model(pygrad.from_numpy(rng.integers(0, 10, (1, 9))))
    assert len(model.generate([1, 2, 3], 12, temperature=0.0)) == 12  # greedy, longer than block


def test_bundled_text_and_its_licence():
    text = pygrad.demo_text.load_text()
    assert len(text) == 86_070 and text.isascii()
    assert text.startswith("Compound statements\n")
    folder = os.path.dirname(pygrad.demo_text.__file__)
    data = os.path.join(folder, "data")
    assert os.path.getsize(os.path.join(data, "python_reference.txt")) < 100_000
    with open(os.path.join(data, "PYTHON_REFERENCE_LICENSE.txt")) as f:
        licence = f.read()
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in licence
    assert "Summary of changes" in licence
    ids = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64)
    counts = np.bincount(ids)
    p = counts[counts > 0] / ids.size
    assert pygrad.demo_text.unigram_entropy(ids) == pytest.approx(-(p * np.log(p)).sum())


def test_transformer_cli_options_and_errors(capsys):
    from pygrad.cli import main

    with pytest.raises(SystemExit) as info:
        main(["demo", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--model {mlp,transformer}" in text and "--steps STEPS" in text
    for bad, message in (
        (["--model", "transformer", "--dropout", "0.1"], "--dropout: only for --model mlp"),
        (["--model", "transformer", "--no-transfer"], "--no-transfer: only for --model mlp"),
        (["--steps", "5"], "--steps: only for --model transformer"),
        (["--model", "transformer", "--steps", "0"], "--steps must be at least 1"),
        (["--model", "cnn"], "invalid choice: 'cnn'"),
    ):
        with pytest.raises(SystemExit):
            main(["demo", *bad])
        assert message in capsys.readouterr().err, bad

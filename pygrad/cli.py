"""The ``pygrad`` command: ``pygrad demo`` trains the first-run demo (``--model mlp`` or
``--model transformer``), ``pygrad info`` describes the build."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _info(argv: Sequence[str]) -> int:
    argparse.ArgumentParser(
        prog="pygrad info", description="Print the build and machine pygrad sees."
    ).parse_args(argv)
    import pygrad

    print(f"pygrad {pygrad.__version__}")
    print(
        f"cpu kernels: {pygrad._C.cpu_capability()} (detected {pygrad._C.detected_cpu_capability()})"
    )
    print(f"threads: {pygrad.get_num_threads()}")
    print(f"cuda available: {pygrad.cuda.is_available()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``pygrad demo ...`` or ``pygrad info``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = {
        "demo": "train a demo model: --model mlp (digits, the default) or transformer (text)",
        "info": "print the build and machine pygrad sees",
    }
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in commands:
        print("usage: pygrad {demo,info} [options]\n")
        for name, text in commands.items():
            print(f"  {name:6s} {text}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if argv[0] == "demo":
        from pygrad.demo import main as demo_main

        return demo_main(argv[1:])
    return _info(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())

"""pygrad beside numpy and PyTorch in one process; the same as ``python -m pygrad.bench``.

Usage: python benchmarks/compare.py [--quick] [--threads N] [--json out.json] [--markdown out.md]
"""

from pygrad.bench import main

if __name__ == "__main__":
    raise SystemExit(main())

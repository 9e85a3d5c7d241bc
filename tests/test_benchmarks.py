"""The benchmark tools still run: the side-by-side script (pygrad.bench) and the pytest-benchmark suites.
Timings are not asserted here (speed lives in benchmarks/); only that every case runs and reports."""

import json
import os

import pytest
from conftest import run_python

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def test_compare_script_quick_run_writes_json_and_markdown(tmp_path):
    json_path, md_path = tmp_path / "results.json", tmp_path / "table.md"
    code = f"""
import pygrad.bench
pygrad.bench.SETTLE_SECONDS = 0.0
raise SystemExit(pygrad.bench.main(["--quick", "--no-progress", "--json", {str(json_path)!r},
                                    "--markdown", {str(md_path)!r}]))
"""
    result = run_python(code, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads(json_path.read_text())
    cases = [row["case"] for row in results["rows"]]
    for expected in (
        "4-op graph + backward, 16 elements",
        "exp, 512x1568 float32",
        "to bfloat16, 512x1568",
        "cumsum, 512x1568 float32",
        "sort, 512x1568 float32",
        "matmul 16x16x16",
        "MLP step 784-128-128-10, batch 32, SGD momentum",
        "CNN step",
        "bf16 matmul 1024x1024x1024",
        "MLP step 784-1024-1024-10, batch 512, bf16 autocast",
    ):
        assert any(case.startswith(expected) for case in cases), expected
    assert all(row["pygrad"] > 0 for row in results["rows"])
    assert results["peak_gflops"][0] > 0
    table = md_path.read_text()
    assert "| case | unit | pygrad | numpy | torch |" in table and "Measured FMA peak" in table


@pytest.mark.skipif(not os.path.isdir(BENCHMARKS), reason="benchmarks/ is not beside tests/")
def test_pytest_benchmark_suites_collect_and_run_once():
    """`pytest benchmarks/ --benchmark-only` must find the bench_*.py suites; here each case runs once."""
    code = f"""
import sys, pytest
sys.exit(pytest.main([{BENCHMARKS!r}, "--benchmark-disable", "-q", "-p", "no:cacheprovider"]))
"""
    result = run_python(code, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert " passed" in result.stdout and "no tests ran" not in result.stdout

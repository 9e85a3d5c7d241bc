"""The CUDA build and availability logic, checked on every machine (no GPU needed)."""

import os
import shutil

import pytest
from conftest import run_python

import pygrad
from pygrad import _C


def test_a_machine_with_nvcc_builds_the_cuda_backend():
    # CMake's PYGRAD_CUDA=AUTO enables CUDA when it finds a compiler: a CPU-only build here means it was skipped.
    if shutil.which("nvcc") is None and not os.environ.get("CUDACXX"):
        pytest.skip("no CUDA compiler on this machine")
    assert pygrad.cuda.is_built(), "nvcc is on PATH but this build of pygrad came out CPU-only"
    assert _C.cuda_runtime_version() >= 12000


def test_build_flag_and_runtime_version_agree():
    assert pygrad.cuda.is_built() == (_C.cuda_runtime_version() > 0)


def test_unavailable_cuda_names_the_reason_everywhere():
    if pygrad.cuda.is_available():
        pytest.skip("a usable GPU is present")
    reason = _C.cuda_unavailable_reason()
    assert reason and "CUDA" in reason
    assert pygrad.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="cannot use device 'cuda'") as info:
        pygrad.ones(2).to("cuda")
    assert reason in str(info.value)


def test_pygrad_disable_cuda_is_honoured():
    code = (
        "import pygrad; from pygrad import _C\n"
        "assert not pygrad.cuda.is_available()\n"
        "print(_C.cuda_unavailable_reason())\n"
    )
    out = run_python(code, timeout=60, extra_env={"PYGRAD_DISABLE_CUDA": "1"})
    assert out.returncode == 0, out.stderr
    if pygrad.cuda.is_built():
        assert "PYGRAD_DISABLE_CUDA=1" in out.stdout
    else:
        assert "no CUDA support" in out.stdout

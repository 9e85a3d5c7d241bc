"""torch.jit's and torch.backends' Python surface: model code written for TorchScript runs eagerly, and the
backend switches scripts set are kept, with pygrad's true availability answers."""

import pytest

import pygrad


def test_script_and_trace_return_what_they_get_and_it_runs():
    model = pygrad.nn.Linear(3, 2)
    assert pygrad.jit.script(model) is model
    assert pygrad.jit.trace(model, pygrad.randn(1, 3)) is model

    @pygrad.jit.script
    def double(x):
        return 2 * x

    assert double(pygrad.ones(2)).tolist() == [2.0, 2.0]


def test_decorators_and_queries_used_by_model_code():
    class Net(pygrad.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = pygrad.nn.Linear(2, 2)

        @pygrad.jit.ignore
        def helper(self, x):
            return x + 1

        @pygrad.jit.unused
        def unused(self, x):
            return x

        @pygrad.jit.export
        def exported(self, x):
            return self.fc(x)

        def forward(self, x):
            if not pygrad.jit.is_scripting() and not pygrad.jit.is_tracing():
                x = self.helper(x)
            return self.fc(pygrad.jit.annotate(pygrad.Tensor, x))

    net = pygrad.jit.script(Net())
    x = pygrad.randn(4, 2)
    assert (net(x) - net.fc(x + 1)).abs().max().item() == 0.0
    assert pygrad.jit.ignore(drop=True)(len) is len
    future = pygrad.jit.fork(lambda a, b: a + b, 2, b=3)
    assert future.done() and pygrad.jit.wait(future) == 5


def test_jit_save_and_load_say_what_to_use_instead(tmp_path):
    with pytest.raises(RuntimeError, match=r"pygrad\.save"):
        pygrad.jit.save(pygrad.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match=r"pygrad\.load"):
        pygrad.jit.load(tmp_path / "m.pt")


def test_backends_flags_keep_values_and_report_availability():
    torch = pytest.importorskip("torch")
    b = pygrad.backends
    # Defaults equal torch's.
    assert b.cudnn.benchmark == torch.backends.cudnn.benchmark
    assert b.cudnn.deterministic == torch.backends.cudnn.deterministic
    assert b.cudnn.enabled == torch.backends.cudnn.enabled
    assert b.cudnn.allow_tf32 == torch.backends.cudnn.allow_tf32
    assert b.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert (
        b.cuda.flash_sdp_enabled()
        and b.cuda.math_sdp_enabled()
        and b.cuda.mem_efficient_sdp_enabled()
    )
    assert not b.cudnn.is_available() and b.cudnn.version() is None
    assert not b.mps.is_available() and not b.mkldnn.is_available() and not b.mkl.is_available()
    assert b.openmp.is_available()
    assert b.cuda.is_built() == pygrad.cuda.is_built()
    # A script's settings stick.
    b.cudnn.benchmark = True
    b.cuda.matmul.allow_tf32 = True
    try:
        assert pygrad.backends.cudnn.benchmark and pygrad.backends.cuda.matmul.allow_tf32
    finally:
        b.cudnn.benchmark = False
        b.cuda.matmul.allow_tf32 = False


def test_cpu_capability_in_torch_names():
    names = {"avx512": "AVX512", "avx2": "AVX2", "portable": "DEFAULT"}
    assert pygrad.backends.cpu.get_cpu_capability() == names[pygrad.backend.cpu_capability()]
    before = pygrad.backend.cpu_capability()
    pygrad.backend.set_cpu_capability("portable")
    try:
        assert pygrad.backends.cpu.get_cpu_capability() == "DEFAULT"
    finally:
        pygrad.backend.set_cpu_capability(before)

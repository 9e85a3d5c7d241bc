"""PyTorch's ``torch.utils`` path: ``pygrad.utils.data`` is ``pygrad.data``."""


def __getattr__(name):
    # Loaded on first use so that `import pygrad.utils` stays cheap.
    if name == "data":
        import importlib

        return importlib.import_module("pygrad.utils.data")
    raise AttributeError(f"module 'pygrad.utils' has no attribute {name!r}")

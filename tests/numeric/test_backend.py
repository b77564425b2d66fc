"""get_namespace: the accepted specs and the errors."""
import builtins

import numpy as np
import pytest

from symmaml.numeric import Namespace, available_backends, get_namespace, to_numpy


def test_numpy_default():
    ns = get_namespace()
    assert ns.name == "numpy" and ns.is_numpy and ns.device is None
    a = ns.asarray([1, 2])
    assert isinstance(a, np.ndarray) and a.dtype == np.float64
    assert ns.asarray(np.ones(2, np.float32)).dtype == np.float32
    assert get_namespace(ns) is ns
    assert get_namespace(np).name == "numpy"
    assert "numpy" in available_backends()


def test_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    for spec in ("array_api_strict", "array-api-strict", xps):
        ns = get_namespace(spec)
        assert ns.name == "array_api_strict" and ns.xp is xps
    a = get_namespace("array_api_strict").asarray(np.arange(3))
    assert a.dtype == xps.float64
    np.testing.assert_array_equal(to_numpy(a), [0.0, 1.0, 2.0])


def test_torch_cpu():
    torch = pytest.importorskip("torch")
    ns = get_namespace("torch")
    assert ns.name == "torch:cpu"
    t = ns.asarray(0.5)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64
    assert get_namespace("torch:cpu").name == "torch:cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            get_namespace("torch:cuda")
    with pytest.raises(ValueError, match="unknown torch device"):
        get_namespace("torch:nonsense")


def test_unknown_spec():
    with pytest.raises(ValueError, match="'tensorflow'"):
        get_namespace("tensorflow")
    with pytest.raises(ValueError, match="string or an array namespace"):
        get_namespace(42)
    import math
    with pytest.raises(ValueError, match="not an array namespace"):
        get_namespace(math)


def test_missing_package_names_it(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("cupy", "torch"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    import importlib
    real_import_module = importlib.import_module

    def fake_import_module(name, *args, **kwargs):
        if name.split(".")[0] in ("cupy", "torch"):
            raise ImportError(f"No module named {name!r}")
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(importlib, "import_module", fake_import_module)
    with pytest.raises(ImportError, match="'cupy'"):
        get_namespace("cupy")
    with pytest.raises(ImportError, match="'torch'"):
        get_namespace("torch:cuda")
    assert isinstance(get_namespace("numpy"), Namespace)

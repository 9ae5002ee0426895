"""Backend selection: argument > use_backend() > LAVA_DL_BACKEND > automatic; clear errors."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from lava.lib.dl.core import backend, dynamics
from lava.lib.dl.core._backends import _interface, _registry, reference

X = torch.ones(1, 2, 4)


def run(**kw):
    return dynamics.leaky_integrator(X, 1000, **kw).y


def test_reference_always_available_and_complete():
    assert "reference" in backend.available_backends()
    assert backend.backend_status()["reference"] == (True, "")
    for name in _interface.PRIMITIVES:
        assert callable(getattr(reference, name))
    assert isinstance(reference, _interface.CoreBackend)


def test_precedence(monkeypatch):
    monkeypatch.delenv(backend.ENV_VAR, raising=False)
    run()
    auto = backend.last_backend()
    assert auto == ("numba" if "numba" in backend.available_backends() else "reference")
    monkeypatch.setenv(backend.ENV_VAR, "reference")
    run()
    assert backend.last_backend() == "reference"
    monkeypatch.setenv(backend.ENV_VAR, "no-such-backend")
    with pytest.raises(ValueError, match="unknown core backend 'no-such-backend'"):
        run()
    with backend.use_backend("reference"):  # context beats the environment
        run()
        assert backend.last_backend() == "reference"
        with backend.use_backend("auto"):  # "auto" falls through to the environment
            with pytest.raises(ValueError, match="no-such-backend"):
                run()
    monkeypatch.setenv(backend.ENV_VAR, "auto")
    with backend.use_backend("reference"):
        run(backend="auto")
        assert backend.last_backend() == "reference"


def test_unknown_name_in_context_manager():
    with pytest.raises(ValueError, match="choose one of"):
        with backend.use_backend("nope"):
            pass


@pytest.fixture
def fake_backends():
    names = []

    def add(name, module):
        sys.modules[f"_fake_core_{name}"] = module
        _registry.register_backend(name, f"_fake_core_{name}", device_types=("cpu",), priority=99)
        names.append(name)

    yield add
    for n in names:
        _registry.unregister_backend(n)
        sys.modules.pop(f"_fake_core_{n}", None)


def test_broken_backend_reports_real_error(fake_backends):
    _registry.register_backend("broken", "no_such_pkg.kernels", device_types=())
    try:
        with pytest.raises(backend.BackendUnavailableError, match="No module named 'no_such_pkg'"):
            run(backend="broken")
        assert backend.backend_status()["broken"][0] is False
        assert "broken" not in backend.available_backends()
    finally:
        _registry.unregister_backend("broken")


def test_partial_and_device_limited_backends(fake_backends):
    partial = types.ModuleType("partial")
    partial.NAME = "partial"
    partial.is_available = lambda: (True, "")
    partial.supports_device = lambda device: True
    fake_backends("partial", partial)
    with pytest.raises(NotImplementedError, match="does not implement leaky_integrator_fwd"):
        run(backend="partial")
    run()  # automatic selection skips the backend lacking the primitive
    assert backend.last_backend() != "partial"

    gpu_only = types.ModuleType("gpu_only")
    gpu_only.NAME = "gpu_only"
    gpu_only.is_available = lambda: (True, "")
    gpu_only.supports_device = lambda device: device.type == "cuda"
    gpu_only.leaky_integrator_fwd = reference.leaky_integrator_fwd
    fake_backends("gpu_only", gpu_only)
    with pytest.raises(ValueError, match="cannot process tensors on cpu"):
        run(backend="gpu_only")


def test_fake_backend_is_used_and_reported(fake_backends):
    calls = []
    spy = types.ModuleType("spy")
    spy.NAME = "spy"
    spy.is_available = lambda: (True, "")
    spy.supports_device = lambda device: True

    def fwd(*args, **kw):
        calls.append(1)
        return reference.leaky_integrator_fwd(*args, **kw)

    spy.leaky_integrator_fwd = fwd
    fake_backends("spy", spy)
    y = run()  # priority 99 wins automatic selection
    assert backend.last_backend() == "spy" and calls == [1]
    assert torch.equal(y, run(backend="reference"))


def test_reference_cannot_be_unregistered():
    with pytest.raises(ValueError, match="oracle"):
        _registry.unregister_backend("reference")

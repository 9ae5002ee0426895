"""The CuPy backend: errors without CuPy/CUDA, kernel source, and CUDA-only checks.

Parity of every primitive and of the public dynamics against the reference is in
``test_backend_parity.py`` and ``test_backend_api_parity.py`` (their ``cupy`` cases are marked
``cuda``). Tests here that need a GPU are marked ``cuda`` and skip with the reason otherwise.
"""

from __future__ import annotations

import re

import pytest
import torch

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.core._backends import _interface, _registry, cupy_cuda

P = 4096
KERNELS = ("li_fwd", "li_bwd", "res_fwd", "res_bwd", "ath_fwd", "aph_fwd", "ares_fwd", "delta_fwd")


def _cupy_ok():
    ok, reason = cupy_cuda.is_available()
    return ok, reason


def test_module_complete_without_importing_cupy():
    for name in _interface.PRIMITIVES:
        assert callable(getattr(cupy_cuda, name)), name
    assert cupy_cuda.supports_device(torch.device("cuda", 0))
    assert not cupy_cuda.supports_device(torch.device("cpu"))


def test_kernel_source_shipped_and_complete():
    src = cupy_cuda.kernel_source()
    for k in KERNELS:
        assert re.search(rf'extern "C" __global__ void {k}\(', src), k
    # balanced braces: a cheap syntax sanity check that needs no compiler
    assert src.count("{") == src.count("}")


def test_unavailable_reports_real_error_and_extra(monkeypatch):
    ok, reason = _cupy_ok()
    if ok:
        pytest.skip("CuPy and CUDA are available here")
    assert "lava-dl-core[cuda12]" in reason and "lava-dl-core[cuda13]" in reason
    with pytest.raises(core_backend.BackendUnavailableError, match=r"cuda12"):
        core_backend.resolve("leaky_integrator_fwd", torch.device("cpu"), "cupy")


def test_missing_cupy_import_error_is_wrapped(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("libcudart.so.12: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    ok, reason = cupy_cuda.is_available()
    assert not ok
    assert "libcudart.so.12" in reason and "lava-dl-core[cuda13]" in reason
    with pytest.raises(cupy_cuda.CupyBackendError, match="libcudart.so.12") as info:
        cupy_cuda._import_cupy()
    assert isinstance(info.value.__cause__, ImportError)


def test_refuses_cpu_tensors_before_touching_cupy():
    x = torch.zeros(2, 3)
    z = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ValueError, match="CUDA tensors only.*numba"):
        cupy_cuda.leaky_integrator_fwd(x, z, z, None, s_scale=P)


# --------------------------------------------------------------------------- GPU only
def _need_gpu():
    mod, reason = _registry.load("cupy")
    if mod is None:
        pytest.skip(f"cupy backend unavailable: {reason}")
    return mod


@pytest.mark.cuda
def test_auto_selects_cupy_on_cuda(monkeypatch):
    _need_gpu()
    from lava.lib.dl.core import dynamics

    monkeypatch.delenv(core_backend.ENV_VAR, raising=False)
    dynamics.leaky_integrator(torch.rand(2, 3, 10, device="cuda"), 1024)
    assert core_backend.last_backend() == "cupy"


@pytest.mark.cuda
def test_runs_on_torch_current_stream_and_other_device_index():
    """Kernels are ordered with torch work on a non-default stream."""
    mod = _need_gpu()
    s = torch.cuda.Stream()
    g = torch.Generator(device="cpu").manual_seed(0)
    x_cpu = torch.rand(300, 200, generator=g)
    z = torch.zeros(300, dtype=torch.int64)
    d = torch.full((300,), 100, dtype=torch.int64)
    from lava.lib.dl.core._backends import reference

    expected = reference.leaky_integrator_fwd(x_cpu, d, z, None, s_scale=P)
    with torch.cuda.stream(s):
        x = x_cpu.to("cuda", non_blocking=True) * 1.0  # produced on stream s
        y = mod.leaky_integrator_fwd(x, d.cuda(), z.cuda(), None, s_scale=P)
        y = y + 0.0  # consumed on stream s
    s.synchronize()
    assert torch.equal(y.cpu(), expected)


@pytest.mark.cuda
def test_large_states_do_not_overflow_32_bits():
    """States above 2**31 (lava-dl's int32 CUDA kernels overflowed) stay exact."""
    mod = _need_gpu()
    from lava.lib.dl.core._backends import reference

    x = torch.full((3, 50), 20000.0)  # 20000 * 4096 per step: passes 2**31 within 30 steps
    z = torch.zeros(3, dtype=torch.int64)
    expected = reference.leaky_integrator_fwd(x, z, z, None, s_scale=P)
    got = mod.leaky_integrator_fwd(x.cuda(), z.cuda(), z.cuda(), None, s_scale=P).cpu()
    assert float(expected.max()) * P > 2**31
    assert torch.equal(expected, got)


class _FakeCupy:
    """Just enough of CuPy's namespace for :func:`cupy_cuda._module` (no GPU needed)."""

    seen: dict = {}

    class cuda:  # noqa: N801 - mirrors the CuPy namespace
        class Device:
            def __init__(self, index):
                _FakeCupy.seen["device"] = index

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

    class RawModule:
        def __init__(self, code, options):
            _FakeCupy.seen["options"] = options
            _FakeCupy.seen["code"] = code
            raise RuntimeError("nvrtc: error: invalid value for --gpu-architecture (-arch)")


def test_compile_error_names_nvrtc_and_the_extra(monkeypatch):
    monkeypatch.setattr(cupy_cuda, "_modules", {})
    with pytest.raises(cupy_cuda.CupyBackendError, match="NVRTC failed") as info:
        cupy_cuda._module(_FakeCupy, torch.device("cuda", 3), torch.float64)
    msg = str(info.value)
    assert "invalid value for --gpu-architecture" in msg and "lava-dl-core[cuda12]" in msg
    assert "double" in msg and "cuda:3" in msg
    seen = _FakeCupy.seen
    assert seen["device"] == 3
    assert "--fmad=false" in seen["options"] and "-DSCALAR=double" in seen["options"]
    assert seen["code"] == cupy_cuda.kernel_source()

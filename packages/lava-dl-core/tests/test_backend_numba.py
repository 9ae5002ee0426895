"""The numba backend: automatic selection on CPU, argument checks, and no CuPy import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.core import dynamics
from lava.lib.dl.core._backends import _interface, numba_cpu

P = 4096


def test_available_and_complete():
    assert numba_cpu.is_available() == (True, "")
    assert numba_cpu.NAME == "numba"
    for name in _interface.PRIMITIVES:
        assert callable(getattr(numba_cpu, name)), name
    assert isinstance(numba_cpu, _interface.CoreBackend)
    assert "numba" in core_backend.available_backends()


def test_auto_selects_numba_on_cpu(monkeypatch):
    monkeypatch.delenv(core_backend.ENV_VAR, raising=False)
    x = torch.rand(2, 3, 10)
    dynamics.leaky_integrator(x, 1024)
    assert core_backend.last_backend() == "numba"
    monkeypatch.setenv(core_backend.ENV_VAR, "reference")
    dynamics.leaky_integrator(x, 1024)
    assert core_backend.last_backend() == "reference"
    monkeypatch.setenv(core_backend.ENV_VAR, "numba")
    dynamics.leaky_integrator(x, 1024)
    assert core_backend.last_backend() == "numba"


def test_supports_cpu_only():
    assert numba_cpu.supports_device(torch.device("cpu"))
    assert not numba_cpu.supports_device(torch.device("cuda", 0))
    assert not numba_cpu.supports_device(torch.device("meta"))


def test_refuses_non_cpu_tensors_with_a_clear_error():
    x = torch.zeros(2, 3, device="meta")
    z = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ValueError, match="CPU tensors only.*cupy"):
        numba_cpu.leaky_integrator_fwd(x, z, z, None, s_scale=P)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"x": torch.zeros(2, 3, dtype=torch.float16)}, TypeError, "float32 or float64"),
        ({"x": torch.zeros(2, 3, 4)}, ValueError, r"\(M, T\) traces"),
        ({"decay": torch.zeros(3, dtype=torch.int64)}, ValueError, r"decay must have shape \(2,\)"),
        ({"decay": torch.zeros(2)}, TypeError, "decay must have dtype torch.int64"),
        ({"threshold": torch.zeros(2, 1, dtype=torch.int64)}, ValueError, "threshold must"),
        ({"s_scale": 0}, ValueError, "s_scale must be a positive integer"),
    ],
)
def test_argument_errors(kwargs, exc, match):
    args = {
        "x": torch.zeros(2, 3),
        "decay": torch.zeros(2, dtype=torch.int64),
        "state": torch.zeros(2, dtype=torch.int64),
        "threshold": None,
        "s_scale": P,
    }
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        numba_cpu.leaky_integrator_fwd(**args)


def test_mixed_trace_dtypes_rejected():
    with pytest.raises(ValueError, match="one dtype and shape"):
        numba_cpu.resonator_bwd(
            torch.zeros(2, 3),
            torch.zeros(2, 3, dtype=torch.float64),
            torch.zeros(2),
            torch.zeros(2),
            None,
        )


def test_outputs_are_fresh_tensors():
    x = torch.rand(4, 6)
    z = torch.zeros(4, dtype=torch.int64)
    y = numba_cpu.leaky_integrator_fwd(x, z, z, None, s_scale=P)
    assert y.data_ptr() != x.data_ptr()
    assert y.is_contiguous() and y.dtype == x.dtype


def test_golden_cuba_voltage_trace():
    """spec §16 CUBA vector through the numba primitives (current, then voltage with reset)."""
    x = torch.tensor([[0.5, 0.75, 0, 1.0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0]])
    z = torch.zeros(1, dtype=torch.int64)
    u = numba_cpu.leaky_integrator_fwd(x, torch.tensor([1024]), z, None, s_scale=P)
    level = torch.tensor([int(1.25 * P) + 1])  # Loihi strict v > theta
    v = numba_cpu.leaky_integrator_fwd(u, torch.tensor([123]), z, level, s_scale=P)
    assert (u * P).to(torch.int64).tolist() == [
        [2048, 4608, 3456, 6688, 5016, 3762, 4869, 5699, 6322, 4741, 3555, 2666]
    ]
    assert (v * P).to(torch.int64).tolist() == [
        [2048, 6594, 3456, 10040, 5016, 8627, 4869, 10421, 6322, 4741, 8153, 2666]
    ]


def test_cpu_path_never_imports_cupy():
    code = (
        "import sys, torch\n"
        "from lava.lib.dl.core import dynamics, backend\n"
        "dynamics.leaky_integrator(torch.rand(1, 2, 5), 100)\n"
        "assert backend.last_backend() == 'numba'\n"
        "assert 'cupy' not in sys.modules, 'cupy was imported on the CPU path'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

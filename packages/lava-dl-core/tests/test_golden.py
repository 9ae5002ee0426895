"""Forward equality with lava-dl 0.6 golden vectors (exact, np.array_equal), every CPU backend."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lava.lib.dl.core import backend, dynamics, sigma_delta, spike, time
from lava.lib.dl.core.fixed_point import P_SCALE, S_SCALE, quantize_threshold
from lava.lib.dl.core.testing import find_shared

SHARED = find_shared(__file__)
GOLDEN = None if SHARED is None else SHARED / "golden" / "lava-dl-0.6"

pytestmark = pytest.mark.skipif(
    GOLDEN is None or not GOLDEN.is_dir(), reason="shared/golden folder is absent"
)

CPU_BACKENDS = [
    name
    for name in ("reference", "numba")
    if name in backend.available_backends()
]
EPS = 0.01 / S_SCALE


def load(name: str) -> dict[str, np.ndarray]:
    with np.load(GOLDEN / f"{name}.npz") as f:
        return {k: f[k] for k in f.files}


def rf_decays(period: float, decay: float) -> tuple[torch.Tensor, torch.Tensor]:
    """rf/adrf neuron parameters: 4096 (1 - decay) (sin, cos)(2 pi / period), float32."""
    phi = 2 * math.pi / period
    sin = torch.tensor(P_SCALE * (1 - decay) * math.sin(phi), dtype=torch.float32)
    cos = torch.tensor(P_SCALE * (1 - decay) * math.cos(phi), dtype=torch.float32)
    return sin, cos


def cuba(x, be):
    th = quantize_threshold(1.25) + EPS
    u = dynamics.leaky_integrator(x, 0.25 * P_SCALE, backend=be).y
    v = dynamics.leaky_integrator(u, 0.03 * P_SCALE, threshold=th, backend=be).y
    return u, v, th


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_cuba(be):
    g = load("cuba")
    u, v, th = cuba(torch.from_numpy(g["x"]), be)
    assert np.array_equal(u.numpy(), g["current"])
    assert np.array_equal(v.numpy(), g["voltage"])
    s = spike.spike_real(v, th, 1.0, 1.0)
    assert np.array_equal(s.numpy(), g["spike"])
    assert g["spike"].sum() > 0


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_cuba_graded(be):
    g = load("cuba_graded")
    _, v, th = cuba(torch.from_numpy(g["x"]), be)
    s = spike.spike_real(v, th, 1.0, 1.0, graded=True)
    assert np.array_equal(s.numpy(), g["spike"])


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_alif(be):
    g = load("alif")
    x = torch.from_numpy(g["x"])
    u = dynamics.leaky_integrator(x, 0.25 * P_SCALE, backend=be).y
    v = dynamics.leaky_integrator(u, 0.03 * P_SCALE, backend=be).y
    a = dynamics.adaptive_threshold(
        v, 0.2 * P_SCALE, 0.1 * P_SCALE, quantize_threshold(1.0), quantize_threshold(0.5),
        backend=be,
    )
    s = spike.spike_real(v, a.threshold + a.refractory, 1.0, 1.0)
    assert np.array_equal(s.numpy(), g["spike"])
    assert g["spike"].sum() > 0


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_rf(be):
    g = load("rf")
    sin, cos = rf_decays(12, 0.05)
    r = dynamics.resonator(
        torch.from_numpy(g["real"]), torch.from_numpy(g["imag"]), sin, cos, backend=be
    )
    s = spike.spike_complex(r.real, r.imag, quantize_threshold(0.5), 1.0, 1.0)
    assert np.array_equal(s.numpy(), g["spike"])
    assert g["spike"].sum() > 0


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_rf_iz(be):
    g = load("rf_iz")
    sin, cos = rf_decays(12, 0.05)
    th = quantize_threshold(0.5)
    r = dynamics.resonator(
        torch.from_numpy(g["real"]), torch.from_numpy(g["imag"]), sin, cos, threshold=th,
        backend=be,
    )
    s = spike.spike_real(r.imag, th, 1.0, 1.0)
    assert np.array_equal(s.numpy(), g["spike"])
    assert g["spike"].sum() > 0


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_adrf(be):
    g = load("adrf")
    sin, cos = rf_decays(12, 0.05)
    r = dynamics.resonator(
        torch.from_numpy(g["real"]), torch.from_numpy(g["imag"]), sin, cos, backend=be
    )
    a = dynamics.adaptive_phase_th(
        r.real, r.imag, 0.2 * P_SCALE, 0.1 * P_SCALE, quantize_threshold(0.5),
        quantize_threshold(0.2), backend=be,
    )
    s = spike.spike_complex(r.real, r.imag, a.threshold + a.refractory, 1.0, 1.0)
    assert np.array_equal(s.numpy(), g["spike"])
    assert g["spike"].sum() > 0


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_adrf_iz_dynamics(be):
    g = load("adrf_iz_dynamics")
    sin, cos = rf_decays(12, 0.05)
    out = dynamics.adaptive_resonator(
        torch.from_numpy(g["real_in"]), torch.from_numpy(g["imag_in"]), sin, cos,
        0.2 * P_SCALE, 0.1 * P_SCALE, quantize_threshold(0.5), quantize_threshold(0.2),
        backend=be,
    )
    for got, key in zip(out[:4], ("real", "imag", "threshold", "refractory"), strict=True):
        assert np.array_equal(got.numpy(), g[key]), key


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_delta(be):
    g = load("delta")
    y = sigma_delta.delta_encoder(torch.from_numpy(g["x"]), 0.1, backend=be).y
    assert np.array_equal(y.numpy(), g["y"])


@pytest.mark.parametrize("be", CPU_BACKENDS)
def test_sigma_delta_neuron(be):
    g = load("sigma_delta")
    dend = sigma_delta.sigma_decoder(torch.from_numpy(g["x"])).y
    y = sigma_delta.delta_encoder(
        torch.relu(dend), quantize_threshold(0.1), scale=S_SCALE, backend=be
    ).y
    assert np.array_equal(y.numpy(), g["y"])


def test_shift_per_neuron():
    g = load("shift_per_neuron")
    y = time.shift(torch.from_numpy(g["x"]), torch.arange(16).float() - 8)
    assert np.array_equal(y.numpy(), g["y"])


def test_axon_delay_3():
    g = load("axon_delay_3")
    assert np.array_equal(time.delay(torch.from_numpy(g["x"]), 3).numpy(), g["y"])

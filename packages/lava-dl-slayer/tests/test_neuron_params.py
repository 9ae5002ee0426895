"""Neuron construction: scales, quantization, per-channel parameters, device_params, state dicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.neuron.base import ShapeError

N = slayer.neuron

CUBA = dict(threshold=1.25, current_decay=0.25, voltage_decay=0.03)
ALIF = dict(threshold=1.0, threshold_step=0.5, current_decay=0.25, voltage_decay=0.03,
            threshold_decay=0.1, refractory_decay=0.2)
RF = dict(threshold=0.5, period=12, decay=0.05)
ADRF = dict(threshold=0.5, threshold_step=0.2, period=12, decay=0.05, threshold_decay=0.1,
            refractory_decay=0.2)


def test_threshold_truncates_toward_zero():
    n = N.cuba.Neuron(threshold=0.1, current_decay=1, voltage_decay=1)
    assert n.threshold == 6 / 64
    assert N.cuba.Neuron(**CUBA).v_th_mant == 80


def test_scales_and_exponent():
    n = N.cuba.Neuron(**CUBA)
    assert (n.p_scale, n.w_scale, n.s_scale, n.scale) == (4096, 64, 4096, 64)
    assert n.weight_exponent == 0
    assert N.cuba.Neuron(**CUBA, scale=16).weight_exponent == 0
    with pytest.raises(ValueError, match="s_scale"):
        slayer.neuron.base.Neuron(1.0, w_scale=64, s_scale=8)


def test_tau_rho_uses_quantized_threshold():
    n = N.cuba.Neuron(**CUBA, tau_grad=0.5, scale_grad=3)
    assert n.tau_rho == 0.5 * 1.25 and n.scale_rho == 3


def test_shared_param_rejects_ranges():
    with pytest.raises(ValueError, match="shared_param=False"):
        N.cuba.Neuron(threshold=1, current_decay=(0.1, 0.2), voltage_decay=0.1)


def test_per_channel_decays_drawn_at_first_forward():
    torch.manual_seed(0)
    n = N.cuba.Neuron(threshold=1, current_decay=0.25, voltage_decay=(0.1, 0.2),
                      shared_param=False)
    assert n.current_decay.shape == (1,)
    n(torch.zeros(2, 7, 5))
    cd = n.current_decay.detach() / 4096
    vd = n.voltage_decay.detach() / 4096
    assert cd.shape == (7,) and vd.shape == (7,)
    assert torch.all((cd >= 0.2475) & (cd <= 0.2525)) and cd.std() > 0
    assert torch.all((vd >= 0.1) & (vd <= 0.2))
    assert isinstance(n.cx_current_decay, np.ndarray) and n.cx_current_decay.shape == (7,)


def test_per_channel_decays_work_on_conv_shapes():
    # lava-dl's CPU path failed here (spec §15 #5)
    torch.manual_seed(1)
    n = N.cuba.Neuron(threshold=0.5, current_decay=(0.1, 0.9), voltage_decay=0.1,
                      shared_param=False)
    x = torch.rand(2, 3, 4, 5, 20)
    s = n(x)
    assert s.shape == x.shape
    # each channel behaves like a shared neuron with that channel's decay
    for c in range(3):
        ref = N.cuba.Neuron(threshold=0.5, current_decay=float(n.current_decay[c]) / 4096,
                            voltage_decay=float(n.voltage_decay[c]) / 4096)
        assert torch.equal(ref(x[:, c:c + 1]), s[:, c:c + 1])


def test_per_channel_state_dict_loads_before_forward():
    torch.manual_seed(2)
    a = N.cuba.Neuron(threshold=1, current_decay=0.25, voltage_decay=0.1, shared_param=False)
    a(torch.zeros(1, 4, 3))
    b = N.cuba.Neuron(threshold=1, current_decay=0.25, voltage_decay=0.1, shared_param=False)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.current_decay, b.current_decay)
    x = torch.rand(2, 4, 30) * 2
    assert torch.equal(a(x), b(x))


def test_rf_per_channel_is_finite_before_forward_and_log_spaced():
    n = N.rf.Neuron(threshold=0.5, period=(5, 50), decay=(0.01, 0.1), shared_param=False)
    assert torch.isfinite(n.sin_decay).all() and torch.isfinite(n.cos_decay).all()  # §15 #44
    n((torch.zeros(1, 6, 4), torch.zeros(1, 6, 4)))
    freq = n.frequency
    assert freq.shape == (6,)
    ratios = freq[1:] / freq[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=0.05)
    assert 1 / 50 * 0.95 <= freq.min() and freq.max() <= 1 / 5 * 1.05


def test_rf_period_below_four_raises():
    with pytest.raises(ValueError, match=">= 4"):
        N.rf.Neuron(threshold=0.5, period=3, decay=0.1)


def test_rf_properties():
    n = N.rf.Neuron(**RF)
    assert abs(float(n.period) - 12) < 0.05
    assert abs(float(n.decay) - 0.05) < 1e-3
    assert torch.allclose(n.lam, -torch.log(1 - n.decay))


def test_rf_clamp_limits_gain():
    n = N.rf.Neuron(threshold=0.5, period=8, decay=0.0)
    gain = torch.sqrt(n.sin_decay**2 + n.cos_decay**2)
    assert float(gain) <= 4095 + 1e-3


def test_shape_mismatch_raises():
    n = N.cuba.Neuron(**CUBA)
    n(torch.zeros(1, 3, 5))
    with pytest.raises(ShapeError, match="differs"):
        n(torch.zeros(1, 4, 5))
    with pytest.raises(AssertionError):  # lava-dl raised AssertionError; still catchable
        n(torch.zeros(1, 4, 5))


def test_low_rank_input_raises():
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        N.cuba.Neuron(**CUBA)(torch.zeros(3, 5))


@pytest.mark.parametrize(
    ("module", "kwargs", "expected"),
    [
        (N.cuba, CUBA, {"type": "CUBA", "iDecay": 1024, "vDecay": 123, "vThMant": 80,
                        "refDelay": 1, "gradedSpike": False}),
        (N.alif, ALIF, {"type": "ALIF", "iDecay": 1024, "vDecay": 123, "thDecay": 410,
                        "refDecay": 819, "vThMant": 64, "vThStep": 32, "refDelay": 1,
                        "gradedSpike": False}),
        (N.rf, RF, {"type": "RF_PHASE", "sinDecay": 1946, "cosDecay": 3370, "vThMant": 32,
                    "gradedSpike": False}),
        (N.rf_iz, RF, {"type": "RF_IZHIKEVICH", "sinDecay": 1946, "cosDecay": 3370,
                       "vThMant": 32, "gradedSpike": False}),
        (N.adrf, ADRF, {"type": "ADRF_PHASE", "sinDecay": 1946, "cosDecay": 3370,
                        "thDecay": 410, "refDecay": 819, "vThMant": 32, "vThStep": 12,
                        "gradedSpike": False}),
        (N.adrf_iz, ADRF, {"type": "ADRF_IZHIKEVICH", "sinDecay": 1946, "cosDecay": 3370,
                           "thDecay": 410, "refDecay": 819, "vThMant": 32, "vThStep": 12,
                           "gradedSpike": False}),
    ],
)
def test_device_params_and_inverse(module, kwargs, expected):
    n = module.Neuron(**kwargs)
    assert n.device_params == expected
    back = module.neuron_params(n.device_params)
    m = module.Neuron(**back)
    assert m.device_params == expected


def test_alif_neuron_params_uses_vthstep():  # spec §15 #10
    p = N.alif.neuron_params({"vThMant": 64, "vThStep": 32, "iDecay": 0, "vDecay": 0,
                              "thDecay": 0, "refDecay": 0})
    assert p["threshold_step"] == 0.5


def test_sigma_delta_device_params():
    n = N.sigma_delta.Neuron(threshold=0.1, activation=F.relu)
    assert n.device_params == {"type": "SDNN", "activation": "relu", "vThMant": 6}
    assert N.sigma_delta.neuron_params(n.device_params) == {"threshold": 6 / 64}
    assert n.threshold is n.delta.threshold


def test_sigma_delta_per_channel_device_params():  # spec §15 #30
    n = N.sigma_delta.Neuron(threshold=0.1, activation=F.relu, shared_param=False)
    n(torch.zeros(1, 3, 4, 4, 2))
    assert n.device_params["vThMant"].tolist() == [6, 6, 6]


def test_decay_clamp():
    n = N.cuba.Neuron(threshold=1, current_decay=1.5, voltage_decay=-0.2)
    assert n.cx_current_decay == 4096 and n.cx_voltage_decay == 0


def test_norm_factory_gets_quantizing_hook():
    n = N.cuba.Neuron(**CUBA, norm=N.norm.MeanOnlyBatchNorm)
    assert n.norm.pre_hook_fx == n.quantize_8bit
    c = N.rf.Neuron(**RF, norm=N.norm.MeanOnlyBatchNorm)
    assert c.real_norm is not c.imag_norm and c.norm is None


def test_requires_grad_flag():
    assert not N.cuba.Neuron(**CUBA).current_decay.requires_grad
    assert N.cuba.Neuron(**CUBA, requires_grad=True).voltage_decay.requires_grad


def test_state_not_in_state_dict():
    n = N.alif.Neuron(**ALIF, persistent_state=True)
    n(torch.rand(2, 3, 10))
    assert set(n.state_dict()) == {"current_decay", "voltage_decay", "threshold_decay",
                                   "refractory_decay"}


def test_explicit_per_channel_and_per_neuron_values():
    x = torch.rand(2, 3, 2, 2, 25)
    cd = torch.tensor([0.1, 0.5, 1.0])
    n = N.cuba.Neuron(threshold=0.5, current_decay=cd, voltage_decay=torch.full((3,), 0.2),
                      shared_param=False)
    s = n(x)
    assert n.cx_current_decay.tolist() == [410, 2048, 4096]
    for c in range(3):
        ref = N.cuba.Neuron(threshold=0.5, current_decay=float(cd[c]), voltage_decay=0.2)
        assert torch.equal(ref(x[:, c:c + 1]), s[:, c:c + 1])
    per_neuron = torch.rand(3, 2, 2)
    m = N.cuba.Neuron(threshold=0.5, current_decay=per_neuron, voltage_decay=0.2,
                      shared_param=False)
    assert m(x).shape == x.shape and m.cx_current_decay.shape == (3, 2, 2)
    bad = N.cuba.Neuron(threshold=0.5, current_decay=torch.rand(4), voltage_decay=0.2,
                        shared_param=False)
    with pytest.raises(ShapeError, match="current_decay"):
        bad(x)


def test_rf_explicit_per_channel_values():
    period = torch.tensor([6.0, 12.0, 24.0])
    n = N.rf.Neuron(threshold=0.5, period=period, decay=0.05, shared_param=False)
    re = torch.zeros(1, 3, 30)
    re[..., 0] = 1
    s = n((re, torch.zeros_like(re)))
    assert torch.allclose(n.period, period, rtol=0.02)
    for c, p in enumerate(period.tolist()):
        ref = N.rf.Neuron(threshold=0.5, period=p, decay=0.05)
        assert torch.equal(ref((re[:, c:c + 1], torch.zeros_like(re[:, c:c + 1]))),
                           s[:, c:c + 1])
    with pytest.raises(ValueError, match=">= 4"):
        N.rf.Neuron(threshold=0.5, period=torch.tensor([3.0, 8.0]), decay=0.05,
                    shared_param=False)

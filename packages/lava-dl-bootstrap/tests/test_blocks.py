"""Bootstrap cuba blocks: each mode computes what spec §12.5 says, on top of slayer's blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lava.lib.dl.bootstrap import Mode
from lava.lib.dl.bootstrap.block import cuba
from lava.lib.dl.bootstrap.block.base import default_saturation
from lava.lib.dl.bootstrap.routine import LayerMode
from lava.lib.dl.slayer.block import cuba as sl

P = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}
P1 = {"threshold": 1.0, "current_decay": 1.0, "voltage_decay": 0.03}


def spikes(*shape, p=0.4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).float()


PAIRS = {
    "dense": (lambda: cuba.Dense(P, 12, 7, weight_scale=3),
              lambda: sl.Dense(P, 12, 7, weight_scale=3), (3, 12, 20)),
    "dense-delay": (lambda: cuba.Dense(P, 12, 7, weight_scale=3, delay=True),
                    lambda: sl.Dense(P, 12, 7, weight_scale=3, delay=True), (3, 12, 20)),
    "conv": (lambda: cuba.Conv(P, 2, 3, 3, padding=1, weight_scale=3),
             lambda: sl.Conv(P, 2, 3, 3, padding=1, weight_scale=3), (2, 2, 6, 6, 15)),
    "pool": (lambda: cuba.Pool(P, 2), lambda: sl.Pool(P, 2), (2, 2, 6, 6, 15)),
    "input": (lambda: cuba.Input(P, weight=2, bias=0.1), lambda: sl.Input(P, weight=2, bias=0.1),
              (3, 12, 20)),
}


def pair(name):
    torch.manual_seed(0)
    make_b, make_s, shape = PAIRS[name]
    b, s = make_b(), make_s()
    s.load_state_dict(b.state_dict())
    if getattr(b, "delay", None) is not None:
        with torch.no_grad():
            b.delay.delay.data = torch.arange(7, dtype=torch.float32).reshape(
                b.delay.delay.shape) % 3
            s.delay.delay.data = b.delay.delay.data.clone()
    return b, s, spikes(*shape)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_snn_mode_is_the_slayer_forward(name):
    b, s, x = pair(name)
    with torch.no_grad():
        y_s = s(x)
        y_b = b(x, Mode.SNN)
        assert b.f.num_points == 0  # SNN never records
        y_sample = b(x, Mode.SAMPLE)
    assert y_s.abs().sum() > 0
    assert torch.equal(y_b, y_s)
    assert torch.equal(y_sample, y_s)
    assert b.f.num_points == y_s[..., 0].numel()


@pytest.mark.parametrize("name", ["dense", "conv", "input"])
def test_sample_records_time_means_of_input_and_spikes(name):
    b, _, x = pair(name)
    with torch.no_grad():
        b(x, Mode.SAMPLE)
        z = b._forward_synapse(x)
        s = b.neuron(z)
    np.testing.assert_allclose(b.f.z, z.mean(-1).reshape(-1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.f.a, s.mean(-1).reshape(-1).numpy(), rtol=1e-6)
    assert b.f.num_points == z[..., 0].numel()


def test_ann_mode_is_pwl_of_the_mean_input():
    b, _, x = pair("dense")
    assert b.delay_shift is True  # inherited slayer default (lava-dl 0.6 behaviour)
    y = b(x, Mode.ANN)
    assert y.shape == (3, 7, 1)
    z = b.synapse(x.mean(-1, keepdim=True))
    zs = default_saturation(b.neuron)
    assert zs == pytest.approx(1.25 * 0.25)
    expect = torch.clamp(z / zs, 0, 1)
    torch.testing.assert_close(y, expect)
    # gradients reach the weights in ANN mode
    y.sum().backward()
    assert b.synapse.weight.grad is not None and b.synapse.weight.grad.abs().sum() > 0


def test_fit_mode_fits_then_runs_ann():
    b, _, x = pair("dense")
    with torch.no_grad():
        for seed in range(4):
            b(spikes(3, 12, 20, seed=seed), Mode.SAMPLE)
    n = b.f.num_points
    y = b(x, Mode.FIT)
    assert b.f.fitted and b.f.num_points == n - n // 2  # soft_clear after the fit
    torch.testing.assert_close(y, b.f(b.synapse(x.mean(-1, keepdim=True))))
    assert b.mode is Mode.FIT


def test_fitted_curve_tracks_the_snn_rate():
    torch.manual_seed(0)
    b = cuba.Dense(P1, 40, 30, weight_scale=4, delay_shift=False)
    x = torch.cat([spikes(16, 40, 32, p=p, seed=i) for i, p in enumerate((0.1, 0.3, 0.5))])
    with torch.no_grad():
        b(x, Mode.SAMPLE)
        b.fit()
        a = b(x, Mode.SNN).mean(-1)
        ann = b(x, Mode.ANN)[..., 0]
    # the layer's mean rate is reproduced, and the per-neuron error is small
    assert abs(float(ann.mean() - a.mean())) < 0.02
    assert float((ann - a).abs().mean()) < 0.06


def test_ann_mode_of_input_uses_encoded_data():
    torch.manual_seed(0)
    b = cuba.Input(P1, weight=2)
    x = torch.rand(2, 5, 1)
    y = b(x, Mode.ANN)
    q = b.neuron.quantize_8bit
    torch.testing.assert_close(y, b.f(q(x) * q(b.weight)))
    with pytest.raises(ValueError, match="neuron_params"):
        cuba.Input()


def test_hybrid_network_feeds_snn_rates_to_ann_layers():
    torch.manual_seed(0)
    blocks = [cuba.Dense(P1, 10, 8, weight_scale=3), cuba.Dense(P1, 8, 6, weight_scale=3),
              cuba.Affine(P1, 6, 4)]
    x = spikes(2, 10, 16)
    mode = LayerMode(1, Mode.ANN)
    y = x
    with torch.no_grad():
        for block, m in zip(blocks, mode, strict=False):
            y = block(y, m)
        h = blocks[0](x, Mode.SNN)
        expect = blocks[2](blocks[1](h.mean(-1, keepdim=True), Mode.ANN), Mode.ANN)
    assert [b.mode for b in blocks] == [Mode.SNN, Mode.ANN, Mode.ANN]
    assert y.shape == (2, 4, 1)
    torch.testing.assert_close(y, expect)


@pytest.mark.parametrize("mode", list(Mode))
def test_affine_returns_the_synapse_output_in_every_mode(mode):
    torch.manual_seed(0)
    b = cuba.Affine(P1, 6, 3)
    x = spikes(2, 6, 9)
    torch.testing.assert_close(b(x, mode), b.synapse(x))
    b.fit()  # no-op
    assert not b.f.fitted


def test_flatten_ignores_mode():
    x = torch.rand(2, 3, 4, 5, 6)
    for mode in Mode:
        assert cuba.Flatten()(x, mode).shape == (2, 60, 6)


def test_pool_ann_and_conv_chain_shapes():
    torch.manual_seed(0)
    conv, pool, flat = cuba.Conv(P1, 1, 4, 3, weight_scale=3), cuba.Pool(P1, 2), cuba.Flatten()
    dense = cuba.Dense(P1, 4 * 3 * 3, 5)
    x = spikes(2, 1, 8, 8, 12)
    for mode, t in ((Mode.SNN, 12), (Mode.SAMPLE, 12), (Mode.ANN, 1), (Mode.FIT, 1)):
        y = dense(flat(pool(conv(x, mode), mode), mode), mode)
        assert y.shape == (2, 5, t)


def test_mode_errors_and_count_log():
    b = cuba.Dense(P1, 4, 3)
    with pytest.raises(TypeError, match="zip"):
        b(torch.zeros(1, 4, 2), LayerMode(0, Mode.ANN))
    with pytest.raises(TypeError, match="bootstrap Mode"):
        b(torch.zeros(1, 4, 2), "SNN")
    c = cuba.Dense(P1, 4, 3, count_log=True)
    y, rate = c(spikes(1, 4, 8), Mode.SNN)
    assert float(rate) == pytest.approx(float((y != 0).float().mean()))
    _, none = c(torch.rand(1, 4, 1), Mode.ANN)
    assert none is None


def test_state_dict_matches_slayer_and_has_no_sampler_keys():
    for name in PAIRS:
        b, s, _ = pair(name)
        assert list(b.state_dict()) == list(s.state_dict())


def test_complex_families_are_rejected():
    from lava.lib.dl.bootstrap.block import base
    from lava.lib.dl.slayer.block import rf

    class RFDense(base.AbstractBlock, rf.Dense):
        pass

    with pytest.raises(TypeError, match="complex"):
        RFDense({"threshold": 0.5, "period": 8, "decay": 0.1}, 4, 3)

"""DECOLLE layers: fixed readouts, detached spikes, local gradients, the trace neuron."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lava.lib.dl import decolle
from lava.lib.dl.decolle import testing as decolle_testing


def _spikes(shape, p=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).float()


@pytest.mark.parametrize("neuron", ["cuba", "trace"])
def test_gradients_do_not_cross_layers(neuron):
    net = decolle.DecolleNetwork.dense([20, 16, 12, 8], 5, seed=1, neuron=neuron, dropout=0.0,
                                       weight_scale=3.0)
    out = net(_spikes((4, 20, 12), p=0.5))
    assert all(bool(r.requires_grad) for r in out.readouts)
    assert not out.spikes.requires_grad
    for k in range(3):
        net.zero_grad(set_to_none=True)
        out.readouts[k].pow(2).sum().backward(retain_graph=True)
        grads = [
            [p.grad for p in layer.parameters() if p.requires_grad] for layer in net.layers
        ]
        for i, g in enumerate(grads):
            if i == k:
                assert any(x is not None and bool(torch.any(x != 0)) for x in g), (k, i)
            else:
                assert all(x is None or bool(torch.all(x == 0)) for x in g), (k, i)


def test_readouts_are_fixed_buffers_scaled_by_fan_in():
    net = decolle.DecolleNetwork.dense([10, 400, 100], 7, seed=3, lc_ampl=2.0)
    params = {id(p) for p in net.parameters()}
    for layer in net.layers:
        ro = layer.readout
        assert id(ro.weight) not in params and id(ro.bias) not in params
        assert not ro.weight.requires_grad
        bound = 2.0 / math.sqrt(ro.in_features)
        assert float(ro.weight.abs().max()) <= bound
        # uniform in [-b, b]: the largest magnitude is close to the bound, the mean close to 0
        assert float(ro.weight.abs().max()) > 0.95 * bound
        assert abs(float(ro.weight.mean())) < 0.05 * bound
        assert float(ro.bias.abs().max()) <= bound
    state = {k: v.clone() for k, v in net.state_dict().items() if "readout" in k}
    assert len(state) == 4


def test_readouts_unchanged_by_training_and_weights_change():
    small = decolle_testing.train_small_network(epochs=1, num_train=16, num_test=8)
    fresh = decolle.DecolleNetwork.dense([32, 24, 16], 4, seed=0, weight_scale=2.0)
    for a, b in zip(small.net.layers, fresh.layers, strict=True):
        assert torch.equal(a.readout.weight, b.readout.weight)
        assert torch.equal(a.readout.bias, b.readout.bias)
    torch.manual_seed(0)
    fresh2 = decolle.DecolleNetwork.dense([32, 24, 16], 4, seed=0, weight_scale=2.0)
    w_trained = small.net.layers[0].core.block.synapse.weight
    assert not torch.equal(w_trained, fresh2.layers[0].core.block.synapse.weight)


def test_readout_is_linear_map_of_spikes():
    ro = decolle.FixedReadout(6, 3, lc_ampl=1.0, generator=torch.Generator().manual_seed(0))
    s = _spikes((2, 6, 5))
    y = ro(s)
    ref = np.einsum("kf,nft->nkt", ro.weight.numpy(), s.numpy()) + ro.bias.numpy()[None, :, None]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="features"):
        ro(_spikes((2, 5, 5)))


def test_layer_rejects_wrong_input_shape_and_bad_options():
    layer = decolle.Dense(8, 4, 3)
    with pytest.raises(ValueError, match=r"expects input \(N, 8, T\)"):
        layer(torch.zeros(1, 9, 2))
    with pytest.raises(ValueError, match="dropout"):
        decolle.Dense(8, 4, 3, dropout=1.0)
    with pytest.raises(ValueError, match="unknown DECOLLE neuron 'lif'"):
        decolle.Dense(8, 4, 3, neuron="lif")
    with pytest.raises(ValueError, match="outputs"):
        decolle.DecolleNetwork([decolle.Dense(8, 4, 3), decolle.Dense(5, 4, 3)])
    with pytest.raises(ValueError, match="persistent_state=True"):
        decolle.Dense(8, 4, 3, neuron_params={"persistent_state": False})
    with pytest.raises(TypeError, match="unknown trace-LIF parameters"):
        decolle.Dense(8, 4, 3, neuron="trace", neuron_params={"tau": 1})


def test_state_continues_across_calls_and_resets():
    net = decolle.DecolleNetwork.dense([12, 10, 6], 3, seed=0, weight_scale=3.0, dropout=0.0)
    x = _spikes((2, 12, 16), p=0.5)
    with torch.no_grad():
        net.reset_state()
        whole = net(x)
        net.reset_state()
        parts = [net(x[..., t:t + 1]) for t in range(16)]
        net.reset_state()
        again = net(x)
    stepped = torch.cat([p.spikes for p in parts], dim=-1)
    assert whole.spikes.sum() > 0
    assert torch.equal(whole.spikes, stepped)
    for k in range(2):
        torch.testing.assert_close(whole.readouts[k], torch.cat([p.readouts[k] for p in parts], -1))
    assert torch.equal(whole.spikes, again.spikes)


def test_conv_then_dense_shapes():
    net = decolle.DecolleNetwork.conv_dense(
        (2, 10, 10), [dict(out_channels=4, kernel_size=3, stride=2, padding=1)], [6], 5, seed=0)
    assert net.layers[0].out_shape == (4, 5, 5)
    assert net.layers[0].readout.in_features == 100
    out = net(_spikes((3, 2, 10, 10, 4)))
    assert tuple(out.readouts[0].shape) == (3, 5, 4)
    assert tuple(out.potentials[0].shape) == (3, 4, 5, 5, 4)
    assert tuple(out.spikes.shape) == (3, 6, 4)


def test_fast_sigmoid_surrogate():
    u = torch.tensor([-1.0, -0.1, 0.0, 0.2, 2.0], requires_grad=True)
    s = decolle.FastSigmoidSpike.apply(u)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    s.sum().backward()
    np.testing.assert_allclose(u.grad.numpy(), 1 / (10 * np.abs(u.detach().numpy()) + 1) ** 2,
                               rtol=1e-6)


def test_trace_neuron_matches_reference_recurrence():
    layer = decolle.Dense(5, 3, 2, neuron="trace", weight_scale=4.0, dropout=0.0)
    x = _spikes((2, 5, 30), p=0.6, seed=4)
    out = layer(x)
    w = layer.core.synapse.weight.detach().numpy().astype(np.float64)
    b = layer.core.synapse.bias.detach().numpy().astype(np.float64)
    a, be, arp, wrp = 0.97, 0.92, 0.65, 1.0
    q = np.zeros((2, 5))
    p = np.zeros((2, 5))
    r = np.zeros((2, 3))
    s = np.zeros((2, 3))
    us, ss = [], []
    for t in range(30):
        q = be * q + (1 - be) * x[..., t].numpy()
        p = a * p + (1 - a) * q
        r = arp * r - (1 - arp) * wrp * s
        u = p @ w.T + b + r
        s = (u >= 0).astype(float)
        us.append(u)
        ss.append(s)
    np.testing.assert_allclose(out.u.detach().numpy(), np.stack(us, -1), atol=1e-5)
    assert np.array_equal(out.spikes.numpy(), np.stack(ss, -1))


def test_trace_weight_gradient_is_local_error_times_trace():
    """dL/dW = sum_t (dL/dS[t] * sigma'(U[t])) P[t]^T: no path through time or R."""
    layer = decolle.Dense(4, 3, 2, neuron="trace", dropout=0.0)
    x = _spikes((1, 4, 6), p=0.7, seed=2)
    out = layer(x)
    (out.readout.sum()).backward()
    g = layer.readout.weight.sum(0).numpy()  # dL/dS per neuron and step (sum of readout rows)
    u = out.u.detach().numpy()[0]
    q = np.zeros(4)
    p = np.zeros(4)
    ref = np.zeros((3, 4))
    for t in range(6):
        q = 0.92 * q + 0.08 * x[0, :, t].numpy()
        p = 0.97 * p + 0.03 * q
        err = g / (10 * np.abs(u[:, t]) + 1) ** 2
        ref += np.outer(err, p)
    np.testing.assert_allclose(layer.core.synapse.weight.grad.numpy(), ref, rtol=1e-4,
                               atol=1e-7)


def test_register_neuron_core():
    with pytest.raises(ValueError, match="already registered"):
        decolle.register_neuron_core("cuba", decolle.CubaCore)
    decolle.register_neuron_core("trace2", decolle.TraceCore)
    try:
        assert isinstance(decolle.Dense(3, 2, 2, neuron="trace2").core, decolle.TraceCore)
    finally:
        del decolle.NEURON_CORES["trace2"]

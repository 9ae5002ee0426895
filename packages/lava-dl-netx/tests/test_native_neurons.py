"""Native neuron and synapse models against scalar, plain-Python references of netx.md §4.

The references below follow the equations one neuron and one step at a time with Python ints;
the native models are vectorised numpy. They must agree exactly.
"""

import math

import numpy as np
import pytest

from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network


def rtz(x, k=12):
    return int(math.copysign(abs(x) >> k, x)) if x else 0


def clip24(x):
    lim = (1 << 23) - 1
    return max(-lim, min(lim, x))


def wrap_u(x):
    m = 1 << 23
    w = x - 2 * m if x > m else x
    return x + 2 * m if w <= -m else w


def ref_lif(a, *, du, dv, vth, bias=0, interval=None, offset=0):
    u = v = 0
    out_s, out_u, out_v = [], [], []
    for t, x in enumerate(a, start=1):
        if interval and t % interval == offset % interval:
            u = v = 0
        u = wrap_u(rtz(u * (4096 - (du + 1))) + (x << 6))
        v = clip24(rtz(v * (4096 - dv)) + u + (bias << 6))
        s = v > (vth << 6)
        if s:
            v = 0
        out_s.append(int(s))
        out_u.append(u)
        out_v.append(v)
    return out_s, out_u, out_v


def ref_alif(a, *, du, dv, vth, step, th_decay, ref_decay):
    u = v = r = 0
    th0 = vth << 6
    th = th0
    out = []
    for x in a:
        u = wrap_u(rtz(u * (4096 - (du + 1))) + (x << 6))
        v = clip24(rtz(v * (4096 - dv)) + u)
        r = rtz(r * (4096 - ref_decay))
        th = rtz((th - th0) * (4096 - th_decay)) + th0
        s = v >= th + r
        if s:
            r += 2 * th
            th += step << 6
        out.append(int(s))
    return out


def ref_sigma_delta(a, *, vth, bias=0, spike_exp=6, state_exp=6, relu=True, encoder=False):
    e = spike_exp + state_exp
    sigma = act_prev = res = 0
    out = []
    for x in a:
        if encoder:
            y = x << e
        else:
            sigma += x
            y = sigma + (bias << e)
            y = max(y, 0) if relu else y
        delta = y - act_prev + res
        q = delta if abs(delta) >= (vth << e) else 0
        res = delta - q
        act_prev = y
        out.append(q >> state_exp)
    return out


def ref_rf(a_re, a_im, *, sin, cos, vth, iz, adaptive=False, step=0, th_decay=0, ref_decay=0):
    re = im = r = 0
    th0 = vth << 6
    th = th0
    out = []
    for xr, xi in zip(a_re, a_im, strict=True):
        nre = clip24(rtz(cos * re) - rtz(sin * im) + (xr << 6))
        nim = clip24(rtz(sin * re) + rtz(cos * im) + (xi << 6))
        if adaptive:
            r = rtz(r * (4096 - ref_decay))
            th = rtz((th - th0) * (4096 - th_decay)) + th0
            s = nim >= th + r if iz else (nre >= th + r and nim >= 0 and im < 0)
            if s:
                r += 2 * th
                th += step << 6
        elif iz:
            s = nim >= th0
            if s:
                nre, nim = 0, th0 - 1
        else:
            s = nre >= th0 and nim >= 0 and im < 0
        re, im = nre, nim
        out.append(int(s))
    return out


def one_layer_net(neuron, n, synapse=None, bits=16):
    """One block; its synapse (if any) reads graded messages of ``bits`` bits by default."""
    n_in = n if synapse is None else synapse.weight.shape[1]
    layer = P.LayerPlan(index=0, type="input" if synapse is None else "dense", shape=(n,),
                        neuron=neuron, synapse=synapse, input_shape=(n_in,),
                        input_message_bits=bits)
    return Network(P.NetworkPlan(layers=(layer,), input_shape=(n_in,), input_message_bits=bits))


RNG = np.random.default_rng(42)


@pytest.mark.parametrize("du,dv,vth", [(4095, 415, 6), (-1, 4096, 1 << 17), (409, 0, 20),
                                        (1000, 3000, 0)])
def test_lif_matches_reference(du, dv, vth):
    a = RNG.integers(-200, 400, (5, 60))
    bias = RNG.integers(-10, 10, 5)
    net = one_layer_net(P.LIFNeuron(du=du, dv=dv, vth=vth, bias_mant=bias), 5)
    out, rec = net.run(a, probes=[(0, "u"), (0, "v")])
    for i in range(5):
        s, u, v = ref_lif(a[i].tolist(), du=du, dv=dv, vth=vth, bias=int(bias[i]))
        assert out[i].tolist() == s
        assert rec[(0, "u")][i].tolist() == u
        assert rec[(0, "v")][i].tolist() == v


def test_lif_threshold_is_strict_and_reset_interval_phase():
    # v reaches exactly vth << 6 = 64 -> no spike (strict >)
    net = one_layer_net(P.LIFNeuron(du=4095, dv=4096, vth=1), 1)
    assert net.run(np.array([[1, 1, 2]]))[0].tolist() == [0, 0, 1]
    a = RNG.integers(0, 300, (3, 40))
    net = one_layer_net(P.LIFNeuron(du=100, dv=200, vth=30, reset_interval=7, reset_offset=3), 3)
    out, rec = net.run(a, probes=[(0, "u")])
    for i in range(3):
        s, u, _ = ref_lif(a[i].tolist(), du=100, dv=200, vth=30, interval=7, offset=3)
        assert out[i].tolist() == s and rec[(0, "u")][i].tolist() == u
    assert rec[(0, "u")][:, 2].tolist() == [a[i, 2] << 6 for i in range(3)]  # t=3: reset first


def test_alif_matches_reference():
    a = RNG.integers(0, 200, (4, 80))
    plan = P.ALIFNeuron(du=1000, dv=500, vth=20, vth_step=5, th_decay=300, ref_decay=800)
    out = one_layer_net(plan, 4).run(a)
    for i in range(4):
        assert out[i].tolist() == ref_alif(a[i].tolist(), du=1000, dv=500, vth=20, step=5,
                                           th_decay=300, ref_decay=800)
    assert out.sum() > 0


@pytest.mark.parametrize("vth,spike_exp", [(0, 6), (3, 6), (10, 0)])
def test_delta_encoder_and_sigma_delta_match_reference(vth, spike_exp):
    a = RNG.integers(-300, 300, (4, 50))
    out = one_layer_net(P.DeltaNeuron(vth=vth, spike_exp=spike_exp), 4).run(a)
    for i in range(4):
        assert out[i].tolist() == ref_sigma_delta(a[i].tolist(), vth=vth, spike_exp=spike_exp,
                                                  encoder=True)
    bias = RNG.integers(-20, 20, 4)
    for act in ("relu", "identity"):
        plan = P.SigmaDeltaNeuron(vth=vth, bias=bias, spike_exp=spike_exp, activation=act)
        net = one_layer_net(plan, 4, P.DenseSynapse(weight=np.eye(4, dtype=np.int64)))
        out = net.run(a)
        for i in range(4):
            # one step of synaptic latency in front of the neuron
            expect = ref_sigma_delta([0] + a[i, :-1].tolist(), vth=vth, bias=int(bias[i]),
                                     spike_exp=spike_exp, relu=act == "relu")
            assert out[i].tolist() == expect


def test_sigma_accumulates():
    a = RNG.integers(-1000, 1000, (3, 20))
    out = one_layer_net(P.SigmaNeuron(), 3).run(a)
    assert np.array_equal(out, np.cumsum(a, axis=1))


@pytest.mark.parametrize("iz", [False, True])
def test_resonators_match_reference(iz):
    a = RNG.integers(0, 2, (6, 120)) * RNG.integers(1, 40, (6, 1))
    plan = P.RFNeuron(sin_decay=1200, cos_decay=3500, vth=25, izhikevich=iz)
    out = one_layer_net(plan, 6).run(a)  # ComplexInput: same current into re and im
    for i in range(6):
        assert out[i].tolist() == ref_rf(a[i].tolist(), a[i].tolist(), sin=1200, cos=3500,
                                         vth=25, iz=iz)
    assert out.sum() > 0
    adrf = P.ADRFNeuron(sin_decay=1200, cos_decay=3500, vth=25, vth_step=4, th_decay=200,
                        ref_decay=900, izhikevich=iz)
    out = one_layer_net(adrf, 6).run(a)
    for i in range(6):
        assert out[i].tolist() == ref_rf(a[i].tolist(), a[i].tolist(), sin=1200, cos=3500,
                                         vth=25, iz=iz, adaptive=True, step=4, th_decay=200,
                                         ref_decay=900)


def test_complex_dense_feeds_real_and_imag_weights():
    wr = RNG.integers(-20, 20, (3, 5))
    wi = RNG.integers(-20, 20, (3, 5))
    s_in = RNG.integers(0, 2, (5, 60))
    plan = P.RFNeuron(sin_decay=900, cos_decay=3800, vth=10)
    net = one_layer_net(plan, 3, P.ComplexDenseSynapse(weight=wr, weight_imag=wi))
    out = net.run(s_in)
    shifted = np.concatenate([np.zeros((5, 1), int), s_in[:, :-1]], axis=1)
    for i in range(3):
        assert out[i].tolist() == ref_rf((wr[i] @ shifted).tolist(), (wi[i] @ shifted).tolist(),
                                         sin=900, cos=3800, vth=10, iz=False)


def test_dense_delays_and_latency():
    w = np.array([[2, 3], [5, 7]], dtype=np.int64)
    delay = np.array([[0, 2], [1, 1]], dtype=np.int64)
    syn = P.DenseSynapse(weight=w, delay=delay)
    net = one_layer_net(P.SigmaNeuron(), 2, syn)
    x = np.zeros((2, 8), dtype=np.int64)
    x[0, 0] = 1  # impulse on input 0 at step 1
    x[1, 2] = 1  # impulse on input 1 at step 3
    _, rec = net.run(x, probes=[(0, "a")])
    a = rec[(0, "a")]
    # w[i, j] * s_j(t) arrives at step t + 1 + delay[i, j]
    expect = np.zeros((2, 8), dtype=np.int64)
    expect[0, 0 + 1 + 0] += 2
    expect[1, 0 + 1 + 1] += 5
    expect[0, 2 + 1 + 2] += 3
    expect[1, 2 + 1 + 1] += 7
    assert np.array_equal(a, expect)


def test_row_delays_use_the_same_arithmetic_as_general_delays():
    w = RNG.integers(-50, 50, (6, 4))
    rows = RNG.integers(0, 5, 6)
    x = RNG.integers(0, 2, (4, 30))
    general = rows[:, None] + np.zeros((6, 4), dtype=np.int64)
    general[0, 0] += 0  # same values, built differently
    out_rows = one_layer_net(P.SigmaNeuron(), 6,
                             P.DenseSynapse(weight=w, delay=np.repeat(rows[:, None], 4, 1))
                             ).run(x)
    mixed = general.copy()
    mixed[:, 0] += 1
    out_general = one_layer_net(P.SigmaNeuron(), 6, P.DenseSynapse(weight=w, delay=mixed)).run(x)
    # reference by explicit shifting
    for out, d in ((out_rows, general), (out_general, mixed)):
        expect = np.zeros((6, 30), dtype=np.int64)
        for i in range(6):
            for j in range(4):
                for t in range(30):
                    if t + 1 + d[i, j] < 30:
                        expect[i, t + 1 + d[i, j]] += w[i, j] * x[j, t]
        assert np.array_equal(out, np.cumsum(expect, axis=1))


def test_recurrent_dense_adds_own_previous_output():
    w = np.array([[64]], dtype=np.int64)
    w_rec = np.array([[-64]], dtype=np.int64)
    syn = P.RecurrentDenseSynapse(weight=w, weight_rec=w_rec)
    net = one_layer_net(P.SigmaNeuron(), 1, syn)
    _, rec = net.run(np.array([[1, 0, 0, 0, 0]]), probes=[(0, "a"), (0, "s")])
    # step2: a = 64 (ff) ; sigma = 64. step3: a = -64*64 (rec of sigma(2)) ...
    sig = rec[(0, "s")][0].tolist()
    a = rec[(0, "a")][0].tolist()
    assert a[1] == 64 and a[2] == -64 * sig[1] and a[3] == -64 * sig[2]


def test_batch_axis_gives_the_same_result_as_single_samples():
    w = RNG.integers(-100, 100, (7, 5))
    plan = P.LIFNeuron(du=2000, dv=300, vth=10)
    x = RNG.integers(0, 2, (3, 5, 25))
    net = one_layer_net(plan, 7, P.DenseSynapse(weight=w))
    batched = net.run(x)
    for b in range(3):
        net.reset()
        assert np.array_equal(net.run(x[b]), batched[b])
    net.step(x[0, :, 0])  # the last run was unbatched: continues
    with pytest.raises(ValueError, match="reset"):
        net.step(x[:, :, 0])  # batched after unbatched without reset


def test_bad_inputs_are_refused_with_the_expected_shape():
    net = one_layer_net(P.SigmaNeuron(), 3)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        net.step(np.zeros(4))
    with pytest.raises(ValueError, match="integers"):
        net.step(np.array([0.5, 0, 0]))
    with pytest.raises(ValueError, match="no variable 'w'"):
        net.run(np.zeros((3, 2), int), probes=[(0, "w")])


def test_first_synapse_reads_spikes_unless_given_message_bits():
    w = RNG.integers(-50, 50, (4, 6))
    x = RNG.integers(-3, 4, (6, 12))
    spikes = (x != 0).astype(np.int64)
    zero = np.zeros((4, 1), dtype=np.int64)
    expect = {
        0: np.cumsum(np.concatenate([zero, w @ spikes[:, :-1]], 1), 1),  # Lava: binary port
        8: np.cumsum(np.concatenate([zero, w @ x[:, :-1]], 1), 1),
    }
    for bits, want in expect.items():
        net = one_layer_net(P.SigmaNeuron(), 4, P.DenseSynapse(weight=w), bits=bits)
        assert np.array_equal(net.run(x), want), bits
        net.reset()
        assert np.array_equal(net.run(x, stepwise=True), want), bits


@pytest.mark.parametrize("du,dv,scale", [(4095, 1024, 1), (10, 5, 255), (-1, 0, 200)])
def test_lif_behind_a_spike_synapse_matches_reference_including_wrap_and_clip(du, dv, scale):
    w = RNG.integers(-1, 2, (3, 40)) * scale
    w[0] = scale  # one strongly excited neuron: u wraps, v saturates when nothing leaks
    s = RNG.integers(0, 2, (40, 80))
    net = one_layer_net(P.LIFNeuron(du=du, dv=dv, vth=1 << 16), 3, P.DenseSynapse(weight=w),
                        bits=0)
    neuron = net.layers[0].neuron
    assert neuron.check_u == (du != 4095)  # the geometric bound proves no wrap for iDecay 4096
    out, rec = net.run(s, probes=[(0, "u"), (0, "v")])
    a = np.concatenate([np.zeros((3, 1), dtype=np.int64), w @ s[:, :-1]], axis=1)
    for i in range(3):
        ref_s, ref_u, ref_v = ref_lif(a[i].tolist(), du=du, dv=dv, vth=1 << 16)
        assert out[i].tolist() == ref_s
        assert rec[(0, "u")][i].tolist() == ref_u
        assert rec[(0, "v")][i].tolist() == ref_v
    if du == -1:  # no leak at all: the excited neuron's current wraps, its voltage saturates
        assert rec[(0, "u")][0].min() < 0 and np.abs(rec[(0, "v")]).max() == (1 << 23) - 1

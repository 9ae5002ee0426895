"""The numba accelerator of the native runtime gives bit-identical results to the numpy path.

Networks are built twice from the same random plans, with the accelerator (default when numba is
importable) and without it (``LAVA_DL_NETX_NUMBA=0``), and must agree on every output, probe and
state: spiking and sigma-delta networks, strided/padded/dilated/grouped convs, dense delays,
negative weights and inputs, 24-bit wraps, batches, run() and step() schedules.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network, _numba
from lava.lib.dl.netx.native import _ops as ops
from lava.lib.dl.netx.native._synapses import ConvModel, DenseModel

nk = pytest.importorskip("lava.lib.dl.netx.native._numba_kernels")  # needs numba


def build(plan, monkeypatch, fast):
    """A network from ``plan`` with (``fast``) or without the numba kernels."""
    if fast:
        monkeypatch.delenv(_numba.ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(_numba.ENV_VAR, "0")
    net = Network(plan)
    monkeypatch.delenv(_numba.ENV_VAR, raising=False)
    return net


def conv_out(shape, c_out, k, s, p, d):
    h, w = P.conv_output_shape(shape[1:], k, s, p, d)
    return (c_out, h, w)


def lif(rng, shape, bias=True):
    return P.LIFNeuron(
        du=int(rng.choice([-1, 0, 409, 2047, 4095])), dv=int(rng.choice([0, 128, 1024, 4096])),
        vth=int(rng.integers(0, 300)),
        bias_mant=rng.integers(-40, 80, shape) if bias else None,
        reset_interval=int(rng.choice([0, 5])) or None, reset_offset=int(rng.integers(0, 3)),
    )


def spiking_plan(seed):
    """Input LIF -> conv LIF -> conv LIF (per-channel delays) -> dense LIF (delays) ->
    dense LIF, random geometry and parameters."""
    rng = np.random.default_rng(seed)
    c0, h0, w0 = 2, int(rng.integers(9, 14)), int(rng.integers(9, 14))
    layers = [P.LayerPlan(index=0, type="input", shape=(c0, h0, w0), neuron=lif(rng, (c0, h0, w0)),
                          input_shape=(c0, h0, w0), input_message_bits=24)]
    shape = (c0, h0, w0)
    for i, (c_out, groups, delayed) in enumerate([(4, 2, False), (6, 1, True)], start=1):
        k = (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        p = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
        d = (int(rng.integers(1, 3)), 1)
        out = conv_out(shape, c_out, k, s, p, d)
        w = rng.integers(-120, 120, (c_out, shape[0] // groups, *k)) * 2
        syn = P.ConvSynapse(weight=w, in_shape=shape, out_shape=out, stride=s, padding=p,
                            dilation=d, groups=groups,
                            delay=rng.integers(0, 3, c_out) if delayed else None)
        layers.append(P.LayerPlan(index=i, type="conv", shape=out, neuron=lif(rng, out),
                                  synapse=syn, input_shape=shape))
        shape = out
    n_in = int(np.prod(shape))
    w = rng.integers(-128, 128, (20, n_in)) * 2
    syn = P.DenseSynapse(weight=w, delay=rng.integers(0, 4, (20, n_in)))
    layers.append(P.LayerPlan(index=3, type="dense", shape=(20,), neuron=lif(rng, (20,)),
                              synapse=syn, input_shape=shape, flatten_input=True))
    syn = P.DenseSynapse(weight=rng.integers(-256, 256, (5, 20)),
                         weight_exp=int(rng.integers(-1, 2)))
    layers.append(P.LayerPlan(index=4, type="dense", shape=(5,), neuron=lif(rng, (5,), False),
                              synapse=syn, input_shape=(20,)))
    return P.NetworkPlan(layers=tuple(layers), input_shape=(c0, h0, w0), input_message_bits=24)


def sdnn_plan(seed, big_weights=False):
    """Delta encoder -> conv sigma-delta -> conv sigma-delta -> dense sigma-delta -> sigma.

    ``big_weights`` makes the conv sums leave 24 bits (the conv output wraps)."""
    rng = np.random.default_rng(seed)
    c0, h0, w0 = 3, int(rng.integers(8, 13)), int(rng.integers(8, 13))
    layers = [P.LayerPlan(index=0, type="input", shape=(c0, h0, w0),
                          neuron=P.DeltaNeuron(vth=int(rng.integers(0, 3)),
                                               cum_error=bool(rng.integers(0, 2))),
                          input_shape=(c0, h0, w0), input_message_bits=16)]
    shape = (c0, h0, w0)
    scale = 1 << 12 if big_weights else 1
    for i, c_out in enumerate([5, 4], start=1):
        k, s, p = (3, 3), (int(rng.integers(1, 3)),) * 2, (int(rng.integers(0, 2)),) * 2
        out = conv_out(shape, c_out, k, s, p, (1, 1))
        w = rng.integers(-100, 100, (c_out, shape[0], *k)) * scale
        syn = P.ConvSynapse(weight=w, in_shape=shape, out_shape=out, stride=s, padding=p)
        neuron = P.SigmaDeltaNeuron(vth=int(rng.integers(0, 4)),
                                    bias=rng.integers(-20, 20, out) if i == 1 else None,
                                    activation=str(rng.choice(["relu", "identity"])),
                                    cum_error=bool(rng.integers(0, 2)))
        layers.append(P.LayerPlan(index=i, type="conv", shape=out, neuron=neuron, synapse=syn,
                                  input_shape=shape, input_message_bits=16))
        shape = out
    n_in = int(np.prod(shape))
    syn = P.DenseSynapse(weight=rng.integers(-128, 128, (12, n_in)) * 2)
    layers.append(P.LayerPlan(index=3, type="dense", shape=(12,),
                              neuron=P.SigmaDeltaNeuron(vth=1, activation="relu"), synapse=syn,
                              input_shape=shape, flatten_input=True, input_message_bits=16))
    syn = P.DenseSynapse(weight=rng.integers(-128, 128, (2, 12)))
    layers.append(P.LayerPlan(index=4, type="dense", shape=(2,), neuron=P.SigmaNeuron(),
                              synapse=syn, input_shape=(12,), input_message_bits=16))
    return P.NetworkPlan(layers=tuple(layers), input_shape=(c0, h0, w0), input_message_bits=16)


def sparse_input(rng, shape, density, lo, hi):
    x = rng.integers(lo, hi, shape)
    return x * (rng.random(shape) < density)


PROBES = {"v1": (1, "v"), "u2": (2, "u"), "s3": (3, "s"), "a4": (4, "a"), "v0": (0, "v")}
SD_PROBES = {"sig1": (1, "sigma"), "res2": (2, "residue"), "act0": (0, "act"), "s4": (4, "s"),
             "err3": (3, "error")}


#: Event-driven vs BLAS choice: as tuned, always event-driven, never (all must agree).
SCATTER = {"tuned": None, "always": (1e-12, (1.0, 1.0)), "never": (1e30, (-1.0, -1.0))}


@pytest.fixture(params=sorted(SCATTER))
def scatter(request, monkeypatch):
    """Force the conv/dense product choice of the accelerated networks."""
    if SCATTER[request.param] is not None:
        pair_cost, dense_fraction = SCATTER[request.param]
        monkeypatch.setattr(ConvModel, "pair_cost", pair_cost)
        monkeypatch.setattr(DenseModel, "scatter_fraction", dense_fraction)
    return request.param


def compare(plan, x, probes, monkeypatch):
    fast, slow = build(plan, monkeypatch, True), build(plan, monkeypatch, False)
    assert any(getattr(layer.neuron, "_nb", None) is not None for layer in fast.layers)
    assert all(getattr(layer.neuron, "_nb", None) is None for layer in slow.layers)
    want = slow.run(x)
    assert np.array_equal(fast.run(x), want)
    assert fast.run(x).dtype == np.int64
    for net in (fast, slow):
        net.reset()
    got_p, want_p = fast.run(x, probes=probes)[1], slow.run(x, probes=probes)[1]
    for key in probes:
        assert np.array_equal(got_p[key], want_p[key]), key
    for net in (fast, slow):  # step by step from the current state
        net.reset()
    steps = [(fast.step(x[..., t]), slow.step(x[..., t])) for t in range(x.shape[-1])]
    assert all(np.array_equal(a, b) for a, b in steps)
    assert np.array_equal(np.stack([a for a, _ in steps], axis=-1), want)
    for a, b in zip(fast.layers, slow.layers, strict=True):
        for name in a.state:
            assert np.array_equal(a.state[name], b.state[name]), name
    return want


@pytest.mark.parametrize("seed", range(4))
def test_spiking_network_fast_equals_numpy(seed, monkeypatch, scatter):
    plan = spiking_plan(seed)
    rng = np.random.default_rng(100 + seed)
    x = sparse_input(rng, (*plan.input_shape, 14), 0.3, -30, 60)
    want = compare(plan, x, PROBES, monkeypatch)
    assert np.count_nonzero(want) > 0 or seed % 2  # most seeds produce output spikes


@pytest.mark.parametrize("seed", range(3))
def test_spiking_network_batch_fast_equals_numpy(seed, monkeypatch, scatter):
    plan = spiking_plan(10 + seed)
    rng = np.random.default_rng(seed)
    x = sparse_input(rng, (3, *plan.input_shape, 11), 0.5, -30, 60)
    compare(plan, x, PROBES, monkeypatch)


@pytest.mark.parametrize("seed,big", [(0, False), (1, False), (2, True), (3, True)])
def test_sigma_delta_network_fast_equals_numpy(seed, big, monkeypatch, scatter):
    plan = sdnn_plan(seed, big)
    rng = np.random.default_rng(seed)
    base = rng.integers(-200, 200, plan.input_shape)
    # slowly changing graded input: dense first step, then sparse deltas (both conv paths)
    x = np.stack([base + sparse_input(rng, plan.input_shape, 0.05, -50, 50) * (t > 0)
                  for t in range(16)], axis=-1)
    compare(plan, x, SD_PROBES, monkeypatch)
    compare(plan, np.stack([x, -x]), SD_PROBES, monkeypatch)
    if big:  # the conv sums really leave 24 bits, so the wrap is exercised
        net = build(plan, monkeypatch, True)
        net.run(x[..., :2], probes=[(1, "sigma")])
        syn = net.layers[1].synapse
        flat = x[..., 0][None] << 12
        assert np.abs(ops.conv2d(flat, syn.kernels[0], syn.plan.stride, syn.plan.padding)).max() \
            >= 1 << 23


def test_env_var_disables_the_accelerator(monkeypatch):
    monkeypatch.setenv(_numba.ENV_VAR, "0")
    assert _numba.kernels() is None
    for off in ("false", "OFF", " no "):
        monkeypatch.setenv(_numba.ENV_VAR, off)
        assert _numba.kernels() is None
    monkeypatch.setenv(_numba.ENV_VAR, "1")
    assert _numba.kernels() is nk
    monkeypatch.delenv(_numba.ENV_VAR)
    assert _numba.kernels() is nk


def test_runtime_works_without_numba(tmp_path, monkeypatch):
    """With numba unimportable, netx imports, runs and matches the accelerated result."""
    monkeypatch.delenv(_numba.ENV_VAR, raising=False)
    plan_script = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from lava.lib.dl.netx.native import Network, _numba\n"
        "from lava.lib.dl.netx import _plan as P\n"
        "assert _numba.kernels() is None\n"
        "w = np.arange(-12, 12).reshape(2, 3, 2, 2) * 40\n"
        "syn = P.ConvSynapse(weight=w, in_shape=(3, 5, 5), out_shape=(2, 4, 4))\n"
        "layer = P.LayerPlan(index=0, type='conv', shape=(2, 4, 4), synapse=syn,\n"
        "                    neuron=P.LIFNeuron(du=409, dv=1024, vth=3), input_shape=(3, 5, 5))\n"
        "net = Network(P.NetworkPlan(layers=(layer,), input_shape=(3, 5, 5)))\n"
        "x = (np.arange(3 * 5 * 5 * 9).reshape(3, 5, 5, 9) % 3 == 0).astype(int)\n"
        "np.save(sys.argv[1], net.run(x))\n"
        "assert 'numba' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    out = tmp_path / "out.npy"
    env = {**os.environ}
    env.pop(_numba.ENV_VAR, None)
    subprocess.run([sys.executable, "-c", plan_script, str(out)], check=True, env=env)
    w = np.arange(-12, 12).reshape(2, 3, 2, 2) * 40
    syn = P.ConvSynapse(weight=w, in_shape=(3, 5, 5), out_shape=(2, 4, 4))
    layer = P.LayerPlan(index=0, type="conv", shape=(2, 4, 4), synapse=syn,
                        neuron=P.LIFNeuron(du=409, dv=1024, vth=3), input_shape=(3, 5, 5))
    net = Network(P.NetworkPlan(layers=(layer,), input_shape=(3, 5, 5)))
    assert net.layers[0].neuron._nb is nk
    x = (np.arange(3 * 5 * 5 * 9).reshape(3, 5, 5, 9) % 3 == 0).astype(int)
    got = net.run(x)
    assert np.array_equal(np.load(out), got) and got.any()


# --------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("seed", range(12))
def test_conv_scatter_equals_dense_product_and_wraps(seed):
    rng = np.random.default_rng(seed)
    c_in, c_out = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    s, p = (int(rng.integers(1, 4)), int(rng.integers(1, 3))), (int(rng.integers(0, 3)), 0)
    d = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    h, w = int(rng.integers(k[0] * d[0], 12)), int(rng.integers(k[1] * d[1], 12))
    weight = rng.integers(-255, 256, (c_out, c_in, *k))
    kern = ops.ConvKernel(weight)
    wt = weight.transpose(1, 2, 3, 0).reshape(-1, c_out).copy()
    big = seed % 3 == 0  # graded values large enough to leave 24 bits
    for x in (rng.random((2, c_in, h, w)) < 0.3,
              sparse_input(rng, (3, c_in, h, w), 0.2, -(1 << 16 if big else 9), 1 << 16 if big
                           else 9)):
        ho, wo = P.conv_output_shape((h, w), k, s, p, d)
        out = np.zeros((x.shape[0], c_out, ho, wo), dtype=np.int64)
        n = nk.conv_scatter(x, wt, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], x.size,
                            kern.row_abs_sum, out)
        assert n == np.count_nonzero(x)
        want = ops.wrap_signed(ops.conv2d(x.astype(np.int64), kern, s, p, d), 24)
        assert np.array_equal(out, want)
        if n > 0:  # too many active inputs: declined, the output untouched
            out[...] = 7
            assert nk.conv_scatter(x, wt, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
                                   n - 1, kern.row_abs_sum, out) == -1
            assert (out == 7).all()


def test_conv_scatter_wraps_to_24_bits():
    weight = np.full((2, 1, 2, 2), 255)
    weight[1] *= -1
    x = np.zeros((1, 1, 3, 3), dtype=np.int64)
    x[0, 0, 1, 1] = 1 << 22  # every sum it reaches is +-255 * 2**22: far outside 24 bits
    out = np.zeros((1, 2, 2, 2), dtype=np.int64)
    wt = weight.transpose(1, 2, 3, 0).reshape(-1, 2).copy()
    nk.conv_scatter(x, wt, 2, 2, 1, 1, 0, 0, 1, 1, 9, 4 * 255, out)
    full = ops.conv2d(x, ops.ConvKernel(weight))
    assert np.abs(full).max() == 255 << 22
    assert np.array_equal(out, ops.wrap_signed(full, 24)) and not np.array_equal(out, full)


def test_dense_scatter_and_row_counts():
    rng = np.random.default_rng(7)
    w = rng.integers(-256, 256, (30, 50))
    for x in (rng.random((4, 50)) < 0.2, sparse_input(rng, (4, 50), 0.3, -(1 << 40), 1 << 40)):
        out = np.zeros((4, 30), dtype=np.int64)
        nk.dense_scatter(x, np.ascontiguousarray(w.T), out)
        assert np.array_equal(out, x.astype(np.int64) @ w.T)
        assert np.array_equal(nk.nonzero_per_row(x), np.count_nonzero(x, axis=1))


def test_lif_kernel_wraps_clips_and_resets_like_numpy(monkeypatch):
    """Extreme currents: the 24-bit wrap of u and the clip of v on both paths."""
    rng = np.random.default_rng(3)
    for du, dv in [(-1, 0), (4095, 4096), (10, 5)]:
        plan = P.LIFNeuron(du=du, dv=dv, vth=1 << 15, bias_mant=rng.integers(-5000, 5000, 8),
                           reset_interval=7, reset_offset=2)
        layer = P.LayerPlan(index=0, type="input", shape=(8,), neuron=plan, input_shape=(8,),
                            input_message_bits=24)
        net_plan = P.NetworkPlan(layers=(layer,), input_shape=(8,), input_message_bits=24)
        x = rng.integers(-(1 << 22), 1 << 22, (2, 8, 40))  # 64 a: far beyond 24 bits
        probes = {"u": (0, "u"), "v": (0, "v")}
        fast, slow = build(net_plan, monkeypatch, True), build(net_plan, monkeypatch, False)
        got, gp = fast.run(x, probes=probes)
        want, wp = slow.run(x, probes=probes)
        assert np.array_equal(got, want)
        assert np.array_equal(gp["u"], wp["u"]) and np.array_equal(gp["v"], wp["v"])
        if du == -1:
            assert np.abs(wp["v"]).max() == (1 << 23) - 1  # saturated
        # Lava's single wrap leaves u beyond 24 bits: the kernel keeps u in float64 here
        assert np.abs(wp["u"]).max() > 1 << 24
        assert fast.layers[0].state["u"].dtype == np.float64
        assert fast.layers[0].state["v"].dtype == np.float32


@pytest.mark.parametrize("binary", [True, False])
def test_conv_model_mixes_dense_and_event_driven_samples(binary, monkeypatch):
    """A sequence whose first samples are dense and later ones sparse (a sigma-delta onset)
    takes both products in one call; the result equals the numpy path."""
    rng = np.random.default_rng(5)
    w = rng.integers(-255, 256, (6, 4, 3, 3)) * (1 if binary else 64)
    plan = P.ConvSynapse(weight=w, in_shape=(4, 15, 15), out_shape=(6, 7, 7), stride=(2, 2))
    monkeypatch.setenv(_numba.ENV_VAR, "0")
    slow = ConvModel(plan, (6, 7, 7))
    monkeypatch.delenv(_numba.ENV_VAR)
    assert slow._nb is None
    fast = ConvModel(plan, (6, 7, 7))
    for model in (fast, slow):
        model.absmax = 1 if binary else None
    lo, hi = (0, 2) if binary else (-(1 << 12), 1 << 12)
    x = np.stack([rng.integers(lo, hi, (4, 15, 15)),                 # dense
                  sparse_input(rng, (4, 15, 15), 0.004, lo or 1, hi),  # sparse
                  np.zeros((4, 15, 15), dtype=np.int64),             # silent
                  rng.integers(lo, hi, (4, 15, 15))])
    x = x.astype(bool) if binary else x
    limit = fast._scatter_limit(x[:1], 7, 7)
    counts = np.count_nonzero(x.reshape(4, -1), axis=1)
    assert counts[0] > limit >= counts[1]  # really mixed
    got = [c[2] for c in fast.contributions(x)]
    want = [c[2] for c in slow.contributions(x)]
    assert len(got) == len(want) == 1 and np.array_equal(got[0], want[0])
    if not binary:
        assert np.abs(ops.conv2d(x, slow.kernels[0], (2, 2))).max() >= 1 << 23  # wrapped


def test_per_neuron_decays_keep_float64_numpy_path(monkeypatch):
    """Per-neuron decays run the numpy passes even with numba present (same result)."""
    rng = np.random.default_rng(11)
    plan = P.LIFNeuron(du=rng.integers(0, 4096, 6), dv=rng.integers(0, 4096, 6), vth=40)
    syn = P.DenseSynapse(weight=rng.integers(-200, 200, (6, 9)))
    layer = P.LayerPlan(index=0, type="dense", shape=(6,), neuron=plan, synapse=syn,
                        input_shape=(9,))
    net_plan = P.NetworkPlan(layers=(layer,), input_shape=(9,))
    x = rng.integers(0, 2, (9, 30))
    fast, slow = build(net_plan, monkeypatch, True), build(net_plan, monkeypatch, False)
    got, gp = fast.run(x, probes=[(0, "v")])
    want, wp = slow.run(x, probes=[(0, "v")])
    assert np.array_equal(got, want) and np.array_equal(gp[(0, "v")], wp[(0, "v")])
    assert fast.layers[0].state["v"].dtype == np.float64 and want.any()

"""The fused step of dense + LIF chains (numba) equals the regular schedule, step for step:
delays of every form, weight exponents, graded and binary input ports, batches, periodic reset,
bias changes, and alternation with run(), probes and reset()."""

import numpy as np
import pytest

from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network, _numba
from lava.lib.dl.netx.native._fused import FusedChain

pytest.importorskip("lava.lib.dl.netx.native._fused_kernels")  # needs numba
if _numba.kernels() is None:  # pragma: no cover - LAVA_DL_NETX_NUMBA=0
    pytest.skip("the numba kernels are switched off", allow_module_level=True)

T = 40


def chain_plan(seed, *, in_bits=0, delays="full", exp=0, reset=None):
    rng = np.random.default_rng(seed)
    sizes = [12, 16, 10, 6]
    layers = []
    for k in range(3):
        n_in, n_out = sizes[k], sizes[k + 1]
        d = {"full": rng.integers(0, 5, (n_out, n_in)), "out": np.repeat(
            rng.integers(0, 4, (n_out, 1)), n_in, 1), "none": None}[delays]
        syn = P.DenseSynapse(weight=rng.integers(-100, 200, (n_out, n_in)) * 2, delay=d,
                             weight_exp=exp if k == 1 else 0)
        neuron = P.LIFNeuron(du=int(rng.choice([-1, 409, 4095])), dv=int(rng.choice([0, 300])),
                             vth=int(rng.integers(20, 120)),
                             bias_mant=rng.integers(-5, 10, (n_out,)) if k == 0 else None,
                             reset_interval=reset, reset_offset=k + 1)
        layers.append(P.LayerPlan(index=k, type="dense", shape=(n_out,), neuron=neuron,
                                  synapse=syn, input_shape=(n_in,),
                                  input_message_bits=in_bits if k == 0 else 0))
    return P.NetworkPlan(layers=tuple(layers), input_shape=(12,), input_message_bits=in_bits)


def regular(plan, monkeypatch):
    monkeypatch.setenv(_numba.ENV_VAR, "0")
    net = Network(plan)
    monkeypatch.delenv(_numba.ENV_VAR)
    return net


def drive(seed, batch=None, hi=3):
    rng = np.random.default_rng(seed)
    shape = (12, T) if batch is None else (batch, 12, T)
    return rng.integers(0, hi, shape) * (rng.random(shape) < 0.3)


def steps(net, x, probes=()):
    outs, rec = [], {p: [] for p in probes}
    for t in range(x.shape[-1]):
        outs.append(net.step(x[..., t]))
        for li, var in probes:
            rec[(li, var)].append(net._probe(li, var))
    return np.stack(outs, -1), {k: np.stack(v, -1) for k, v in rec.items()}


PROBES = [(0, "u"), (0, "v"), (1, "a"), (2, "s"), (2, "v")]


@pytest.mark.parametrize("delays", ["full", "out", "none"])
@pytest.mark.parametrize("in_bits,exp,reset", [(0, 0, None), (8, 1, None), (0, 2, 7)])
def test_fused_steps_equal_the_regular_schedule(monkeypatch, delays, in_bits, exp, reset):
    plan = chain_plan(3, in_bits=in_bits, delays=delays, exp=exp, reset=reset)
    fused, plain = Network(plan), regular(plan, monkeypatch)
    x = drive(1)
    got, rec = steps(fused, x, PROBES)
    assert fused._fused is not None and fused._fused.active
    want, ref = steps(plain, x, PROBES)
    assert plain._fused is None
    assert want.sum() > 0 and np.array_equal(got, want)
    for key in ref:
        assert np.array_equal(rec[key], ref[key]), key


def test_batches_and_alternation_with_run_and_reset(monkeypatch):
    plan = chain_plan(5)
    x = drive(2, batch=3)
    want = regular(plan, monkeypatch).run(x, stepwise=True)
    net = Network(plan)
    a, _ = steps(net, x[..., :13])
    b = net.run(x[..., 13:27])  # leaves the fused chain: pending currents go back
    c, _ = steps(net, x[..., 27:])  # and come back
    assert np.array_equal(np.concatenate([a, b, c], -1), want) and want.sum() > 0
    net.reset()
    again, _ = steps(net, x)
    assert np.array_equal(again, want)


def test_bias_changes_reach_the_fused_step(monkeypatch):
    plan = chain_plan(7)
    x = drive(3)
    nets = [Network(plan), regular(plan, monkeypatch)]
    outs = []
    for net in nets:
        first, _ = steps(net, x[..., :20])
        net.set_bias(0, np.full(16, 40))
        net.layers[1].neuron.set_bias(np.arange(10) - 3)
        second, _ = steps(net, x[..., 20:])
        outs.append(np.concatenate([first, second], -1))
    assert np.array_equal(outs[0], outs[1]) and outs[0].sum() > 0


def test_neuron_target_uses_the_regular_path(monkeypatch):
    plan = chain_plan(9)
    x = drive(4)
    net = Network(plan)
    first, _ = steps(net, x[..., :10])
    mid = np.stack([net.step(np.zeros(16, np.int64) + 300 * (t % 3 == 0), target="neuron")
                    for t in range(5)], -1)
    last, _ = steps(net, x[..., 15:])
    ref = regular(plan, monkeypatch)
    r1, _ = steps(ref, x[..., :10])
    r2 = np.stack([ref.step(np.zeros(16, np.int64) + 300 * (t % 3 == 0), target="neuron")
                   for t in range(5)], -1)
    r3, _ = steps(ref, x[..., 15:])
    assert np.array_equal(np.concatenate([first, mid, last], -1),
                          np.concatenate([r1, r2, r3], -1))


def test_only_dense_lif_chains_are_fused(monkeypatch):
    assert FusedChain.build(Network(chain_plan(1))) is not None
    conv = P.LayerPlan(index=0, type="conv", shape=(2, 3, 3), neuron=P.LIFNeuron(vth=5),
                       synapse=P.ConvSynapse(weight=np.ones((2, 1, 2, 2), np.int64),
                                             in_shape=(1, 4, 4), out_shape=(2, 3, 3)),
                       input_shape=(1, 4, 4))
    assert FusedChain.build(Network(P.NetworkPlan(layers=(conv,), input_shape=(1, 4, 4)))) \
        is None
    per_neuron = chain_plan(1)
    first = per_neuron.layers[0]
    n = P.LIFNeuron(du=np.arange(16), dv=0, vth=10)
    layers = (P.LayerPlan(index=0, type="dense", shape=(16,), neuron=n, synapse=first.synapse,
                          input_shape=(12,)), *per_neuron.layers[1:])
    assert FusedChain.build(Network(P.NetworkPlan(layers=layers, input_shape=(12,)))) is None
    assert regular(chain_plan(1), monkeypatch)._fused is None  # not built without numba


def test_oxford_steps_reproduce_the_ground_truth():
    import os
    from pathlib import Path

    shared = Path(os.environ.get("LAVA_DL_SHARED",
                                 Path(__file__).resolve().parents[3] / ".." / "shared"))
    ox = shared / "reference-nets" / "oxford"
    if not ox.is_dir():
        pytest.skip("reference-nets not found")
    net = Network(ox / "Trained" / "network.net")
    x = np.load(ox / "gts" / "in.npy").astype(np.int64)
    got, rec = steps(net, x, [(0, "s")])
    assert net._fused is not None and net._fused.active
    assert np.array_equal(rec[(0, "s")], np.load(ox / "gts" / "out.npy"))
    assert int(got.sum()) == 9565  # netx.md §7

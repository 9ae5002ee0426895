"""Training-to-deployment parity: slayer blocks (fixed-point forward) exported and run natively.

Each block is exported with ``export_layer`` and run by the native runtime; the spikes equal
slayer's forward pass one step later (netx's synaptic latency; the slayer blocks are built
without their own ``delay_shift``). Skipped where torch or lava-dl-slayer is not installed (the
netx test environment has neither).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
slayer = pytest.importorskip("lava.lib.dl.slayer")

from lava.lib.dl import hdf5_spec as H  # noqa: E402
from lava.lib.dl.netx.native import Network  # noqa: E402

CUBA = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03}
RF = {"threshold": 0.5, "period": 8, "decay": 0.1}
ADAPT = {"threshold_step": 0.2, "threshold_decay": 0.1, "refractory_decay": 0.1}
T = 60


def run_both(block, x, *, input_layer=None, setup=None):
    with torch.no_grad():
        if setup is not None:
            block(x)
            setup(block)
        y = block(x)
    y = (y[0] if isinstance(y, tuple) else y)[0].numpy()
    shape = tuple(x.shape[1:-1])
    layers = [input_layer or H.InputLayer(shape=shape), block.export_layer(input_shape=shape)]
    out = Network(H.NetworkDescription(layers=layers)).run(x[0].numpy().astype(np.int64))
    return out, y


def spikes(*shape, p=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, *shape, T, generator=g) < p).float()


def set_delays(block):
    block.delay.delay.data = torch.tensor([0.0, 1, 2, 3, 0, 1, 2, 5])


CASES = {
    "cuba-dense": lambda: (slayer.block.cuba.Dense(CUBA, 20, 8, delay_shift=False),
                           spikes(20), None),
    "cuba-dense-delay": lambda: (slayer.block.cuba.Dense(CUBA, 20, 8, delay=True,
                                                         delay_shift=False),
                                 spikes(20), set_delays),
    "cuba-conv": lambda: (slayer.block.cuba.Conv(CUBA, 2, 4, 3, stride=2, padding=1,
                                                 delay_shift=False), spikes(2, 9, 9), None),
    "cuba-pool": lambda: (slayer.block.cuba.Pool(CUBA, 2, delay_shift=False),
                          spikes(2, 8, 8, p=0.5), None),
    "cuba-conv-groups-dilation": lambda: (slayer.block.cuba.Conv(CUBA, 4, 4, 3, groups=2,
                                                                 dilation=2, delay_shift=False),
                                          spikes(4, 9, 9, p=0.4), None),
    "cuba-pool3": lambda: (slayer.block.cuba.Pool(CUBA, 3, delay_shift=False),
                           spikes(2, 9, 9, p=0.5), None),
    "cuba-convT": lambda: (slayer.block.cuba.ConvT(CUBA, 2, 3, 3, stride=2, delay_shift=False),
                           spikes(2, 5, 5, p=0.4), None),
    "cuba-unpool": lambda: (slayer.block.cuba.Unpool(CUBA, 2, delay_shift=False),
                            spikes(2, 4, 4, p=0.4), None),
    "alif-dense": lambda: (slayer.block.alif.Dense({**CUBA, "threshold_step": 0.5,
                                                    "threshold_decay": 0.1,
                                                    "refractory_decay": 0.1}, 20, 8,
                                                   delay_shift=False), spikes(20), None),
    "rf-dense": lambda: (slayer.block.rf.Dense(RF, 20, 8, delay_shift=False), spikes(20), None),
    "rf_iz-dense": lambda: (slayer.block.rf_iz.Dense(RF, 20, 8, delay_shift=False), spikes(20),
                            None),
    "adrf-dense": lambda: (slayer.block.adrf.Dense({**RF, **ADAPT}, 20, 8, delay_shift=False),
                           spikes(20), None),
    "adrf_iz-dense": lambda: (slayer.block.adrf_iz.Dense({**RF, **ADAPT}, 20, 8,
                                                         delay_shift=False), spikes(20), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_spiking_blocks(name):
    torch.manual_seed(0)
    block, x, setup = CASES[name]()
    out, y = run_both(block, x, setup=setup)
    assert y.sum() > 0
    assert np.array_equal(out[..., 1:], y[..., :-1]), name


def test_sigma_delta_input_and_dense():
    torch.manual_seed(0)
    sd = {"threshold": 0.1, "activation": torch.relu}
    enc = slayer.block.sigma_delta.Input(sd)
    dense = slayer.block.sigma_delta.Dense(sd, 20, 8)
    g = torch.Generator().manual_seed(1)
    x = torch.cumsum((torch.rand(1, 20, T, generator=g) - 0.5) * 0.5, -1)
    with torch.no_grad():
        a = enc(x)
        y = dense(a)
    layers = [enc.export_layer(input_shape=(20,)), dense.export_layer(input_shape=(20,))]
    net = Network(H.NetworkDescription(layers=layers))
    # the Input block quantises its data like a weight (step 2/64): feed those mantissas
    xq = np.clip(2 * np.round(x[0].numpy() * 32), -256, 254).astype(np.int64)
    out, rec = net.run(xq, probes=[(0, "s")])
    assert np.array_equal(rec[(0, "s")], a[0].numpy() * 4096)  # messages in units of 2**-12
    y = y[0].numpy() * 4096
    assert np.abs(y).sum() > 0 and np.array_equal(out[..., 1:], y[..., :-1])

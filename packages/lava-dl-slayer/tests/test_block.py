"""Blocks of every neuron family: composition, shapes, state, and lava-dl 0.6 bug fixes."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.block import base

CUBA = {"threshold": 0.5, "current_decay": 0.25, "voltage_decay": 0.03}
PARAMS = {
    "cuba": CUBA,
    "alif": {"threshold": 0.5, "threshold_step": 0.2, "current_decay": 0.25,
             "voltage_decay": 0.03, "threshold_decay": 0.1, "refractory_decay": 0.1},
    "rf": {"threshold": 0.3, "period": 10, "decay": 0.1},
    "rf_iz": {"threshold": 0.3, "period": 10, "decay": 0.1},
    "adrf": {"threshold": 0.3, "threshold_step": 0.1, "period": 10, "decay": 0.1,
             "threshold_decay": 0.1, "refractory_decay": 0.1},
    "adrf_iz": {"threshold": 0.3, "threshold_step": 0.1, "period": 10, "decay": 0.1,
                "threshold_decay": 0.1, "refractory_decay": 0.1},
    "sigma_delta": {"threshold": 0.1, "activation": F.relu},
}
T = 12


def _x3(seed=0, c=6):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(2, c, T, generator=g) < 0.4).float()


def _x5(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(2, 2, 8, 8, T, generator=g) < 0.4).float()


# name -> (constructor, input, expected output shape, expected hdf5 type)
CASES = {
    "Input": (lambda m, p: m.Input(p), _x3, (2, 6, T), "input"),
    "Flatten": (lambda m, p: m.Flatten(), _x5, (2, 128, T), "flatten"),
    "Average": (lambda m, p: m.Average(2), _x3, (2, 2, T), "average"),
    "Affine": (lambda m, p: m.Affine(p, 6, 3), _x3, (2, 3, T), "dense"),
    "TimeDecimation": (lambda m, p: m.TimeDecimation(4), _x3, (2, 6, T // 4), "average"),
    "Dense": (lambda m, p: m.Dense(p, 6, 4, weight_scale=3, delay=True), _x3, (2, 4, T),
              "dense"),
    "Conv": (lambda m, p: m.Conv(p, 2, 3, 3, padding=1, weight_scale=3, delay=True), _x5,
             (2, 3, 8, 8, T), "conv"),
    "ConvT": (lambda m, p: m.ConvT(p, 2, 3, 2, stride=2, weight_scale=3), _x5,
              (2, 3, 16, 16, T), "convT"),
    "Pool": (lambda m, p: m.Pool(p, 3, delay=True), _x5, (2, 2, 3, 3, T), "pool"),
    "Unpool": (lambda m, p: m.Unpool(p, 2), _x5, (2, 2, 16, 16, T), "unpool"),
    "KWTA": (lambda m, p: m.KWTA(p, 6, 5, 2, weight_scale=3), _x3, (2, 5, T), "kwta"),
    "Recurrent": (lambda m, p: m.Recurrent(p, 6, 5, weight_scale=3), _x3, (2, 5, T),
                  "dense_rec"),
    "Output": (lambda m, p: m.Output(p, 6, 3), _x3, (2, 3, T), "dense"),
}
FAMILY_BLOCKS = {
    "cuba": ["Input", "Flatten", "Average", "Affine", "TimeDecimation", "Dense", "Conv", "ConvT",
             "Pool", "Unpool", "KWTA", "Recurrent"],
    "alif": ["Input", "Flatten", "Average", "TimeDecimation", "Dense", "Conv", "ConvT", "Pool",
             "Unpool", "KWTA", "Recurrent"],
    "rf": ["Input", "Flatten", "Average", "Affine", "TimeDecimation", "Dense", "Conv", "ConvT",
           "Pool", "Unpool"],
    "rf_iz": ["Input", "Flatten", "Average", "Affine", "TimeDecimation", "Dense", "Conv", "ConvT",
              "Pool", "Unpool"],
    "adrf": ["Input", "Flatten", "Average", "TimeDecimation", "Dense", "Conv", "ConvT", "Pool",
             "Unpool"],
    "adrf_iz": ["Input", "Flatten", "Average", "TimeDecimation", "Dense", "Conv", "ConvT", "Pool",
                "Unpool"],
    "sigma_delta": ["Input", "Flatten", "Average", "Dense", "Conv", "ConvT", "Pool", "Unpool",
                    "Output"],
}


@pytest.mark.parametrize(
    "family, name", [(f, n) for f, names in FAMILY_BLOCKS.items() for n in names]
)
def test_every_block_runs_trains_and_exports(family, name):
    torch.manual_seed(0)
    module = getattr(slayer.block, family)
    make, inp, out_shape, hdf5_type = CASES[name]
    block = make(module, PARAMS[family])
    x = inp()
    layer_before = block.export_layer(input_shape=tuple(x.shape[1:-1]))
    y = block(x)
    assert tuple(y.shape) == out_shape
    assert torch.isfinite(y).all()
    if y.requires_grad:
        y.sum().backward()
        grads = [p.grad for p in block.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
    layer = block.export_layer()
    assert layer.type == hdf5_type == block.hdf5_type
    assert layer_before.shape == layer.shape
    if name not in ("Flatten", "Average", "TimeDecimation", "Affine", "Output"):
        assert tuple(layer.shape) == tuple(y.shape[1:-1])


def test_families_expose_the_block_sets_of_lava_dl():
    for family, names in FAMILY_BLOCKS.items():
        module = getattr(slayer.block, family)
        assert sorted(module.__all__) == sorted(names), family
    assert not hasattr(slayer.block.sigma_delta, "KWTA")


def test_abstract_blocks_need_a_family():
    with pytest.raises(TypeError, match="abstract"):
        base.AbstractDense(CUBA, 2, 3)


def test_dense_is_synapse_neuron_shift_delay():
    torch.manual_seed(1)
    block = slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=3, delay=True)
    with torch.no_grad():
        block.delay.delay.copy_(torch.tensor([0.5, 1.2, 2.9, 3.0]))
    x = _x3(1)
    y = block(x)
    neuron = slayer.neuron.cuba.Neuron(**CUBA)
    w = neuron.quantize_8bit(block.synapse.weight.detach())
    z = torch.einsum("oi,nit->not", w.reshape(4, 6), x)
    s = slayer.axon.delay(neuron(z), 1)
    ref = torch.stack([slayer.axon.delay(s[:, i:i + 1], d) for i, d in
                       enumerate((0, 1, 2, 3))], 1)[:, :, 0]
    assert torch.equal(y.detach(), ref)


def test_input_quantizes_data_and_applies_gain_offset():
    block = slayer.block.cuba.Input(CUBA, weight=1.3, bias=0.1, delay_shift=False)
    assert sorted(block.state_dict()) == [
        "bias", "neuron.current_decay", "neuron.voltage_decay", "weight"]
    x = torch.rand(2, 5, T) * 2
    neuron = slayer.neuron.cuba.Neuron(**CUBA)
    q = neuron.quantize_8bit
    z = q(x) * q(torch.tensor([1.3])) + q(torch.tensor([0.1]))
    assert torch.equal(block(x).detach(), neuron(z).detach())


def test_neuron_less_input_just_shifts():
    """lava-dl 0.6 crashed for Input() with delay_shift (spec §15 #19)."""
    x = torch.rand(2, 3, T)
    y = slayer.block.cuba.Input()(x)
    assert torch.equal(y, slayer.axon.delay(x, 1))
    assert torch.equal(slayer.block.cuba.Input(delay_shift=False)(x), x)


@pytest.mark.parametrize("name", ["Pool", "Unpool", "KWTA", "Recurrent", "Dense"])
def test_caller_params_are_never_mutated(name):
    """lava-dl 0.6 wrote norm=None / persistent_state=True into the caller's dict (§15 #22-23)."""
    params = dict(CUBA, norm=slayer.neuron.norm.MeanOnlyBatchNorm)
    snapshot = dict(params)
    block = CASES[name][0](slayer.block.cuba, params)
    assert params == snapshot
    if name in ("Pool", "Unpool"):
        assert block.neuron.norm is None
    later = slayer.block.cuba.Dense(params, 4, 4)
    assert later.neuron.norm is not None
    assert not later.neuron.persistent_state


def test_persistent_step_delay_trains_and_splits_exactly():
    """step_delay with persistent state works under autograd (§15 #18); a split run equals a
    full run."""
    torch.manual_seed(2)
    params = dict(CUBA, persistent_state=True)
    full = slayer.block.cuba.Dense(params, 6, 4, weight_scale=3)
    split = copy.deepcopy(full)
    x = _x3(2)
    y = full(x)
    y.sum().backward()
    assert full.synapse.weight.grad is not None
    y1 = split(x[..., :5])
    y2 = split(x[..., 5:])
    assert torch.equal(torch.cat([y1, y2], -1).detach(), y.detach())


def test_step_delay_buffer_drops_on_batch_change():
    block = slayer.block.cuba.Dense(dict(CUBA, persistent_state=True), 6, 4, weight_scale=3)
    block(_x3(3))
    y = block(_x3(4)[:1])
    assert torch.all(y[..., 0] == 0)


def test_count_log_returns_the_event_rate():
    """lava-dl 0.6 raised on torch.mean(bool) (§15 #20)."""
    block = slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=3, count_log=True)
    y, rate = block(_x3(5))
    assert rate.dtype == torch.float32
    assert rate.item() == pytest.approx((y != 0).float().mean().item())
    flat, none = slayer.block.cuba.Flatten(count_log=True)(_x5())
    assert none is None and flat.shape == (2, 128, T)


def test_average_and_time_decimation():
    x = torch.arange(2 * 4 * 10, dtype=torch.float32).reshape(2, 4, 10)
    avg = slayer.block.cuba.Average(2)
    assert torch.equal(avg(x), x.reshape(2, 2, 2, 10).mean(2))
    assert avg.shape == (2, 1, 1)
    dec = slayer.block.cuba.TimeDecimation(4)
    y = dec(x)
    assert y.shape == (2, 4, 3)
    assert y[0, 0, 2].item() == pytest.approx((8 + 9 + 0 + 0) / 4)
    assert dec.shape == (4,)  # lava-dl 0.6 raised AttributeError here (§15 #21)
    assert dec.export_layer().factor == 4
    for bad in (0, 3, 6):
        with pytest.raises(ValueError, match="power of two"):
            slayer.block.cuba.TimeDecimation(bad)


def test_positional_delay_and_explicit_none_hook():
    """A positional delay=True is honoured; pre_hook_fx=None disables quantization (§15 #28)."""
    block = slayer.block.cuba.Dense(CUBA, 6, 4, 1, False, base.DEFAULT_HOOK, True)
    assert block.delay is not None
    raw = slayer.block.cuba.Dense(CUBA, 6, 4, pre_hook_fx=None)
    assert raw.synapse.pre_hook_fx is None
    with pytest.warns(UserWarning, match="never quantized"):
        layer = raw.export_layer()
    assert torch.allclose(torch.from_numpy(layer.weight),
                          raw.synapse.weight.detach().reshape(4, 6) * 64)


def test_mask_zeroes_connections():
    mask = torch.ones(4, 6)
    mask[0, :] = 0
    mask[:, 5] = 0
    block = slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=3, mask=mask)
    layer = block.export_layer()
    assert (layer.weight[0] == 0).all() and (layer.weight[:, 5] == 0).all()
    block(_x3(6))
    w = block.synapse.weight.detach().reshape(4, 6)
    assert (w[mask == 0] == 0).all()
    with pytest.raises(ValueError, match="mask"):
        slayer.block.cuba.Dense(CUBA, 6, 4, mask=torch.ones(3, 6))


def test_cuba_affine_is_voltage_without_reset():
    torch.manual_seed(7)
    block = slayer.block.cuba.Affine(CUBA, 6, 3, weight_scale=5)
    x = _x3(7)
    y = block(x)
    ref_neuron = slayer.neuron.cuba.Neuron(**dict(CUBA, threshold=1000.0))
    z = block.synapse(x)
    assert torch.equal(y.detach(), ref_neuron.dynamics(z)[1].detach())
    assert y.max() > CUBA["threshold"]  # grows past the threshold: no reset
    plain = slayer.block.cuba.Affine(CUBA, 6, 3, dynamics=False)
    assert torch.equal(plain(x), plain.synapse(x))


@pytest.mark.parametrize("family", ["rf", "rf_iz"])
def test_resonator_affine_builds_and_never_resets(family):
    """rf/rf_iz Affine raised in lava-dl 0.6 (§15 #8)."""
    torch.manual_seed(8)
    module = getattr(slayer.block, family)
    block = module.Affine(PARAMS[family], 6, 3, weight_scale=5)
    x = _x3(8)
    y = block(x)
    neuron = getattr(slayer.neuron, family).Neuron(**dict(PARAMS[family], threshold=1000.0))
    assert torch.equal(y.detach(), neuron.dynamics(block.synapse(x))[1].detach())


def test_kwta_lateral_weights_and_state_reset():
    torch.manual_seed(9)
    params = dict(CUBA)
    block = slayer.block.cuba.KWTA(params, 6, 5, 2, self_excitation=0.5, weight_scale=3)
    r, b = block.lateral()
    q = block.neuron.quantize_8bit
    assert torch.equal(r, q(1.5 * torch.eye(5) - 1))
    assert torch.equal(b, q(torch.full((5,), 0.5 * (5 - 4) / 5 / 64)))
    x = _x3(9)
    y1 = block(x)
    y2 = block(x)
    assert torch.equal(y1, y2)  # samples do not leak into each other
    y1.sum().backward()  # works under autograd with the default delay_shift
    # reference: s[t] = neuron(z[t] + R s[t-1] + b), then a one-step delay
    neuron = slayer.neuron.cuba.Neuron(**dict(params, persistent_state=True))
    z = block.synapse(x).detach()
    s = torch.zeros(2, 5)
    out = []
    for t in range(T):
        s = neuron((z[..., t] + s @ r.t() + b).unsqueeze(-1))[..., 0]
        out.append(s)
    assert torch.equal(y1.detach(), slayer.axon.delay(torch.stack(out, -1), 1))


def test_recurrent_matches_step_by_step_reference():
    torch.manual_seed(10)
    block = slayer.block.cuba.Recurrent(CUBA, 6, 5, weight_scale=3)
    assert sorted(block.state_dict()) == [
        "input_synapse.weight", "neuron.current_decay", "neuron.voltage_decay",
        "recurrent_synapse.weight"]
    x = _x3(10)
    y = block(x)
    assert torch.equal(y, block(x))
    neuron = slayer.neuron.cuba.Neuron(**dict(CUBA, persistent_state=True))
    q = neuron.quantize_8bit
    z = block.input_synapse(x).detach()
    r = q(block.recurrent_synapse.weight.detach().reshape(5, 5))
    s = torch.zeros(2, 5)
    out = []
    for t in range(T):
        s = neuron((z[..., t] + s @ r.t()).unsqueeze(-1))[..., 0]
        out.append(s)
    assert torch.equal(y.detach(), slayer.axon.delay(torch.stack(out, -1), 1))
    y.sum().backward()
    assert block.input_synapse.weight.grad is not None
    with pytest.raises(NotImplementedError, match="real-valued"):
        type("R", (base.AbstractRecurrent,), {"family": slayer.block.rf.FAMILY})(
            PARAMS["rf"], 6, 5)


def test_sigma_delta_blocks():
    sd = PARAMS["sigma_delta"]
    dense = slayer.block.sigma_delta.Dense(sd, 6, 4, weight_scale=2)
    assert dense.delay_shift is False
    x = torch.rand(2, 6, T)
    ref = dense.neuron.__class__(**sd)
    w = ref.quantize_8bit(dense.synapse.weight.detach()).reshape(4, 6)
    assert torch.equal(dense(x).detach(), ref(torch.einsum("oi,nit->not", w, x)).detach())
    out = slayer.block.sigma_delta.Output(sd, 6, 3)
    assert torch.allclose(out(x), torch.cumsum(out.synapse(x), -1))
    assert out.export_layer().neuron.params["sigma_output"] is True


def test_weight_norm_gradients_reach_every_synapse():
    torch.manual_seed(11)
    block = slayer.block.cuba.Recurrent(CUBA, 6, 5, weight_scale=4, weight_norm=True)
    block(_x3(11, c=6)).sum().backward()
    for syn in (block.input_synapse, block.recurrent_synapse):
        assert syn.weight_norm_enabled
        assert syn.weight_g.grad is not None and syn.weight_v.grad is not None
    # under weight norm, ``weight`` is computed on access and differentiable
    assert block.recurrent_synapse.weight.grad_fn is not None
    copy.deepcopy(block)


def test_export_shapes_predicted_before_forward_equal_the_forward_shapes():
    """output_shape (used to export before any forward) agrees with the forward pass for many
    random geometries."""
    rng = torch.Generator().manual_seed(12)

    def pick(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=rng))

    m = slayer.block.cuba
    for _ in range(10):
        c, h, w = pick(1, 3), pick(5, 11), pick(5, 11)
        k, s, p, d = pick(1, 3), pick(1, 3), pick(0, 1), pick(1, 2)
        x = torch.zeros(1, c, h, w, 2)
        blocks = [
            m.Conv(CUBA, c, 2, k, stride=s, padding=p, dilation=d),
            m.ConvT(CUBA, c, 2, k, stride=s, padding=min(p, k - 1), dilation=d),
            m.Pool(CUBA, k, stride=s, padding=min(p, k // 2), dilation=d),
            m.Unpool(CUBA, k, stride=s, padding=min(p, k - 1), dilation=d),
        ]
        for block in blocks:
            predicted = block.output_shape((c, h, w))
            assert predicted == tuple(block(x).shape[1:-1]), (block, (c, h, w))
            assert block.export_layer().shape == predicted


def test_whole_blocks_pickle_and_deepcopy(tmp_path):
    sd = PARAMS["sigma_delta"]
    net = torch.nn.ModuleList([
        slayer.block.cuba.Input(), slayer.block.cuba.Input(CUBA),
        slayer.block.cuba.Dense(CUBA, 6, 4, weight_norm=True, delay=True, weight_scale=3),
        slayer.block.cuba.Affine(CUBA, 4, 3), slayer.block.cuba.KWTA(CUBA, 3, 3, 1),
        slayer.block.rf_iz.Affine(PARAMS["rf_iz"], 4, 2), slayer.block.sigma_delta.Dense(sd, 6, 3),
    ])
    torch.save(net, tmp_path / "net.pt")
    loaded = torch.load(tmp_path / "net.pt", weights_only=False)
    x = _x3(13)
    assert torch.equal(loaded[2](x).detach(), net[2](x).detach())
    assert loaded[2].synapse.pre_hook_fx.__self__ is loaded[2].neuron
    copy.deepcopy(net)

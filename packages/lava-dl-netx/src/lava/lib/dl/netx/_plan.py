r"""Backend-neutral network plans: what a loader makes of one layer of a ``.net`` file.

A *plan* is the fully translated, integer description of one netx block: its synapse (how the
previous block's output message becomes this block's input current) and its neuron (the
fixed-point state machine that turns that current into an output message). Both backends build
from the same plans: the native numpy runtime (:mod:`lava.lib.dl.netx.native`) and the Lava
backend (:mod:`lava.lib.dl.netx.hdf5`). Nothing here imports lava or torch.

Conventions (binding for both backends)
---------------------------------------
Layout
    Every shape and array in a plan is in the **file (slayer) order**: ``(C, H, W)`` for
    spatial layers, ``(N,)`` for dense layers. Conv kernels are in torch cross-correlation
    layout ``(C_out, C_in/groups, kH, kW)``; pairs (stride, padding, dilation, kernel) are
    ``(H, W)``. The Lava backend converts with :meth:`ConvSynapse.lava_weight` and
    :func:`lava_shape` (Lava uses ``(X, Y, C)`` and a true convolution: the kernel is flipped
    in both spatial axes and transposed to ``(C_out, kW, kH, C_in)``).
Integers
    Every weight, bias, decay and threshold is a Python ``int`` or an ``int64`` array holding
    exactly the integer the fixed-point model uses (file floats are truncated toward zero, as
    lava-dl 0.6 does). No value is rescaled later except by the shifts documented per neuron.
Time
    One step of latency per synapse: the current a block's neuron receives at step ``t`` is the
    synapse applied to the previous block's message of step ``t - 1`` (plus ``d`` more steps
    for a synaptic delay ``d``). Steps count from 1.

Synapses (``a`` is the message delivered to the neuron, ``s`` the presynaptic message)

* dense: :math:`a = (W s) \ll e` for ``weight_exp`` :math:`e \ge 0`, else arithmetic
  :math:`\gg -e`; no saturation. With ``delay`` :math:`D_{ij}` the term :math:`W_{ij} s_j` is
  delivered :math:`D_{ij}` steps later.
* conv / convT / pool / unpool: correlation of ``s`` with the kernel (torch semantics), then
  wrapped to signed 24 bit (:math:`((x + 2^{23}) \bmod 2^{24}) - 2^{23}`), as Lava's ``Conv``.
* identity (concat and time-decimation blocks): no synapse and **no latency**: the neuron receives
  the incoming message of the same step (a concat block receives its sources' messages of the
  same step, concatenated along the channel axis).
* complex dense: two dense synapses (real and imaginary weights) into the neuron's real and
  imaginary inputs. A real synapse (or no synapse) in front of a resonator feeds the same current
  to both inputs (netx's ``ComplexInput``).

Neurons: see each class. :math:`\mathrm{rtz}(x) = \mathrm{sign}(x)\lfloor |x| / 2^{12}\rfloor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ADRFNeuron",
    "ALIFNeuron",
    "ComplexDenseSynapse",
    "ConvSynapse",
    "ConvTransposeSynapse",
    "DecimateNeuron",
    "DeltaNeuron",
    "DenseSynapse",
    "IdentityNeuron",
    "IdentitySynapse",
    "LIFNeuron",
    "LayerPlan",
    "NetworkPlan",
    "NeuronPlan",
    "RFNeuron",
    "RecurrentDenseSynapse",
    "SigmaDeltaNeuron",
    "SigmaNeuron",
    "SynapsePlan",
    "conv_output_shape",
    "lava_shape",
]

#: Activations a sigma-delta neuron may declare (``neuron/activation``), by file name. Values are
#: the Lava ``ActivationMode`` member names.
ACTIVATIONS: dict[str, str] = {"relu": "RELU", "identity": "UNIT", "unit": "UNIT", "linear": "UNIT"}


def lava_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Convert a file-order shape ``(C, H, W)`` / ``(N,)`` to Lava's ``(X, Y, C)`` / ``(N,)``."""
    return tuple(reversed(tuple(int(s) for s in shape)))


def conv_output_shape(
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int]:
    """Spatial output size ``floor((n + 2p - d(k-1) - 1)/s + 1)`` per axis, in ``(H, W)``."""
    return tuple(  # type: ignore[return-value]
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(in_hw, kernel, stride, padding, dilation, strict=True)
    )


def _i64(x: Any) -> np.ndarray:
    return np.asarray(x).astype(np.int64)


# --------------------------------------------------------------------------- synapses
@dataclass(frozen=True, eq=False)
class SynapsePlan:
    """Base class of synapse plans. ``kind`` names the synapse; ``delay`` (int64 or None)."""

    kind: str = field(init=False, default="abstract")


@dataclass(frozen=True, eq=False)
class DenseSynapse(SynapsePlan):
    """Fully connected synapse.

    Attributes
    ----------
    weight : np.ndarray
        int64 ``(out, in)``, the file weights truncated to integers (even values in
        [-256, 254] for slayer files).
    delay : np.ndarray or None
        int64 ``(out, in)`` synaptic delays in steps (already expanded from the file's per-out,
        per-in or scalar form; never clamped), or None for no delay.
    weight_exp : int
        Extra exponent: the delivered current is ``(W s) << weight_exp`` (``>>`` when
        negative). 0 for files written by slayer.
    num_weight_bits : int
        Weight precision hint for hardware mapping (8).
    """

    weight: np.ndarray = None  # type: ignore[assignment]
    delay: np.ndarray | None = None
    weight_exp: int = 0
    num_weight_bits: int = 8
    kind: str = field(init=False, default="dense")

    @property
    def in_features(self) -> int:
        """Number of inputs."""
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        """Number of outputs."""
        return int(self.weight.shape[0])


@dataclass(frozen=True, eq=False)
class RecurrentDenseSynapse(DenseSynapse):
    """Dense synapse plus a recurrent one from the block's own output.

    ``weight_rec`` int64 ``(out, out)`` applies to the block's output message of step ``t - 1``
    and is summed with the feed-forward current (one step of latency, like any synapse).
    """

    weight_rec: np.ndarray = None  # type: ignore[assignment]
    kind: str = field(init=False, default="dense_rec")


@dataclass(frozen=True, eq=False)
class ComplexDenseSynapse(SynapsePlan):
    """Complex (resonator) dense synapse: ``weight`` feeds the real input, ``weight_imag`` the
    imaginary input. Both int64 ``(out, in)``; ``delay`` as :class:`DenseSynapse`."""

    weight: np.ndarray = None  # type: ignore[assignment]
    weight_imag: np.ndarray = None  # type: ignore[assignment]
    delay: np.ndarray | None = None
    kind: str = field(init=False, default="complex_dense")


@dataclass(frozen=True, eq=False)
class ConvSynapse(SynapsePlan):
    """2-D convolution (torch cross-correlation semantics), also used for sum pooling.

    Attributes
    ----------
    weight : np.ndarray
        int64 ``(C_out, C_in/groups, kH, kW)``.
    in_shape, out_shape : tuple of int
        ``(C, H, W)`` of the presynaptic and postsynaptic layers.
    stride, padding, dilation : tuple of int
        ``(H, W)`` pairs; zero padding.
    groups : int
        Channel groups.
    delay : np.ndarray or None
        int64 ``(C_out,)`` per-output-channel delay in steps, or None.
    weight_imag : np.ndarray or None
        Imaginary kernel of a complex conv (same shape), or None.
    origin : str
        File layer type this came from (``'conv'`` or ``'pool'``).
    pad_end : tuple of int
        ``(H, W)`` extra zeros appended at the bottom and right of the (already padded) input:
        slayer's ceil-mode pooling, whose last window may reach past the input. ``(0, 0)`` for
        every other layer.
    """

    weight: np.ndarray = None  # type: ignore[assignment]
    in_shape: tuple[int, int, int] = (0, 0, 0)
    out_shape: tuple[int, int, int] = (0, 0, 0)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    delay: np.ndarray | None = None
    weight_imag: np.ndarray | None = None
    origin: str = "conv"
    pad_end: tuple[int, int] = (0, 0)
    kind: str = field(init=False, default="conv")

    @property
    def kernel_size(self) -> tuple[int, int]:
        """``(kH, kW)``."""
        return int(self.weight.shape[2]), int(self.weight.shape[3])

    def lava_weight(self, weight: np.ndarray | None = None) -> np.ndarray:
        """Kernel for Lava's ``Conv``: flipped spatially, ``(C_out, kW, kH, C_in/groups)``."""
        w = self.weight if weight is None else weight
        return np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(0, 3, 2, 1))


@dataclass(frozen=True, eq=False)
class ConvTransposeSynapse(SynapsePlan):
    """Transposed 2-D convolution (torch ``conv_transpose2d`` semantics, output padding 0),
    also used for unpooling.

    ``weight`` int64 ``(C_in, C_out/groups, kH, kW)``; other fields as :class:`ConvSynapse`.
    Output size per axis: ``(n - 1) s - 2p + d (k - 1) + 1``.
    """

    weight: np.ndarray = None  # type: ignore[assignment]
    in_shape: tuple[int, int, int] = (0, 0, 0)
    out_shape: tuple[int, int, int] = (0, 0, 0)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    delay: np.ndarray | None = None
    weight_imag: np.ndarray | None = None
    origin: str = "convT"
    kind: str = field(init=False, default="convT")

    @property
    def kernel_size(self) -> tuple[int, int]:
        """``(kH, kW)``."""
        return int(self.weight.shape[2]), int(self.weight.shape[3])


@dataclass(frozen=True, eq=False)
class IdentitySynapse(SynapsePlan):
    """No synapse, no latency: the block's neuron receives the incoming message of the same step.

    Used by ``concat`` blocks (the incoming message is the concatenation of the source blocks'
    messages of the step, see :attr:`LayerPlan.sources`) and time-decimation ``average`` blocks.
    """

    kind: str = field(init=False, default="identity")


# --------------------------------------------------------------------------- neurons
@dataclass(frozen=True, eq=False)
class NeuronPlan:
    """Base class of neuron plans. ``kind`` names the model; ``out_message_bits`` is 0 for
    binary spikes, else the width of graded messages."""

    kind: str = field(init=False, default="abstract")

    @property
    def out_message_bits(self) -> int:
        """Width of the output message (0 = binary spikes)."""
        return 0

    @property
    def is_complex(self) -> bool:
        """True for resonators (real and imaginary inputs)."""
        return False


@dataclass(frozen=True, eq=False)
class LIFNeuron(NeuronPlan):
    r"""Loihi CUBA leaky integrate-and-fire (Lava ``LIF`` / ``LIFReset``, bit-accurate).

    Per step, with input ``a``:

    .. math::
        u &\leftarrow \mathrm{wrap}_{24}\big(\mathrm{rtz}(u (4096 - (du+1))) + (a \ll 6)\big) \\
        v &\leftarrow \mathrm{clip}\big(\mathrm{rtz}(v (4096 - dv)) + u + (b \ll e_b),
              \pm(2^{23}-1)\big) \\
        s &= v > (v_{th} \ll 6), \quad v[s] \leftarrow 0

    ``wrap_24`` is Lava's single wrap: ``x > 2^23 -> x - 2^24``, then ``x <= -2^23 -> x + 2^24``.
    With ``reset_interval`` set, ``u`` and ``v`` are zeroed at the start of step ``t`` when
    ``t % reset_interval == reset_offset % reset_interval``.

    Attributes
    ----------
    du, dv : int or np.ndarray
        Lava decays: ``du = iDecay - 1`` (so 4096 - (du + 1) = 4096 - iDecay), ``dv = vDecay``;
        an int64 array of the layer shape when slayer exported per-channel or per-neuron decays
        (``shared_param=False``). The same holds for every decay of the other neuron plans.
    vth : int
        Threshold mantissa ``vThMant``.
    bias_mant : np.ndarray or None
        int64 bias mantissa, shape of the layer (already broadcast), or None.
    bias_exp : int
        6 for files (bias in ``vThMant`` units).
    reset_interval, reset_offset : int or None, int
        Periodic state reset (``LIFReset``), or None.
    """

    du: int | np.ndarray = 0
    dv: int | np.ndarray = 0
    vth: int = 0
    bias_mant: np.ndarray | None = None
    bias_exp: int = 6
    reset_interval: int | None = None
    reset_offset: int = 0
    kind: str = field(init=False, default="lif")


@dataclass(frozen=True, eq=False)
class ALIFNeuron(NeuronPlan):
    r"""Adaptive-threshold LIF (slayer ``ALIF``) in Loihi fixed point.

    ``u`` and ``v`` follow :class:`LIFNeuron` but ``v`` is **not** reset by a spike. A refractory
    state ``r`` and a threshold ``θ`` (both in ``v`` units, ``θ`` starts at ``θ0 = vth << 6``):

    .. math::
        r &\leftarrow \mathrm{rtz}(r (4096 - ref\_decay)) \\
        θ &\leftarrow \mathrm{rtz}((θ - θ_0)(4096 - th\_decay)) + θ_0 \\
        s &= v \ge θ + r \\
        \text{where } s:&\ r \leftarrow r + 2θ,\ θ \leftarrow θ + (vth\_step \ll 6)

    (the threshold/refractory decay happens before the comparison, the jump after it, as
    slayer's ``adaptive_threshold``).
    """

    du: int | np.ndarray = 0
    dv: int | np.ndarray = 0
    vth: int = 0
    vth_step: int = 0
    th_decay: int | np.ndarray = 0
    ref_decay: int | np.ndarray = 0
    bias_mant: np.ndarray | None = None
    bias_exp: int = 6
    reset_interval: int | None = None
    reset_offset: int = 0
    kind: str = field(init=False, default="alif")


@dataclass(frozen=True, eq=False)
class DeltaNeuron(NeuronPlan):
    r"""Sigma-delta input encoder (Lava ``Delta``).

    .. math::
        x &= a \ll (e_s + e_t), \quad δ = x - x_{prev} + ρ \\
        q &= δ \text{ if } |δ| \ge (v_{th} \ll (e_s + e_t)) \text{ else } 0, \quad ρ = δ - q \\
        \text{send } & q \gg e_t \quad (\text{arithmetic})

    ``e_s = spike_exp``, ``e_t = state_exp``. ``cum_error`` as Lava (error accumulates, reset
    where a message was sent).
    """

    vth: int = 0
    spike_exp: int = 6
    state_exp: int = 6
    cum_error: bool = False
    kind: str = field(init=False, default="delta")

    @property
    def out_message_bits(self) -> int:  # noqa: D102
        return 16


@dataclass(frozen=True, eq=False)
class SigmaDeltaNeuron(NeuronPlan):
    r"""Sigma-delta neuron (Lava ``SigmaDelta``).

    .. math::
        σ &\leftarrow σ + a, \quad y = f(σ + (b \ll (e_s + e_t))) \\
        δ &= y - y_{prev} + ρ, \quad q = δ \text{ if } |δ| \ge (v_{th} \ll (e_s + e_t))
           \text{ else } 0, \quad ρ = δ - q \\
        \text{send } & q \gg e_t

    ``activation`` is a key of :data:`ACTIVATIONS` (``'relu'`` → ``max(x, 0)``, ``'identity'``
    → ``x``). ``bias`` int64 of the layer shape, or None.
    """

    vth: int = 0
    bias: np.ndarray | None = None
    spike_exp: int = 6
    state_exp: int = 6
    activation: str = "relu"
    cum_error: bool = False
    kind: str = field(init=False, default="sigma_delta")

    @property
    def out_message_bits(self) -> int:  # noqa: D102
        return 16


@dataclass(frozen=True, eq=False)
class SigmaNeuron(NeuronPlan):
    """Sigma readout (Lava ``Sigma``): ``σ ← σ + a``; sends ``σ`` (graded, 24 bit)."""

    kind: str = field(init=False, default="sigma")

    @property
    def out_message_bits(self) -> int:  # noqa: D102
        return 24


@dataclass(frozen=True, eq=False)
class RFNeuron(NeuronPlan):
    r"""Resonate-and-fire neuron (Lava ``RF`` / ``RF_IZ`` fixed point), decays from the file.

    With ``re_in = a_re << state_exp`` and ``im_in = a_im << state_exp``:

    .. math::
        re' &= \mathrm{clip}(\mathrm{rtz}(c\,re) - \mathrm{rtz}(s\,im) + re_{in}) \\
        im' &= \mathrm{clip}(\mathrm{rtz}(s\,re) + \mathrm{rtz}(c\,im) + im_{in})

    clipped to ±(2^23 - 1); ``rtz`` divides by ``2^decay_bits``. Phase variant
    (``izhikevich=False``): spike ``re' >= θ and im' >= 0 and im < 0``. Izhikevich variant:
    spike ``im' >= θ``; then ``re ← 0, im ← θ - 1``. ``θ = int(vth · 2^state_exp)``.

    ``sin_decay``/``cos_decay`` are the file integers used directly (fixes lava-dl bug B17;
    :attr:`period` and :attr:`alpha` give Lava's parametrisation when needed).
    """

    sin_decay: int | np.ndarray = 0
    cos_decay: int | np.ndarray = 0
    vth: float = 0
    state_exp: int = 6
    decay_bits: int = 12
    izhikevich: bool = False
    kind: str = field(init=False, default="rf")

    @property
    def is_complex(self) -> bool:  # noqa: D102
        return True

    @property
    def effective_vth(self) -> int:
        """Threshold in state units: ``int(vth * 2**state_exp)``."""
        return int(self.vth * (1 << self.state_exp))

    @property
    def period(self) -> float:
        """Oscillation period in steps, ``2π / atan2(sin, cos)``."""
        return float(2 * np.pi / np.arctan2(self.sin_decay, self.cos_decay))

    @property
    def alpha(self) -> float:
        """Decay per step, ``1 - |(cos, sin)| / 2^decay_bits``."""
        return float(1 - np.hypot(self.sin_decay, self.cos_decay) / (1 << self.decay_bits))


@dataclass(frozen=True, eq=False)
class ADRFNeuron(NeuronPlan):
    r"""Adaptive resonate-and-fire (slayer ``ADRF_PHASE`` / ``ADRF_IZHIKEVICH``).

    The resonator of :class:`RFNeuron` with **no state reset**, plus the refractory ``r`` and
    threshold ``θ`` adaptation of :class:`ALIFNeuron` (``θ0 = vth << 6``, step
    ``vth_step << 6``). Phase variant: spike ``re' >= θ + r and im' >= 0 and im < 0``.
    Izhikevich variant: spike ``im' >= θ + r``. After a spike ``r += 2θ, θ += step``.
    """

    sin_decay: int | np.ndarray = 0
    cos_decay: int | np.ndarray = 0
    vth: int = 0
    vth_step: int = 0
    th_decay: int | np.ndarray = 0
    ref_decay: int | np.ndarray = 0
    state_exp: int = 6
    decay_bits: int = 12
    izhikevich: bool = False
    kind: str = field(init=False, default="adrf")

    @property
    def is_complex(self) -> bool:  # noqa: D102
        return True


@dataclass(frozen=True, eq=False)
class IdentityNeuron(NeuronPlan):
    """Pass-through readout: sends the current it receives, unchanged, every step.

    Used by population-average blocks (a 0/1 dense synapse sums each group; the message is the
    group **sum**, see :attr:`LayerPlan.output_divisor`) and concat blocks. ``message_bits`` is
    the width of the messages sent (0 = binary spikes pass through as 0/1).
    """

    message_bits: int = 24
    kind: str = field(init=False, default="identity")

    @property
    def out_message_bits(self) -> int:  # noqa: D102
        return int(self.message_bits)


@dataclass(frozen=True, eq=False)
class DecimateNeuron(NeuronPlan):
    r"""Time decimation (slayer ``TimeDecimation``): sums its input over windows of ``factor``
    steps and sends each window's **sum** on the window's last step (0 on the other steps).

    Window :math:`j \ge 0` holds the steps :math:`t` with
    :math:`\text{phase} + jF < t \le \text{phase} + (j + 1)F`; inputs at steps
    :math:`t \le \text{phase}` are ignored. The loader uses ``phase = 0`` (windows from the
    first step), which lines up with slayer's windows for blocks trained with
    ``delay_shift=True``, slayer's default (see :func:`~lava.lib.dl.netx._loaders.load_average`).
    A last, incomplete window is sent only once it completes. Messages are graded, 24 bit.
    """

    factor: int = 1
    phase: int = 0
    kind: str = field(init=False, default="decimate")

    @property
    def out_message_bits(self) -> int:  # noqa: D102
        return 24


# --------------------------------------------------------------------------- layers
#: File layer types whose block name depends on the neuron kind rather than the synapse.
_TYPE_BLOCKS: dict[str, dict[str, str]] = {
    "average": {"decimate": "TimeDecimation", "": "Average"},
    "concat": {"": "Concat"},
}


@dataclass(frozen=True, eq=False)
class LayerPlan:
    """One netx block.

    Attributes
    ----------
    index : int
        Index of the file layer (``layer/<index>``) this block comes from.
    type : str
        File layer type (``'input'``, ``'dense'``, ``'conv'``, ...), namespaced types included.
    shape : tuple of int
        Output shape of the block, file order (``(C, H, W)`` or ``(N,)``).
    input_shape : tuple of int or None
        Shape of the message the block receives (file order), None for an input block.
    synapse : SynapsePlan or None
        None for an input block (the stimulus goes straight to the neuron).
    neuron : NeuronPlan
        The neuron model.
    flatten_input : bool
        The previous block's output is flattened in ``(C, H, W)`` C order before the synapse.
    input_message_bits : int
        Width of the incoming message (0 = binary).
    transform : dict
        ``{'weight': w, 'bias': b}`` of an input layer (informative; netx does not apply it).
    sources : tuple of int or None
        Positions (in :attr:`NetworkPlan.layers`) of the blocks whose messages of the same step
        are concatenated (channel axis) to form this block's input (``concat`` blocks); None:
        the previous block (or the network input for the first block).
    output_divisor : int
        The block's messages equal the training-side value times ``output_divisor``: an
        ``average`` block sends the integer group or window **sum** (divide by this for the
        mean); 1 for every other block.
    latency : int
        Steps from the network input to this block's output: one per synapse on the path (the
        longest path through a concat).
    """

    index: int
    type: str
    shape: tuple[int, ...]
    neuron: NeuronPlan
    synapse: SynapsePlan | None = None
    input_shape: tuple[int, ...] | None = None
    flatten_input: bool = False
    input_message_bits: int = 0
    transform: dict[str, Any] = field(default_factory=dict)
    sources: tuple[int, ...] | None = None
    output_divisor: int = 1
    latency: int = 0

    @property
    def block(self) -> str:
        """netx block class name this plan corresponds to."""
        if self.type in _TYPE_BLOCKS:
            return _TYPE_BLOCKS[self.type].get(self.neuron.kind, _TYPE_BLOCKS[self.type][""])
        if self.synapse is None:
            return "ComplexInput" if self.neuron.is_complex else "Input"
        return {
            "dense": "Dense",
            "dense_rec": "RecurrentDense",
            "complex_dense": "ComplexDense",
            "conv": "Conv",
            "convT": "ConvT",
        }.get(self.synapse.kind, type(self.synapse).__name__)

    @property
    def output_message_bits(self) -> int:
        """Width of the block's output message."""
        return self.neuron.out_message_bits


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """The ordered blocks of a network plus what is needed to drive it.

    Attributes
    ----------
    layers : tuple of LayerPlan
        Blocks in order; ``layers[0]`` is the input block.
    input_shape : tuple of int
        Shape of the message the first block receives (file order).
    input_message_bits : int
        Width of that message.
    source : str
        Where the description came from (file name or ``'<memory>'``).
    options : dict
        The construction options used (num_layers, skip_layers, ...).
    """

    layers: tuple[LayerPlan, ...]
    input_shape: tuple[int, ...]
    input_message_bits: int = 0
    source: str = "<memory>"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Output shape of the last block (file order)."""
        return self.layers[-1].shape

    @property
    def output_message_bits(self) -> int:
        """Width of the last block's output message."""
        return self.layers[-1].output_message_bits

    def __len__(self) -> int:
        return len(self.layers)

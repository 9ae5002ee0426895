"""netx blocks: hierarchical Lava processes made of a synapse and a neuron population.

Every block has an ``inp`` port (what the previous block sends), an ``out`` port (what this
block sends), a ``neuron`` sub-process and, except the input blocks, a ``synapse``.

``neuron_params`` is lava-dl's dictionary: the key ``'neuron_proc'`` is the neuron process
class, the other keys are its constructor arguments; ``'num_message_bits'`` (optional) is the
width of the block's output messages (0 = binary spikes). The dictionary given by the caller is
never modified. Lava's own neuron classes (``lava.proc.lif.process.LIF``, ``LIFReset``,
``Delta``, ``SigmaDelta``, ``Sigma``, ``RF``, ``RF_IZ``) are replaced by the netx subclasses of
:mod:`lava.lib.dl.netx.procs`, which have only fixed-point models, so that any run configuration
runs the integer dynamics.

Shapes are in Lava order: ``(X, Y, C)`` for spatial blocks, ``(N,)`` for dense ones. The
:class:`Conv` block takes a Lava-layout kernel ``(C_out, kX, kY, C_in/groups)`` for a true
convolution (as lava-dl); :class:`ConvT` takes the file (torch) layout
``(C_in, C_out/groups, kH, kW)`` and ``(H, W)`` pairs.
"""

from __future__ import annotations

import typing as ty

import numpy as np

from lava.lib.dl.netx.procs import neurons as _neurons
from lava.lib.dl.netx.procs import routing as _routing
from lava.lib.dl.netx.procs import synapses as _syn
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.proc.lif import process as _lava_lif
from lava.proc.rf import process as _lava_rf
from lava.proc.rf_iz import process as _lava_rf_iz
from lava.proc.sdn import process as _lava_sdn

__all__ = [
    "AbstractBlock",
    "Average",
    "Concat",
    "ComplexConv",
    "ComplexDense",
    "ComplexInput",
    "Conv",
    "ConvT",
    "Dense",
    "Input",
    "Pool",
    "RecurrentDense",
    "TimeDecimation",
    "Unpool",
]

#: Lava neuron classes replaced by their fixed-point-only netx subclasses.
NEURON_SUBSTITUTES: dict[type, type] = {
    _lava_lif.LIF: _neurons.LIF,
    _lava_lif.LIFReset: _neurons.LIFReset,
    _lava_sdn.Delta: _neurons.Delta,
    _lava_sdn.SigmaDelta: _neurons.SigmaDelta,
    _lava_sdn.Sigma: _neurons.Sigma,
}

#: Neuron classes whose bias argument is ``bias_mant`` (the others take ``bias``).
_BIAS_MANT = (_lava_lif.LIF, _neurons.ALIF, _neurons.LIFPerNeuron)
_COMPLEX = (_neurons.RF, _neurons.ADRF, _lava_rf.RF, _lava_rf_iz.RF_IZ)


def _rf_from_lava(cls: type, params: dict[str, ty.Any]) -> tuple[type, dict[str, ty.Any]]:
    """Lava ``RF``/``RF_IZ`` parameters (period, alpha) -> netx integer decays, computed the
    way Lava 0.10 does (truncation to int32 of ``(1 - alpha) sin/cos(2π/period) 2^bits``)."""
    p = dict(params)
    period = p.pop("period")
    alpha = p.pop("alpha")
    bits = int(p.get("decay_bits", 0))
    sin = (1 - alpha) * np.sin(2 * np.pi / period)
    cos = (1 - alpha) * np.cos(2 * np.pi / period)
    p["sin_decay"] = int(np.int32(sin * (1 << bits)))
    p["cos_decay"] = int(np.int32(cos * (1 << bits)))
    izh = cls is _lava_rf_iz.RF_IZ or (isinstance(cls, type) and issubclass(cls, _neurons.RF_IZ))
    target = _neurons.RF_IZ if izh else _neurons.RF
    return target, p


def _lava_bias(bias: ty.Any, shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a bias to a block shape: per neuron, or per channel (last axis)."""
    b = np.asarray(bias)
    if b.ndim == 0 or b.size == 1:
        return np.full(shape, int(b.reshape(-1)[0]), dtype=np.int32)
    if b.shape == tuple(shape) or (len(shape) == 1 and b.size == shape[0]):
        return b.reshape(shape).astype(np.int32)
    if b.ndim == 1 and b.shape[0] == shape[-1]:
        return np.broadcast_to(b.reshape((1,) * (len(shape) - 1) + (-1,)), shape).astype(np.int32)
    raise ValueError(
        f"bias of shape {b.shape} does not fit the block shape {shape}: give one value per "
        f"neuron {shape} or one per channel ({shape[-1]},)"
    )


class AbstractBlock(AbstractProcess):
    """Common constructor logic of netx blocks.

    Parameters
    ----------
    shape : tuple of int
        Output shape of the block (Lava order).
    neuron_params : dict
        ``{'neuron_proc': cls, **kwargs}`` (see module docstring). Not modified.
    input_message_bits : int
        Width of the messages the synapse receives (0 = binary spikes).
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        shape = tuple(int(s) for s in kwargs["shape"])
        neuron_params = dict(kwargs.get("neuron_params") or {})
        super().__init__(shape=shape, name=kwargs.get("name"))
        self.shape = shape
        self.input_message_bits = int(kwargs.get("input_message_bits") or 0)
        if "neuron_proc" not in neuron_params:
            raise ValueError(
                f"{type(self).__name__}: neuron_params needs the key 'neuron_proc' (the neuron "
                "process class, e.g. lava.lib.dl.netx.procs.neurons.LIF)"
            )
        proc = neuron_params.pop("neuron_proc")
        neuron_params.pop("bias_key", None)
        self.output_message_bits = int(neuron_params.pop("num_message_bits", 0) or 0)
        if proc in (_lava_rf.RF, _lava_rf_iz.RF_IZ) or (
                isinstance(proc, type) and issubclass(proc, _neurons.RF)
                and "period" in neuron_params):
            proc, neuron_params = _rf_from_lava(proc, neuron_params)
        self.neuron_proc = NEURON_SUBSTITUTES.get(proc, proc)
        self.neuron_params = neuron_params

    @property
    def block(self) -> str:
        """Block class name."""
        return type(self).__name__

    @property
    def is_complex(self) -> bool:
        """True when the neuron is a resonator (real and imaginary inputs)."""
        return issubclass(self.neuron_proc, _COMPLEX)

    def _neuron(self, bias: ty.Any = None) -> AbstractProcess:
        params = dict(self.neuron_params)
        if bias is not None:
            key = "bias_mant" if issubclass(self.neuron_proc, _BIAS_MANT) else "bias"
            params[key] = _lava_bias(bias, self.shape)
        return self.neuron_proc(shape=self.shape, **params)

    def _connect_neuron_input(self, src: ty.Any) -> None:
        if self.is_complex:
            src.connect(self.neuron.a_real_in)
            src.connect(self.neuron.a_imag_in)
        else:
            src.connect(self.neuron.a_in)

    def export_hdf5(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        """netx reads networks; it does not write them (export from the training side)."""
        raise NotImplementedError(
            "netx blocks cannot be exported; export the network from lava.lib.dl.slayer and "
            "write it with lava.lib.dl.hdf5_spec.write"
        )


class Input(AbstractBlock):
    """Input block: a neuron population driven by its bias or by ``inp``.

    ``inp`` is connected to the neuron's input (``a_in``; both inputs of a resonator), which
    fixes lava-dl bug B8 (``net.inp`` unusable when the file starts with an input layer).

    Parameters
    ----------
    shape : tuple of int
        Lava order.
    neuron_params : dict
        See :class:`AbstractBlock`.
    transform : dict, optional
        The file's input transform ``{'weight': w, 'bias': b}`` (informative; default 64, 0).
    bias : array_like, optional
        Neuron bias (per neuron or per channel).
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        self.transform = dict(kwargs.get("transform") or {"weight": 64, "bias": 0})
        self.neuron = self._neuron(kwargs.get("bias"))
        self.inp = InPort(shape=self.shape)
        self.out = OutPort(shape=self.shape)
        self._connect_neuron_input(self.inp)
        self.neuron.s_out.connect(self.out)


class ComplexInput(Input):
    """Input block of resonator neurons: ``inp`` feeds both the real and imaginary inputs."""


def _dense_synapse(weight: np.ndarray, delay: ty.Any, *, sparse: bool, num_weight_bits: int,
                   weight_exp: int, num_message_bits: int) -> AbstractProcess:
    common = dict(num_weight_bits=int(num_weight_bits), weight_exp=int(weight_exp),
                  num_message_bits=int(num_message_bits))
    if delay is None:
        cls = _syn.Sparse if sparse else _syn.Dense
        return cls(weights=weight, **common)
    delays = np.asarray(delay).astype(np.int64)
    if delays.ndim == 0 or delays.size == 1:
        delays = np.full(weight.shape, int(delays.reshape(-1)[0]), dtype=np.int64)
    elif delays.shape != weight.shape:
        if delays.ndim == 1 and delays.size == weight.shape[0]:
            delays = np.repeat(delays[:, None], weight.shape[1], axis=1)
        elif delays.ndim == 1 and delays.size == weight.shape[1]:
            delays = np.repeat(delays[None, :], weight.shape[0], axis=0)
        else:
            raise ValueError(
                f"delay of shape {delays.shape} does not fit the weight {weight.shape}: give "
                "one per output, one per input or one per weight")
    if delays.min() < 0:
        raise ValueError(f"synaptic delays must be >= 0, got {delays.min()}")
    max_delay = int(delays.max())
    if max_delay > 63:
        raise ValueError(
            f"a synaptic delay of {max_delay} steps exceeds the 63 steps a Loihi synapse (and "
            "Lava's DelayDense) supports; use the native runtime (lava.lib.dl.netx.native), "
            "which has no limit, or shorten the delays"
        )
    if sparse:
        delays = np.where(weight == 0, 0, delays)
        return _syn.DelaySparse(weights=weight, delays=delays, max_delay=max_delay, **common)
    return _syn.DelayDense(weights=weight, delays=delays, max_delay=max_delay, **common)


class Dense(AbstractBlock):
    """Dense block: ``inp -> synapse -> neuron -> out``.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` output shape.
    neuron_params : dict
        See :class:`AbstractBlock`.
    weight : np.ndarray
        ``(N, N_in)`` integer weights, given to Lava's synapse as they are (see
        :func:`lava.lib.dl.netx.utils.optimize_weight_bits`).
    delay : array_like, optional
        Synaptic delays in steps: per weight, per output (row) or per input (column).
    bias : array_like, optional
        Neuron bias.
    num_weight_bits : int
        Weight precision (default 8).
    weight_exponent : int
        Synapse exponent: ``a = (W s) << weight_exponent``.
    sparse_synapse : bool
        Use Lava's ``Sparse``/``DelaySparse`` instead of ``Dense``/``DelayDense``.
    input_message_bits : int
        Width of incoming messages (0 = binary).
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        weight = np.asarray(kwargs["weight"]).astype(np.int32)
        if weight.ndim == 1:
            weight = weight.reshape(1, -1) if self.shape == (1,) else np.diag(weight)
        self.synapse = _dense_synapse(
            weight, kwargs.get("delay"), sparse=bool(kwargs.get("sparse_synapse", False)),
            num_weight_bits=kwargs.get("num_weight_bits", 8),
            weight_exp=kwargs.get("weight_exponent", 0),
            num_message_bits=self.input_message_bits,
        )
        if tuple(self.synapse.a_out.shape) != self.shape:
            raise ValueError(
                f"Dense: the weight {weight.shape} gives {self.synapse.a_out.shape} outputs, "
                f"the block shape is {self.shape}")
        self.neuron = self._neuron(kwargs.get("bias"))
        self.inp = InPort(shape=(weight.shape[1],))
        self.out = OutPort(shape=self.shape)
        self.inp.connect(self.synapse.s_in)
        self._connect_neuron_input(self.synapse.a_out)
        self.neuron.s_out.connect(self.out)


class RecurrentDense(Dense):
    """Dense block with a recurrent synapse ``synapse_rec`` from the block's own output.

    Extra parameters: ``weight_rec`` ``(N, N)`` integer weights (sharing ``num_weight_bits``,
    ``weight_exponent`` with ``weight``), ``delay_rec`` (optional, as ``delay``).
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        w_rec = np.asarray(kwargs["weight_rec"]).astype(np.int32)
        self.synapse_rec = _dense_synapse(
            w_rec, kwargs.get("delay_rec"), sparse=bool(kwargs.get("sparse_synapse", False)),
            num_weight_bits=kwargs.get("num_weight_bits", 8),
            weight_exp=kwargs.get("weight_exponent", 0),
            num_message_bits=self.output_message_bits,
        )
        self.neuron.s_out.connect(self.synapse_rec.s_in)
        self.synapse_rec.a_out.connect(self.neuron.a_in)


class ComplexDense(AbstractBlock):
    """Dense block of resonator neurons: ``real_synapse`` feeds ``a_real_in`` and
    ``imag_synapse`` feeds ``a_imag_in``; both read ``inp``.

    Parameters: ``shape``, ``neuron_params``, ``weight_real``, ``weight_imag`` (``(N, N_in)``),
    optional ``delay``, ``num_weight_bits``/``weight_exponent`` (pairs ``(real, imag)`` or
    scalars), ``sparse_synapse``, ``input_message_bits``.
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        if not self.is_complex:
            raise ValueError("ComplexDense needs a resonator neuron (RF, RF_IZ or ADRF)")
        bits = kwargs.get("num_weight_bits", 8)
        exps = kwargs.get("weight_exponent", 0)
        bits = bits if isinstance(bits, (tuple, list)) else (bits, bits)
        exps = exps if isinstance(exps, (tuple, list)) else (exps, exps)
        syns = []
        for i, key in enumerate(("weight_real", "weight_imag")):
            w = np.asarray(kwargs[key]).astype(np.int32)
            syns.append(_dense_synapse(
                w, kwargs.get("delay"), sparse=bool(kwargs.get("sparse_synapse", False)),
                num_weight_bits=bits[i], weight_exp=exps[i],
                num_message_bits=self.input_message_bits))
        self.real_synapse, self.imag_synapse = syns
        self.neuron = self._neuron(None)
        self.inp = InPort(shape=(self.real_synapse.s_in.shape[0],))
        self.out = OutPort(shape=self.shape)
        self.inp.connect(self.real_synapse.s_in)
        self.inp.connect(self.imag_synapse.s_in)
        self.real_synapse.a_out.connect(self.neuron.a_real_in)
        self.imag_synapse.a_out.connect(self.neuron.a_imag_in)
        self.neuron.s_out.connect(self.out)


def _xy(v: ty.Any) -> tuple[int, int]:
    a = np.asarray(v, dtype=np.int64).reshape(-1)
    if a.size == 1:
        return int(a[0]), int(a[0])
    return int(a[0]), int(a[1])


def _lava_to_torch_kernel(w: np.ndarray) -> np.ndarray:
    """Lava ``(C_out, kX, kY, C_in)`` true-convolution kernel -> torch correlation layout."""
    return np.ascontiguousarray(np.asarray(w).transpose(0, 3, 2, 1)[:, :, ::-1, ::-1])


def _conv_synapse(weight: np.ndarray, *, input_shape: tuple[int, ...], shape: tuple[int, ...],
                  stride: ty.Any, padding: ty.Any, dilation: ty.Any, groups: int,
                  delay: ty.Any, num_message_bits: int, pad_end: ty.Any = 0) -> AbstractProcess:
    if (delay is None or not np.any(np.asarray(delay))) and not np.any(np.asarray(pad_end)):
        return _syn.Conv(weight=weight, input_shape=input_shape, padding=_xy(padding),
                         stride=_xy(stride), dilation=_xy(dilation), groups=int(groups),
                         num_message_bits=int(num_message_bits))
    rev = lambda v: tuple(reversed(_xy(v)))  # noqa: E731 - (X, Y) -> (H, W)
    return _syn.DelayConv(weight=_lava_to_torch_kernel(weight), input_shape=input_shape,
                          output_shape=shape, stride=rev(stride), padding=rev(padding),
                          dilation=rev(dilation), groups=int(groups), delay=delay,
                          num_message_bits=int(num_message_bits), pad_end=rev(pad_end))


class Conv(AbstractBlock):
    """Convolution block.

    Parameters
    ----------
    shape, input_shape : tuple of int
        ``(X, Y, C)`` output and input shapes.
    neuron_params : dict
        See :class:`AbstractBlock`.
    weight : np.ndarray
        ``(C_out, kX, kY, C_in/groups)`` kernel of a true convolution (Lava layout).
    bias : array_like, optional
        Per channel or per neuron.
    stride, padding, dilation : int or (X, Y) pair
    groups : int
    delay : array_like, optional
        One delay per output channel (a :class:`~lava.lib.dl.netx.procs.synapses.DelayConv`
        synapse is used; lava-dl 0.6 ignored conv delays, bug B11).
    pad_end : int or (X, Y) pair, optional
        Zeros appended at the end of the X and Y axes of the padded input (ceil-mode pooling;
        a ``DelayConv`` synapse is used).
    input_message_bits : int
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        self.input_shape = tuple(int(s) for s in kwargs["input_shape"])
        self.synapse = self._make_synapse(kwargs, kwargs["weight"])
        if tuple(self.synapse.a_out.shape) != self.shape:
            raise ValueError(
                f"{self.block}: the convolution gives {tuple(self.synapse.a_out.shape)}, the "
                f"block shape is {self.shape}")
        self._finish(kwargs)

    def _make_synapse(self, kwargs: dict[str, ty.Any], weight: ty.Any) -> AbstractProcess:
        return _conv_synapse(
            np.asarray(weight).astype(np.int32), input_shape=self.input_shape, shape=self.shape,
            stride=kwargs.get("stride", 1), padding=kwargs.get("padding", 0),
            dilation=kwargs.get("dilation", 1), groups=kwargs.get("groups", 1),
            delay=kwargs.get("delay"), num_message_bits=self.input_message_bits,
            pad_end=kwargs.get("pad_end", 0))

    def _finish(self, kwargs: dict[str, ty.Any]) -> None:
        self.neuron = self._neuron(kwargs.get("bias"))
        self.inp = InPort(shape=self.input_shape)
        self.out = OutPort(shape=self.shape)
        self.inp.connect(self.synapse.s_in)
        self._connect_neuron_input(self.synapse.a_out)
        self.neuron.s_out.connect(self.out)


class Pool(Conv):
    """Sum-pooling block: a grouped convolution with the file's pooling weight."""


class ComplexConv(Conv):
    """Convolution block of resonator neurons: ``weight`` (real) and ``weight_imag`` kernels,
    Lava layout, feed ``a_real_in`` and ``a_imag_in``."""

    def __init__(self, **kwargs: ty.Any) -> None:
        AbstractBlock.__init__(self, **kwargs)
        if not self.is_complex:
            raise ValueError("ComplexConv needs a resonator neuron (RF, RF_IZ or ADRF)")
        self.input_shape = tuple(int(s) for s in kwargs["input_shape"])
        self.real_synapse = self._make_synapse(kwargs, kwargs["weight"])
        self.imag_synapse = self._make_synapse(kwargs, kwargs["weight_imag"])
        self.synapse = self.real_synapse
        self.neuron = self._neuron(None)
        self.inp = InPort(shape=self.input_shape)
        self.out = OutPort(shape=self.shape)
        self.inp.connect(self.real_synapse.s_in)
        self.inp.connect(self.imag_synapse.s_in)
        self.real_synapse.a_out.connect(self.neuron.a_real_in)
        self.imag_synapse.a_out.connect(self.neuron.a_imag_in)
        self.neuron.s_out.connect(self.out)


class ConvT(Conv):
    """Transposed-convolution block.

    ``weight`` is in the file (torch ``conv_transpose2d``) layout ``(C_in, C_out/groups, kH,
    kW)`` and ``stride``/``padding``/``dilation`` are ``(H, W)`` pairs; shapes are Lava order.
    ``delay`` (optional) is per output channel. Other parameters as :class:`Conv`.
    """

    def _make_synapse(self, kwargs: dict[str, ty.Any], weight: ty.Any) -> AbstractProcess:
        return _syn.ConvTranspose(
            weight=np.asarray(weight).astype(np.int64), input_shape=self.input_shape,
            output_shape=self.shape, stride=kwargs.get("stride", 1),
            padding=kwargs.get("padding", 0), dilation=kwargs.get("dilation", 1),
            groups=kwargs.get("groups", 1), delay=kwargs.get("delay"),
            num_message_bits=self.input_message_bits)


class Unpool(ConvT):
    """Unpooling block: a grouped transposed convolution with the file's pooling weight."""


class Average(Dense):
    """Population-average block: a 0/1 dense synapse sums each group of inputs into an
    :class:`~lava.lib.dl.netx.procs.routing.Identity` readout, which sends the group **sums**
    (the mean times the group size). Parameters as :class:`Dense`."""


class TimeDecimation(AbstractBlock):
    """Time-decimation block: ``inp`` feeds a
    :class:`~lava.lib.dl.netx.procs.routing.Decimate` neuron directly (no synapse, no latency).

    Parameters: ``shape`` (Lava order) and ``neuron_params`` (``neuron_proc`` = ``Decimate``
    with ``factor`` and ``phase``).
    """

    def __init__(self, **kwargs: ty.Any) -> None:
        super().__init__(**kwargs)
        self.neuron = self._neuron(None)
        self.inp = InPort(shape=self.shape)
        self.out = OutPort(shape=self.shape)
        self.inp.connect(self.neuron.a_in)
        self.neuron.s_out.connect(self.out)


class Concat(AbstractProcess):
    """Concat block: the messages arriving at ``inputs[0] ...`` in the same step, concatenated
    along the channel (last) axis, leave through ``out`` (no synapse, no latency).

    Parameters
    ----------
    shapes : sequence of tuple of int
        Lava-order shapes of the sources, in concatenation order.
    num_message_bits : int
        Width of the output messages (the widest source's).
    """

    def __init__(self, *, shapes: list[tuple[int, ...]], num_message_bits: int = 24,
                 name: str | None = None) -> None:
        shapes = [tuple(int(v) for v in s) for s in shapes]
        super().__init__(shapes=shapes, num_message_bits=num_message_bits, name=name)
        self.neuron = _routing.Concat(shapes=shapes, num_message_bits=num_message_bits)
        self.shape = tuple(self.neuron.s_out.shape)
        self.output_message_bits = int(num_message_bits)
        for i, shp in enumerate(shapes):
            port = InPort(shape=shp)
            setattr(self, f"inp_{i}", port)
            port.connect(self.neuron.inputs[i])
        self.out = OutPort(shape=self.shape)
        self.neuron.s_out.connect(self.out)

    @property
    def inputs(self) -> list[InPort]:
        """The block's input ports, in concatenation order."""
        return [getattr(self, f"inp_{i}") for i in range(len(self.proc_params["shapes"]))]

    @property
    def block(self) -> str:
        """Block class name."""
        return "Concat"

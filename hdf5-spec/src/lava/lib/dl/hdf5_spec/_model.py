"""Typed in-memory model of a network description.

A network description is an ordered list of layers, input to output. Each layer has a type (the
on-disk ``type`` string), a neuron shape in SLAYER order (``(C, H, W)`` or ``(N,)``), an optional
neuron (type and fixed-point parameters) and type-specific synapse fields. All numbers are in the
fixed-point "mantissa" units of the hardware: weights are integers scaled by :math:`2^6` (stored as
float32), decays are fractions of :math:`2^{12}`, thresholds are scaled by :math:`2^6`.

For a dense layer with weight :math:`W \\in \\mathbb{R}^{out \\times in}` the synaptic input is
:math:`a_j[t] = \\sum_i W_{ji} s_i[t - d_j]` with the optional axonal delay
:math:`d_j` (time steps).
A conv layer holds a PyTorch cross-correlation kernel of shape ``(out, in/groups, kH, kW)``.

The model is independent of the file: :func:`~lava.lib.dl.hdf5_spec.read` builds it,
:func:`~lava.lib.dl.hdf5_spec.write` stores it, :func:`~lava.lib.dl.hdf5_spec.validate` checks it.
Equality (``==``) compares every field, arrays by shape, dtype and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = [
    "FORMAT_VERSION",
    "FIRST_PARTY_NAMESPACE",
    "AverageLayer",
    "ConcatLayer",
    "ConvLayer",
    "ConvTransposeLayer",
    "DenseLayer",
    "FlattenLayer",
    "GenericLayer",
    "InputLayer",
    "KWTALayer",
    "Layer",
    "NetworkDescription",
    "Neuron",
    "PoolLayer",
    "RecurrentDenseLayer",
    "Simulation",
    "UnpoolLayer",
    "values_equal",
]

#: Format version written by this package (``major.minor``).
FORMAT_VERSION = "1.0"
#: Namespace of the layer types defined by lava-dl itself.
FIRST_PARTY_NAMESPACE = "lava-dl"


def values_equal(a: Any, b: Any) -> bool:
    """Strict equality used by the model: arrays by shape, dtype and value (NaN equals NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(values_equal(x, y) for x, y in zip(a, b, strict=False))
        )
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b if not _is_model(a) else a == b


def _is_model(x: Any) -> bool:
    return isinstance(x, (Layer, Neuron, Simulation, NetworkDescription))


def _diff(a: Any, b: Any, prefix: str) -> list[str]:
    out = []
    for f in fields(a):
        if not f.compare:
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if not values_equal(x, y):
            out.append(f"{prefix}{f.name}: {_short(x)} != {_short(y)}")
    return out


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array(shape={x.shape}, dtype={x.dtype})"
    text = repr(x)
    return text if len(text) < 80 else text[:77] + "..."


class _Comparable:
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            values_equal(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)  # type: ignore[arg-type]
            if f.compare
        )

    __hash__ = None  # type: ignore[assignment]

    def diff(self, other: Any, prefix: str = "") -> list[str]:
        """List the fields that differ from ``other`` (for test messages and debugging)."""
        if type(other) is not type(self):
            return [f"{prefix}type: {type(self).__name__} != {type(other).__name__}"]
        return _diff(self, other, prefix)


def _plain(value: Any) -> Any:
    """numpy scalars -> python scalars (so that equality and the on-disk dtype are stable)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biufSU":
        value = value[()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (np.str_, np.bytes_)):
        return value.decode() if isinstance(value, np.bytes_) else str(value)
    return value


def _int_tuple(value: Any) -> tuple[int, ...]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    items = tuple(int(v) for v in value)
    if len(items) == 1:
        return (items[0], items[0])
    return items  # type: ignore[return-value]  # a wrong length is reported by validate()


def _array(value: Any, dtype: Any = np.float32) -> np.ndarray | None:
    """Arrays are kept as given; lists and scalars become ``dtype`` arrays."""
    if value is None or isinstance(value, np.ndarray):
        return value
    return np.asarray(value, dtype=dtype)


@dataclass(eq=False)
class Neuron(_Comparable):
    """Neuron group of a layer (the on-disk ``neuron/`` group).

    Attributes
    ----------
    type : str
        Neuron family: ``'CUBA'``, ``'LOIHI'`` (legacy CUBA), ``'ALIF'``, ``'RF_PHASE'``,
        ``'RF_IZHIKEVICH'``, ``'ADRF_PHASE'``, ``'ADRF_IZHIKEVICH'``, ``'SDNN'``, or a plugin type.
    params : dict
        Every other dataset of the group under its on-disk key (``'iDecay'``, ``'vDecay'``,
        ``'vThMant'``, ``'refDelay'``, ``'gradedSpike'``, ``'activation'``, ``'sigma_output'``,
        ...). Values are python ``int``, ``float``, ``bool`` or ``str`` (or a numpy array for a
        per-neuron value). Decays are in units of :math:`2^{-12}`, thresholds in units of
        :math:`2^{-6}`.
    """

    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.type = str(self.type)
        self.params = {str(k): _plain(v) for k, v in self.params.items()}

    def get(self, key: str, default: Any = None) -> Any:
        """``params.get(key, default)``."""
        return self.params.get(key, default)


@dataclass(eq=False)
class Simulation(_Comparable):
    """The optional ``simulation/`` group.

    Attributes
    ----------
    ts : int or None
        Sampling time ``Ts`` (time steps per sample step; lava-dl writes 1).
    t_sample : int or None
        ``tSample``: number of time steps per sample.
    extra : dict
        Unknown datasets of the group, kept for round trips.
    """

    ts: int | None = None
    t_sample: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, kw_only=True)
class Layer(_Comparable):
    """Base of every layer.

    Attributes
    ----------
    type : str
        The on-disk ``type`` string (a class attribute for first-party layers).
    shape : tuple of int
        Neuron shape exactly as stored, SLAYER order: ``(C, H, W)`` or ``(N,)`` (some legacy
        files store ``(N, 1, 1)``).
    neuron : Neuron or None
        The neuron group; ``None`` for layers without dynamics (flatten, an affine readout
        without dynamics, a neuron-less input).
    namespace : str
        Namespace of the type (``'lava-dl'`` for first-party types).
    encoding_version : int
        Version of this layer type's encoding (per-layer attribute ``encoding_version``).
    extra : dict
        Unknown optional fields (datasets: numpy arrays; groups: nested dicts), kept so that a
        round trip does not lose them.
    """

    type = ""
    shape: tuple[int, ...] = ()
    neuron: Neuron | None = None
    namespace: str = FIRST_PARTY_NAMESPACE
    encoding_version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shape = _int_tuple(self.shape)

    @property
    def key(self) -> str:
        """Registry key ``'<namespace>/<type>'``."""
        return f"{self.namespace}/{self.type}"

    @property
    def num_neurons(self) -> int:
        """Product of :attr:`shape`."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 0


@dataclass(eq=False, kw_only=True)
class InputLayer(Layer):
    """``input``: the input neurons (encoder), with an optional scalar input transform.

    Attributes
    ----------
    weight, bias : float or None
        Input gain and offset in weight units (real value times 64); stored on disk as a float32
        scalar or ``(1,)`` array.
    """

    type = "input"
    weight: float | None = None
    bias: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("weight", "bias"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, float):
                arr = np.asarray(value)
                if arr.size == 1:
                    setattr(self, name, float(arr.reshape(())))


@dataclass(eq=False, kw_only=True)
class FlattenLayer(Layer):
    """``flatten``: the next dense layer reads the previous output flattened in (C, H, W) order."""

    type = "flatten"


@dataclass(eq=False, kw_only=True)
class DenseLayer(Layer):
    """``dense``: fully connected synapse (also the affine readout, with or without neuron).

    Attributes
    ----------
    in_features, out_features : int
        Synapse sizes (``inFeatures``, ``outFeatures``).
    weight : numpy.ndarray
        ``(out, in)`` float32 weight mantissas (the real part for a complex synapse).
    weight_imag : numpy.ndarray or None
        ``(out, in)`` imaginary part; present for complex (resonate-and-fire) synapses, which are
        stored as ``weight/real`` and ``weight/imag``.
    bias : numpy.ndarray or None
        ``(out,)`` bias mantissas (float32; float64 in some legacy files).
    delay : numpy.ndarray or None
        ``(out,)`` axonal delays in time steps (float32, never clamped by this package).
    """

    type = "dense"
    in_features: int = 0
    out_features: int = 0
    weight: np.ndarray | None = None
    weight_imag: np.ndarray | None = None
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.in_features = int(self.in_features)
        self.out_features = int(self.out_features)
        for name in ("weight", "weight_imag", "bias", "delay"):
            setattr(self, name, _array(getattr(self, name)))

    @property
    def is_complex(self) -> bool:
        """True for a complex synapse (``weight_imag`` present)."""
        return self.weight_imag is not None


@dataclass(eq=False, kw_only=True)
class RecurrentDenseLayer(DenseLayer):
    """``dense_rec``: dense input synapse plus a recurrent synapse.

    Attributes
    ----------
    weight_rec : numpy.ndarray
        ``(out, out)`` float32 recurrent weight mantissas.
    """

    type = "dense_rec"
    weight_rec: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.weight_rec = _array(self.weight_rec)


@dataclass(eq=False, kw_only=True)
class KWTALayer(DenseLayer):
    """``kwta``: k-winners-take-all layer (dense input synapse plus fixed lateral inhibition).

    The recurrent weight is :math:`R = (1 + a) I - 1` with ``a = self_excitation``; lava-dl 0.6
    wrote an empty group for this block, so the format defines it here.

    Attributes
    ----------
    num_winners : int
        ``numWinners``: the number K of winners.
    self_excitation : float
        ``selfExcitation``: a in [0, 1].
    """

    type = "kwta"
    num_winners: int = 0
    self_excitation: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        self.num_winners = int(self.num_winners)
        self.self_excitation = float(self.self_excitation)


@dataclass(eq=False, kw_only=True)
class ConvLayer(Layer):
    """``conv``: 2-D convolution (PyTorch cross-correlation layout).

    Attributes
    ----------
    in_channels, out_channels, groups : int
        ``inChannels``, ``outChannels``, ``groups``.
    kernel_size, stride, padding, dilation : tuple of int
        ``(H, W)`` pairs (``kernelSize``, ``stride``, ``padding``, ``dilation``).
    weight : numpy.ndarray
        ``(out, in/groups, kH, kW)`` float32 (a trailing singleton time axis on disk is dropped).
    weight_imag : numpy.ndarray or None
        Imaginary part of a complex synapse, same shape.
    bias, delay : numpy.ndarray or None
        ``(out,)`` bias mantissas; delays in time steps.
    """

    type = "conv"
    in_channels: int = 0
    out_channels: int = 0
    kernel_size: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    weight: np.ndarray | None = None
    weight_imag: np.ndarray | None = None
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.in_channels = int(self.in_channels)
        self.out_channels = int(self.out_channels)
        self.groups = int(self.groups)
        for name in ("kernel_size", "stride", "padding", "dilation"):
            setattr(self, name, _pair(getattr(self, name)))
        for name in ("weight", "weight_imag", "bias", "delay"):
            setattr(self, name, _array(getattr(self, name)))

    @property
    def is_complex(self) -> bool:
        """True for a complex synapse (``weight_imag`` present)."""
        return self.weight_imag is not None


@dataclass(eq=False, kw_only=True)
class ConvTransposeLayer(ConvLayer):
    """``convT``: transposed convolution; ``weight`` is ``(in, out/groups, kH, kW)``."""

    type = "convT"


@dataclass(eq=False, kw_only=True)
class PoolLayer(Layer):
    """``pool``: spiking sum pooling with a (usually uniform) kernel.

    Attributes
    ----------
    kernel_size, stride, padding, dilation : tuple of int
        ``(H, W)`` pairs.
    weight : numpy.ndarray or None
        ``(1, 1, kH, kW)`` float32 kernel (or a scalar array ``()``) in weight units.
    weight_imag : numpy.ndarray or None
        Imaginary part for complex neurons.
    delay : numpy.ndarray or None
        Axonal delays in time steps.
    """

    type = "pool"
    kernel_size: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    weight: np.ndarray | None = None
    weight_imag: np.ndarray | None = None
    delay: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("kernel_size", "stride", "padding", "dilation"):
            setattr(self, name, _pair(getattr(self, name)))
        for name in ("weight", "weight_imag", "delay"):
            setattr(self, name, _array(getattr(self, name)))


@dataclass(eq=False, kw_only=True)
class UnpoolLayer(PoolLayer):
    """``unpool``: the transposed pooling, same fields as :class:`PoolLayer`."""

    type = "unpool"


@dataclass(eq=False, kw_only=True)
class AverageLayer(Layer):
    """``average``: population averaging (slayer ``Average``) or time decimation.

    Attributes
    ----------
    num_outputs : int or None
        ``numOutputs``: number of output groups (population averaging); ``None`` if not stored.
    factor : int or None
        ``factor``: time decimation factor (slayer ``TimeDecimation``); ``None`` otherwise.
    """

    type = "average"
    num_outputs: int | None = None
    factor: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_outputs is not None:
            self.num_outputs = int(self.num_outputs)
        if self.factor is not None:
            self.factor = int(self.factor)


@dataclass(eq=False, kw_only=True)
class ConcatLayer(Layer):
    """``concat``: concatenation of the outputs of earlier layers (skip connections).

    Attributes
    ----------
    layers : tuple of int
        Indices of the layers whose outputs are concatenated along the channel axis, in order;
        each must be smaller than this layer's index.
    """

    type = "concat"
    layers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        self.layers = _int_tuple(self.layers)


@dataclass(eq=False, kw_only=True)
class GenericLayer(Layer):
    """A layer whose type has no registered spec (for example a third-party plugin type).

    Attributes
    ----------
    type : str
        The on-disk type string.
    fields : dict
        Every dataset (numpy array) and group (nested dict) of the layer except ``type``,
        ``shape`` and ``neuron``, kept verbatim.
    """

    type: str = ""  # type: ignore[misc]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, kw_only=True)
class NetworkDescription(_Comparable):
    """A whole network description (one ``.net`` file).

    Attributes
    ----------
    layers : list of Layer
        In index order (``layer/0``, ``layer/1``, ...).
    simulation : Simulation or None
        The ``simulation`` group, if present.
    format_version : str or None
        ``"major.minor"``; ``None`` for a legacy (lava-dl <= 0.6) file.
    writer : str or None
        Root attribute ``writer`` (name and version of the producing software); provenance
        only, not compared by ``==``.
    required_extensions : tuple of str
        Extensions a reader must understand to use the file.
    extra : dict
        Unknown root-level datasets/groups and attributes (``'@attrs'`` key), kept for round
        trips.
    source : str or None
        The file it was read from (not compared by ``==``).
    """

    layers: list[Layer] = field(default_factory=list)
    simulation: Simulation | None = None
    format_version: str | None = FORMAT_VERSION
    writer: str | None = field(default=None, compare=False)
    required_extensions: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.layers = list(self.layers)
        self.required_extensions = tuple(str(x) for x in self.required_extensions)

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Sorted namespaces of the layer types used."""
        return tuple(sorted({layer.namespace for layer in self.layers}))

    @property
    def is_legacy(self) -> bool:
        """True when read from a file without ``format_version``."""
        return self.format_version is None

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):  # noqa: D105
        return iter(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def diff(self, other: Any, prefix: str = "") -> list[str]:
        """List the differences from ``other``, layer by layer."""
        if not isinstance(other, NetworkDescription):
            return [f"{prefix}type: NetworkDescription != {type(other).__name__}"]
        out = []
        for f in fields(self):
            if f.name == "layers" or not f.compare:
                continue
            if not values_equal(getattr(self, f.name), getattr(other, f.name)):
                out.append(f"{prefix}{f.name}: {_short(getattr(self, f.name))} != "
                           f"{_short(getattr(other, f.name))}")
        if len(self.layers) != len(other.layers):
            out.append(f"{prefix}len(layers): {len(self.layers)} != {len(other.layers)}")
        for i, (a, b) in enumerate(zip(self.layers, other.layers, strict=False)):
            out.extend(a.diff(b, prefix=f"{prefix}layer/{i}."))
        return out

"""Field specifications: the single source of truth of the format.

:data:`LAYER_SPECS` maps ``'<namespace>/<type>'`` to a :class:`LayerSpec` and
:data:`NEURON_SPECS` maps a neuron type to a :class:`NeuronSpec`. The reader, the writer, the
validator and the generated field tables of the normative document (``spec/fields.md``) are all
driven by these objects. A *codec* (:data:`CODECS`) says how one field is stored on disk: dtype,
rank, and how it maps to the model attribute.

Plugins add layer types with :func:`register_layer_spec` (a namespaced key such as
``'acme/gated'``) and neuron types with :func:`register_neuron_spec`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from ._h5 import Context, read_dataset
from ._model import (
    FIRST_PARTY_NAMESPACE,
    AverageLayer,
    ConcatLayer,
    ConvLayer,
    ConvTransposeLayer,
    DenseLayer,
    FlattenLayer,
    InputLayer,
    KWTALayer,
    PoolLayer,
    RecurrentDenseLayer,
    UnpoolLayer,
)

__all__ = [
    "CODECS",
    "LAYER_SPECS",
    "NEURON_SPECS",
    "COMMON_NEURON_FIELDS",
    "Codec",
    "FieldSpec",
    "LayerSpec",
    "NeuronField",
    "NeuronSpec",
    "known_extensions",
    "register_codec",
    "register_extension",
    "register_layer_spec",
    "register_neuron_spec",
    "render_field_tables",
]

Problem = tuple[str, str]  # (field, message)


# --------------------------------------------------------------------------------------------
# codecs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    """How one field is stored.

    Attributes
    ----------
    name : str
        Registry key.
    disk : str
        On-disk dtype and rank, for the docs.
    read : callable
        ``read(obj, ctx, spec) -> dict[attr, value]`` for the h5py object ``obj``.
    write : callable
        ``write(group, spec, layer)``; called only when the field is present.
    check : callable
        ``check(value, spec) -> list[str]``: dtype/type problems of a model value.
    """

    name: str
    disk: str
    read: Callable[[Any, Context, FieldSpec], dict[str, Any]]
    write: Callable[[h5py.Group, FieldSpec, Any], None]
    check: Callable[[Any, FieldSpec], list[str]]


CODECS: dict[str, Codec] = {}


def register_codec(codec: Codec) -> None:
    """Add a codec (plugins may define their own field encodings)."""
    if codec.name in CODECS and CODECS[codec.name] is not codec:
        raise ValueError(f"codec {codec.name!r} is already registered")
    CODECS[codec.name] = codec


def _scalar_int(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = read_dataset(obj, ctx, spec.name, kinds="iu", ndims=(0, 1))
    arr = np.asarray(value)
    if arr.size != 1:
        raise ctx.error(f"expected one integer, found shape {arr.shape}", spec.name)
    return {spec.attr: int(arr.reshape(()))}


def _write_int(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    group.create_dataset(spec.name, data=np.int64(getattr(layer, spec.attr)))


def _check_int(value: Any, spec: FieldSpec) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return [f"must be an integer, got {type(value).__name__}"]
    return []


def _pair_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = np.asarray(read_dataset(obj, ctx, spec.name, kinds="iu", ndims=(0, 1)))
    flat = value.reshape(-1)
    if flat.size == 1:
        return {spec.attr: (int(flat[0]), int(flat[0]))}
    if flat.size != 2:
        raise ctx.error(f"expected an (H, W) pair, found shape {value.shape}", spec.name)
    return {spec.attr: (int(flat[0]), int(flat[1]))}


def _pair_write(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    group.create_dataset(spec.name, data=np.asarray(getattr(layer, spec.attr), dtype=np.int64))


def _pair_check(value: Any, spec: FieldSpec) -> list[str]:
    if not isinstance(value, tuple) or len(value) != 2:
        return [f"must be an (H, W) pair, got {value!r}"]
    return []


def _ints_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = np.asarray(read_dataset(obj, ctx, spec.name, kinds="iu", ndims=(0, 1)))
    return {spec.attr: tuple(int(v) for v in value.reshape(-1))}


def _ints_check(value: Any, spec: FieldSpec) -> list[str]:
    if not isinstance(value, tuple):
        return [f"must be a tuple of integers, got {type(value).__name__}"]
    return []


def _float_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = np.asarray(read_dataset(obj, ctx, spec.name, kinds="fiu", ndims=(0, 1)))
    if value.size != 1:
        raise ctx.error(f"expected one number, found shape {value.shape}", spec.name)
    return {spec.attr: float(value.reshape(()))}


def _float_write(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    group.create_dataset(spec.name, data=np.float64(getattr(layer, spec.attr)))


def _float_check(value: Any, spec: FieldSpec) -> list[str]:
    if not isinstance(value, float):
        return [f"must be a float, got {type(value).__name__}"]
    if not np.isfinite(value):
        return [f"must be finite, got {value}"]
    return []


def _scalar1_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = np.asarray(read_dataset(obj, ctx, spec.name, kinds="fiu", ndims=(0, 1)))
    if value.size != 1:
        raise ctx.error(f"expected a scalar or a (1,) array, found shape {value.shape}", spec.name)
    return {spec.attr: float(value.reshape(()))}


def _scalar1_write(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    group.create_dataset(
        spec.name, data=np.asarray([getattr(layer, spec.attr)], dtype=np.float32)
    )


def _scalar1_check(value: Any, spec: FieldSpec) -> list[str]:
    problems = _float_check(value, spec)
    if not problems and float(np.float32(value)) != value:
        problems.append(f"{value!r} is not representable as float32")
    return problems


def _array_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    value = read_dataset(obj, ctx, spec.name, kinds="f")
    return {spec.attr: np.array(value)}


def _array_write(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    group.create_dataset(spec.name, data=getattr(layer, spec.attr))


def _check_array(value: Any, spec: FieldSpec, name: str | None = None) -> list[str]:
    label = f"{name}: " if name else ""
    if not isinstance(value, np.ndarray):
        return [f"{label}must be a numpy array, got {type(value).__name__}"]
    if value.dtype.name not in spec.dtypes:
        want = " or ".join(spec.dtypes)
        return [f"{label}dtype {value.dtype} is not allowed; expected {want} "
                f"(cast with .astype(np.{spec.dtypes[0]}))"]
    bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
    if bad:
        return [f"{label}{bad} non-finite value(s) (NaN or inf)"]
    return []


def _weight_read(obj: Any, ctx: Context, spec: FieldSpec) -> dict[str, Any]:
    if isinstance(obj, h5py.Group):
        keys = set(obj.keys())
        if keys != {"real", "imag"}:
            raise ctx.error(
                f"a complex weight group must hold exactly 'real' and 'imag', found {sorted(keys)}",
                spec.name,
            )
        real = read_dataset(obj["real"], ctx, f"{spec.name}/real", kinds="f")
        imag = read_dataset(obj["imag"], ctx, f"{spec.name}/imag", kinds="f")
        return {spec.attr: np.array(real), spec.imag_attr: np.array(imag)}
    value = read_dataset(obj, ctx, spec.name, kinds="f")
    return {spec.attr: np.array(value)}


def _weight_write(group: h5py.Group, spec: FieldSpec, layer: Any) -> None:
    imag = getattr(layer, spec.imag_attr) if spec.imag_attr else None
    if imag is None:
        group.create_dataset(spec.name, data=getattr(layer, spec.attr))
    else:
        sub = group.create_group(spec.name)
        sub.create_dataset("real", data=getattr(layer, spec.attr))
        sub.create_dataset("imag", data=imag)


for _codec in (
    Codec("int", "int64 scalar", _scalar_int, _write_int, _check_int),
    Codec("pair", "int64 (2,) in (H, W) order", _pair_read, _pair_write, _pair_check),
    Codec("ints", "int64 (k,)", _ints_read, _pair_write, _ints_check),
    Codec("float", "float64 scalar", _float_read, _float_write, _float_check),
    Codec("scalar1", "float32 (1,) (legacy: scalar ())", _scalar1_read, _scalar1_write,
          _scalar1_check),
    Codec("array", "float array", _array_read, _array_write,
          lambda v, s: _check_array(v, s)),
    Codec("weight", "float32 array, or group {real, imag} for a complex synapse", _weight_read,
          _weight_write, lambda v, s: _check_array(v, s)),
):
    register_codec(_codec)


# --------------------------------------------------------------------------------------------
# field, layer and neuron specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One on-disk field of a layer type.

    Attributes
    ----------
    name : str
        On-disk key (``'inFeatures'``).
    attr : str
        Model attribute (``'in_features'``).
    codec : str
        Key of :data:`CODECS`.
    required : bool
        Whether a file MUST contain it.
    shape : str
        Shape rule, for the docs (``'(out, in)'``).
    description : str
        Meaning and units.
    dtypes : tuple of str
        Allowed numpy dtypes of array values in the model (the first is the one to use).
    imag_attr : str or None
        For the ``weight`` codec: the model attribute of the imaginary part.
    """

    name: str
    attr: str
    codec: str
    required: bool = False
    shape: str = "()"
    description: str = ""
    dtypes: tuple[str, ...] = ("float32",)
    imag_attr: str | None = None

    def present(self, layer: Any) -> bool:
        """Whether the model ``layer`` holds a value for this field."""
        return getattr(layer, self.attr, None) is not None


@dataclass(frozen=True)
class LayerSpec:
    """Specification of one layer type.

    Attributes
    ----------
    type : str
        The on-disk ``type`` string.
    cls : type
        The model class.
    fields : tuple of FieldSpec
        Fields besides ``type``, ``shape`` and ``neuron``.
    namespace : str
        ``'lava-dl'`` for first-party types.
    neuron : str
        ``'required'``, ``'optional'`` or ``'forbidden'``.
    description : str
        Prose for the docs.
    checks : tuple of callable
        ``check(layer) -> list[(field, message)]`` consistency rules (run by :func:`validate`).
    fixups : tuple of callable
        ``fixup(kwargs) -> None`` applied by the reader to the decoded fields before the model
        is built (legacy layout normalisation).
    encoding_version : int
        Current encoding version of the type.
    netx_06 : bool
        Whether lava-dl 0.6's netx can load this type.
    """

    type: str
    cls: type
    fields: tuple[FieldSpec, ...] = ()
    namespace: str = FIRST_PARTY_NAMESPACE
    neuron: str = "optional"
    description: str = ""
    checks: tuple[Callable[[Any], list[Problem]], ...] = ()
    fixups: tuple[Callable[[dict[str, Any]], None], ...] = ()
    encoding_version: int = 1
    netx_06: bool = False

    @property
    def key(self) -> str:
        """``'<namespace>/<type>'``."""
        return f"{self.namespace}/{self.type}"


@dataclass(frozen=True)
class NeuronField:
    """One dataset of a ``neuron`` group.

    Attributes
    ----------
    name : str
        On-disk key.
    kind : str
        ``'int'`` (int64), ``'bool'``, ``'str'`` (variable-length) or ``'float'`` (float64).
    required : bool
        Whether the group MUST contain it.
    range : tuple or None
        Inclusive ``(low, high)`` bounds (``None`` for unbounded sides).
    description : str
        Meaning and units.
    """

    name: str
    kind: str
    required: bool = False
    range: tuple[float | None, float | None] | None = None
    description: str = ""


@dataclass(frozen=True)
class NeuronSpec:
    """Specification of one neuron type (the ``neuron/type`` value)."""

    type: str
    fields: tuple[NeuronField, ...]
    description: str = ""
    netx_06: bool = False

    def field(self, name: str) -> NeuronField | None:
        """The field called ``name``, or one of :data:`COMMON_NEURON_FIELDS`."""
        for f in self.fields + COMMON_NEURON_FIELDS:
            if f.name == name:
                return f
        return None


LAYER_SPECS: dict[str, LayerSpec] = {}
NEURON_SPECS: dict[str, NeuronSpec] = {}
_EXTENSIONS: set[str] = set()


def register_layer_spec(spec: LayerSpec, *, replace: bool = False) -> None:
    """Register a layer type (plugins: a namespace other than ``'lava-dl'``).

    Raises
    ------
    ValueError
        If the key is taken (pass ``replace=True`` to override deliberately), or a field uses an
        unknown codec.
    """
    for f in spec.fields:
        if f.codec not in CODECS:
            raise ValueError(f"layer spec {spec.key!r}: field {f.name!r} uses unknown codec "
                             f"{f.codec!r}; known: {sorted(CODECS)}")
    if spec.key in LAYER_SPECS and not replace and LAYER_SPECS[spec.key] is not spec:
        raise ValueError(f"layer type {spec.key!r} is already registered; pass replace=True")
    LAYER_SPECS[spec.key] = spec


def register_neuron_spec(spec: NeuronSpec, *, replace: bool = False) -> None:
    """Register a neuron type."""
    if spec.type in NEURON_SPECS and not replace and NEURON_SPECS[spec.type] is not spec:
        raise ValueError(f"neuron type {spec.type!r} is already registered; pass replace=True")
    NEURON_SPECS[spec.type] = spec


def register_extension(name: str) -> None:
    """Declare that this installation understands the extension ``name``."""
    _EXTENSIONS.add(str(name))


def known_extensions() -> frozenset[str]:
    """Extensions a file may require: registered names plus every namespace with a layer spec."""
    return frozenset(_EXTENSIONS | {s.namespace for s in LAYER_SPECS.values()})


# --- consistency checks ----------------------------------------------------------------------


def _check_dense(layer: DenseLayer) -> list[Problem]:
    out: list[Problem] = []
    n_out, n_in = layer.out_features, layer.in_features
    if n_out <= 0:
        out.append(("outFeatures", f"must be positive, got {n_out}"))
    if n_in <= 0:
        out.append(("inFeatures", f"must be positive, got {n_in}"))
    for attr, name in (("weight", "weight"), ("weight_imag", "weight/imag")):
        w = getattr(layer, attr)
        if isinstance(w, np.ndarray) and w.shape != (n_out, n_in):
            out.append((name, f"shape {w.shape} does not match (outFeatures, inFeatures) = "
                              f"({n_out}, {n_in})"))
    if isinstance(layer.bias, np.ndarray) and layer.bias.shape != (n_out,):
        out.append(("bias", f"shape {layer.bias.shape} does not match (outFeatures,) = ({n_out},)"))
    if isinstance(layer.delay, np.ndarray):
        if layer.delay.shape not in ((n_out,), (n_in,), ()):
            out.append(("delay", f"shape {layer.delay.shape} must be (outFeatures,) = ({n_out},)"))
        elif np.size(layer.delay) and np.all(np.isfinite(layer.delay)) and \
                float(np.min(layer.delay)) < 0:
            out.append(("delay", f"delays must be >= 0, found {float(np.min(layer.delay))}"))
    if layer.shape and layer.num_neurons != n_out and n_out > 0:
        out.append(("shape", f"{layer.shape} holds {layer.num_neurons} neurons but outFeatures "
                             f"is {n_out}"))
    return out


def _check_dense_rec(layer: RecurrentDenseLayer) -> list[Problem]:
    n = layer.out_features
    w = layer.weight_rec
    if isinstance(w, np.ndarray) and w.shape != (n, n):
        return [("weight_rec", f"shape {w.shape} does not match (outFeatures, outFeatures) = "
                               f"({n}, {n})")]
    return []


def _check_kwta(layer: KWTALayer) -> list[Problem]:
    out: list[Problem] = []
    if not 1 <= layer.num_winners <= max(layer.out_features, 1):
        out.append(("numWinners", f"must be in [1, outFeatures={layer.out_features}], "
                                  f"got {layer.num_winners}"))
    if not 0.0 <= layer.self_excitation <= 1.0:
        out.append(("selfExcitation", f"must be in [0, 1], got {layer.self_excitation}"))
    return out


def _check_window(layer: Any) -> list[Problem]:
    out: list[Problem] = []
    for attr, name, low in (("kernel_size", "kernelSize", 1), ("stride", "stride", 1),
                            ("padding", "padding", 0), ("dilation", "dilation", 1)):
        value = getattr(layer, attr)
        if isinstance(value, tuple) and any(v < low for v in value):
            out.append((name, f"values must be >= {low}, got {value}"))
    return out


def _check_conv(layer: ConvLayer) -> list[Problem]:
    out = _check_window(layer)
    cin, cout, g = layer.in_channels, layer.out_channels, layer.groups
    for value, name in ((cin, "inChannels"), (cout, "outChannels"), (g, "groups")):
        if value <= 0:
            out.append((name, f"must be positive, got {value}"))
    if out:
        return out
    if cin % g or cout % g:
        out.append(("groups", f"{g} must divide inChannels={cin} and outChannels={cout}"))
        return out
    kh, kw = layer.kernel_size
    if isinstance(layer, ConvTransposeLayer):
        expected = (cin, cout // g, kh, kw)
        rule = "(inChannels, outChannels/groups, kH, kW)"
    else:
        expected = (cout, cin // g, kh, kw)
        rule = "(outChannels, inChannels/groups, kH, kW)"
    for attr, name in (("weight", "weight"), ("weight_imag", "weight/imag")):
        w = getattr(layer, attr)
        if isinstance(w, np.ndarray) and w.shape != expected:
            out.append((name, f"shape {w.shape} does not match {rule} = {expected}"))
    if isinstance(layer.bias, np.ndarray) and layer.bias.shape != (cout,):
        out.append(("bias", f"shape {layer.bias.shape} does not match (outChannels,) = ({cout},)"))
    if isinstance(layer.delay, np.ndarray) and layer.delay.shape not in ((cout,), ()):
        out.append(("delay", f"shape {layer.delay.shape} must be (outChannels,) = ({cout},)"))
    if len(layer.shape) == 3 and layer.shape[0] != cout:
        out.append(("shape", f"{layer.shape} has {layer.shape[0]} channels but outChannels is "
                             f"{cout}"))
    elif layer.shape and len(layer.shape) != 3:
        out.append(("shape", f"{layer.shape} must be (C, H, W)"))
    return out


def _check_pool(layer: PoolLayer) -> list[Problem]:
    out = _check_window(layer)
    kh, kw = layer.kernel_size
    for attr, name in (("weight", "weight"), ("weight_imag", "weight/imag")):
        w = getattr(layer, attr)
        if isinstance(w, np.ndarray) and w.shape not in ((1, 1, kh, kw), ()):
            out.append((name, f"shape {w.shape} must be (1, 1, kH, kW) = (1, 1, {kh}, {kw}) "
                              f"or a scalar"))
    return out


def _check_average(layer: AverageLayer) -> list[Problem]:
    out: list[Problem] = []
    if layer.num_outputs is not None and layer.num_outputs <= 0:
        out.append(("numOutputs", f"must be positive, got {layer.num_outputs}"))
    f = layer.factor
    if f is not None and (f <= 0 or f & (f - 1)):
        out.append(("factor", f"must be a positive power of two, got {f}"))
    return out


def _check_concat(layer: ConcatLayer) -> list[Problem]:
    if not layer.layers:
        return [("layers", "must list at least one earlier layer index")]
    if any(i < 0 for i in layer.layers):
        return [("layers", f"indices must be >= 0, got {layer.layers}")]
    return []


# --- reader fixups for the legacy layout -----------------------------------------------------


def _squeeze_time_axis(kwargs: dict[str, Any]) -> None:
    """lava-dl <= 0.5 wrote conv kernels with a trailing singleton time axis."""
    for attr in ("weight", "weight_imag"):
        w = kwargs.get(attr)
        if isinstance(w, np.ndarray) and w.ndim == 5 and w.shape[-1] == 1:
            kwargs[attr] = w[..., 0]


def _dense_row_vector(kwargs: dict[str, Any]) -> None:
    """A single-output dense layer may store its weight as (in,) instead of (1, in)."""
    for attr in ("weight", "weight_imag"):
        w = kwargs.get(attr)
        if isinstance(w, np.ndarray) and w.ndim == 1 and kwargs.get("out_features") == 1:
            kwargs[attr] = w.reshape(1, -1)


# --- first-party layer specs -----------------------------------------------------------------

_W = "weight mantissas (real weight x 64), float32"


def _dense_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("inFeatures", "in_features", "int", True, "()", "number of inputs"),
        FieldSpec("outFeatures", "out_features", "int", True, "()", "number of outputs"),
        FieldSpec("weight", "weight", "weight", True, "(outFeatures, inFeatures)",
                  f"{_W}; a complex synapse stores the group weight/real + weight/imag",
                  imag_attr="weight_imag"),
        FieldSpec("bias", "bias", "array", False, "(outFeatures,)",
                  "bias mantissas (x 64); float32 (float64 accepted from legacy files)",
                  dtypes=("float32", "float64")),
        FieldSpec("delay", "delay", "array", False, "(outFeatures,)",
                  "axonal delay per output neuron in time steps (integers, never clamped)"),
    )


_CONV_FIELDS = (
    FieldSpec("inChannels", "in_channels", "int", True, "()", "input channels"),
    FieldSpec("outChannels", "out_channels", "int", True, "()", "output channels"),
    FieldSpec("kernelSize", "kernel_size", "pair", True, "(2,)", "kernel (kH, kW)"),
    FieldSpec("stride", "stride", "pair", True, "(2,)", "stride (H, W)"),
    FieldSpec("padding", "padding", "pair", True, "(2,)", "zero padding (H, W)"),
    FieldSpec("dilation", "dilation", "pair", True, "(2,)", "dilation (H, W)"),
    FieldSpec("groups", "groups", "int", True, "()", "channel groups"),
    FieldSpec("weight", "weight", "weight", True, "(outChannels, inChannels/groups, kH, kW)",
              f"{_W}, PyTorch cross-correlation layout; legacy files may add a trailing "
              f"singleton axis", imag_attr="weight_imag"),
    FieldSpec("bias", "bias", "array", False, "(outChannels,)", "bias mantissas (x 64)",
              dtypes=("float32", "float64")),
    FieldSpec("delay", "delay", "array", False, "(outChannels,)",
              "axonal delay per output channel in time steps"),
)

_POOL_FIELDS = (
    FieldSpec("kernelSize", "kernel_size", "pair", True, "(2,)", "window (kH, kW)"),
    FieldSpec("stride", "stride", "pair", True, "(2,)", "stride (H, W)"),
    FieldSpec("padding", "padding", "pair", True, "(2,)", "zero padding (H, W)"),
    FieldSpec("dilation", "dilation", "pair", True, "(2,)", "dilation (H, W)"),
    FieldSpec("weight", "weight", "weight", False, "(1, 1, kH, kW) or ()",
              f"pooling kernel, {_W}", imag_attr="weight_imag"),
    FieldSpec("delay", "delay", "array", False, "(C,) or ()",
              "axonal delay in time steps"),
)

for _spec in (
    LayerSpec("input", InputLayer, (
        FieldSpec("weight", "weight", "scalar1", False, "(1,)", "input gain (x 64)"),
        FieldSpec("bias", "bias", "scalar1", False, "(1,)", "input offset (x 64)"),
    ), description="Input neurons (encoder). Without a neuron group only `shape` is used.",
        netx_06=True),
    LayerSpec("flatten", FlattenLayer, (), neuron="forbidden",
              description="Marks that the next dense layer reads the previous (C, H, W) output "
                          "flattened in C order. `shape` is informative.", netx_06=True),
    LayerSpec("dense", DenseLayer, _dense_fields(), checks=(_check_dense,),
              fixups=(_dense_row_vector,),
              description="Fully connected synapse plus neurons. Also the affine readout, with "
                          "(dynamics) or without a neuron group.", netx_06=True),
    LayerSpec("dense_rec", RecurrentDenseLayer, _dense_fields() + (
        FieldSpec("weight_rec", "weight_rec", "array", True, "(outFeatures, outFeatures)",
                  f"recurrent {_W}"),
    ), checks=(_check_dense, _check_dense_rec), description="Dense layer with a recurrent "
              "synapse from its own output.", netx_06=True),
    LayerSpec("kwta", KWTALayer, _dense_fields() + (
        FieldSpec("numWinners", "num_winners", "int", True, "()", "number of winners K"),
        FieldSpec("selfExcitation", "self_excitation", "float", True, "()",
                  "self excitation a in [0, 1]; lateral weight (1 + a) I - 1"),
    ), checks=(_check_dense, _check_kwta), neuron="required",
        description="k-winners-take-all layer (lava-dl 0.6 exported an empty group)."),
    LayerSpec("conv", ConvLayer, _CONV_FIELDS, checks=(_check_conv,), fixups=(_squeeze_time_axis,),
              description="2-D convolution synapse plus neurons.", netx_06=True),
    LayerSpec("convT", ConvTransposeLayer, _CONV_FIELDS[:7] + (
        FieldSpec("weight", "weight", "weight", True, "(inChannels, outChannels/groups, kH, kW)",
                  f"{_W}, PyTorch ConvTranspose2d layout", imag_attr="weight_imag"),
    ) + _CONV_FIELDS[8:], checks=(_check_conv,), fixups=(_squeeze_time_axis,),
        description="2-D transposed convolution synapse plus neurons."),
    LayerSpec("pool", PoolLayer, _POOL_FIELDS, checks=(_check_pool,),
              fixups=(_squeeze_time_axis,), description="Sum pooling synapse plus neurons."),
    LayerSpec("unpool", UnpoolLayer, _POOL_FIELDS, checks=(_check_pool,),
              fixups=(_squeeze_time_axis,), description="Unpooling synapse plus neurons."),
    LayerSpec("average", AverageLayer, (
        FieldSpec("numOutputs", "num_outputs", "int", False, "()",
                  "population averaging: number of output groups"),
        FieldSpec("factor", "factor", "int", False, "()",
                  "time decimation: power-of-two factor"),
    ), checks=(_check_average,), neuron="optional",
        description="Population average (slayer Average) or time decimation."),
    LayerSpec("concat", ConcatLayer, (
        FieldSpec("layers", "layers", "ints", True, "(k,)",
                  "indices of earlier layers concatenated along channels"),
    ), checks=(_check_concat,), neuron="forbidden",
        description="Concatenation of earlier layers' outputs (skip connections)."),
):
    register_layer_spec(_spec)


# --- neuron specs ----------------------------------------------------------------------------

_DEC = (0, 4096)


def _nf(name: str, kind: str, required: bool = True, rng: Any = None, desc: str = "") \
        -> NeuronField:
    return NeuronField(name, kind, required, rng, desc)


_I_DECAY = _nf("iDecay", "int", True, _DEC, "current decay, units of 1/4096")
_V_DECAY = _nf("vDecay", "int", True, _DEC, "voltage decay, units of 1/4096")
_VTH = _nf("vThMant", "int", True, (0, None), "threshold mantissa (threshold x 64)")
_REF_DELAY = _nf("refDelay", "int", False, (0, None), "refractory delay in steps (1: none)")
_GRADED = _nf("gradedSpike", "bool", False, None, "graded (payload) spikes")
_TH_DECAY = _nf("thDecay", "int", True, _DEC, "threshold decay, units of 1/4096")
_REF_DECAY = _nf("refDecay", "int", True, _DEC, "refractory state decay, units of 1/4096")
_VTH_STEP = _nf("vThStep", "int", True, (0, None), "threshold step per spike (x 64)")
_SIN = _nf("sinDecay", "int", True, (-4096, 4096), "4096 (1 - decay) sin(2 pi / period)")
_COS = _nf("cosDecay", "int", True, (-4096, 4096), "4096 (1 - decay) cos(2 pi / period)")

#: Optional fields every neuron type may carry.
COMMON_NEURON_FIELDS: tuple[NeuronField, ...] = (
    _nf("weight_exp", "int", False, None, "weight exponent of a WgtScaleBatchNorm (ignored by "
        "netx 0.6)"),
    _nf("messageBits", "int", False, (0, 32), "output message bits (0: binary spikes)"),
)

for _nspec in (
    NeuronSpec("CUBA", (_I_DECAY, _V_DECAY, _VTH, _REF_DELAY, _GRADED),
               "current-based leaky integrate-and-fire (Loihi CUBA)", netx_06=True),
    NeuronSpec("LOIHI", (_I_DECAY, _V_DECAY, _VTH, _REF_DELAY, _GRADED,
                         _nf("wgtExp", "int", False, None, "weight exponent (always 0)"),
                         _nf("theta", "int", False, None, "training-only surrogate constant"),
                         _nf("tauRho", "float", False, None, "training-only surrogate constant"),
                         _nf("scaleRho", "float", False, None,
                             "training-only surrogate constant")),
               "legacy name of CUBA (lava-dl <= 0.2 files)", netx_06=True),
    NeuronSpec("ALIF", (_I_DECAY, _V_DECAY, _TH_DECAY, _REF_DECAY, _VTH, _VTH_STEP, _REF_DELAY,
                        _GRADED), "adaptive-threshold LIF"),
    NeuronSpec("RF_PHASE", (_SIN, _COS, _VTH, _GRADED),
               "resonate-and-fire, phase threshold", netx_06=True),
    NeuronSpec("RF_IZHIKEVICH", (_SIN, _COS, _VTH, _GRADED),
               "resonate-and-fire, Izhikevich threshold", netx_06=True),
    NeuronSpec("ADRF_PHASE", (_SIN, _COS, _TH_DECAY, _REF_DECAY, _VTH, _VTH_STEP, _GRADED),
               "adaptive resonate-and-fire, phase threshold"),
    NeuronSpec("ADRF_IZHIKEVICH", (_SIN, _COS, _TH_DECAY, _REF_DECAY, _VTH, _VTH_STEP, _GRADED),
               "adaptive resonate-and-fire, Izhikevich threshold"),
    NeuronSpec("SDNN", (
        _nf("vThMant", "int", True, (0, None), "delta threshold mantissa (x 64)"),
        _nf("activation", "str", False, None, "activation name ('relu' when absent)"),
        _nf("sigma_output", "bool", False, None, "readout: Sigma only (no activation/delta)"),
    ), "sigma-delta neuron", netx_06=True),
):
    register_neuron_spec(_nspec)


# --------------------------------------------------------------------------------------------
# generated documentation
# --------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_field_tables(
    layer_specs: dict[str, LayerSpec] | None = None,
    neuron_specs: dict[str, NeuronSpec] | None = None,
) -> str:
    """Render the per-type field tables of the normative document as Markdown.

    The output is what ``spec/fields.md`` holds; a test compares the two.
    """
    layer_specs = LAYER_SPECS if layer_specs is None else layer_specs
    neuron_specs = NEURON_SPECS if neuron_specs is None else neuron_specs
    lines = [
        "# Field tables (generated)",
        "",
        "<!-- Generated by `python -m lava.lib.dl.hdf5_spec docs spec/`; do not edit by hand. -->",
        "",
        "Every layer group `layer/<i>` holds `type` (fixed-length ASCII string, shape (1,), "
        "at least 10 bytes) and `shape` (int64 (k,), SLAYER order); `neuron` is a group "
        "described in the neuron tables. Fields not listed are kept as unknown optional fields.",
        "",
        "## Layer types",
        "",
    ]
    for key in sorted(layer_specs):
        spec = layer_specs[key]
        lines += [
            f"### `{spec.type}` ({spec.namespace})",
            "",
            _cell(spec.description),
            "",
            f"- model class: `{spec.cls.__name__}`",
            f"- neuron group: {spec.neuron}",
            f"- encoding version: {spec.encoding_version}",
            f"- loadable by lava-dl 0.6 netx: {'yes' if spec.netx_06 else 'no'}",
            "",
        ]
        if spec.fields:
            lines += ["| field | on disk | shape | required | model attribute | meaning |",
                      "|---|---|---|---|---|---|"]
            for f in spec.fields:
                disk = CODECS[f.codec].disk
                attr = f"`{f.attr}`" + (f", `{f.imag_attr}`" if f.imag_attr else "")
                lines.append(f"| `{f.name}` | {_cell(disk)} | {_cell(f.shape)} | "
                             f"{'MUST' if f.required else 'MAY'} | {attr} | "
                             f"{_cell(f.description)} |")
            lines.append("")
    lines += ["## Neuron types", "",
              "The `neuron` group holds `type` (variable-length string) and the fields below; "
              "`int` is an int64 scalar, `bool` an HDF5 boolean scalar, `str` a variable-length "
              "string, `float` a float64 scalar.", ""]

    def table(fields_: Sequence[NeuronField]) -> list[str]:
        rows = ["| field | kind | required | range | meaning |", "|---|---|---|---|---|"]
        for f in fields_:
            rng = "" if f.range is None else (
                f"[{'' if f.range[0] is None else f.range[0]}, "
                f"{'' if f.range[1] is None else f.range[1]}]")
            rows.append(f"| `{f.name}` | {f.kind} | {'MUST' if f.required else 'MAY'} | "
                        f"{rng} | {_cell(f.description)} |")
        return rows + [""]

    for name in sorted(neuron_specs):
        spec = neuron_specs[name]
        lines += [f"### `{name}`", "", _cell(spec.description), "",
                  f"- loadable by lava-dl 0.6 netx: {'yes' if spec.netx_06 else 'no'}", ""]
        lines += table(spec.fields)
    lines += ["### Fields common to every neuron type", ""] + table(COMMON_NEURON_FIELDS)
    return "\n".join(lines).rstrip() + "\n"


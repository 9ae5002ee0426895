"""Versioned hdf5 network exchange format of lava-dl.

Typed model (:class:`NetworkDescription` and its layers), reader (:func:`read`, lava-dl 0.6 legacy
files and format 1.x), writer (:func:`write`, format 1.x), validation (:func:`validate`),
migration (:func:`upgrade`) and plugin discovery (:mod:`.plugins`).
"""

from ._errors import (
    FormatError,
    LegacyFormatWarning,
    UnsupportedExtensionError,
    UnsupportedFormatError,
    ValidationError,
)
from ._example import example_network
from ._inspect import summarize
from ._migrate import MIGRATIONS, MigrationStep, register_migration, upgrade
from ._model import (
    FIRST_PARTY_NAMESPACE,
    FORMAT_VERSION,
    AverageLayer,
    ConcatLayer,
    ConvLayer,
    ConvTransposeLayer,
    DenseLayer,
    FlattenLayer,
    GenericLayer,
    InputLayer,
    KWTALayer,
    Layer,
    NetworkDescription,
    Neuron,
    PoolLayer,
    RecurrentDenseLayer,
    Simulation,
    UnpoolLayer,
)
from ._reader import read
from ._specs import (
    CODECS,
    COMMON_NEURON_FIELDS,
    LAYER_SPECS,
    NEURON_SPECS,
    Codec,
    FieldSpec,
    LayerSpec,
    NeuronField,
    NeuronSpec,
    known_extensions,
    register_codec,
    register_extension,
    register_layer_spec,
    register_neuron_spec,
    render_field_tables,
)
from ._validate import collect_problems, layer_problems, validate
from ._version import __version__
from ._writer import write, write_layer

__all__ = [
    "CODECS",
    "COMMON_NEURON_FIELDS",
    "FIRST_PARTY_NAMESPACE",
    "FORMAT_VERSION",
    "LAYER_SPECS",
    "MIGRATIONS",
    "NEURON_SPECS",
    "AverageLayer",
    "Codec",
    "ConcatLayer",
    "ConvLayer",
    "ConvTransposeLayer",
    "DenseLayer",
    "FieldSpec",
    "FlattenLayer",
    "FormatError",
    "GenericLayer",
    "InputLayer",
    "KWTALayer",
    "Layer",
    "LayerSpec",
    "LegacyFormatWarning",
    "MigrationStep",
    "NetworkDescription",
    "Neuron",
    "NeuronField",
    "NeuronSpec",
    "PoolLayer",
    "RecurrentDenseLayer",
    "Simulation",
    "UnpoolLayer",
    "UnsupportedExtensionError",
    "UnsupportedFormatError",
    "ValidationError",
    "__version__",
    "collect_problems",
    "example_network",
    "known_extensions",
    "layer_problems",
    "read",
    "register_codec",
    "register_extension",
    "register_layer_spec",
    "register_migration",
    "register_neuron_spec",
    "render_field_tables",
    "summarize",
    "upgrade",
    "validate",
    "write",
    "write_layer",
]

"""Versioned hdf5 network exchange format of lava-dl.

Typed model (:class:`NetworkDescription` and its layers), reader (:func:`read`, lava-dl 0.6 legacy
files and format 1.x), writer (:func:`write`, format 1.x), validation (:func:`validate`),
migration (:func:`upgrade`) and plugin discovery (``_plugins``).
"""

from ._errors import (
    FormatError,
    LegacyFormatWarning,
    UnsupportedExtensionError,
    UnsupportedFormatError,
    ValidationError,
)
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
from ._version import __version__

__all__ = [
    "FIRST_PARTY_NAMESPACE",
    "FORMAT_VERSION",
    "AverageLayer",
    "ConcatLayer",
    "ConvLayer",
    "ConvTransposeLayer",
    "DenseLayer",
    "FlattenLayer",
    "FormatError",
    "GenericLayer",
    "InputLayer",
    "KWTALayer",
    "Layer",
    "LegacyFormatWarning",
    "NetworkDescription",
    "Neuron",
    "PoolLayer",
    "RecurrentDenseLayer",
    "Simulation",
    "UnpoolLayer",
    "UnsupportedExtensionError",
    "UnsupportedFormatError",
    "ValidationError",
    "__version__",
]

"""Migration chain between format versions.

A migration step turns a description of one format version into the next one; steps are kept in
the registry :data:`MIGRATIONS` keyed by the source version (``None`` for legacy files), so that a
future ``1.0 -> 1.1`` step is one :func:`register_migration` call. :func:`upgrade` applies steps
until the description is at :data:`~lava.lib.dl.hdf5_spec.FORMAT_VERSION`.

The ``legacy -> 1.0`` step: every layer gets the first-party namespace and encoding version 1; the
legacy layout differences the reader already normalises (a trailing singleton time axis on conv
kernels, a ``(in,)`` weight of a single-output dense layer, a scalar input weight/bias) are
written in their 1.0 form; everything else, including the legacy neuron type ``LOIHI`` and its
training-only fields, is kept unchanged.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import FormatError, LegacyFormatWarning
from ._model import FIRST_PARTY_NAMESPACE, FORMAT_VERSION, NetworkDescription

__all__ = ["MIGRATIONS", "MigrationStep", "register_migration", "upgrade"]


@dataclass(frozen=True)
class MigrationStep:
    """One step of the chain: ``source`` -> ``target`` through ``apply`` (returns a new net)."""

    source: str | None
    target: str
    apply: Callable[[NetworkDescription], NetworkDescription]
    description: str = ""


MIGRATIONS: dict[str | None, MigrationStep] = {}


def register_migration(step: MigrationStep) -> None:
    """Register a step; one step per source version."""
    if step.source in MIGRATIONS and MIGRATIONS[step.source] is not step:
        raise ValueError(f"a migration from {step.source!r} is already registered")
    MIGRATIONS[step.source] = step


def _legacy_to_1_0(net: NetworkDescription) -> NetworkDescription:
    new = copy.deepcopy(net)
    for layer in new.layers:
        layer.namespace = FIRST_PARTY_NAMESPACE
        layer.encoding_version = 1
    new.format_version = "1.0"
    new.writer = None
    new.required_extensions = ()
    return new


register_migration(MigrationStep(None, "1.0", _legacy_to_1_0,
                                 "legacy (lava-dl <= 0.6) -> 1.0: add versioning"))


def upgrade(source: Any, target: Any = None) -> NetworkDescription:
    """Migrate a description (or a file) to the current format version.

    Parameters
    ----------
    source : NetworkDescription, str, os.PathLike, h5py.File or h5py.Group
        What to migrate; a file is read (without the legacy warning: upgrading is the fix).
    target : str or os.PathLike, optional
        When given, the migrated description is validated and written there.

    Returns
    -------
    NetworkDescription
        At :data:`FORMAT_VERSION` (a description of a newer minor version is returned as is).
    """
    if isinstance(source, NetworkDescription):
        net = source
    else:
        from ._reader import read

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LegacyFormatWarning)
            net = read(source, validate=False)
    seen = set()
    while net.format_version != FORMAT_VERSION:
        version = net.format_version
        if version is not None:
            from ._reader import parse_version

            if parse_version(version) > parse_version(FORMAT_VERSION):
                break
        step = MIGRATIONS.get(version)
        if step is None or version in seen:
            raise FormatError(f"no migration path from format {version!r} to {FORMAT_VERSION}")
        seen.add(version)
        net = step.apply(net)
    if target is not None:
        from ._writer import write

        if isinstance(source, (str, os.PathLike)) and isinstance(target, (str, os.PathLike)) \
                and os.path.abspath(source) == os.path.abspath(target):
            pass  # the writer replaces the file atomically
        write(net, target)
    return net

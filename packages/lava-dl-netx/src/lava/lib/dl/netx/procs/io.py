"""Ring-buffer source and sink with only their fixed-point models.

Lava's ``lava.proc.io.source.RingBuffer`` and ``sink.RingBuffer`` pick their floating-point models
under a run configuration without tag; these subclasses always run the int32 models, so a netx
network driven through them works with any run configuration.
"""

from __future__ import annotations

from lava.magma.core.decorator import implements, tag
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.io import sink as _sink
from lava.proc.io import source as _source

__all__ = ["RingBufferSink", "RingBufferSource"]


class RingBufferSource(_source.RingBuffer):
    """Sends ``data[..., (t - 1) % T]`` at step ``t`` (int32). Parameters: ``data``."""


class RingBufferSink(_sink.RingBuffer):
    """Stores what ``a_in`` receives at step ``t`` in ``data[..., (t - 1) % buffer]``.
    Parameters: ``shape``, ``buffer``."""


@implements(proc=RingBufferSource, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyRingBufferSourceModel(_source.PySendModelFixed):
    """Lava's fixed-point source model bound to :class:`RingBufferSource`."""

    implements_process = None


@implements(proc=RingBufferSink, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyRingBufferSinkModel(_sink.PyReceiveModelFixed):
    """Lava's fixed-point sink model bound to :class:`RingBufferSink`."""

    implements_process = None

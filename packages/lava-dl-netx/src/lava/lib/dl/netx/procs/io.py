"""I/O processes of the netx Lava backend, each with only a fixed-point model.

* :class:`RingBufferSource` / :class:`RingBufferSink`: Lava's ring buffers (``data[..., (t-1) %
  T]`` sent / stored at step ``t``) bound to their int32 models, so they behave the same under
  any run configuration.
* :class:`MemorySink` / :class:`MemoryProbe`: record what a port receives, or the value of any
  Var after every step, into a memory-mapped file the host reads directly. Lava's ``Var.get()``
  moves one element per channel message (seconds for a few hundred thousand values); these
  cost nothing to read back. The file is created by the host before the run and removed by
  :meth:`MemorySink.release` (or when the process object is garbage collected).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyRefPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, RefPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.io import sink as _sink
from lava.proc.io import source as _source

__all__ = ["MemoryProbe", "MemorySink", "RingBufferSink", "RingBufferSource"]


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


class _MemoryRecorder(AbstractProcess):
    def __init__(self, *, shape: tuple[int, ...], buffer: int, name: str | None = None) -> None:
        shape = tuple(int(s) for s in shape)
        fd, path = tempfile.mkstemp(prefix="netx-", suffix=".rec")
        os.close(fd)
        full = (*shape, int(buffer))
        np.lib.format.open_memmap(path, mode="w+", dtype=np.int64, shape=full).flush()
        super().__init__(shape=shape, buffer=int(buffer), path=path, name=name)
        self._path = path
        self._owner_pid = os.getpid()  # forked Lava workers never delete the file

    @property
    def path(self) -> str:
        """The recording file (an ``.npy`` file, ``(*shape, buffer)`` int64)."""
        return self._path

    def read(self) -> np.ndarray:
        """What was recorded: ``(*shape, buffer)``, step ``t`` at ``[..., (t - 1) % buffer]``."""
        return np.array(np.load(self._path, mmap_mode="r"))

    def release(self) -> None:
        """Delete the recording file."""
        if os.getpid() != getattr(self, "_owner_pid", None):
            return
        if self._path and os.path.exists(self._path):
            os.remove(self._path)

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
        parent = getattr(super(), "__del__", None)
        if parent is not None:
            parent()


class MemorySink(_MemoryRecorder):
    """Records what ``a_in`` receives each step into a memory-mapped file.

    Parameters
    ----------
    shape : tuple of int
        Shape of the port.
    buffer : int
        Number of steps kept (a ring: step ``t`` goes to ``(t - 1) % buffer``).
    """

    def __init__(self, *, shape: tuple[int, ...], buffer: int, name: str | None = None) -> None:
        super().__init__(shape=shape, buffer=buffer, name=name)
        self.a_in = InPort(shape=tuple(shape))


class MemoryProbe(_MemoryRecorder):
    """Records the value of a Var after every step (read in the post-management phase).

    Parameters
    ----------
    var : Var
        The variable to record (e.g. ``net.layers[1].neuron.v``).
    buffer : int
        Number of steps kept.
    """

    def __init__(self, *, var: Var, buffer: int, name: str | None = None) -> None:
        super().__init__(shape=var.shape, buffer=buffer, name=name)
        self.state = RefPort(var.shape)
        self.state.connect_var(var)


class _PyRecorder(PyLoihiProcessModel):
    def _write(self, data: np.ndarray) -> None:
        rec = getattr(self, "_rec", None)
        if rec is None:
            rec = self._rec = np.load(self.proc_params["path"], mmap_mode="r+")
        rec[..., (self.time_step - 1) % self.proc_params["buffer"]] = data


@implements(proc=MemorySink, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyMemorySinkModel(_PyRecorder):
    """Writes the received message of every step to the recording file."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)

    def run_spk(self) -> None:  # noqa: D102
        self._write(np.asarray(self.a_in.recv()))


@implements(proc=MemoryProbe, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyMemoryProbeModel(_PyRecorder):
    """Reads the probed Var after every step and writes it to the recording file."""

    state: PyRefPort = LavaPyType(PyRefPort.VEC_DENSE, np.int64)

    def post_guard(self) -> bool:  # noqa: D102
        return True

    def run_post_mgmt(self) -> None:  # noqa: D102
        self._write(np.asarray(self.state.read()))

"""Routing processes of the netx Lava backend (no synapse, no latency), fixed point only.

* :class:`Identity`: sends what ``a_in`` received in the same step (the readout of a
  population-average block, and the output of a concat block).
* :class:`Decimate`: time decimation; sums ``a_in`` over windows of ``factor`` steps (steps
  ``t > phase``) and sends each window's sum on its last step, 0 otherwise.
* :class:`Concat`: concatenates the messages its ``a_in_0 .. a_in_{n-1}`` ports receive in the
  same step along the channel axis (the last axis in Lava order ``(X, Y, C)``). Lava 0.10 does
  not implement port concatenation (``concat_with`` raises ``NotImplementedError`` at compile
  time), hence this process; it takes up to :data:`MAX_CONCAT_INPUTS` inputs.
"""

from __future__ import annotations

import numpy as np

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

__all__ = ["MAX_CONCAT_INPUTS", "Concat", "Decimate", "Identity"]

#: Largest number of sources a :class:`Concat` process takes.
MAX_CONCAT_INPUTS = 16


def _int(data: np.ndarray) -> np.ndarray:
    return np.trunc(data).astype(np.int64) if data.dtype.kind == "f" else data.astype(np.int64)


class Identity(AbstractProcess):
    """Pass-through neuron. Parameters: ``shape`` (Lava order), ``num_message_bits``."""

    def __init__(self, *, shape: tuple[int, ...], num_message_bits: int = 24,
                 name: str | None = None) -> None:
        super().__init__(shape=shape, num_message_bits=num_message_bits, name=name)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)


@implements(proc=Identity, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyIdentityModel(PyLoihiProcessModel):
    """``s_out = a_in`` every step."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def run_spk(self) -> None:  # noqa: D102
        self.s_out.send(_int(self.a_in.recv()))


class Decimate(AbstractProcess):
    """Time decimation. Parameters: ``shape``, ``factor`` (power of two), ``phase`` (steps
    ``t <= phase`` are ignored). Var ``acc`` holds the running window sum."""

    def __init__(self, *, shape: tuple[int, ...], factor: int, phase: int = 0,
                 name: str | None = None) -> None:
        super().__init__(shape=shape, factor=int(factor), phase=int(phase), name=name)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.acc = Var(shape=shape, init=0)


@implements(proc=Decimate, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyDecimateModel(PyLoihiProcessModel):
    """Window sums sent on the window's last step (see module docstring)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    acc: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)

    def run_spk(self) -> None:  # noqa: D102
        a = _int(self.a_in.recv())
        t = self.time_step
        phase = int(self.proc_params["phase"])
        factor = int(self.proc_params["factor"])
        out = np.zeros(a.shape, dtype=np.int64)
        if t > phase:
            self.acc[:] = self.acc + a
            if (t - phase) % factor == 0:
                out = self.acc.copy()
                self.acc[:] = 0
        self.s_out.send(out)


class Concat(AbstractProcess):
    """Concatenation of ``len(shapes)`` messages along the last (channel) axis.

    ``Concat(shapes=...)`` returns an instance of the subclass for that many inputs (Lava needs
    a process model whose ports match the process exactly).

    Parameters
    ----------
    shapes : sequence of tuple of int
        Lava-order shapes of the inputs ``a_in_0 ...``; all axes but the last must agree.
    num_message_bits : int
        Width of the output messages.
    """

    n_inputs = 0

    def __new__(cls, *args: object, **kwargs: object) -> Concat:  # noqa: D102
        if cls is Concat:
            shapes = list(kwargs.get("shapes") or [])  # type: ignore[call-overload]
            if not 1 <= len(shapes) <= MAX_CONCAT_INPUTS:
                raise ValueError(
                    f"Concat takes 1 to {MAX_CONCAT_INPUTS} inputs, got {len(shapes)}")
            cls = _CONCAT_CLASSES[len(shapes)]
        return super().__new__(cls)

    def __init__(self, *, shapes: list[tuple[int, ...]], num_message_bits: int = 24,
                 name: str | None = None) -> None:
        shapes = [tuple(int(v) for v in s) for s in shapes]
        if len(shapes) != self.n_inputs:
            raise ValueError(f"{type(self).__name__} takes {self.n_inputs} inputs, "
                             f"got {len(shapes)}")
        if len({s[:-1] for s in shapes}) != 1 or len({len(s) for s in shapes}) != 1:
            raise ValueError(f"Concat inputs {shapes} must agree on every axis but the last")
        out = (*shapes[0][:-1], sum(s[-1] for s in shapes))
        super().__init__(shapes=shapes, num_message_bits=num_message_bits, name=name)
        for i, s in enumerate(shapes):
            setattr(self, f"a_in_{i}", InPort(shape=s))
        self.s_out = OutPort(shape=out)

    @property
    def inputs(self) -> list[InPort]:
        """The input ports, in concatenation order."""
        return [getattr(self, f"a_in_{i}") for i in range(self.n_inputs)]


class _PyConcatModel(PyLoihiProcessModel):
    """Receives every input of the step and sends their concatenation."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    n_inputs = 0

    def run_spk(self) -> None:  # noqa: D102
        parts = [_int(getattr(self, f"a_in_{i}").recv()) for i in range(self.n_inputs)]
        self.s_out.send(np.concatenate(parts, axis=-1))


def _concat_classes(n: int) -> tuple[type, type]:
    proc = type(f"Concat{n}", (Concat,), {"n_inputs": n, "__module__": __name__,
                                          "__doc__": f"Concat of {n} inputs."})
    ports = {f"a_in_{i}": LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
             for i in range(n)}
    model = type(f"PyConcat{n}Model", (_PyConcatModel,),
                 {"n_inputs": n, "__module__": __name__,
                  "__annotations__": {**_PyConcatModel.__annotations__,
                                      **{k: PyInPort for k in ports}}, **ports})
    model = tag("fixed_pt", "bit_accurate_loihi")(
        requires(CPU)(implements(proc=proc, protocol=LoihiProtocol)(model)))
    return proc, model


_CONCAT_CLASSES: dict[int, type] = {}
for _n in range(1, MAX_CONCAT_INPUTS + 1):
    _proc, _model = _concat_classes(_n)
    _CONCAT_CLASSES[_n] = _proc
    globals()[_proc.__name__] = _proc  # Lava finds models by scanning this module's members
    globals()[_model.__name__] = _model
del _n, _proc, _model

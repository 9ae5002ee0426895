r"""Neuron processes of the netx Lava backend, each with exactly one (fixed-point) model.

Why netx has its own neuron processes
-------------------------------------
Lava 0.10 registers a floating-point and a fixed-point model for ``LIF``, ``SigmaDelta``, ...
With a run configuration that names no tag, Lava picks the *first* model it finds, which is
often the floating-point one; fed with the integer parameters of a ``.net`` file it produces
garbage or hangs (lava-dl bug B13). netx therefore subclasses the Lava processes it uses and
registers a single model per subclass, which reuses Lava's bit-accurate arithmetic: any run
configuration (``Loihi1SimCfg`` or ``Loihi2SimCfg``, with ``select_tag`` None, ``'fixed_pt'``
or ``'bit_accurate_loihi'``) then runs the fixed-point dynamics. ``isinstance(p, lava LIF)``
still holds.

Neurons Lava 0.10 lacks are written here: :class:`LIFPerNeuron` (Lava's bit-accurate LIF
arithmetic with per-neuron decays, which slayer exports with ``shared_param=False``; Lava's LIF
takes one decay per population), :class:`ALIF` (adaptive threshold LIF), :class:`RF`
and :class:`RF_IZ` taking the file's integer decays directly (fixes lava-dl bug B17, where the
decays were re-derived from a period and lost one LSB), and :class:`ADRF` (adaptive resonator).

Arithmetic (all integer; ``rtz(x) = sign(x) * (|x| >> 12)``)
-----------------------------------------------------------
ALIF, per step with input ``a`` (``θ0 = vth << 6``, ``Δθ = vth_step << 6``)::

    u   <- wrap24(rtz(u * (4096 - (du + 1))) + (a << 6))
    v   <- clip(rtz(v * (4096 - dv)) + u + (bias_mant << bias_exp), ±(2^23 - 1))
    r   <- rtz(r * (4096 - ref_decay))
    θ   <- rtz((θ - θ0) * (4096 - th_decay)) + θ0
    s    = v >= θ + r
    r   <- r + 2 θ s ;  θ <- θ + Δθ s            (v is not reset)

RF / RF_IZ / ADRF, with ``re_in = a_real << state_exp`` (same for ``im``) and decays
``c = cos_decay``, ``s = sin_decay`` out of ``2^decay_bits``::

    re' = clip(rtz(c re) - rtz(s im) + re_in) ;  im' = clip(rtz(s re) + rtz(c im) + im_in)

RF (phase): spike ``re' >= θ and im' >= 0 and im < 0``. RF_IZ: spike ``im' >= θ``, then
``re <- 0, im <- θ - 1``. ADRF: no state reset; refractory ``r`` and threshold ``θ`` adapt as
in ALIF (``θ0 = vth << state_exp``) and the comparisons use ``θ + r``.
"""

from __future__ import annotations

import typing as ty

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
from lava.proc.lif import models as _lif_models
from lava.proc.lif import process as _lif
from lava.proc.sdn import models as _sdn_models
from lava.proc.sdn import process as _sdn
from lava.proc.sdn.process import ActivationMode

__all__ = [
    "ADRF",
    "ALIF",
    "ActivationMode",
    "Delta",
    "LIF",
    "LIFPerNeuron",
    "LIFReset",
    "RF",
    "RF_IZ",
    "Sigma",
    "SigmaDelta",
]

_LIMIT = (1 << 23) - 1


def _rtz(x: np.ndarray, bits: int = 12) -> np.ndarray:
    """``sign(x) * (|x| >> bits)`` on int64."""
    x = np.asarray(x, dtype=np.int64)
    return np.sign(x) * (np.abs(x) >> bits)


def _decay(x: np.ndarray, d: ty.Any, bits: int = 12) -> np.ndarray:
    return _rtz(np.asarray(x, dtype=np.int64) * ((1 << bits) - np.asarray(d, dtype=np.int64)),
                bits)


def _pvar(value: ty.Any, shape: tuple[int, ...], *, shift: int = 0) -> Var:
    """A parameter Var: shape (1,) for a scalar, the neuron shape for a per-neuron array."""
    a = np.asarray(value, dtype=np.int64)
    if a.size == 1:
        return Var(shape=(1,), init=int(a.reshape(-1)[0]) << shift)
    return Var(shape=shape, init=np.broadcast_to(a, shape).astype(np.int64) << shift)


def _pv(var: np.ndarray) -> ty.Any:
    """A parameter Var's value in a model: an int for shape (1,), else the int64 array."""
    return int(var[0]) if var.size == 1 else np.asarray(var, dtype=np.int64)


def _wrap24(x: np.ndarray) -> np.ndarray:
    m = 1 << 23
    w = np.where(x > m, x - 2 * m, x)
    return np.where(w <= -m, x + 2 * m, w)


class IntegerInputs:
    """Model mixin: messages arriving at the ports named in ``integer_ports`` are cast to int32
    (floats truncated toward zero, as lava-dl's ``astype(int)``).

    A Lava source running its floating-point model (e.g. ``lava.proc.io.source.RingBuffer``
    under a run configuration without tag) then still drives the fixed-point model correctly,
    instead of crashing a worker process (which Lava reports as a hang).
    """

    integer_ports: ty.ClassVar[tuple[str, ...]] = ("a_in",)

    def run_spk(self) -> None:  # noqa: D102
        if not getattr(self, "_netx_ports_cast", False):
            for name in self.integer_ports:
                port = getattr(self, name)
                port.recv = _int_recv(port.recv)
            self._netx_ports_cast = True
        super().run_spk()  # type: ignore[misc]


def _int_recv(recv: ty.Callable[[], np.ndarray]) -> ty.Callable[[], np.ndarray]:
    def wrapped() -> np.ndarray:
        data = recv()
        if isinstance(data, np.ndarray) and data.dtype.kind == "f":
            return np.trunc(data).astype(np.int32)
        return data

    return wrapped


# --------------------------------------------------------------------------- Lava subclasses
class LIF(_lif.LIF):
    """Lava ``LIF`` whose only model is Lava's bit-accurate one (see module docstring)."""


class LIFReset(_lif.LIFReset):
    """Lava ``LIFReset`` (state zeroed when ``t % interval == offset % interval``), fixed point
    only."""


class Delta(_sdn.Delta):
    """Lava ``Delta`` sigma-delta encoder, fixed point only."""


class SigmaDelta(_sdn.SigmaDelta):
    """Lava ``SigmaDelta`` neuron, fixed point only."""


class Sigma(_sdn.Sigma):
    """Lava ``Sigma`` readout, fixed point only."""


@implements(proc=LIF, protocol=LoihiProtocol)
class PyNetxLifModel(IntegerInputs, _lif_models.PyLifModelBitAcc):
    """Lava's bit-accurate LIF model, bound to :class:`LIF` (tags inherited)."""

    implements_process = None  # rebound by @implements


@implements(proc=LIFReset, protocol=LoihiProtocol)
class PyNetxLifResetModel(IntegerInputs, _lif_models.PyLifResetModelBitAcc):
    """Lava's bit-accurate LIFReset model, bound to :class:`LIFReset`."""

    implements_process = None


@implements(proc=Delta, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyNetxDeltaModel(IntegerInputs, _sdn_models.PyDeltaModelFixed):
    """Lava's fixed-point Delta model, bound to :class:`Delta`."""

    implements_process = None


@implements(proc=SigmaDelta, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyNetxSigmaDeltaModel(IntegerInputs, _sdn_models.PySigmaDeltaModelFixed):
    """Lava's fixed-point SigmaDelta model, bound to :class:`SigmaDelta`."""

    implements_process = None


@implements(proc=Sigma, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyNetxSigmaModel(IntegerInputs, _sdn_models.PySigmaModelFixed):
    """Lava's fixed-point Sigma model, bound to :class:`Sigma`."""

    implements_process = None


# --------------------------------------------------------------------------- LIF per neuron
class _LIFProcess(AbstractProcess):
    """Ports and Vars shared by :class:`LIFPerNeuron` and :class:`ALIF`."""

    def __init__(self, *, shape: tuple[int, ...], du: ty.Any, dv: ty.Any, vth: int,
                 bias_mant: ty.Any, bias_exp: int, reset_interval: int | None,
                 reset_offset: int, name: str | None) -> None:
        super().__init__(shape=shape, reset_interval=reset_interval,
                         reset_offset=reset_offset, name=name)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.u = Var(shape=shape, init=0)
        self.v = Var(shape=shape, init=0)
        self.du = _pvar(du, shape)
        self.dv = _pvar(dv, shape)
        self.vth = Var(shape=(1,), init=int(vth))
        self.bias_mant = Var(shape=shape, init=np.broadcast_to(np.asarray(bias_mant), shape))
        self.bias_exp = Var(shape=(1,), init=int(bias_exp))

    @property
    def shape(self) -> tuple[int, ...]:
        """Neuron shape."""
        return self.proc_params["shape"]


class _PyLIFModel(PyLoihiProcessModel):
    """Lava's bit-accurate LIF current and voltage update, shared by the LIF-like models."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=1)
    u: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    du: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=13)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=3)

    def _reset(self) -> None:
        self.u[:] = 0
        self.v[:] = 0

    def _currents(self) -> tuple[np.ndarray, np.ndarray]:
        """Receive ``a_in``, apply a due periodic reset, return the new ``(u, v)``."""
        a = self.a_in.recv()
        a = (np.trunc(a) if a.dtype.kind == "f" else a).astype(np.int64)
        if _due(self):
            self._reset()
        e = int(self.bias_exp[0])
        bias = self.bias_mant.astype(np.int64) << e if e >= 0 else self.bias_mant >> -e
        u = _wrap24(_decay(self.u, _pv(self.du) + 1) + (a << 6))
        v = np.clip(_decay(self.v, _pv(self.dv)) + u + bias, -_LIMIT, _LIMIT)
        return u, v


class LIFPerNeuron(_LIFProcess):
    """Loihi CUBA LIF with one decay per neuron (Lava's bit-accurate LIF arithmetic).

    Per step: ``u <- wrap24(rtz(u (4096 - (du + 1))) + (a << 6))``,
    ``v <- clip(rtz(v (4096 - dv)) + u + (bias_mant << bias_exp), ±(2^23 - 1))``,
    spike where ``v > vth << 6``, then ``v <- 0`` there. With ``reset_interval``, ``u`` and ``v``
    are zeroed at the start of step ``t`` when ``t % reset_interval == reset_offset %
    reset_interval`` (as ``LIFReset``).

    Parameters
    ----------
    shape : tuple of int
        Neuron shape (Lava order).
    du, dv : int or np.ndarray
        Decays as Lava's LIF, scalars or arrays of ``shape``.
    vth, bias_mant, bias_exp, reset_interval, reset_offset
        As Lava's ``LIF`` / ``LIFReset``.
    """

    def __init__(self, *, shape: tuple[int, ...], du: ty.Any = 0, dv: ty.Any = 0,
                 vth: int = 10, bias_mant: ty.Any = 0, bias_exp: int = 0,
                 reset_interval: int | None = None, reset_offset: int = 0,
                 name: str | None = None) -> None:
        super().__init__(shape=shape, du=du, dv=dv, vth=vth, bias_mant=bias_mant,
                         bias_exp=bias_exp, reset_interval=reset_interval,
                         reset_offset=reset_offset, name=name)


@implements(proc=LIFPerNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyLIFPerNeuronModelFixed(_PyLIFModel):
    """Fixed-point LIF with per-neuron decays (equations on :class:`LIFPerNeuron`)."""

    def run_spk(self) -> None:  # noqa: D102
        u, v = self._currents()
        s = v > (int(self.vth[0]) << 6)
        self.u[:] = u
        self.v[:] = np.where(s, 0, v)
        self.s_out.send(s.astype(np.int32))


# --------------------------------------------------------------------------- ALIF
class ALIF(_LIFProcess):
    """Adaptive-threshold LIF neuron (slayer ``ALIF``) in Loihi fixed point.

    Parameters
    ----------
    shape : tuple of int
        Neuron shape (Lava order).
    du, dv : int or np.ndarray
        Current and voltage decays as Lava's LIF (``du = iDecay - 1``, ``dv = vDecay``); one
        per neuron when arrays (as every decay here).
    vth : int
        Threshold mantissa (compared as ``vth << 6``).
    vth_step : int
        Threshold increase per spike, mantissa (``<< 6``).
    th_decay, ref_decay : int
        Decays (out of 4096) of the threshold excess and of the refractory state.
    bias_mant : int or np.ndarray
        Bias mantissa; enters ``v`` as ``bias_mant << bias_exp`` every step.
    bias_exp : int
        Bias exponent.
    reset_interval : int, optional
        Zero ``u, v, r`` and restore ``θ`` at the start of step ``t`` when
        ``t % reset_interval == reset_offset % reset_interval``.
    reset_offset : int
        Phase of the reset.
    """

    def __init__(self, *, shape: tuple[int, ...], du: ty.Any = 0, dv: ty.Any = 0,
                 vth: int = 10, vth_step: int = 0, th_decay: ty.Any = 0, ref_decay: ty.Any = 0,
                 bias_mant: ty.Any = 0, bias_exp: int = 0, reset_interval: int | None = None,
                 reset_offset: int = 0, name: str | None = None) -> None:
        super().__init__(shape=shape, du=du, dv=dv, vth=vth, bias_mant=bias_mant,
                         bias_exp=bias_exp, reset_interval=reset_interval,
                         reset_offset=reset_offset, name=name)
        self.th = Var(shape=shape, init=int(vth) << 6)
        self.ref = Var(shape=shape, init=0)
        self.vth_step = Var(shape=(1,), init=int(vth_step))
        self.th_decay = _pvar(th_decay, shape)
        self.ref_decay = _pvar(ref_decay, shape)


def _due(model: PyLoihiProcessModel) -> bool:
    interval = model.proc_params.get("reset_interval")
    if not interval:
        return False
    return model.time_step % interval == model.proc_params.get("reset_offset", 0) % interval


@implements(proc=ALIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyALIFModelFixed(_PyLIFModel):
    """Fixed-point ALIF model (equations in the module docstring)."""

    th: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    ref: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    vth_step: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    th_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)
    ref_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)

    def _reset(self) -> None:
        super()._reset()
        self.ref[:] = 0
        self.th[:] = int(self.vth[0]) << 6

    def run_spk(self) -> None:  # noqa: D102
        u, v = self._currents()
        th0 = int(self.vth[0]) << 6
        ref = _decay(self.ref, _pv(self.ref_decay))
        th = _decay(self.th - th0, _pv(self.th_decay)) + th0
        s = v >= th + ref
        self.u[:] = u
        self.v[:] = v
        self.ref[:] = ref + 2 * th * s
        self.th[:] = th + (int(self.vth_step[0]) << 6) * s
        self.s_out.send(s.astype(np.int32))


# --------------------------------------------------------------------------- resonators
class _Resonator(AbstractProcess):
    def __init__(self, *, shape: tuple[int, ...], sin_decay: int, cos_decay: int, vth: ty.Any,
                 state_exp: int = 6, decay_bits: int = 12, name: str | None = None,
                 **params: ty.Any) -> None:
        super().__init__(shape=shape, name=name, **params)
        self.a_real_in = InPort(shape=shape)
        self.a_imag_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.real = Var(shape=shape, init=0)
        self.imag = Var(shape=shape, init=0)
        self.sin_decay = _pvar(sin_decay, shape)
        self.cos_decay = _pvar(cos_decay, shape)
        self.state_exp = Var(shape=(1,), init=int(state_exp))
        self.decay_bits = Var(shape=(1,), init=int(decay_bits))

    @property
    def shape(self) -> tuple[int, ...]:
        """Neuron shape."""
        return self.proc_params["shape"]


class RF(_Resonator):
    """Resonate-and-fire neuron (phase threshold) with integer decays.

    Parameters
    ----------
    shape : tuple of int
        Neuron shape (Lava order).
    sin_decay, cos_decay : int
        ``(1 - alpha) sin(2π/period)`` and the cosine, in units of ``2^-decay_bits``: the file's
        ``sinDecay``/``cosDecay`` used as they are.
    vth : float
        Threshold; the effective threshold is ``int(vth * 2**state_exp)``.
    state_exp : int
        Input and threshold scaling exponent (6 in netx).
    decay_bits : int
        Decay precision (12).
    """

    def __init__(self, *, shape: tuple[int, ...], sin_decay: int, cos_decay: int, vth: ty.Any,
                 state_exp: int = 6, decay_bits: int = 12, name: str | None = None) -> None:
        super().__init__(shape=shape, sin_decay=sin_decay, cos_decay=cos_decay, vth=vth,
                         state_exp=state_exp, decay_bits=decay_bits, name=name)
        self.vth = Var(shape=(1,), init=int(vth * (1 << int(state_exp))))


class RF_IZ(RF):  # noqa: N801 - Lava's name
    """Resonate-and-fire Izhikevich neuron (threshold on the imaginary part, with reset).
    Parameters as :class:`RF`."""


class ADRF(_Resonator):
    """Adaptive resonate-and-fire neuron (slayer ``ADRF_PHASE`` / ``ADRF_IZHIKEVICH``).

    Parameters
    ----------
    shape, sin_decay, cos_decay, state_exp, decay_bits
        As :class:`RF`.
    vth : int
        Threshold mantissa (``θ0 = vth << state_exp``).
    vth_step : int
        Threshold increase per spike (``<< state_exp``).
    th_decay, ref_decay : int
        Decays (out of 4096) of the threshold excess and the refractory state.
    izhikevich : bool
        Izhikevich variant (spike on the imaginary part) instead of the phase variant.
    """

    def __init__(self, *, shape: tuple[int, ...], sin_decay: int, cos_decay: int, vth: int,
                 vth_step: int = 0, th_decay: int = 0, ref_decay: int = 0,
                 state_exp: int = 6, decay_bits: int = 12, izhikevich: bool = False,
                 name: str | None = None) -> None:
        super().__init__(shape=shape, sin_decay=sin_decay, cos_decay=cos_decay, vth=vth,
                         state_exp=state_exp, decay_bits=decay_bits, name=name,
                         izhikevich=bool(izhikevich))
        th0 = int(vth) << int(state_exp)
        self.vth = Var(shape=(1,), init=th0)
        self.vth_step = Var(shape=(1,), init=int(vth_step) << int(state_exp))
        self.th_decay = _pvar(th_decay, shape)
        self.ref_decay = _pvar(ref_decay, shape)
        self.th = Var(shape=shape, init=th0)
        self.ref = Var(shape=shape, init=0)


class _PyResonatorModel(PyLoihiProcessModel):
    a_real_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    a_imag_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=1)
    real: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    imag: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    sin_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=13)
    cos_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=13)
    state_exp: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=3)
    decay_bits: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=4)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)

    def _resonate(self) -> tuple[np.ndarray, np.ndarray]:
        e = int(self.state_exp[0])
        k = int(self.decay_bits[0])
        re_in = self.a_real_in.recv().astype(np.int64) << e
        im_in = self.a_imag_in.recv().astype(np.int64) << e
        c, s = _pv(self.cos_decay), _pv(self.sin_decay)
        re, im = self.real.astype(np.int64), self.imag.astype(np.int64)
        new_re = _rtz(c * re, k) - _rtz(s * im, k) + re_in
        new_im = _rtz(s * re, k) + _rtz(c * im, k) + im_in
        return np.clip(new_re, -_LIMIT, _LIMIT), np.clip(new_im, -_LIMIT, _LIMIT)


@implements(proc=RF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyRFModelFixed(_PyResonatorModel):
    """Fixed-point RF (phase) model."""

    def run_spk(self) -> None:  # noqa: D102
        re, im = self._resonate()
        th = int(self.vth[0])
        s = (re >= th) & (im >= 0) & (self.imag < 0)
        self.real[:] = re
        self.imag[:] = im
        self.s_out.send(s.astype(np.int32))


@implements(proc=RF_IZ, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyRFIZModelFixed(_PyResonatorModel):
    """Fixed-point RF Izhikevich model."""

    def run_spk(self) -> None:  # noqa: D102
        re, im = self._resonate()
        th = int(self.vth[0])
        s = im >= th
        self.real[:] = np.where(s, 0, re)
        self.imag[:] = np.where(s, th - 1, im)
        self.s_out.send(s.astype(np.int32))


@implements(proc=ADRF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyADRFModelFixed(_PyResonatorModel):
    """Fixed-point adaptive RF model (phase or Izhikevich variant)."""

    vth_step: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    th_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)
    ref_decay: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=12)
    th: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    ref: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)

    def run_spk(self) -> None:  # noqa: D102
        re, im = self._resonate()
        th0 = int(self.vth[0])
        ref = _decay(self.ref, _pv(self.ref_decay))
        th = _decay(self.th - th0, _pv(self.th_decay)) + th0
        if self.proc_params.get("izhikevich", False):
            s = im >= th + ref
        else:
            s = (re >= th + ref) & (im >= 0) & (self.imag < 0)
        self.real[:] = re
        self.imag[:] = im
        self.ref[:] = ref + 2 * th * s
        self.th[:] = th + int(self.vth_step[0]) * s
        self.s_out.send(s.astype(np.int32))

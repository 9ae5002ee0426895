r"""Synapse processes of the netx Lava backend, each with exactly one fixed-point model.

``Dense``, ``DelayDense``, ``Sparse``, ``DelaySparse`` and ``Conv`` subclass the Lava processes
and rebind Lava's bit-accurate / fixed-point model to them (see
:mod:`lava.lib.dl.netx.procs.neurons` for why). Their arithmetic is Lava's:

* dense: ``a = (W s) << weight_exp`` (arithmetic ``>>`` for a negative exponent), one step of
  latency; delays ``D_ij`` add ``D_ij`` more steps (at most 63, Loihi's limit);
* conv: a true 2-D convolution in Lava's ``(X, Y, C)`` layout, wrapped to signed 24 bit.

Added here (Lava 0.10 has no equivalent):

* :class:`ConvTranspose`: a transposed convolution (torch ``conv_transpose2d`` semantics,
  output padding 0), used for ``convT`` and ``unpool`` layers;
* :class:`DelayConv`: a convolution (torch correlation semantics) with one delay per output
  channel, used for ``conv``/``pool`` layers that carry a ``delay``.

Both take the kernel in the **file (torch) layout** and ``(H, W)`` pairs, and exchange messages
in Lava's ``(X, Y, C)`` layout. Their output is wrapped to signed 24 bit like Lava's ``Conv``
and delivered ``1 + delay[c]`` steps after the input arrived.
"""

from __future__ import annotations

import typing as ty

import numpy as np

from lava.lib.dl.netx.native._ops import (
    ConvKernel,
    conv2d,
    conv_transpose2d,
    transpose_kernel,
    wrap_signed,
)
from lava.lib.dl.netx.procs.neurons import IntegerInputs
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.conv import models as _conv_models
from lava.proc.conv import process as _conv
from lava.proc.dense import models as _dense_models
from lava.proc.dense import process as _dense
from lava.proc.sparse import models as _sparse_models
from lava.proc.sparse import process as _sparse

__all__ = ["Conv", "ConvTranspose", "Dense", "DelayConv", "DelayDense", "DelaySparse", "Sparse"]


class Dense(_dense.Dense):
    """Lava ``Dense`` with only the bit-accurate model."""


class DelayDense(_dense.DelayDense):
    """Lava ``DelayDense`` with only the bit-accurate model (delays 0..63)."""


class Sparse(_sparse.Sparse):
    """Lava ``Sparse`` with only the bit-accurate model."""


class DelaySparse(_sparse.DelaySparse):
    """Lava ``DelaySparse`` with only the bit-accurate model (delays 0..63)."""


class Conv(_conv.Conv):
    """Lava ``Conv`` (true convolution, ``(X, Y, C)`` layout) with only the fixed-point model."""


@implements(proc=Dense, protocol=LoihiProtocol)
class PyNetxDenseModel(IntegerInputs, _dense_models.PyDenseModelBitAcc):
    """Lava's bit-accurate Dense model bound to :class:`Dense`."""

    implements_process = None
    integer_ports = ("s_in",)


@implements(proc=DelayDense, protocol=LoihiProtocol)
class PyNetxDelayDenseModel(IntegerInputs, _dense_models.PyDelayDenseModelBitAcc):
    """Lava's bit-accurate DelayDense model bound to :class:`DelayDense`."""

    implements_process = None
    integer_ports = ("s_in",)


@implements(proc=Sparse, protocol=LoihiProtocol)
class PyNetxSparseModel(IntegerInputs, _sparse_models.PySparseModelBitAcc):
    """Lava's bit-accurate Sparse model bound to :class:`Sparse`."""

    implements_process = None
    integer_ports = ("s_in",)


@implements(proc=DelaySparse, protocol=LoihiProtocol)
class PyNetxDelaySparseModel(IntegerInputs, _sparse_models.PyDelaySparseModelBitAcc):
    """Lava's bit-accurate DelaySparse model bound to :class:`DelaySparse`."""

    implements_process = None
    integer_ports = ("s_in",)


@implements(proc=Conv, protocol=LoihiProtocol)
@tag("bit_accurate_loihi")
class PyNetxConvModel(IntegerInputs, _conv_models.PyConvModelFixed):
    """Lava's fixed-point Conv model bound to :class:`Conv`."""

    implements_process = None
    integer_ports = ("s_in",)


# --------------------------------------------------------------------------- own conv synapses
def _pair(v: ty.Any) -> tuple[int, int]:
    a = np.asarray(v, dtype=np.int64).reshape(-1)
    if a.size == 1:
        return int(a[0]), int(a[0])
    if a.size != 2:
        raise ValueError(f"expected a scalar or an (H, W) pair, got {a.tolist()}")
    return int(a[0]), int(a[1])


class _ConvLike(AbstractProcess):
    def __init__(self, *, weight: np.ndarray, input_shape: tuple[int, int, int],
                 output_shape: tuple[int, int, int], stride: ty.Any = 1, padding: ty.Any = 0,
                 dilation: ty.Any = 1, groups: int = 1, delay: ty.Any = None,
                 num_message_bits: int = 0, pad_end: ty.Any = 0,
                 name: str | None = None) -> None:
        w = np.asarray(weight)
        if w.ndim != 4:
            raise ValueError(f"weight must be 4-D (torch layout), got shape {w.shape}")
        input_shape = tuple(int(s) for s in input_shape)
        output_shape = tuple(int(s) for s in output_shape)
        c_out = output_shape[-1]
        if delay is None:
            d = np.zeros(c_out, dtype=np.int64)
        else:
            d = np.asarray(delay, dtype=np.int64).reshape(-1)
            if d.size == 1:
                d = np.full(c_out, int(d[0]), dtype=np.int64)
            if d.size != c_out:
                raise ValueError(
                    f"delay needs one value per output channel ({c_out}), got {d.size}")
            if d.size and d.min() < 0:
                raise ValueError(f"delays must be >= 0, got minimum {d.min()}")
        super().__init__(weight=np.asarray(w, dtype=np.int64), input_shape=input_shape,
                         output_shape=output_shape, stride=_pair(stride),
                         padding=_pair(padding), dilation=_pair(dilation), groups=int(groups),
                         delay=d, pad_end=_pair(pad_end), name=name)
        max_delay = int(d.max()) if d.size else 0
        self.s_in = InPort(shape=input_shape)
        self.a_out = OutPort(shape=output_shape)
        self.a_buf = Var(shape=(max_delay + 1, *output_shape), init=0)
        self.num_message_bits = Var(shape=(1,), init=int(num_message_bits))

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Input shape ``(X, Y, C_in)``."""
        return self.proc_params["input_shape"]

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Output shape ``(X, Y, C_out)``."""
        return self.proc_params["output_shape"]


class ConvTranspose(_ConvLike):
    """Transposed 2-D convolution synapse.

    Parameters
    ----------
    weight : np.ndarray
        ``(C_in, C_out/groups, kH, kW)`` integer kernel (torch ``conv_transpose2d`` layout).
    input_shape, output_shape : tuple of int
        ``(X, Y, C)`` shapes (Lava order).
    stride, padding, dilation : int or (H, W) pair
    groups : int
    delay : array_like, optional
        Per-output-channel delay in steps.
    num_message_bits : int
        Width of the incoming messages (0 = binary).
    """


class DelayConv(_ConvLike):
    """2-D convolution (torch correlation semantics) with per-output-channel delays.

    Parameters
    ----------
    weight : np.ndarray
        ``(C_out, C_in/groups, kH, kW)`` integer kernel (torch layout, not flipped).
    input_shape, output_shape, stride, padding, dilation, groups, delay, num_message_bits
        As :class:`ConvTranspose`.
    pad_end : int or (H, W) pair
        Zeros appended at the bottom and right of the padded input (ceil-mode pooling).
    """


class _PyConvLikeModel(PyLoihiProcessModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    a_buf: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    num_message_bits: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=5)

    def __init__(self, proc_params: dict[str, ty.Any]) -> None:
        super().__init__(proc_params)
        p = proc_params
        self._kernel = self._make_kernel(p["weight"], p["groups"])
        d = np.asarray(p["delay"], dtype=np.int64)
        self._masks = [(int(v), d == v) for v in np.unique(d)]
        self._pos = 0

    def _make_kernel(self, weight: np.ndarray, groups: int) -> ConvKernel:
        raise NotImplementedError

    def _apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def run_spk(self) -> None:  # noqa: D102
        length = self.a_buf.shape[0]
        self.a_out.send(self.a_buf[self._pos].astype(np.int32))
        self.a_buf[self._pos] = 0
        self._pos = (self._pos + 1) % length
        s = self.s_in.recv().astype(np.int64)
        x = s.transpose(2, 1, 0)[None]  # (1, C, H, W)
        eh, ew = self.proc_params.get("pad_end", (0, 0))
        if eh or ew:  # ceil-mode pooling: zeros at the bottom and right
            x = np.pad(x, ((0, 0), (0, 0), (0, eh), (0, ew)))
        y = wrap_signed(self._apply(x)[0], 24).transpose(2, 1, 0)  # (X, Y, C_out)
        for d, mask in self._masks:
            slot = (self._pos + d) % length
            self.a_buf[slot] += np.where(mask, y, 0)


@implements(proc=ConvTranspose, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyConvTransposeModelFixed(_PyConvLikeModel):
    """Fixed-point transposed convolution."""

    def _make_kernel(self, weight: np.ndarray, groups: int) -> ConvKernel:
        return ConvKernel(transpose_kernel(weight, groups), groups)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        p = self.proc_params
        return conv_transpose2d(x, self._kernel, p["stride"], p["padding"], p["dilation"])


@implements(proc=DelayConv, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyDelayConvModelFixed(_PyConvLikeModel):
    """Fixed-point convolution with per-channel delays."""

    def _make_kernel(self, weight: np.ndarray, groups: int) -> ConvKernel:
        return ConvKernel(weight, groups)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        p = self.proc_params
        return conv2d(x, self._kernel, p["stride"], p["padding"], p["dilation"])

r"""Helpers of lava-dl's ``netx.utils``: raw file access and the dense weight representation.

Pure numpy (plus h5py for :class:`NetDict`); usable without Lava.

Loihi dense weights
-------------------
A Loihi (and Lava ``Dense`` fixed-point) synapse stores an 8-bit magnitude with a shared
exponent. Lava's model derives the sign mode from the matrix it is given, clips it to the range
of that mode (mixed ``[-256, 255]``, excitatory ``[0, 255]``, inhibitory ``[-255, 0]``), zeroes
the ``8 - num_weight_bits + mixed`` low bits, and computes ``a = (W' s) << weight_exp``
(arithmetic ``>>`` for a negative exponent).

:func:`optimize_weight_bits` finds ``W' = W · 2^k`` and ``weight_exp = -k`` such that those
steps leave ``W'`` unchanged, so the synapse delivers exactly ``W s``:

* ``k`` is the largest integer ``<= 8`` with every ``W 2^k`` inside the clip range and (for the
  mixed mode, whose lowest bit is always truncated) even;
* ``num_weight_bits = 8 - t + mixed`` where ``t`` is the number of trailing zero bits common to
  all of ``W'`` (capped at 8): only zero bits are truncated.

This fixes lava-dl 0.6's bugs B1 (all-negative matrices scaled to -256, then clipped and
truncated: a -8 weight acted as -6), B2 (an all-positive matrix above 255 silently became zero)
and B3 (an all-zero matrix raised ``OverflowError``). ``legacy=True`` reproduces lava-dl 0.6's
algorithm bug for bug.
"""

from __future__ import annotations

import math
import os
import warnings
from enum import IntEnum
from typing import Any

import numpy as np

__all__ = [
    "NetDict",
    "SYNAPSE_SIGN_MODE",
    "SignMode",
    "WeightBits",
    "lava_available",
    "optimize_weight_bits",
    "require_lava",
]


_LAVA_HINT = (
    "The Lava backend of netx needs lava-nc 0.10.0, which runs on Python 3.10 with numpy<2: "
    'install it there with pip install "lava-dl-netx[lava]". On any Python, the native '
    "runtime lava.lib.dl.netx.native.Network runs the same networks without Lava."
)


def lava_available() -> bool:
    """True when lava-nc (``lava.magma``) can be imported."""
    import importlib.util

    try:
        return importlib.util.find_spec("lava.magma") is not None
    except (ImportError, ValueError):
        return False


def require_lava(what: str = "the Lava backend") -> None:
    """Raise an ImportError explaining how to get the Lava backend when lava-nc is missing."""
    try:
        import lava.magma  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{what} is unavailable: {_LAVA_HINT} ({exc})",
                          name=exc.name or "lava.magma") from exc


class SignMode(IntEnum):
    """Sign mode of a weight matrix (same integer values as ``lava.utils.weightutils``)."""

    NULL = 0
    MIXED = 1
    EXCITATORY = 2
    INHIBITORY = 3


#: lava-dl 0.6 name of the enumeration.
SYNAPSE_SIGN_MODE = SignMode


class WeightBits(tuple):
    """``(weight, num_weight_bits, weight_exponent, sign_mode)`` as returned by
    :func:`optimize_weight_bits` (a tuple, with named attributes)."""

    __slots__ = ()

    def __new__(cls, weight: np.ndarray, num_weight_bits: int, weight_exponent: int,
                sign_mode: SignMode) -> WeightBits:
        return super().__new__(cls, (weight, num_weight_bits, weight_exponent, sign_mode))

    weight = property(lambda self: self[0], doc="Scaled int32 weights ``W'``.")
    num_weight_bits = property(lambda self: self[1], doc="Weight precision in bits.")
    weight_exponent = property(lambda self: self[2], doc="Exponent: ``a = (W' s) << exp``.")
    sign_mode = property(lambda self: self[3], doc=":class:`SignMode` of the matrix.")


def _sign_mode(w: np.ndarray) -> SignMode:
    if w.size == 0 or (w.min() >= 0):
        return SignMode.EXCITATORY
    if w.max() <= 0:
        return SignMode.INHIBITORY
    return SignMode.MIXED


def _trailing_zeros(w: np.ndarray, cap: int = 62) -> int:
    nz = np.abs(w[w != 0]).astype(np.int64)
    if nz.size == 0:
        return cap
    acc = np.bitwise_or.reduce(nz)
    tz = 0
    while tz < cap and not (int(acc) >> tz) & 1:
        tz += 1
    return tz


def _legacy(w: np.ndarray) -> WeightBits:
    """lava-dl 0.6's algorithm, bugs B1-B3 included (netx.md §2.4)."""
    w = w.astype(np.int64)
    if (w.max() > 254 and w.min() < 0) or (w.min() < -256 and w.max() > 0):
        warnings.warn("weights clipped to [-256, 254] (lava-dl 0.6 behaviour)", stacklevel=3)
        w = np.clip(w, -256, 254)
    if w.min() < 0 < w.max():
        mode, signed, scale = SignMode.MIXED, 1, min(127 / w.max(), -128 / w.min())
    elif w.min() >= 0:
        mode, signed = SignMode.EXCITATORY, 0
        with np.errstate(divide="ignore"):
            scale = 255 / w.max() if w.max() else math.inf
    else:
        mode, signed, scale = SignMode.INHIBITORY, 0, -256 / w.min()
    if not math.isfinite(scale):
        raise OverflowError("cannot convert float infinity to integer (lava-dl bug B3)")
    scale_bits = int(np.floor(np.log2(scale))) + signed
    n = 0
    for k in range(8, -1, -1):
        if np.all(w % (1 << k) == 0):
            n = k
            break
    n -= signed
    num_weight_bits = 8 - scale_bits - n
    if scale_bits >= 0:
        out = (w << scale_bits).astype(np.int32)
    else:  # numpy gives 0 for a negative shift count: B2
        out = np.zeros_like(w, dtype=np.int32)
    return WeightBits(out, int(num_weight_bits), int(-scale_bits), mode)


def optimize_weight_bits(weight: Any, *, legacy: bool = False) -> WeightBits:
    """Represent an integer weight matrix exactly in Loihi's 8-bit dense weights.

    Parameters
    ----------
    weight : array_like
        Integer weights, any shape (usually ``(out, in)``); floats are truncated toward zero.
    legacy : bool
        Reproduce lava-dl 0.6 exactly, including bugs B1-B3.

    Returns
    -------
    WeightBits
        ``(weight, num_weight_bits, weight_exponent, sign_mode)``: int32 ``W'`` of the input
        shape, and the parameters to give Lava's ``Dense`` so that it delivers ``W s``.

    Warns
    -----
    UserWarning
        When the weights need more than Loihi's 8 bits of mantissa and cannot be represented
        exactly (the result is then the closest representation by truncation).
    """
    w = np.trunc(np.asarray(weight, dtype=np.float64)).astype(np.int64)
    if legacy:
        return _legacy(w)
    if w.size == 0 or not w.any():
        return WeightBits(np.zeros(w.shape, dtype=np.int32), 8, 0, SignMode.EXCITATORY)
    mode = _sign_mode(w)
    mixed = int(mode is SignMode.MIXED)
    lo, hi = {SignMode.MIXED: (-256, 254), SignMode.EXCITATORY: (0, 255),
              SignMode.INHIBITORY: (-255, 0)}[mode]
    wmax, wmin = int(w.max()), int(w.min())

    def fits(k: int) -> bool:
        scale = 2.0**k
        return wmax * scale <= hi and wmin * scale >= lo

    k_range = 8
    while not fits(k_range):
        k_range -= 1
    k_div = mixed - _trailing_zeros(w)
    if k_div <= k_range:
        k = k_range
        out = w << k if k >= 0 else w >> (-k)
    else:
        k = k_range
        warnings.warn(
            f"the weights (range [{wmin}, {wmax}]) need more than the 8 bits of a Loihi "
            "synapse; they are truncated to the nearest representable values",
            stacklevel=2,
        )
        step = 1 << mixed
        out = (w << k if k >= 0 else w >> (-k)) // step * step
        out = np.clip(out, lo, hi)
    tz = min(_trailing_zeros(out), 8)
    num_weight_bits = 8 - max(tz, mixed) + mixed
    return WeightBits(out.astype(np.int32), int(num_weight_bits), int(-k), mode)


class NetDict:
    """Read-only dictionary view of an hdf5 network file or group (lava-dl's ``NetDict``).

    ``d['type']`` gives the decoded layer type; ``'weight'``, ``'weight_rec'``, ``'bias'``,
    ``'weight/real'``, ``'weight/imag'`` give int arrays (truncated toward zero); other datasets
    give their raw value; an ``int`` key ``i`` gives the child ``str(i)``; groups give a
    :class:`NetDict`. Unlike lava-dl 0.6, scalar datasets such as ``messageBits`` or
    ``sigma_output`` return their value (bug B10), and the file is closed by :meth:`close` or
    on leaving a ``with`` block (bug B14).

    Parameters
    ----------
    filename : str or path, optional
        File to open read-only.
    mode : str
        h5py mode; only ``'r'`` is supported.
    f : h5py.File or h5py.Group, optional
        An open object to view instead of a file name (not closed by this view).
    """

    _INT_KEYS = frozenset({"weight", "weight_rec", "bias", "weight/real", "weight/imag"})

    def __init__(self, filename: str | os.PathLike | None = None, mode: str = "r",
                 f: Any = None) -> None:
        import h5py

        if mode != "r":
            raise ValueError(f"NetDict is read-only; mode must be 'r', got {mode!r}")
        if f is None:
            if filename is None:
                raise ValueError("give a file name or an open h5py object (f=...)")
            try:
                f = h5py.File(filename, "r")
            except OSError as exc:
                raise OSError(f"{filename}: not a readable hdf5 network file ({exc})") from exc
            self._owner = True
        else:
            self._owner = False
        self.f = f
        self.filename = os.fspath(filename) if filename is not None else getattr(
            f, "filename", None)

    def __enter__(self) -> NetDict:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the file if this view opened it."""
        if self._owner:
            try:
                self.f.close()
            except Exception:  # noqa: BLE001 - already closed
                pass
            self._owner = False

    def __del__(self) -> None:  # pragma: no cover - finaliser
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def keys(self) -> Any:
        """Keys of the viewed group."""
        return self.f.keys()

    def __len__(self) -> int:
        return len(self.f)

    def __contains__(self, key: object) -> bool:
        return str(key) in self.f

    def __setitem__(self, key: Any, value: Any) -> None:
        raise NotImplementedError("NetDict is read-only")

    def __getitem__(self, key: Any) -> Any:
        import h5py

        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            key = str(int(key))
            return NetDict(f=self.f[key])
        obj = self.f[key]
        if isinstance(obj, h5py.Group):
            return NetDict(f=obj)
        value = obj[()]
        if key == "type":
            if isinstance(value, np.ndarray):
                value = value.reshape(-1)[0]
            return value.decode("ascii") if isinstance(value, bytes) else str(value)
        if key in self._INT_KEYS:
            return np.asarray(value).astype(int).copy() if isinstance(value, np.ndarray) \
                else int(value)
        if isinstance(value, bytes):
            return value.decode()
        return value

    def __repr__(self) -> str:
        return f"NetDict({self.filename!r}, {getattr(self.f, 'name', '')!r})"

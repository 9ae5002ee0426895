r"""Fixed-point operations of the native runtime (vectorised numpy, exact integers).

All functions take int64 arrays with any number of leading batch axes. The arithmetic is that of
Lava 0.10's fixed-point process models (see :mod:`lava.lib.dl.netx._plan`):

* :func:`rtz_shift` — sign-magnitude right shift :math:`\mathrm{sign}(x)\lfloor|x|/2^k\rfloor`
  (rounds toward zero), used by every decay;
* :func:`decay` — :math:`\mathrm{rtz}(x (2^{12} - d))`;
* :func:`wrap_current` — LIF's single 24-bit wrap of ``u``; :func:`clip_state` — the
  :math:`\pm(2^{23}-1)` saturation of ``v`` and resonator states; :func:`wrap_signed` — the
  modulo-:math:`2^{24}` wrap of a conv synapse's output;
* :func:`shift` — ``x << e`` or arithmetic ``x >> -e``;
* :func:`matmul_exact`, :func:`conv2d`, :func:`conv_transpose2d` — integer synapses.

Exact matrix products
---------------------
Integer matmul in numpy does not use BLAS. Because every synaptic sum is an integer whose
partial sums are bounded by :math:`B = \max|x| \cdot \max_o \sum_i |W_{oi}|`, the product is
computed in float32 when :math:`B < 2^{24}`, in float64 when :math:`B < 2^{53}` (every partial
sum is then exactly representable, whatever order BLAS adds in) and in int64 otherwise. The
result is identical to the int64 product in every case; only the speed differs.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "Conv2dPlan",
    "ExactWeights",
    "clip_state",
    "conv2d",
    "conv_transpose2d",
    "decay",
    "decay_",
    "matmul_exact",
    "rtz_shift",
    "shift",
    "smallest_int",
    "time_first",
    "wrap_current",
    "wrap_signed",
]

DECAY_BITS = 12
STATE_LIMIT = (1 << 23) - 1
_F32_EXACT = 1 << 24
_F64_EXACT = 1 << 53


def rtz_shift(x: np.ndarray, k: int) -> np.ndarray:
    """Right shift by ``k`` rounding toward zero: ``sign(x) * (|x| >> k)`` (int64).

    Computed as ``(x + ((x >> 63) & (2**k - 1))) >> k``: negative values get ``2**k - 1`` added
    before the (flooring) arithmetic shift, which turns the floor into a truncation.
    """
    x = np.asarray(x, dtype=np.int64)
    t = x >> 63
    t &= (1 << k) - 1
    t += x
    t >>= k
    return t


def decay(x: np.ndarray, d: int | np.ndarray, bits: int = DECAY_BITS) -> np.ndarray:
    """Leak ``x`` by ``d / 2**bits``: ``rtz(x * (2**bits - d), bits)``."""
    if np.ndim(d) == 0:
        d = int(d)
        if d == 0:
            return np.array(x, dtype=np.int64)
        if d == 1 << bits:
            return np.zeros(np.shape(x), dtype=np.int64)
    return rtz_shift(np.asarray(x, dtype=np.int64) * ((1 << bits) - np.asarray(d)), bits)


def decay_(x: np.ndarray, d: int, scratch: np.ndarray, bits: int = DECAY_BITS) -> np.ndarray:
    """In-place :func:`decay` of an int64 array ``x`` (``scratch``: int64 array of its shape)."""
    if d == 0:
        return x
    if d == 1 << bits:
        x[...] = 0
        return x
    x *= (1 << bits) - d
    np.right_shift(x, 63, out=scratch)
    scratch &= (1 << bits) - 1
    x += scratch
    x >>= bits
    return x


def _outside(x: np.ndarray, lo: int, hi: int) -> bool:
    return x.size > 0 and (int(x.max()) > hi or int(x.min()) < lo)


def wrap_current(x: np.ndarray) -> np.ndarray:
    """Lava LIF's single wrap of the current into 24 bits.

    ``x > 2**23`` becomes ``x - 2**24``; then a value ``<= -2**23`` (tested on the once-wrapped
    value) becomes ``x + 2**24`` (of the original value), exactly as the bit-accurate model.
    """
    m = 1 << 23
    if not _outside(x, -m + 1, m):
        return x
    w = np.where(x > m, x - 2 * m, x)
    return np.where(w <= -m, x + 2 * m, w)


def clip_state(x: np.ndarray) -> np.ndarray:
    """Saturate to ``[-(2**23 - 1), 2**23 - 1]``."""
    if not _outside(x, -STATE_LIMIT, STATE_LIMIT):
        return x
    return np.clip(x, -STATE_LIMIT, STATE_LIMIT)


def wrap_signed(x: np.ndarray, bits: int = 24) -> np.ndarray:
    """Two's-complement wrap to ``bits`` bits: ``((x + 2**(b-1)) mod 2**b) - 2**(b-1)``."""
    base = 1 << bits
    if not _outside(x, -base // 2, base // 2 - 1):
        return x
    return (x + base // 2) % base - base // 2


def shift(x: np.ndarray, e: int) -> np.ndarray:
    """``x << e`` for ``e >= 0``, arithmetic ``x >> -e`` otherwise."""
    return x << e if e >= 0 else x >> (-e)


class ExactWeights:
    """A weight matrix prepared for exact products with integer inputs.

    Parameters
    ----------
    weight : np.ndarray
        int64 ``(out, in)``.

    Notes
    -----
    Holds int64, float32 and float64 transposed copies and ``max_o sum_i |W_oi|``; see the
    module docstring for the choice of dtype.
    """

    def __init__(self, weight: np.ndarray) -> None:
        w = np.asarray(weight, dtype=np.int64)
        if w.ndim != 2:
            raise ValueError(f"weight must be 2-D (out, in), got shape {w.shape}")
        self.shape = w.shape
        self.t_int = np.ascontiguousarray(w.T)
        self.t_f64 = self.t_int.astype(np.float64)
        self.t_f32 = self.t_int.astype(np.float32)
        self.row_abs_sum = int(np.abs(w).sum(axis=1).max()) if w.size else 0
        self.t_small = smallest_int(self.t_int)

    def dtype_for(self, x_absmax: int) -> type:
        """The cheapest exact dtype for inputs bounded by ``x_absmax``."""
        bound = int(x_absmax) * self.row_abs_sum
        if bound < _F32_EXACT:
            return np.float32
        if bound < _F64_EXACT:
            return np.float64
        return np.int64

    def matmul(self, x: np.ndarray) -> np.ndarray:
        """``x @ W.T`` exactly, ``x`` int ``(..., in)`` -> int64 ``(..., out)``."""
        return matmul_exact(x, self)


def _absmax(x: np.ndarray) -> int:
    if x.size == 0:
        return 0
    return int(max(abs(int(x.max())), abs(int(x.min()))))


def matmul_exact(x: np.ndarray, w: ExactWeights, absmax: int | None = None) -> np.ndarray:
    """Exact ``x @ W.T`` for integer ``x`` of shape ``(..., in)``; returns int64 ``(..., out)``.

    ``absmax`` is a known bound of ``|x|`` (1 for spikes), else it is computed.
    """
    dt = w.dtype_for(_absmax(x) if absmax is None else absmax)
    if dt is np.float32:
        return np.matmul(x.astype(np.float32), w.t_f32).astype(np.int64)
    if dt is np.float64:
        return np.matmul(x.astype(np.float64), w.t_f64).astype(np.int64)
    return np.matmul(x.astype(np.int64), w.t_int)


def smallest_int(w: np.ndarray) -> np.ndarray:
    """``w`` (integers) in the narrowest of int8/16/32/64 holding every value, C-contiguous.

    Event-driven products read weight rows from memory; 8-bit weights in int8 move 8x fewer
    bytes than int64 (the sums are still formed in int64)."""
    w = np.asarray(w)
    lo, hi = (int(w.min()), int(w.max())) if w.size else (0, 0)
    for dt in (np.int8, np.int16, np.int32):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return np.ascontiguousarray(w, dtype=dt)
    return np.ascontiguousarray(w, dtype=np.int64)


def time_first(x: np.ndarray) -> np.ndarray:
    """C-contiguous copy of ``x`` ``(..., T)`` with time first: ``(T, ...)``.

    Copied in blocks of rows so that reads and writes stay in cache (numpy's plain transposed
    copy of a large time-last array costs one cache miss per element: about 4x slower).
    """
    x = np.asarray(x)
    n_t = x.shape[-1]
    rows = x.reshape(-1, n_t)
    out = np.empty((n_t, rows.shape[0]), dtype=x.dtype)
    block = max(64, (1 << 16) // max(1, n_t))
    for i in range(0, rows.shape[0], block):
        out[:, i:i + block] = rows[i:i + block].T
    return out.reshape(n_t, *x.shape[:-1])


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    a, b = v
    return int(a), int(b)


class ConvKernel:
    """A conv kernel prepared for exact im2col products.

    Parameters
    ----------
    weight : np.ndarray
        int64 ``(C_out, C_in/groups, kH, kW)`` (torch correlation layout).
    groups : int
        Channel groups.
    """

    def __init__(self, weight: np.ndarray, groups: int = 1) -> None:
        w = np.asarray(weight, dtype=np.int64)
        if w.ndim != 4:
            raise ValueError(f"conv weight must be 4-D (out, in/groups, kH, kW), got {w.shape}")
        c_out, c_in_g, kh, kw = w.shape
        if c_out % groups:
            raise ValueError(f"{c_out} output channels are not divisible by groups={groups}")
        self.groups = groups
        self.shape = w.shape
        # (G, C_out/G, C_in/G * kH * kW) for w @ cols
        wg = w.reshape(groups, c_out // groups, c_in_g * kh * kw)
        self.w_int = np.ascontiguousarray(wg)
        self.w_f32 = self.w_int.astype(np.float32)
        self.w_f64 = self.w_int.astype(np.float64)
        self.row_abs_sum = int(np.abs(w).reshape(c_out, -1).sum(axis=1).max()) if w.size else 0

    def pick(self, x_absmax: int) -> np.ndarray:
        bound = int(x_absmax) * self.row_abs_sum
        if bound < _F32_EXACT:
            return self.w_f32
        if bound < _F64_EXACT:
            return self.w_f64
        return self.w_int


def conv2d(
    x: np.ndarray,
    kernel: ConvKernel,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    absmax: int | None = None,
) -> np.ndarray:
    """Exact 2-D correlation (torch ``conv2d`` semantics, zero padding) by im2col.

    Parameters
    ----------
    x : np.ndarray
        Integer input ``(B, C_in, H, W)``.
    kernel : ConvKernel
        Prepared kernel ``(C_out, C_in/groups, kH, kW)``.
    stride, padding, dilation : int or (H, W) pair
    absmax : int, optional
        Known bound of ``|x|`` (1 for spikes); computed when omitted.

    Returns
    -------
    np.ndarray
        int64 ``(B, C_out, H_out, W_out)``.
    """
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    c_out, c_in_g, kh, kw = kernel.shape
    g = kernel.groups
    b, c_in, _, _ = x.shape
    if c_in != c_in_g * g:
        raise ValueError(f"input has {c_in} channels, the kernel expects {c_in_g * g}")
    w = kernel.pick(_absmax(x) if absmax is None else absmax)
    h, wd = x.shape[2], x.shape[3]
    if ph or pw:  # zero padding into a fresh buffer (cheaper than np.pad)
        xf = np.zeros((b, c_in, h + 2 * ph, wd + 2 * pw), dtype=w.dtype)
        xf[:, :, ph:ph + h, pw:pw + wd] = x
    else:
        xf = np.ascontiguousarray(x, dtype=w.dtype)
    ho = (xf.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xf.shape[3] - dw * (kw - 1) - 1) // sw + 1
    sb, sc, sy, sx = xf.strides
    # (B, G, C_in/G, kH, kW, Ho, Wo) view of the windows, then the one im2col copy
    win = np.ndarray((b, g, c_in_g, kh, kw, ho, wo), xf.dtype, xf,  # as_strided, less overhead
                     strides=(sb, sc * c_in_g, sc, sy * dh, sx * dw, sy * sh, sx * sw))
    cols = win.reshape(b, g, c_in_g * kh * kw, ho * wo)
    out = np.matmul(w, cols)  # (B, G, C_out/G, Ho*Wo)
    return out.reshape(b, c_out, ho, wo).astype(np.int64)


class Conv2dPlan:
    """:func:`conv2d` for one input shape and a known input bound, with every shape, stride
    and the exact product dtype worked out once (saves the per-call set-up: several µs, the
    bulk of a small convolution's time).

    Parameters
    ----------
    in_shape : tuple of int
        ``(B, C_in, H, W)``.
    kernel : ConvKernel
    stride, padding, dilation : (H, W) pairs
    absmax : int
        Bound of ``|x|`` (1 for spikes).
    """

    def __init__(self, in_shape: tuple[int, ...], kernel: ConvKernel,
                 stride: tuple[int, int], padding: tuple[int, int],
                 dilation: tuple[int, int], absmax: int) -> None:
        (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
        c_out, c_in_g, kh, kw = kernel.shape
        g = kernel.groups
        b, c_in, h, wd = in_shape
        if c_in != c_in_g * g:
            raise ValueError(f"input has {c_in} channels, the kernel expects {c_in_g * g}")
        self.w = kernel.pick(absmax)
        self.pad = (ph, pw)
        self.padded = (b, c_in, h + 2 * ph, wd + 2 * pw)
        ho = (self.padded[2] - dh * (kh - 1) - 1) // sh + 1
        wo = (self.padded[3] - dw * (kw - 1) - 1) // sw + 1
        item = self.w.dtype.itemsize
        sx = item
        sy = sx * self.padded[3]
        sc = sy * self.padded[2]
        sb = sc * c_in
        self.view = (b, g, c_in_g, kh, kw, ho, wo)
        self.strides = (sb, sc * c_in_g, sc, sy * dh, sx * dw, sy * sh, sx * sw)
        self.cols = (b, g, c_in_g * kh * kw, ho * wo)
        self.out = (b, c_out, ho, wo)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """int64 ``(B, C_out, Ho, Wo)`` for ``x`` of the planned shape."""
        ph, pw = self.pad
        if ph or pw:
            xf = np.zeros(self.padded, dtype=self.w.dtype)
            xf[:, :, ph:self.padded[2] - ph, pw:self.padded[3] - pw] = x
        else:
            xf = np.ascontiguousarray(x, dtype=self.w.dtype)
        win = np.ndarray(self.view, xf.dtype, xf, strides=self.strides)
        return np.matmul(self.w, win.reshape(self.cols)).reshape(self.out).astype(np.int64)


def transpose_kernel(weight: np.ndarray, groups: int = 1) -> np.ndarray:
    """Turn a ``conv_transpose2d`` kernel ``(C_in, C_out/g, kH, kW)`` into the equivalent
    correlation kernel ``(C_out, C_in/g, kH, kW)`` (spatially flipped)."""
    w = np.asarray(weight, dtype=np.int64)
    c_in, c_out_g, kh, kw = w.shape
    w = w.reshape(groups, c_in // groups, c_out_g, kh, kw).transpose(0, 2, 1, 3, 4)
    w = w.reshape(groups * c_out_g, c_in // groups, kh, kw)
    return np.ascontiguousarray(w[:, :, ::-1, ::-1])


def conv_transpose2d(
    x: np.ndarray,
    kernel: ConvKernel,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    absmax: int | None = None,
) -> np.ndarray:
    """Exact transposed 2-D convolution (torch ``conv_transpose2d``, output padding 0).

    ``kernel`` must be prepared from :func:`transpose_kernel` of the ``(C_in, C_out/g, kH, kW)``
    weight. Implemented as a stride-1 correlation of the zero-upsampled input.
    """
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    _, _, kh, kw = kernel.shape
    b, c, h, w = x.shape
    up = np.zeros((b, c, (h - 1) * sh + 1, (w - 1) * sw + 1), dtype=np.int64)
    up[:, :, ::sh, ::sw] = x
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    up = np.pad(up, ((0, 0), (0, 0), (max(qh, 0), max(qh, 0)), (max(qw, 0), max(qw, 0))))
    if qh < 0:
        up = up[:, :, -qh:qh, :]
    if qw < 0:
        up = up[:, :, :, -qw:qw]
    return conv2d(up, kernel, 1, 0, (dh, dw), absmax)

r"""Compiled CPU backend: numba kernels parallel over neurons (private).

Every primitive of :mod:`._interface` is implemented as a numba ``@njit(parallel=True)`` kernel
whose outer loop runs over the ``M`` independent neurons with ``prange`` (one OS thread per core,
``NUMBA_NUM_THREADS``) and whose inner loop runs sequentially over the ``T`` time steps of that
neuron. Rows of the ``(M, T)`` traces are contiguous, so each thread streams through memory.

Bit exactness with the reference
--------------------------------
The fixed-point helpers of the interface are written out as scalar code:

* ``fix(a) = trunc(a * S)``: the product is taken between two scalars of the traces' dtype (the
  scale is passed in as a value of that dtype), so it is rounded exactly like the reference's
  tensor product, and the float-to-int64 conversion truncates toward zero (LLVM ``fptosi``).
* ``flt(A) = float(A) / S``: the int64 is first stored into the output array (a conversion to
  the traces' dtype, rounded to nearest) and then divided in that dtype; when ``S`` is a power
  of two it is multiplied by the exact inverse instead, which rounds identically.
* ``rtz(a) = sign(a) (|a| >> 12)`` on int64 (computed branch-free as
  ``(a + (4095 if a < 0 else 0)) >> 12``); ``leak(A, d) = rtz(A (4096 - d))``.
* "No reset" is a reset level of :data:`._interface.NO_RESET` (``2**62``), never reached by the
  int64 states of the contract (below ``2**50``).

Backward recurrences use the reference's operation order with separately rounded products and
sums (numba does not contract to fused multiply-adds unless ``fastmath`` is set, which it is
not), so they too equal the reference bit for bit.

Kernels are compiled on first use for each dtype (float32, float64) and cached on disk
(``cache=True``), so only the first process pays the compile time.

Threads
-------
Every primitive first sets numba's thread count for the calling thread
(:func:`thread_count`). The environment variable ``LAVA_DL_NUMBA_THREADS`` chooses it: an
integer (capped at ``NUMBA_NUM_THREADS``), ``all`` (``NUMBA_NUM_THREADS``, one per core by
default), or ``auto`` (the default): the cores not already busy with other processes,
``round(cpu_count - (load1 - own))`` clamped to ``[1, NUMBA_NUM_THREADS]``, where ``load1`` is
the 1-minute load average and ``own`` the thread count this thread used last. On an idle machine
that is every core; on a machine shared with other work it avoids the oversubscription in which a
parallel loop waits for a thread the OS has descheduled (measured on the project's 2-core
machine at load ~5: CUBA forward+backward 52 ms with one thread, 130-180 ms with two). Results
do not depend on the thread count (neurons are independent; every reduction runs inside one
neuron's loop).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from ._interface import NO_RESET

try:  # the real import error is reported by is_available()
    import numba
    from numba import njit, prange

    _IMPORT_ERROR = ""
except Exception as exc:  # pragma: no cover - exercised only without numba
    numba = None
    _IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

    def njit(*args, **kwargs):  # noqa: D103 - placeholder decorator
        def wrap(fn):
            return fn

        return wrap

    prange = range

__all__ = [
    "NAME",
    "THREADS_ENV",
    "thread_count",
    "is_available",
    "supports_device",
    "leaky_integrator_fwd",
    "leaky_integrator_bwd",
    "resonator_fwd",
    "resonator_bwd",
    "adaptive_threshold_fwd",
    "adaptive_phase_th_fwd",
    "adaptive_resonator_fwd",
    "delta_encoder_fwd",
    "spike_real_fwd",
    "spike_real_bwd",
    "leaky_integrator_bwd_fused",
    "delta_encoder_fwd_fused",
    "delta_encoder_bwd_fused",
]

NAME = "numba"

#: Environment variable choosing the numba thread count (``auto``, ``all`` or an integer).
THREADS_ENV = "LAVA_DL_NUMBA_THREADS"

_P_SCALE = 4096
_P_BITS = 12
_FLOATS = (torch.float32, torch.float64)


def is_available() -> tuple[bool, str]:
    """Usable when numba imports.

    Returns
    -------
    tuple of (bool, str)
        ``(True, "")``, or ``(False, reason)`` with numba's real import error and the fix.
    """
    if numba is None:
        return False, (
            f"numba failed to import ({_IMPORT_ERROR}); install numba>=0.59 "
            "(a dependency of lava-dl-core) or select the 'reference' backend"
        )
    return True, ""


def supports_device(device: torch.device) -> bool:
    """The numba backend processes CPU tensors only."""
    return torch.device(device).type == "cpu"


# ---------------------------------------------------------------------- threads
def thread_count() -> int:
    """Thread count for the next parallel kernel, from ``LAVA_DL_NUMBA_THREADS``.

    Returns
    -------
    int
        Between 1 and ``numba.config.NUMBA_NUM_THREADS`` (see the module docstring).

    Raises
    ------
    ValueError
        The environment variable holds something other than ``auto``, ``all`` or an integer
        >= 1.
    """
    top = int(numba.config.NUMBA_NUM_THREADS)
    text = os.environ.get(THREADS_ENV, "auto").strip().lower()
    if text in ("", "auto"):
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average on this platform
            return top
        own = numba.get_num_threads()
        free = (os.cpu_count() or top) - max(0.0, load - own)
        return max(1, min(top, int(free + 0.5)))
    if text == "all":
        return top
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(
            f"{THREADS_ENV}={text!r} is not a thread count: use 'auto' (the default: cores not "
            f"busy with other work), 'all' (NUMBA_NUM_THREADS={top}) or an integer >= 1"
        )
    return min(n, top)


def _use_threads() -> None:
    n = thread_count()
    if n != numba.get_num_threads():
        numba.set_num_threads(n)


# ---------------------------------------------------------------------- argument handling
def _traces(*xs: torch.Tensor) -> list[np.ndarray]:
    """Validate ``(M, T)`` float traces of one dtype and return contiguous numpy views."""
    _use_threads()
    first = xs[0]
    if first.dtype not in _FLOATS:
        raise TypeError(f"core primitives take float32 or float64 traces, got {first.dtype}")
    out = []
    for x in xs:
        if x.dim() != 2 or x.dtype != first.dtype or x.shape != first.shape:
            raise ValueError(
                "core primitives take (M, T) traces of one dtype and shape, got "
                f"{tuple(x.shape)} {x.dtype} vs {tuple(first.shape)} {first.dtype}"
            )
        if x.device.type != "cpu":
            raise ValueError(
                f"the numba backend processes CPU tensors only, got a tensor on {x.device}; "
                "use backend='cupy' or 'reference' for other devices"
            )
        out.append(x.detach().contiguous().numpy())
    return out


def _per_neuron(p: torch.Tensor, m: int, dtype: torch.dtype, what: str) -> np.ndarray:
    """Validate a ``(M,)`` per-neuron tensor of ``dtype`` and return a contiguous numpy view."""
    if p.dim() != 1 or p.shape[0] != m:
        raise ValueError(
            f"{what} must have shape ({m},) (one value per neuron), got {tuple(p.shape)}"
        )
    if p.dtype != dtype:
        raise TypeError(f"{what} must have dtype {dtype}, got {p.dtype}")
    if p.device.type != "cpu":
        raise ValueError(f"{what} is on {p.device}; the numba backend needs CPU tensors")
    return p.detach().contiguous().numpy()


def _ints(m: int, **params: torch.Tensor) -> list[np.ndarray]:
    return [_per_neuron(p, m, torch.int64, name) for name, p in params.items()]


def _scale(s_scale: int, dtype: np.dtype) -> tuple:
    """``(S, 1/S, S is a power of two)`` in ``dtype``.

    Dividing by a power of two and multiplying by its (exact) inverse give the same correctly
    rounded result, so kernels multiply in that case (division is several times slower).
    """
    s = int(s_scale)
    if s <= 0:
        raise ValueError(f"s_scale must be a positive integer, got {s_scale!r}")
    pow2 = s & (s - 1) == 0
    return (dtype.type(s), dtype.type(1.0 / s if pow2 else 0.0), pow2)


def _empty(like: np.ndarray, n: int = 1) -> list[torch.Tensor]:
    return [torch.from_numpy(np.empty_like(like)) for _ in range(n)]


# ---------------------------------------------------------------------- scalar helpers
@njit(inline="always", cache=True)
def _rtz(a):
    # branch-free sign(a) * (|a| >> 12): add 4095 to negative values before the floor shift
    return (a + ((a >> 63) & (_P_SCALE - 1))) >> _P_BITS


@njit(inline="always", cache=True)
def _leak(a, d):
    return _rtz(a * (_P_SCALE - d))


# ---------------------------------------------------------------------- leaky integrator
# The leaky integrator is the hottest primitive (two per CUBA/ALIF neuron). Its per-step
# recurrence is a short dependency chain (multiply, shift, add, compare), so one neuron per loop
# leaves the CPU waiting on latency; the kernels below advance _LANES independent neurons in
# lock-step inside each parallel iteration, which lets the out-of-order core overlap the chains
# (about 2x on the backward pass). Every lane runs exactly the scalar recurrence.
_LANES = 4


@njit(inline="always", cache=True)
def _li_step(a, d, h, xv, s, inv, pow2, y, m, t):
    a = _leak(a, d) + np.int64(xv * s)
    y[m, t] = a
    y[m, t] = y[m, t] * inv if pow2 else y[m, t] / s
    return 0 if a >= h else a


@njit(parallel=True, cache=True)
def _li_fwd(x, decay, state, threshold, sc, y):
    m_count, t_count = x.shape
    s, inv, pow2 = sc
    for b in prange((m_count + _LANES - 1) // _LANES):
        m0 = b * _LANES
        if m0 + _LANES <= m_count:
            m1, m2, m3 = m0 + 1, m0 + 2, m0 + 3
            a0, a1, a2, a3 = state[m0], state[m1], state[m2], state[m3]
            d0, d1, d2, d3 = decay[m0], decay[m1], decay[m2], decay[m3]
            h0, h1, h2, h3 = threshold[m0], threshold[m1], threshold[m2], threshold[m3]
            for t in range(t_count):
                a0 = _li_step(a0, d0, h0, x[m0, t], s, inv, pow2, y, m0, t)
                a1 = _li_step(a1, d1, h1, x[m1, t], s, inv, pow2, y, m1, t)
                a2 = _li_step(a2, d2, h2, x[m2, t], s, inv, pow2, y, m2, t)
                a3 = _li_step(a3, d3, h3, x[m3, t], s, inv, pow2, y, m3, t)
        else:
            for m in range(m0, m_count):
                a, d, h = state[m], decay[m], threshold[m]
                for t in range(t_count):
                    a = _li_step(a, d, h, x[m, t], s, inv, pow2, y, m, t)


def leaky_integrator_fwd(x, decay, state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.leaky_integrator_fwd`."""
    (xn,) = _traces(x)
    m = xn.shape[0]
    dn, sn = _ints(m, decay=decay, state=state)
    if threshold is None:  # never reached by int64 states below 2**62
        thn = np.full(m, NO_RESET, dtype=np.int64)
    else:
        thn = _ints(m, threshold=threshold)[0]
    (y,) = _empty(xn)
    _li_fwd(xn, dn, sn, thn, _scale(s_scale, xn.dtype), y.numpy())
    return y


@njit(inline="always", cache=True)
def _li_back_step(a, g, keep, has_keep, grad_y, grad_x, m, t):
    k = g * keep[m, t] if has_keep else g
    a = grad_y[m, t] + k * a
    grad_x[m, t] = a
    return a


@njit(parallel=True, cache=True)
def _li_bwd(grad_y, gain, keep, has_keep, zero, grad_x):
    m_count, t_count = grad_y.shape
    for b in prange((m_count + _LANES - 1) // _LANES):
        m0 = b * _LANES
        if m0 + _LANES <= m_count:
            m1, m2, m3 = m0 + 1, m0 + 2, m0 + 3
            a0 = a1 = a2 = a3 = zero
            g0, g1, g2, g3 = gain[m0], gain[m1], gain[m2], gain[m3]
            for t in range(t_count - 1, -1, -1):
                a0 = _li_back_step(a0, g0, keep, has_keep, grad_y, grad_x, m0, t)
                a1 = _li_back_step(a1, g1, keep, has_keep, grad_y, grad_x, m1, t)
                a2 = _li_back_step(a2, g2, keep, has_keep, grad_y, grad_x, m2, t)
                a3 = _li_back_step(a3, g3, keep, has_keep, grad_y, grad_x, m3, t)
        else:
            for m in range(m0, m_count):
                a = zero
                g = gain[m]
                for t in range(t_count - 1, -1, -1):
                    a = _li_back_step(a, g, keep, has_keep, grad_y, grad_x, m, t)


def leaky_integrator_bwd(grad_y, gain, keep):
    """See :meth:`._interface.CoreBackend.leaky_integrator_bwd`."""
    has_keep = keep is not None
    gy, kp = _traces(grad_y, keep) if has_keep else (_traces(grad_y)[0], None)
    gn = _per_neuron(gain, gy.shape[0], grad_y.dtype, "gain")
    if kp is None:
        kp = gy  # never read
    (gx,) = _empty(gy)
    _li_bwd(gy, gn, kp, has_keep, gy.dtype.type(0), gx.numpy())
    return gx


# ---------------------------------------------------------------------- resonator
@njit(parallel=True, cache=True)
def _res_fwd(x_re, x_im, sin_d, cos_d, re_state, im_state, threshold, has_th, sc, re, im):
    m_count, t_count = x_re.shape
    s, inv, pow2 = sc
    for m in prange(m_count):
        r = re_state[m]
        i = im_state[m]
        sd = sin_d[m]
        cd = cos_d[m]
        th = threshold[m] if has_th else 0
        for t in range(t_count):
            r_new = _rtz(cd * r) - _rtz(sd * i) + np.int64(x_re[m, t] * s)
            i_new = _rtz(sd * r) + _rtz(cd * i) + np.int64(x_im[m, t] * s)
            r = r_new
            i = i_new
            re[m, t] = r
            re[m, t] = re[m, t] * inv if pow2 else re[m, t] / s
            im[m, t] = i
            im[m, t] = im[m, t] * inv if pow2 else im[m, t] / s
            if has_th and i >= th:
                r = 0
                i = th - 1


def resonator_fwd(x_re, x_im, sin_decay, cos_decay, re_state, im_state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.resonator_fwd`."""
    xr, xi = _traces(x_re, x_im)
    m = xr.shape[0]
    sd, cd, rs, is_ = _ints(
        m, sin_decay=sin_decay, cos_decay=cos_decay, re_state=re_state, im_state=im_state
    )
    has_th = threshold is not None
    thn = _ints(m, threshold=threshold)[0] if has_th else sd
    re, im = _empty(xr, 2)
    _res_fwd(
        xr, xi, sd, cd, rs, is_, thn, has_th, _scale(s_scale, xr.dtype), re.numpy(), im.numpy()
    )
    return re, im


@njit(parallel=True, cache=True)
def _res_bwd(grad_re, grad_im, sin_g, cos_g, keep, has_keep, zero, gx_re, gx_im):
    m_count, t_count = grad_re.shape
    for m in prange(m_count):
        a_re = zero
        a_im = zero
        sg = sin_g[m]
        cg = cos_g[m]
        for t in range(t_count - 1, -1, -1):
            c_re = cg * a_re + sg * a_im
            c_im = cg * a_im - sg * a_re
            if has_keep:
                c_re = keep[m, t] * c_re
                c_im = keep[m, t] * c_im
            a_re = grad_re[m, t] + c_re
            a_im = grad_im[m, t] + c_im
            gx_re[m, t] = a_re
            gx_im[m, t] = a_im


def resonator_bwd(grad_re, grad_im, sin_gain, cos_gain, keep):
    """See :meth:`._interface.CoreBackend.resonator_bwd`."""
    has_keep = keep is not None
    if has_keep:
        gr, gi, kp = _traces(grad_re, grad_im, keep)
    else:
        gr, gi = _traces(grad_re, grad_im)
        kp = gr  # never read
    m = gr.shape[0]
    sg = _per_neuron(sin_gain, m, grad_re.dtype, "sin_gain")
    cg = _per_neuron(cos_gain, m, grad_re.dtype, "cos_gain")
    gx_re, gx_im = _empty(gr, 2)
    _res_bwd(gr, gi, sg, cg, kp, has_keep, gr.dtype.type(0), gx_re.numpy(), gx_im.numpy())
    return gx_re, gx_im


# ---------------------------------------------------------------------- adaptive threshold
@njit(parallel=True, cache=True)
def _ath_fwd(v, ref_decay, th_decay, th0, th_step, ref_state, th_state, sc, th, ref):
    m_count, t_count = v.shape
    s, inv, pow2 = sc
    for m in prange(m_count):
        rf = ref_state[m]
        tv = th_state[m]
        rd = ref_decay[m]
        td = th_decay[m]
        t0 = th0[m]
        st = th_step[m]
        for t in range(t_count):
            rf = _leak(rf, rd)
            tv = _leak(tv - t0, td) + t0
            fire = np.int64(v[m, t] * s) >= tv + rf
            th[m, t] = tv
            th[m, t] = th[m, t] * inv if pow2 else th[m, t] / s
            ref[m, t] = rf
            ref[m, t] = ref[m, t] * inv if pow2 else ref[m, t] / s
            if fire:
                rf = rf + 2 * tv
                tv = tv + st


def adaptive_threshold_fwd(v, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale):
    """See :meth:`._interface.CoreBackend.adaptive_threshold_fwd`."""
    (vn,) = _traces(v)
    m = vn.shape[0]
    ints = _ints(
        m,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        ref_state=ref_state,
        th_state=th_state,
    )
    th, ref = _empty(vn, 2)
    _ath_fwd(vn, *ints, _scale(s_scale, vn.dtype), th.numpy(), ref.numpy())
    return th, ref


@njit(parallel=True, cache=True)
def _aph_fwd(re, im, im_state, ref_decay, th_decay, th0, th_step, ref_state, th_state, sc, th, ref):
    m_count, t_count = re.shape
    s, inv, pow2 = sc
    for m in prange(m_count):
        rf = ref_state[m]
        tv = th_state[m]
        i_prev = im_state[m]
        rd = ref_decay[m]
        td = th_decay[m]
        t0 = th0[m]
        st = th_step[m]
        for t in range(t_count):
            rf = _leak(rf, rd)
            tv = _leak(tv - t0, td) + t0
            i = np.int64(im[m, t] * s)
            fire = (np.int64(re[m, t] * s) >= tv + rf) and (i_prev < 0) and (i >= 0)
            th[m, t] = tv
            th[m, t] = th[m, t] * inv if pow2 else th[m, t] / s
            ref[m, t] = rf
            ref[m, t] = ref[m, t] * inv if pow2 else ref[m, t] / s
            if fire:
                rf = rf + 2 * tv
                tv = tv + st
            i_prev = i


def adaptive_phase_th_fwd(
    re, im, im_state, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale
):
    """See :meth:`._interface.CoreBackend.adaptive_phase_th_fwd`."""
    ren, imn = _traces(re, im)
    m = ren.shape[0]
    ints = _ints(
        m,
        im_state=im_state,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        ref_state=ref_state,
        th_state=th_state,
    )
    th, ref = _empty(ren, 2)
    _aph_fwd(ren, imn, *ints, _scale(s_scale, ren.dtype), th.numpy(), ref.numpy())
    return th, ref


@njit(parallel=True, cache=True)
def _ares_fwd(
    x_re,
    x_im,
    sin_d,
    cos_d,
    ref_decay,
    th_decay,
    th0,
    th_step,
    re_state,
    im_state,
    ref_state,
    th_state,
    sc,
    re,
    im,
    th,
    ref,
):
    m_count, t_count = x_re.shape
    s, inv, pow2 = sc
    for m in prange(m_count):
        r = re_state[m]
        i = im_state[m]
        rf = ref_state[m]
        tv = th_state[m]
        sd = sin_d[m]
        cd = cos_d[m]
        rd = ref_decay[m]
        td = th_decay[m]
        t0 = th0[m]
        st = th_step[m]
        for t in range(t_count):
            r_new = _rtz(cd * r) - _rtz(sd * i) + np.int64(x_re[m, t] * s)
            i_new = _rtz(sd * r) + _rtz(cd * i) + np.int64(x_im[m, t] * s)
            r = r_new
            i = i_new
            rf = _leak(rf, rd)
            tv = _leak(tv - t0, td) + t0
            fire = i >= tv + rf
            re[m, t] = r
            re[m, t] = re[m, t] * inv if pow2 else re[m, t] / s
            im[m, t] = i
            im[m, t] = im[m, t] * inv if pow2 else im[m, t] / s
            th[m, t] = tv
            th[m, t] = th[m, t] * inv if pow2 else th[m, t] / s
            ref[m, t] = rf
            ref[m, t] = ref[m, t] * inv if pow2 else ref[m, t] / s
            if fire:
                rf = rf + 2 * tv
                tv = tv + st


def adaptive_resonator_fwd(
    x_re,
    x_im,
    sin_decay,
    cos_decay,
    ref_decay,
    th_decay,
    th0,
    th_step,
    re_state,
    im_state,
    ref_state,
    th_state,
    *,
    s_scale,
):
    """See :meth:`._interface.CoreBackend.adaptive_resonator_fwd`."""
    xr, xi = _traces(x_re, x_im)
    m = xr.shape[0]
    ints = _ints(
        m,
        sin_decay=sin_decay,
        cos_decay=cos_decay,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        re_state=re_state,
        im_state=im_state,
        ref_state=ref_state,
        th_state=th_state,
    )
    re, im, th, ref = _empty(xr, 4)
    _ares_fwd(
        xr, xi, *ints, _scale(s_scale, xr.dtype), re.numpy(), im.numpy(), th.numpy(), ref.numpy()
    )
    return re, im, th, ref


# ---------------------------------------------------------------------- delta encoder
@njit(parallel=True, cache=True)
def _delta_fwd(x, threshold, prev, residual, zero, delta):
    m_count, t_count = x.shape
    for m in prange(m_count):
        p = prev[m]
        r = residual[m]
        th = threshold[m]
        for t in range(t_count):
            xv = x[m, t]
            d = (xv - p) + r
            delta[m, t] = d
            if abs(d) >= th:
                r = zero
            else:
                r = d
            p = xv


def delta_encoder_fwd(x, threshold, prev, residual):
    """See :meth:`._interface.CoreBackend.delta_encoder_fwd`."""
    (xn,) = _traces(x)
    m = xn.shape[0]
    thn = _per_neuron(threshold, m, x.dtype, "threshold")
    pn = _per_neuron(prev, m, x.dtype, "prev")
    rn = _per_neuron(residual, m, x.dtype, "residual")
    (delta,) = _empty(xn)
    _delta_fwd(xn, thn, pn, rn, xn.dtype.type(0), delta.numpy())
    return delta


# ---------------------------------------------------------------------- fused spike primitives
# Elementwise and memory bound: one pass replaces the reference's chain of torch operations.
# Each scalar operation is rounded in the traces' dtype exactly like the torch expression; the
# exponential is left to torch.exp (in place), since a compiled exp may differ by one ulp.
def _flat(v: torch.Tensor, *others: torch.Tensor) -> list[np.ndarray]:
    """Validate the flat arguments of the spike primitives and return numpy views."""
    _use_threads()
    if v.dtype not in _FLOATS or v.dim() != 1 or v.device.type != "cpu":
        raise ValueError(
            f"spike primitives take a CPU (K,) float32/float64 voltage, got {tuple(v.shape)} "
            f"{v.dtype} on {v.device}"
        )
    out = [v.detach().contiguous().numpy()]
    for o in others:
        if o.dim() != 1 or o.dtype != v.dtype or o.shape[0] not in (1, v.shape[0]):
            raise ValueError(
                f"spike primitive arguments must be ({v.shape[0]},) or (1,) tensors of dtype "
                f"{v.dtype}, got {tuple(o.shape)} {o.dtype}"
            )
        out.append(o.detach().contiguous().numpy())
    return out


# The flag branches sit outside the loops so that each loop vectorizes.
@njit(parallel=True, cache=True)
def _spike_fwd(v, th, th_step, graded, scale, one, zero, out):
    n = v.shape[0]
    if th_step == 0:
        t0 = th[0]
        if graded:
            for k in prange(n):
                out[k] = ((one if v[k] >= t0 else zero) * v[k]) / scale
        else:
            for k in prange(n):
                out[k] = one if v[k] >= t0 else zero
    elif graded:
        for k in prange(n):
            out[k] = ((one if v[k] >= th[k] else zero) * v[k]) / scale
    else:
        for k in prange(n):
            out[k] = one if v[k] >= th[k] else zero


def spike_real_fwd(v, threshold, *, graded, scale):
    """See :meth:`._interface.FusedPrimitives.spike_real_fwd`."""
    vn, thn = _flat(v, threshold)
    t = vn.dtype.type
    out = torch.empty_like(v)
    _spike_fwd(vn, thn, int(thn.shape[0] != 1), bool(graded), t(scale), t(1), t(0), out.numpy())
    return out


@njit(parallel=True, cache=True)
def _spike_arg(v, th, th_step, graded, div, zero, out):
    n = v.shape[0]
    if th_step == 0:
        t0 = th[0]
        if graded:
            for k in prange(n):
                d = v[k] - t0
                out[k] = (zero if d > zero else d) / div
        else:
            for k in prange(n):
                out[k] = abs(v[k] - t0) / div
    elif graded:
        for k in prange(n):
            d = v[k] - th[k]
            out[k] = (zero if d > zero else d) / div
    else:
        for k in prange(n):
            out[k] = abs(v[k] - th[k]) / div


@njit(parallel=True, cache=True)
def _spike_scale(e, c, grad, g_step):
    n = e.shape[0]
    if g_step == 0:
        g0 = grad[0]  # (e * c) is rounded before the product, as in the reference
        for k in prange(n):
            e[k] = (e[k] * c) * g0
    else:
        for k in prange(n):
            e[k] = (e[k] * c) * grad[k]


def spike_real_bwd(grad, v, threshold, *, tau, rho, graded):
    """See :meth:`._interface.FusedPrimitives.spike_real_bwd`."""
    vn, thn, gn = _flat(v, threshold, grad)
    t = vn.dtype.type
    out = torch.empty_like(v)
    # graded: min(d, 0) / tau (NaN kept, like clamp); binary: |d| / (-tau)
    _spike_arg(vn, thn, int(thn.shape[0] != 1), bool(graded), t(tau if graded else -tau), t(0),
               out.numpy())
    torch.exp(out, out=out)
    c = t(rho) if graded else t(rho / (2 * tau))
    _spike_scale(out.numpy(), c, gn, int(gn.shape[0] != 1))
    return out


# ---------------------------------------------------------------------- fused LI backward
@njit(inline="always", cache=True)
def _keep(y, thr, lvl, pow2, s, one, zero, has_level):
    if not has_level:
        return one
    if pow2:
        return one if y < thr else zero
    return one if np.int64(y * s) < lvl else zero


@njit(inline="always", cache=True)
def _lif_fused_step(a, acc, kt, gv, g, y, thr, lvl, pow2, s, one, zero, has_level, exact,
                    decay_dot, keep_dot, gx, m, t):
    # one reverse step of neuron m: a_t = gy_t + (g keep_t) a_{t+1}, then the decay-sum term
    # a_t * prev_{t-1} and keep_{t-1} for the next (earlier) step
    k = g * kt if exact else g
    a = gv + k * a
    gx[m, t] = a
    if t >= 1:
        yp = y[m, t - 1]
        kp = _keep(yp, thr, lvl, pow2, s, one, zero, has_level)
        if decay_dot:
            p = yp * kp if keep_dot else yp
            acc += np.float64(a) * np.float64(p)
        kt = kp
    return a, acc, kt


@njit(inline="always", cache=True)
def _lif_fused_last(gy, gl, has_gl, y, thr, lvl, pow2, s, one, zero, has_level, exact, m, t):
    # keep mask and gradient (with the final-state gradient) of the last step
    kt = _keep(y[m, t], thr, lvl, pow2, s, one, zero, has_level)
    gv = gy[m, t]
    if has_gl:
        gv = gv + (gl * kt if exact else gl)
    return kt, gv


@njit(parallel=True, cache=True)
def _lif_bwd_fused(gy, gain, y, thr, lvl, gl, has_gl, sc, has_level, exact, decay_dot,
                   keep_dot, gx, dot):
    # _LANES neurons in lock-step per parallel iteration (see the leaky integrator above)
    m_count, t_count = gy.shape
    s, _inv, pow2 = sc
    one = gy.dtype.type(1)
    zero = gy.dtype.type(0)
    last = t_count - 1
    for b in prange((m_count + _LANES - 1) // _LANES):
        m0 = b * _LANES
        if m0 + _LANES <= m_count:
            m1, m2, m3 = m0 + 1, m0 + 2, m0 + 3
            g0, g1, g2, g3 = gain[m0], gain[m1], gain[m2], gain[m3]
            k0, v0 = _lif_fused_last(gy, gl[m0], has_gl, y, thr[m0], lvl[m0], pow2, s, one,
                                     zero, has_level, exact, m0, last)
            k1, v1 = _lif_fused_last(gy, gl[m1], has_gl, y, thr[m1], lvl[m1], pow2, s, one,
                                     zero, has_level, exact, m1, last)
            k2, v2 = _lif_fused_last(gy, gl[m2], has_gl, y, thr[m2], lvl[m2], pow2, s, one,
                                     zero, has_level, exact, m2, last)
            k3, v3 = _lif_fused_last(gy, gl[m3], has_gl, y, thr[m3], lvl[m3], pow2, s, one,
                                     zero, has_level, exact, m3, last)
            a0, c0, k0 = _lif_fused_step(zero, 0.0, k0, v0, g0, y, thr[m0], lvl[m0], pow2, s,
                                         one, zero, has_level, exact, decay_dot, keep_dot, gx,
                                         m0, last)
            a1, c1, k1 = _lif_fused_step(zero, 0.0, k1, v1, g1, y, thr[m1], lvl[m1], pow2, s,
                                         one, zero, has_level, exact, decay_dot, keep_dot, gx,
                                         m1, last)
            a2, c2, k2 = _lif_fused_step(zero, 0.0, k2, v2, g2, y, thr[m2], lvl[m2], pow2, s,
                                         one, zero, has_level, exact, decay_dot, keep_dot, gx,
                                         m2, last)
            a3, c3, k3 = _lif_fused_step(zero, 0.0, k3, v3, g3, y, thr[m3], lvl[m3], pow2, s,
                                         one, zero, has_level, exact, decay_dot, keep_dot, gx,
                                         m3, last)
            for t in range(last - 1, -1, -1):
                a0, c0, k0 = _lif_fused_step(a0, c0, k0, gy[m0, t], g0, y, thr[m0], lvl[m0],
                                             pow2, s, one, zero, has_level, exact, decay_dot,
                                             keep_dot, gx, m0, t)
                a1, c1, k1 = _lif_fused_step(a1, c1, k1, gy[m1, t], g1, y, thr[m1], lvl[m1],
                                             pow2, s, one, zero, has_level, exact, decay_dot,
                                             keep_dot, gx, m1, t)
                a2, c2, k2 = _lif_fused_step(a2, c2, k2, gy[m2, t], g2, y, thr[m2], lvl[m2],
                                             pow2, s, one, zero, has_level, exact, decay_dot,
                                             keep_dot, gx, m2, t)
                a3, c3, k3 = _lif_fused_step(a3, c3, k3, gy[m3, t], g3, y, thr[m3], lvl[m3],
                                             pow2, s, one, zero, has_level, exact, decay_dot,
                                             keep_dot, gx, m3, t)
            dot[m0], dot[m1], dot[m2], dot[m3] = c0, c1, c2, c3
        else:
            for m in range(m0, m_count):
                k, v = _lif_fused_last(gy, gl[m], has_gl, y, thr[m], lvl[m], pow2, s, one,
                                       zero, has_level, exact, m, last)
                a, c, k = _lif_fused_step(zero, 0.0, k, v, gain[m], y, thr[m], lvl[m], pow2, s,
                                          one, zero, has_level, exact, decay_dot, keep_dot, gx,
                                          m, last)
                for t in range(last - 1, -1, -1):
                    a, c, k = _lif_fused_step(a, c, k, gy[m, t], gain[m], y, thr[m], lvl[m],
                                              pow2, s, one, zero, has_level, exact, decay_dot,
                                              keep_dot, gx, m, t)
                dot[m] = c


def leaky_integrator_bwd_fused(
    grad_y, gain, y, level, grad_last, *, s_scale, exact, decay_dot, compat
):
    """See :meth:`._interface.FusedPrimitives.leaky_integrator_bwd_fused`."""
    gy, yn = _traces(grad_y, y)
    m = gy.shape[0]
    if exact and level is None:
        raise ValueError("exact=True needs the reset level")
    gn = _per_neuron(gain, m, grad_y.dtype, "gain")
    sc = _scale(s_scale, gy.dtype)
    # the keep mask is needed by the exact recurrence and the post-reset decay sum only
    has_level = level is not None and (exact or (decay_dot and not compat))
    if has_level:
        lvl = _ints(m, level=level)[0]
        thr = (level.to(torch.float64) / int(s_scale)).to(grad_y.dtype).numpy()
    else:
        lvl = np.zeros(m, dtype=np.int64)
        thr = np.zeros(m, dtype=gy.dtype)
    has_gl = grad_last is not None
    gl = _per_neuron(grad_last, m, grad_y.dtype, "grad_last") if has_gl else thr
    (gx,) = _empty(gy)
    dot = torch.empty(m, dtype=torch.float64)
    _lif_bwd_fused(
        gy, gn, yn, thr, lvl, gl, has_gl, sc, has_level, bool(exact), bool(decay_dot),
        has_level and not compat, gx.numpy(), dot.numpy(),
    )
    return gx, (dot if decay_dot else None)


# ---------------------------------------------------------------------- fused delta encoder
@njit(parallel=True, cache=True)
def _delta_fwd_fused(x, threshold, prev, residual, zero, step, delta, yq):
    m_count, t_count = x.shape
    for m in prange(m_count):
        p = prev[m]
        r = residual[m]
        th = threshold[m]
        for t in range(t_count):
            xv = x[m, t]
            d = (xv - p) + r
            delta[m, t] = d
            if abs(d) >= th:
                r = zero
                y = d
            else:
                r = d
                y = zero
            yq[m, t] = np.floor(y / step) * step
            p = xv


def delta_encoder_fwd_fused(x, threshold, prev, residual, *, step):
    """See :meth:`._interface.FusedPrimitives.delta_encoder_fwd_fused`."""
    (xn,) = _traces(x)
    m = xn.shape[0]
    thn = _per_neuron(threshold, m, x.dtype, "threshold")
    pn = _per_neuron(prev, m, x.dtype, "prev")
    rn = _per_neuron(residual, m, x.dtype, "residual")
    delta, yq = _empty(xn, 2)
    t = xn.dtype.type
    _delta_fwd_fused(xn, thn, pn, rn, t(0), t(step), delta.numpy(), yq.numpy())
    return delta, yq


@njit(parallel=True, cache=True)
def _delta_bwd_fused(g, g_prev, has_prev, g_x):
    m_count, t_count = g.shape
    for m in prange(m_count):
        for t in range(t_count - 1):
            g_x[m, t] = g[m, t] - g[m, t + 1]
        last = g[m, t_count - 1]
        g_x[m, t_count - 1] = last + g_prev[m] if has_prev else last


def delta_encoder_bwd_fused(g, g_prev):
    """See :meth:`._interface.FusedPrimitives.delta_encoder_bwd_fused`."""
    (gn,) = _traces(g)
    m = gn.shape[0]
    has_prev = g_prev is not None
    gp = _per_neuron(g_prev, m, g.dtype, "g_prev") if has_prev else gn[:, 0]
    (g_x,) = _empty(gn)
    _delta_bwd_fused(gn, np.ascontiguousarray(gp), has_prev, g_x.numpy())
    return g_x

r"""numba kernels of the native runtime (imported only through :mod:`._numba`).

Every kernel computes exactly what the numpy code path computes, element by element, in the
same floating-point or integer operations, so results are bit-identical:

* :func:`lif_run` — Loihi CUBA LIF over ``T`` steps, states ``u``, ``v`` as float64 holding
  exact integers (the numpy path's representation): per element and step

  .. math::
      u &\leftarrow \mathrm{wrap}_{24}(\mathrm{trunc}(u f_u) + 64 a), \quad
      v \leftarrow \mathrm{clip}(\mathrm{trunc}(v f_v) + u + b), \\
      s &= v > \theta, \quad v[s] \leftarrow 0

  with :math:`f = (4096 - d) / 4096` (dyadic, so the truncated product is the sign-magnitude
  shift). The periodic reset zeroes ``u``, ``v`` before step ``t`` when
  ``t mod P = offset mod P``.
* :func:`sigma_delta_run` — sigma-delta (and the Delta encoder, ``has_sigma=False``) over ``T``
  steps on int64 states.
* :func:`conv_scatter` — event-driven exact correlation: every nonzero input ``x[b, c, i, j]``
  adds ``x * w[:, c, ky, kx]`` to the outputs it reaches. Integer (int64) sums, so the result
  equals the dense product (modulo :math:`2^{64}`, which the 24-bit wrap absorbs).
* :func:`dense_scatter` — event-driven dense product ``out[b] += x[b, j] W[:, j]`` over the
  nonzero inputs (int64, exact modulo :math:`2^{64}` as numpy's integer product).
* :func:`nonzero_per_row` — vectorised nonzero counts (which samples to scatter).

Cost model (2-core AVX-512 VM, single thread): a scattered int64 row addition runs at about
0.1-0.2 ns per element, single-threaded float32 BLAS at about 40 multiply-adds in the time of
one scattered addition, so the callers scatter only sparse inputs (see
``ConvModel.pair_cost`` and ``DenseModel.scatter_fraction``).
"""

from __future__ import annotations

import numba
import numpy as np

_M23 = 8388608.0  # 2**23
_LIMIT = 8388607.0  # 2**23 - 1


@numba.njit(cache=True, nogil=True)
def lif_run(u, v, a, bias, fu, fv, vth, interval, offset, t0, s):  # pragma: no cover - jitted
    """LIF over ``T`` steps. ``u``, ``v``: float32 or float64 ``(B, M)`` (updated in place;
    computed in float64; float32 only where the stored integers fit 24 bits); ``a``:
    ``(T, B, M)`` input current; ``bias``: float64 ``(M,)`` (already shifted); ``fu``, ``fv``:
    decay factors; ``vth``: threshold (state units); ``interval`` 0 for no periodic reset;
    ``t0``: number of the first step; ``s``: bool ``(T, B, M)`` output spikes."""
    n_t, n_b, n_m = a.shape
    for j in range(n_t):
        if interval > 0 and (t0 + j) % interval == offset % interval:
            u[:, :] = 0.0
            v[:, :] = 0.0
        for b in range(n_b):
            for i in range(n_m):
                x = np.trunc(np.float64(u[b, i]) * fu) + a[j, b, i] * 64.0
                if x > _M23:
                    x -= 2.0 * _M23
                elif x <= -_M23:
                    x += 2.0 * _M23
                u[b, i] = x
                y = np.trunc(np.float64(v[b, i]) * fv) + x + bias[i]
                if y > _LIMIT:
                    y = _LIMIT
                elif y < -_LIMIT:
                    y = -_LIMIT
                if y > vth:
                    s[j, b, i] = True
                    y = 0.0
                else:
                    s[j, b, i] = False
                v[b, i] = y


@numba.njit(cache=True, nogil=True)
def sigma_delta_run(has_sigma, sigma, act, residue, error, a, in_shift, bias, relu, vth,
                    state_exp, cum_error, out):  # pragma: no cover - jitted
    """Sigma-delta (``has_sigma``) or Delta encoder over ``T`` steps; int64 states ``(B, M)``
    updated in place; ``a`` ``(T, B, M)``; ``bias`` int64 ``(M,)`` (shifted); ``out`` int64
    ``(T, B, M)``: the messages ``q >> state_exp``."""
    n_t, n_b, n_m = a.shape
    for j in range(n_t):
        for b in range(n_b):
            for i in range(n_m):
                if has_sigma:
                    sg = sigma[b, i] + np.int64(a[j, b, i])
                    sigma[b, i] = sg
                    y = sg + bias[i]
                    if relu and y < 0:
                        y = np.int64(0)
                else:
                    y = np.int64(a[j, b, i]) << in_shift
                delta = y - act[b, i] + residue[b, i]
                if cum_error:
                    e = error[b, i] + delta
                    q = delta if abs(e) >= vth else np.int64(0)
                    error[b, i] = e if q == 0 else np.int64(0)
                else:
                    q = delta if abs(delta) >= vth else np.int64(0)
                residue[b, i] = delta - q
                act[b, i] = y
                out[j, b, i] = q >> state_exp


@numba.njit(cache=True, nogil=True)
def _reach(n_in, k, pad, dil, stride, n_out):  # pragma: no cover - jitted
    """For each input index ``i`` along one axis, the ``(kernel tap, output index)`` pairs it
    reaches: ``o = (i + pad - tap * dil) / stride`` when that is an integer in ``[0, n_out)``.
    Returns ``(count (n_in,), taps (n_in, k), outs (n_in, k))``."""
    cnt = np.zeros(n_in, dtype=np.int64)
    taps = np.zeros((n_in, k), dtype=np.int64)
    outs = np.zeros((n_in, k), dtype=np.int64)
    for i in range(n_in):
        for t in range(k):
            n = i + pad - t * dil
            if n >= 0 and n % stride == 0 and n // stride < n_out:
                taps[i, cnt[i]] = t
                outs[i, cnt[i]] = n // stride
                cnt[i] += 1
    return cnt, taps, outs


@numba.njit(cache=True, nogil=True)
def _add_rows(acc, w, ai, wi, n):  # pragma: no cover - jitted
    """``acc[ai[j]] += w[wi[j]]`` for ``j < n`` (2-D indexing keeps the rows vectorised)."""
    m = acc.shape[1]
    for j in range(n):
        a = ai[j]
        b = wi[j]
        for o in range(m):
            acc[a, o] += w[b, o]


@numba.njit(cache=True, nogil=True)
def _add_scaled_rows(acc, w, ai, wi, vals, n):  # pragma: no cover - jitted
    """``acc[ai[j]] += vals[j] * w[wi[j]]`` for ``j < n``."""
    m = acc.shape[1]
    for j in range(n):
        a = ai[j]
        b = wi[j]
        v = vals[j]
        for o in range(m):
            acc[a, o] += v * w[b, o]


@numba.njit(cache=True, nogil=True)
def nonzero_per_row(x):  # pragma: no cover - jitted
    """Number of nonzero entries of each row of the 2-D ``x`` (int64 ``(R,)``)."""
    out = np.zeros(x.shape[0], dtype=np.int64)
    for r in range(x.shape[0]):
        nz = 0
        for k in range(x.shape[1]):
            nz += x[r, k] != 0
        out[r] = nz
    return out


@numba.njit(cache=True, nogil=True)
def _count_rows(x, max_active):  # pragma: no cover - jitted
    """Nonzero entries of ``x`` ``(B, C, H, W)`` per row ``(B, C, H)``, and their total, or
    -1 as soon as the total exceeds ``max_active``."""
    n_b, n_c, n_h, n_w = x.shape
    rows = np.zeros((n_b, n_c, n_h), dtype=np.int64)
    count = 0
    for b in range(n_b):
        for c in range(n_c):
            for i in range(n_h):
                nz = 0
                for k in range(n_w):  # vectorised; most rows of a sparse input are empty
                    nz += x[b, c, i, k] != 0
                rows[b, c, i] = nz
                count += nz
            if count > max_active:
                return rows, -1
    return rows, count


@numba.njit(cache=True, nogil=True)
def conv_scatter(x, w, kh, kw, sh, sw, ph, pw, dh, dw, max_active, row_abs_sum,
                 out):  # pragma: no cover - jitted
    """Event-driven correlation (one channel group).

    ``x`` ``(B, C_in, H, W)`` (bool or int); ``w`` int ``(C_in kH kW, C_out)`` (row
    ``(c kH + ky) kW + kx`` holds ``weight[:, c, ky, kx]``); ``out`` int64
    ``(B, C_out, Ho, Wo)``, **zeroed by the caller**, receives the sums. Returns the number of
    nonzero inputs, or -1 (``out`` untouched) when there are more than ``max_active`` (the
    caller then uses the dense product). Per sample, the (output position, weight row) pairs
    every nonzero input reaches are listed and the weight rows added into a channel-last
    accumulator, which is transposed into ``out`` (few pairs: added into ``out`` directly).
    The sums of a sample are wrapped to signed 24 bit unless ``max|x| * row_abs_sum < 2**23``
    (``row_abs_sum``: largest sum of absolute weights of an output channel) proves them in
    range.
    """
    n_b, n_c, n_h, n_w = x.shape
    n_o, ho, wo = out.shape[1], out.shape[2], out.shape[3]
    rows, count = _count_rows(x, max_active)
    if count < 0:
        return -1
    ycnt, ytap, yout = _reach(n_h, kh, ph, dh, sh, ho)
    xcnt, xtap, xout = _reach(n_w, kw, pw, dw, sw, wo)
    cap = max(1, count * ycnt.max() * xcnt.max())
    ai = np.empty(cap, dtype=np.int64)
    wi = np.empty(cap, dtype=np.int64)
    vals = np.empty(cap, dtype=np.int64)
    acc = np.empty((ho * wo, n_o), dtype=np.int64)
    cols = np.empty(n_w, dtype=np.int64)
    for b in range(n_b):
        n = 0
        vmax = 0
        for c in range(n_c):
            for i in range(n_h):
                if rows[b, c, i] == 0:
                    continue
                m = 0
                for k in range(n_w):  # branch-free compaction of the nonzero columns
                    v = np.int64(x[b, c, i, k])
                    cols[m] = k
                    m += v != 0
                    vmax = max(vmax, abs(v))
                for p in range(ycnt[i]):
                    arow = yout[i, p] * wo
                    wrow = (c * kh + ytap[i, p]) * kw
                    for j in range(m):
                        k = cols[j]
                        val = np.int64(x[b, c, i, k])
                        for q in range(xcnt[k]):
                            ai[n] = arow + xout[k, q]
                            wi[n] = wrow + xtap[k, q]
                            vals[n] = val
                            n += 1
        binary = vmax <= 1 and n > 0 and vals[:n].min() >= 0
        if n == 0:
            continue  # out[b] stays zero
        if n * 8 < ho * wo:  # few pairs: add straight into out (strided) instead of a
            # channel-last accumulator and its transposition
            for j in range(n):
                oy, ox = ai[j] // wo, ai[j] % wo
                v = vals[j]
                for o in range(n_o):
                    out[b, o, oy, ox] += v * w[wi[j], o]
        else:
            acc[:, :] = 0
            if binary:
                _add_rows(acc, w, ai, wi, n)
            else:
                _add_scaled_rows(acc, w, ai, wi, vals, n)
            for o in range(n_o):
                for i in range(ho):
                    for k in range(wo):
                        out[b, o, i, k] = acc[i * wo + k, o]
        if max(vmax, 1) * row_abs_sum >= 8388608:  # wrap to signed 24 bit
            for o in range(n_o):
                for i in range(ho):
                    for k in range(wo):
                        out[b, o, i, k] = ((out[b, o, i, k] + 8388608) & 16777215) - 8388608
    return count


@numba.njit(cache=True, nogil=True)
def dense_scatter(x, wt, out):  # pragma: no cover - jitted
    """Event-driven dense product: ``out[b] += x[b, j] * wt[j]`` for every nonzero
    ``x[b, j]``; ``x`` ``(B, N)`` (bool or int), ``wt`` int ``(N, M)`` (the transposed
    weights), ``out`` int64 ``(B, M)`` zeroed by the caller. Exact modulo ``2**64``."""
    n_b, n_i = x.shape
    n_o = wt.shape[1]
    for b in range(n_b):
        for j in range(n_i):
            v = np.int64(x[b, j])
            if v == 0:
                continue
            if v == 1:
                for o in range(n_o):
                    out[b, o] += wt[j, o]
            else:
                for o in range(n_o):
                    out[b, o] += v * wt[j, o]

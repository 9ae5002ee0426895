"""numba kernel of :mod:`._fused` (imported only when numba is available)."""

from __future__ import annotations

import numba
import numpy as np

from ._numba_kernels import lif_run


@numba.njit(cache=True, nogil=True)
def dense_lif_step(s_in, binary, w_t, d_t, has_delay, ring, pos, u, v, bias, fu, fv, vth,
                   interval, offset, t, a_out, s_out):  # pragma: no cover - jitted
    """One step of a dense synapse (delays through ``ring``) and its LIF neurons.

    ``s_in`` ``(B, N_in)`` presynaptic message (any nonzero counts as 1 when ``binary``);
    ``w_t`` int64 ``(N_in, M)`` transposed weights; ``d_t`` ``(N_in, M)`` delays (read when
    ``has_delay``); ``ring`` int64 ``(L, B, M)`` pending currents, slot ``pos`` due now. Pops the
    due current into ``a_out`` ``(B, M)``, schedules ``w_t[i] * s_in[b, i]`` ``1 + d`` steps
    ahead, runs :func:`lif_run` for one step into ``s_out`` ``(B, M)`` and returns the new
    ``pos``.
    """
    n_slots, n_b, n_m = ring.shape
    for b in range(n_b):
        for o in range(n_m):
            a_out[b, o] = ring[pos, b, o]
            ring[pos, b, o] = 0
    nxt = (pos + 1) % n_slots
    n_in = s_in.shape[1]
    for b in range(n_b):
        for i in range(n_in):
            x = np.int64(s_in[b, i])
            if x == 0:
                continue
            if binary:
                x = np.int64(1)
            if has_delay:
                for o in range(n_m):
                    ring[(nxt + d_t[i, o]) % n_slots, b, o] += x * w_t[i, o]
            else:
                for o in range(n_m):
                    ring[nxt, b, o] += x * w_t[i, o]
    lif_run(u, v, a_out.reshape(1, n_b, n_m), bias, fu, fv, vth, interval, offset, t,
            s_out.reshape(1, n_b, n_m))
    return nxt

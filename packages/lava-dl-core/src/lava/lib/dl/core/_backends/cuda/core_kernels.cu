// CUDA kernels of the lava-dl-core primitives (see _interface.py for the recurrences).
//
// Compiled at run time by NVRTC through CuPy (cupy_cuda.py), once per floating-point type:
// the macro SCALAR is defined to `float` or `double` on the NVRTC command line, together with
// --fmad=false so that products and sums are rounded separately, exactly as in the reference.
//
// Layout: every trace is an (M, T) row-major array; one thread owns one neuron (row) and loops
// over time. Fixed-point states are 64-bit integers; the fixed-point helpers follow the
// interface contract:
//   fix(a)    = (long long)(a * S)   product rounded in SCALAR, cast truncates toward zero
//   flt(A)    = (SCALAR)A / S        conversion rounds to nearest, IEEE division (or the
//                                    product with 1/S when S is a power of two: same result)
//   rtz(a)    = sign(a) * (|a| >> 12)
//   leak(A,d) = rtz(A * (4096 - d))

#ifndef SCALAR
#define SCALAR float
#endif

typedef long long i64;

__device__ __forceinline__ i64 rtz(i64 a) { return a < 0 ? -((-a) >> 12) : (a >> 12); }

__device__ __forceinline__ i64 leak(i64 a, i64 d) { return rtz(a * (4096 - d)); }

__device__ __forceinline__ i64 fix(SCALAR a, SCALAR s) { return (i64)(a * s); }

// Multiplying by the exact inverse of a power of two rounds exactly like the division.
__device__ __forceinline__ SCALAR flt(i64 a, SCALAR s, SCALAR inv, int pow2) {
    return pow2 ? ((SCALAR)a) * inv : ((SCALAR)a) / s;
}

__device__ __forceinline__ i64 neuron_index() {
    return (i64)blockIdx.x * (i64)blockDim.x + (i64)threadIdx.x;
}

// ------------------------------------------------------------------ leaky integrator
extern "C" __global__ void li_fwd(const SCALAR* __restrict__ x, const i64* __restrict__ decay,
                                  const i64* __restrict__ state,
                                  const i64* __restrict__ threshold, const int has_th,
                                  const SCALAR s, const SCALAR inv, const int pow2, SCALAR* __restrict__ y, const i64 M,
                                  const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const i64 d = decay[m];
    const i64 th = has_th ? threshold[m] : 0;
    i64 acc = state[m];
    for (i64 t = 0; t < T; ++t) {
        acc = leak(acc, d) + fix(x[off + t], s);
        y[off + t] = flt(acc, s, inv, pow2);
        if (has_th && acc >= th) acc = 0;
    }
}

extern "C" __global__ void li_bwd(const SCALAR* __restrict__ grad_y,
                                  const SCALAR* __restrict__ gain,
                                  const SCALAR* __restrict__ keep, const int has_keep,
                                  SCALAR* __restrict__ grad_x, const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const SCALAR gm = gain[m];
    SCALAR acc = 0;
    for (i64 t = T - 1; t >= 0; --t) {
        const SCALAR g = has_keep ? gm * keep[off + t] : gm;
        const SCALAR prod = g * acc;
        acc = grad_y[off + t] + prod;
        grad_x[off + t] = acc;
    }
}

// ------------------------------------------------------------------ resonator
extern "C" __global__ void res_fwd(const SCALAR* __restrict__ x_re,
                                   const SCALAR* __restrict__ x_im,
                                   const i64* __restrict__ sin_d, const i64* __restrict__ cos_d,
                                   const i64* __restrict__ re_state,
                                   const i64* __restrict__ im_state,
                                   const i64* __restrict__ threshold, const int has_th,
                                   const SCALAR s, const SCALAR inv, const int pow2, SCALAR* __restrict__ re,
                                   SCALAR* __restrict__ im, const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const i64 sd = sin_d[m];
    const i64 cd = cos_d[m];
    const i64 th = has_th ? threshold[m] : 0;
    i64 r = re_state[m];
    i64 i = im_state[m];
    for (i64 t = 0; t < T; ++t) {
        const i64 r_new = rtz(cd * r) - rtz(sd * i) + fix(x_re[off + t], s);
        const i64 i_new = rtz(sd * r) + rtz(cd * i) + fix(x_im[off + t], s);
        r = r_new;
        i = i_new;
        re[off + t] = flt(r, s, inv, pow2);
        im[off + t] = flt(i, s, inv, pow2);
        if (has_th && i >= th) {
            r = 0;
            i = th - 1;
        }
    }
}

extern "C" __global__ void res_bwd(const SCALAR* __restrict__ grad_re,
                                   const SCALAR* __restrict__ grad_im,
                                   const SCALAR* __restrict__ sin_g,
                                   const SCALAR* __restrict__ cos_g,
                                   const SCALAR* __restrict__ keep, const int has_keep,
                                   SCALAR* __restrict__ gx_re, SCALAR* __restrict__ gx_im,
                                   const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const SCALAR sg = sin_g[m];
    const SCALAR cg = cos_g[m];
    SCALAR a_re = 0;
    SCALAR a_im = 0;
    for (i64 t = T - 1; t >= 0; --t) {
        const SCALAR p1 = cg * a_re;
        const SCALAR p2 = sg * a_im;
        const SCALAR p3 = cg * a_im;
        const SCALAR p4 = sg * a_re;
        SCALAR c_re = p1 + p2;
        SCALAR c_im = p3 - p4;
        if (has_keep) {
            const SCALAR k = keep[off + t];
            c_re = k * c_re;
            c_im = k * c_im;
        }
        a_re = grad_re[off + t] + c_re;
        a_im = grad_im[off + t] + c_im;
        gx_re[off + t] = a_re;
        gx_im[off + t] = a_im;
    }
}

// ------------------------------------------------------------------ adaptive threshold
extern "C" __global__ void ath_fwd(const SCALAR* __restrict__ v, const i64* __restrict__ ref_decay,
                                   const i64* __restrict__ th_decay, const i64* __restrict__ th0,
                                   const i64* __restrict__ th_step,
                                   const i64* __restrict__ ref_state,
                                   const i64* __restrict__ th_state, const SCALAR s, const SCALAR inv, const int pow2,
                                   SCALAR* __restrict__ th, SCALAR* __restrict__ ref,
                                   const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const i64 rd = ref_decay[m];
    const i64 td = th_decay[m];
    const i64 t0 = th0[m];
    const i64 st = th_step[m];
    i64 rf = ref_state[m];
    i64 tv = th_state[m];
    for (i64 t = 0; t < T; ++t) {
        rf = leak(rf, rd);
        tv = leak(tv - t0, td) + t0;
        const bool fire = fix(v[off + t], s) >= tv + rf;
        th[off + t] = flt(tv, s, inv, pow2);
        ref[off + t] = flt(rf, s, inv, pow2);
        if (fire) {
            rf = rf + 2 * tv;
            tv = tv + st;
        }
    }
}

extern "C" __global__ void aph_fwd(const SCALAR* __restrict__ re, const SCALAR* __restrict__ im,
                                   const i64* __restrict__ im_state,
                                   const i64* __restrict__ ref_decay,
                                   const i64* __restrict__ th_decay, const i64* __restrict__ th0,
                                   const i64* __restrict__ th_step,
                                   const i64* __restrict__ ref_state,
                                   const i64* __restrict__ th_state, const SCALAR s, const SCALAR inv, const int pow2,
                                   SCALAR* __restrict__ th, SCALAR* __restrict__ ref,
                                   const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const i64 rd = ref_decay[m];
    const i64 td = th_decay[m];
    const i64 t0 = th0[m];
    const i64 st = th_step[m];
    i64 rf = ref_state[m];
    i64 tv = th_state[m];
    i64 i_prev = im_state[m];
    for (i64 t = 0; t < T; ++t) {
        rf = leak(rf, rd);
        tv = leak(tv - t0, td) + t0;
        const i64 i = fix(im[off + t], s);
        const bool fire = (fix(re[off + t], s) >= tv + rf) && (i_prev < 0) && (i >= 0);
        th[off + t] = flt(tv, s, inv, pow2);
        ref[off + t] = flt(rf, s, inv, pow2);
        if (fire) {
            rf = rf + 2 * tv;
            tv = tv + st;
        }
        i_prev = i;
    }
}

extern "C" __global__ void ares_fwd(const SCALAR* __restrict__ x_re,
                                    const SCALAR* __restrict__ x_im,
                                    const i64* __restrict__ sin_d, const i64* __restrict__ cos_d,
                                    const i64* __restrict__ ref_decay,
                                    const i64* __restrict__ th_decay, const i64* __restrict__ th0,
                                    const i64* __restrict__ th_step,
                                    const i64* __restrict__ re_state,
                                    const i64* __restrict__ im_state,
                                    const i64* __restrict__ ref_state,
                                    const i64* __restrict__ th_state, const SCALAR s, const SCALAR inv, const int pow2,
                                    SCALAR* __restrict__ re, SCALAR* __restrict__ im,
                                    SCALAR* __restrict__ th, SCALAR* __restrict__ ref,
                                    const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const i64 sd = sin_d[m];
    const i64 cd = cos_d[m];
    const i64 rd = ref_decay[m];
    const i64 td = th_decay[m];
    const i64 t0 = th0[m];
    const i64 st = th_step[m];
    i64 r = re_state[m];
    i64 i = im_state[m];
    i64 rf = ref_state[m];
    i64 tv = th_state[m];
    for (i64 t = 0; t < T; ++t) {
        const i64 r_new = rtz(cd * r) - rtz(sd * i) + fix(x_re[off + t], s);
        const i64 i_new = rtz(sd * r) + rtz(cd * i) + fix(x_im[off + t], s);
        r = r_new;
        i = i_new;
        rf = leak(rf, rd);
        tv = leak(tv - t0, td) + t0;
        const bool fire = i >= tv + rf;
        re[off + t] = flt(r, s, inv, pow2);
        im[off + t] = flt(i, s, inv, pow2);
        th[off + t] = flt(tv, s, inv, pow2);
        ref[off + t] = flt(rf, s, inv, pow2);
        if (fire) {
            rf = rf + 2 * tv;
            tv = tv + st;
        }
    }
}

// ------------------------------------------------------------------ delta encoder
extern "C" __global__ void delta_fwd(const SCALAR* __restrict__ x,
                                     const SCALAR* __restrict__ threshold,
                                     const SCALAR* __restrict__ prev,
                                     const SCALAR* __restrict__ residual,
                                     SCALAR* __restrict__ delta, const i64 M, const i64 T) {
    const i64 m = neuron_index();
    if (m >= M) return;
    const i64 off = m * T;
    const SCALAR th = threshold[m];
    SCALAR p = prev[m];
    SCALAR r = residual[m];
    for (i64 t = 0; t < T; ++t) {
        const SCALAR xv = x[off + t];
        const SCALAR diff = xv - p;
        const SCALAR d = diff + r;
        delta[off + t] = d;
        r = (fabs(d) >= th) ? (SCALAR)0 : d;
        p = xv;
    }
}

"""Plain-PyTorch reference backend: the oracle of every core primitive (private).

Every primitive of :mod:`._interface` is written here as an explicit loop over time with
vectorised torch operations over the ``M`` neurons, on whatever device the tensors live. The
code follows the recurrences of the interface docstrings line by line; it is deliberately simple
and is never replaced or stubbed: every other backend is tested against it.
"""

from __future__ import annotations

import torch

__all__ = [
    "NAME",
    "is_available",
    "supports_device",
    "fix",
    "flt",
    "rtz",
    "leak",
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

NAME = "reference"

#: Decay denominator (``p_scale``) of the Loihi integer decays.
_P_SCALE = 4096
_P_BITS = 12


def is_available() -> tuple[bool, str]:
    """The reference backend needs only torch: always available."""
    return True, ""


def supports_device(device: torch.device) -> bool:
    """The reference backend runs on every torch device."""
    return True


# ---------------------------------------------------------------------- fixed-point helpers
def fix(a: torch.Tensor, s_scale: int) -> torch.Tensor:
    """``trunc(a * s_scale)`` as int64, the product rounded to ``a``'s dtype."""
    return (a * s_scale).to(torch.int64)


def flt(a: torch.Tensor, s_scale: int, dtype: torch.dtype) -> torch.Tensor:
    """``a`` (int64) converted to ``dtype`` and divided by ``s_scale`` in ``dtype``."""
    return a.to(dtype) / s_scale


def rtz(a: torch.Tensor) -> torch.Tensor:
    """Division of an int64 tensor by 4096, truncated toward zero (sign-magnitude shift)."""
    return torch.where(a < 0, -((-a) >> _P_BITS), a >> _P_BITS)


def leak(a: torch.Tensor, decay: torch.Tensor) -> torch.Tensor:
    """``rtz(a * (4096 - decay))`` on int64."""
    return rtz(a * (_P_SCALE - decay))


def _check_traces(*xs: torch.Tensor) -> None:
    dtype = xs[0].dtype
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"core primitives take float32 or float64 traces, got {dtype}")
    for x in xs:
        if x.dim() != 2 or x.dtype != dtype or x.shape != xs[0].shape:
            raise ValueError(
                "core primitives take (M, T) traces of one dtype and shape, got "
                f"{tuple(x.shape)} {x.dtype} vs {tuple(xs[0].shape)} {dtype}"
            )


# ---------------------------------------------------------------------- leaky integrator
def leaky_integrator_fwd(x, decay, state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.leaky_integrator_fwd`."""
    _check_traces(x)
    y = torch.empty_like(x)
    Y = state.clone()
    X = fix(x, s_scale)
    for t in range(x.shape[1]):
        Y = leak(Y, decay) + X[:, t]
        y[:, t] = flt(Y, s_scale, x.dtype)
        if threshold is not None:
            Y = torch.where(Y >= threshold, torch.zeros_like(Y), Y)
    return y


def leaky_integrator_bwd(grad_y, gain, keep):
    """See :meth:`._interface.CoreBackend.leaky_integrator_bwd`."""
    _check_traces(grad_y)
    grad_x = torch.empty_like(grad_y)
    acc = torch.zeros_like(grad_y[:, 0])
    for t in range(grad_y.shape[1] - 1, -1, -1):
        g = gain if keep is None else gain * keep[:, t]
        acc = grad_y[:, t] + g * acc
        grad_x[:, t] = acc
    return grad_x


# ---------------------------------------------------------------------- resonator
def _rotate(R, I, sin_decay, cos_decay):
    R_new = rtz(cos_decay * R) - rtz(sin_decay * I)
    I_new = rtz(sin_decay * R) + rtz(cos_decay * I)
    return R_new, I_new


def resonator_fwd(x_re, x_im, sin_decay, cos_decay, re_state, im_state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.resonator_fwd`."""
    _check_traces(x_re, x_im)
    re = torch.empty_like(x_re)
    im = torch.empty_like(x_im)
    R, I = re_state.clone(), im_state.clone()
    XR, XI = fix(x_re, s_scale), fix(x_im, s_scale)
    for t in range(x_re.shape[1]):
        R, I = _rotate(R, I, sin_decay, cos_decay)
        R = R + XR[:, t]
        I = I + XI[:, t]
        re[:, t] = flt(R, s_scale, x_re.dtype)
        im[:, t] = flt(I, s_scale, x_re.dtype)
        if threshold is not None:
            fired = I >= threshold
            R = torch.where(fired, torch.zeros_like(R), R)
            I = torch.where(fired, threshold - 1, I)
    return re, im


def resonator_bwd(grad_re, grad_im, sin_gain, cos_gain, keep):
    """See :meth:`._interface.CoreBackend.resonator_bwd`."""
    _check_traces(grad_re, grad_im)
    gx_re = torch.empty_like(grad_re)
    gx_im = torch.empty_like(grad_im)
    a_re = torch.zeros_like(grad_re[:, 0])
    a_im = torch.zeros_like(grad_im[:, 0])
    for t in range(grad_re.shape[1] - 1, -1, -1):
        c_re = cos_gain * a_re + sin_gain * a_im
        c_im = cos_gain * a_im - sin_gain * a_re
        if keep is not None:
            c_re = keep[:, t] * c_re
            c_im = keep[:, t] * c_im
        a_re = grad_re[:, t] + c_re
        a_im = grad_im[:, t] + c_im
        gx_re[:, t] = a_re
        gx_im[:, t] = a_im
    return gx_re, gx_im


# ---------------------------------------------------------------------- adaptive threshold
def _adapt_decay(Rf, Th, ref_decay, th_decay, th0):
    return leak(Rf, ref_decay), leak(Th - th0, th_decay) + th0


def _adapt_spike(Rf, Th, fire, th_step):
    Rf = torch.where(fire, Rf + 2 * Th, Rf)
    Th = torch.where(fire, Th + th_step, Th)
    return Rf, Th


def adaptive_threshold_fwd(v, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale):
    """See :meth:`._interface.CoreBackend.adaptive_threshold_fwd`."""
    _check_traces(v)
    th = torch.empty_like(v)
    ref = torch.empty_like(v)
    Rf, Th = ref_state.clone(), th_state.clone()
    V = fix(v, s_scale)
    for t in range(v.shape[1]):
        Rf, Th = _adapt_decay(Rf, Th, ref_decay, th_decay, th0)
        fire = V[:, t] >= Th + Rf
        th[:, t] = flt(Th, s_scale, v.dtype)
        ref[:, t] = flt(Rf, s_scale, v.dtype)
        Rf, Th = _adapt_spike(Rf, Th, fire, th_step)
    return th, ref


def adaptive_phase_th_fwd(
    re, im, im_state, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale
):
    """See :meth:`._interface.CoreBackend.adaptive_phase_th_fwd`."""
    _check_traces(re, im)
    th = torch.empty_like(re)
    ref = torch.empty_like(re)
    Rf, Th = ref_state.clone(), th_state.clone()
    RE, IM = fix(re, s_scale), fix(im, s_scale)
    I_prev = im_state.clone()
    for t in range(re.shape[1]):
        Rf, Th = _adapt_decay(Rf, Th, ref_decay, th_decay, th0)
        I = IM[:, t]
        fire = (RE[:, t] >= Th + Rf) & (I_prev < 0) & (I >= 0)
        th[:, t] = flt(Th, s_scale, re.dtype)
        ref[:, t] = flt(Rf, s_scale, re.dtype)
        Rf, Th = _adapt_spike(Rf, Th, fire, th_step)
        I_prev = I
    return th, ref


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
    _check_traces(x_re, x_im)
    dtype = x_re.dtype
    re, im = torch.empty_like(x_re), torch.empty_like(x_re)
    th, ref = torch.empty_like(x_re), torch.empty_like(x_re)
    R, I = re_state.clone(), im_state.clone()
    Rf, Th = ref_state.clone(), th_state.clone()
    XR, XI = fix(x_re, s_scale), fix(x_im, s_scale)
    for t in range(x_re.shape[1]):
        R, I = _rotate(R, I, sin_decay, cos_decay)
        R = R + XR[:, t]
        I = I + XI[:, t]
        Rf, Th = _adapt_decay(Rf, Th, ref_decay, th_decay, th0)
        fire = I >= Th + Rf
        re[:, t] = flt(R, s_scale, dtype)
        im[:, t] = flt(I, s_scale, dtype)
        th[:, t] = flt(Th, s_scale, dtype)
        ref[:, t] = flt(Rf, s_scale, dtype)
        Rf, Th = _adapt_spike(Rf, Th, fire, th_step)
    return re, im, th, ref


# ---------------------------------------------------------------------- delta encoder
def delta_encoder_fwd(x, threshold, prev, residual):
    """See :meth:`._interface.CoreBackend.delta_encoder_fwd`."""
    _check_traces(x)
    delta = torch.empty_like(x)
    p, r = prev.clone(), residual.clone()
    for t in range(x.shape[1]):
        d = (x[:, t] - p) + r
        delta[:, t] = d
        r = torch.where(d.abs() >= threshold, torch.zeros_like(d), d)
        p = x[:, t]
    return delta


# ---------------------------------------------------------------------- fused spike primitives
# The reference versions accept any broadcastable shapes (the spike functions fall back to them
# for layouts the flat primitives do not cover).
def spike_real_fwd(v, threshold, *, graded, scale):
    """See :meth:`._interface.FusedPrimitives.spike_real_fwd`."""
    fired = (v >= threshold).to(v.dtype)
    return fired.mul_(v).div_(scale) if graded else fired


def spike_real_bwd(grad, v, threshold, *, tau, rho, graded):
    """See :meth:`._interface.FusedPrimitives.spike_real_bwd`."""
    pdf = v - threshold
    if graded:
        pdf.clamp_(max=0).div_(tau).exp_().mul_(rho)
    else:
        pdf.abs_().div_(-tau).exp_().mul_(rho / (2 * tau))
    return pdf.mul_(grad)


def keep_mask(y, level, s_scale):
    """``1.0`` where the pre-reset trace stayed below its reset level, else ``0.0``."""
    if s_scale & (s_scale - 1) == 0:  # exact in float: compare with level / S rounded to dtype
        thr = (level.to(torch.float64) / s_scale).to(y.dtype).unsqueeze(1)
        return (y < thr).to(y.dtype)
    return (fix(y, s_scale) < level.unsqueeze(1)).to(y.dtype)


def leaky_integrator_bwd_fused(
    grad_y, gain, y, level, grad_last, *, s_scale, exact, decay_dot, compat
):
    """See :meth:`._interface.FusedPrimitives.leaky_integrator_bwd_fused`."""
    _check_traces(grad_y, y)
    if exact and level is None:
        raise ValueError("exact=True needs the reset level")
    keep = None if level is None else keep_mask(y, level, s_scale)
    if grad_last is not None:
        grad_y = grad_y.clone()
        grad_y[:, -1] += grad_last * (keep[:, -1] if exact else 1)
    grad_x = leaky_integrator_bwd(grad_y, gain, keep if exact else None)
    if not decay_dot:
        return grad_x, None
    prev = y if (keep is None or compat) else y * keep
    dot = torch.zeros(y.shape[0], dtype=torch.float64, device=y.device)
    for t in range(y.shape[1] - 1, 0, -1):
        dot = dot + grad_x[:, t].to(torch.float64) * prev[:, t - 1].to(torch.float64)
    return grad_x, dot


def delta_encoder_fwd_fused(x, threshold, prev, residual, *, step):
    """See :meth:`._interface.FusedPrimitives.delta_encoder_fwd_fused`."""
    delta = delta_encoder_fwd(x, threshold, prev, residual)
    y = torch.where(delta.abs() >= threshold.unsqueeze(1), delta, torch.zeros_like(delta))
    return delta, torch.floor(y / step) * step


def delta_encoder_bwd_fused(g, g_prev):
    """See :meth:`._interface.FusedPrimitives.delta_encoder_bwd_fused`."""
    g_x = g.clone()
    g_x[:, :-1] -= g[:, 1:]
    if g_prev is not None:
        g_x[:, -1] += g_prev
    return g_x

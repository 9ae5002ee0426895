r"""Test helpers: random inputs and unrolled autograd references (BPTT) of the dynamics.

The ``unrolled_*`` functions recompute a dynamic step by step with ordinary differentiable torch
operations, so that autograd (back-propagation through time) yields the gradient that the
hand-written backward passes of :mod:`lava.lib.dl.core.dynamics` must reproduce. Their forward
values are the exact fixed-point values (a straight-through wrapper carries the gradient of the
linear recurrence), and resets are modelled as

* ``grad_mode="surrogate"``: :math:`y^+ = y - \operatorname{sg}(y\,s)` (reset ignored by the
  gradient, lava-dl's choice);
* ``grad_mode="exact"``: :math:`y^+ = y\,(1 - s)` with the spike indicator :math:`s` constant.

These helpers are slow (a Python loop with autograd nodes per step): use small shapes.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .dynamics import _common as C
from .fixed_point import P_SCALE, S_SCALE, quantize

__all__ = [
    "SHARED_ENV_VAR",
    "find_shared",
    "random_input",
    "random_param",
    "unrolled_leaky_integrator",
    "unrolled_resonator",
    "unrolled_delta_encoder",
]


#: Environment variable overriding the location of the shared data folder.
SHARED_ENV_VAR = "LAVA_DL_SHARED"


def find_shared(start: str | os.PathLike) -> Path | None:
    """Locate the monorepo's ``shared/`` folder (golden vectors, reference nets, specs).

    Parameters
    ----------
    start : path
        A file or folder inside the repository (tests pass ``__file__``).

    Returns
    -------
    Path or None
        ``$LAVA_DL_SHARED`` when set, else ``<repo>/../shared`` where ``<repo>`` is the nearest
        ancestor of ``start`` holding ``noxfile.py``; ``None`` when that folder does not exist
        (tests then skip).
    """
    env = os.environ.get(SHARED_ENV_VAR)
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    for parent in Path(start).resolve().parents:
        if (parent / "noxfile.py").is_file():
            shared = (parent / ".." / "shared").resolve()
            return shared if shared.is_dir() else None
    return None


def random_input(
    shape: tuple[int, ...],
    *,
    seed: int,
    dtype: torch.dtype = torch.float32,
    density: float = 0.3,
    amplitude: float = 1.0,
) -> torch.Tensor:
    """Sparse random input: ``amplitude * U(-0.5, 1)`` at a fraction ``density``, else 0.

    Parameters
    ----------
    shape : tuple of int
        Tensor shape, time last.
    seed : int
        Seed of a private generator (results do not depend on the global RNG).
    dtype : torch.dtype, keyword-only
    density : float, keyword-only
        Fraction of non-zero entries.
    amplitude : float, keyword-only

    Returns
    -------
    Tensor
    """
    g = torch.Generator().manual_seed(seed)
    values = amplitude * (torch.rand(shape, generator=g, dtype=torch.float64) * 1.5 - 0.5)
    mask = torch.rand(shape, generator=g, dtype=torch.float64) < density
    return (values * mask).to(dtype)


def random_param(
    layout: str,
    x_shape: tuple[int, ...],
    low: float,
    high: float,
    *,
    seed: int,
    dtype: torch.dtype = torch.float32,
):
    """A parameter in one of the layouts accepted by the dynamics.

    Parameters
    ----------
    layout : {"scalar", "shared", "channel", "neuron", "flat", "full"}
        Python float, 1-element tensor, ``(C,)``, ``x_shape[1:-1]``, flattened per-neuron, or
        ``x_shape[:-1]``.
    x_shape : tuple of int
        Shape of the input the parameter belongs to.
    low, high : float
        Uniform range.
    seed : int
    dtype : torch.dtype, keyword-only

    Returns
    -------
    float or Tensor
    """
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "scalar": (),
        "shared": (1,),
        "channel": (x_shape[1],),
        "neuron": tuple(x_shape[1:-1]),
        "flat": (int(torch.tensor(x_shape[1:-1]).prod()),),
        "full": tuple(x_shape[:-1]),
    }
    if layout not in shapes:
        raise ValueError(f"unknown layout {layout!r}; choose one of {sorted(shapes)}")
    v = low + (high - low) * torch.rand(shapes[layout], generator=g, dtype=torch.float64)
    return float(v) if layout == "scalar" else v.to(dtype)


class _StraightThrough(torch.autograd.Function):
    """Forward ``exact``, backward as if the output were ``approx``."""

    @staticmethod
    def forward(ctx, approx, exact):
        return exact.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def _st(approx: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    return _StraightThrough.apply(approx, exact.detach())


def _fix(a: torch.Tensor, s: int) -> torch.Tensor:
    return (a.detach() * s).to(torch.int64)


def _rtz(a: torch.Tensor) -> torch.Tensor:
    return torch.where(a < 0, -((-a) >> 12), a >> 12)


def _prep(x, lead, params, dtype):
    return [
        C.flat_param(p, lead, name, dtype=dtype, device=x.device).reshape(lead)
        for name, p in params
    ]


def unrolled_leaky_integrator(
    x: torch.Tensor,
    decay,
    *,
    state=0.0,
    threshold=None,
    s_scale: int = S_SCALE,
    grad_mode: str = "surrogate",
):
    """Step-by-step differentiable leaky integrator (BPTT reference).

    Parameters are as in :func:`lava.lib.dl.core.dynamics.leaky_integrator`.

    Returns
    -------
    y : Tensor (N, C, [H, W,] T)
        Pre-reset trace.
    state : Tensor (N, C, [H, W])
        Final post-reset state.
    """
    dtype, lead, S = C.work_dtype(x), x.shape[:-1], s_scale
    d, st = _prep(x, lead, [("decay", decay), ("state", state)], dtype)
    d = quantize(d)
    level = C.reset_level(threshold, lead, S, device=x.device, strict_positive=True)
    level = None if level is None else level.reshape(lead)
    post = st
    ys = []
    for t in range(x.shape[-1]):
        xt = x[..., t].to(dtype)
        approx = (1 - d / P_SCALE) * post + xt
        Y = _rtz(_fix(post, S) * (P_SCALE - d.detach().to(torch.int64))) + _fix(xt, S)
        y = _st(approx, Y.to(dtype) / S)
        ys.append(y)
        if level is not None:
            s = (Y >= level).to(dtype)
            post = y * (1 - s) if grad_mode == "exact" else y - (y * s).detach()
        else:
            post = y
    return torch.stack(ys, -1), post


def unrolled_resonator(
    x_re: torch.Tensor,
    x_im: torch.Tensor,
    sin_decay,
    cos_decay,
    *,
    re_state=0.0,
    im_state=0.0,
    threshold=None,
    s_scale: int = S_SCALE,
    grad_mode: str = "surrogate",
):
    """Step-by-step differentiable resonator (BPTT reference).

    Parameters are as in :func:`lava.lib.dl.core.dynamics.resonator`.

    Returns
    -------
    real, imag : Tensor (N, C, [H, W,] T)
    real_state, imag_state : Tensor (N, C, [H, W])
    """
    dtype, lead, S = C.work_dtype(x_re), x_re.shape[:-1], s_scale
    sd, cd, r, i = _prep(
        x_re,
        lead,
        [("sin", sin_decay), ("cos", cos_decay), ("re", re_state), ("im", im_state)],
        dtype,
    )
    sd, cd = quantize(sd), quantize(cd)
    si, ci = sd.detach().to(torch.int64), cd.detach().to(torch.int64)
    level = C.reset_level(threshold, lead, S, device=x_re.device, strict_positive=False)
    level = None if level is None else level.reshape(lead)
    res, ims = [], []
    for t in range(x_re.shape[-1]):
        xr, xi = x_re[..., t].to(dtype), x_im[..., t].to(dtype)
        a_re = (cd * r - sd * i) / P_SCALE + xr
        a_im = (sd * r + cd * i) / P_SCALE + xi
        R, I = _fix(r, S), _fix(i, S)
        R_new = _rtz(ci * R) - _rtz(si * I) + _fix(xr, S)
        I_new = _rtz(si * R) + _rtz(ci * I) + _fix(xi, S)
        re = _st(a_re, R_new.to(dtype) / S)
        im = _st(a_im, I_new.to(dtype) / S)
        res.append(re)
        ims.append(im)
        if level is not None:
            s = (I_new >= level).to(dtype)
            reset_im = s * (level - 1).to(dtype) / S
            if grad_mode == "exact":
                r, i = re * (1 - s), im * (1 - s) + reset_im
            else:
                r = re - (re * s).detach()
                i = im - (im * s).detach() + reset_im
        else:
            r, i = re, im
    return torch.stack(res, -1), torch.stack(ims, -1), r, i


class _DeltaGate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, d, th, tau, rho):
        ctx.save_for_backward(d, th)
        ctx.c = (tau, rho)
        return torch.where(d.abs() >= th, d, torch.zeros_like(d))

    @staticmethod
    def backward(ctx, g):
        d, th = ctx.saved_tensors
        tau, rho = ctx.c
        surrogate = -d * rho * torch.exp(-(d.abs() - th) / tau) / th
        d_th = torch.where(d.abs() > th, surrogate, -torch.sign(d))
        return g, g * d_th, None, None


def unrolled_delta_encoder(
    x: torch.Tensor,
    threshold,
    *,
    scale: float = 64,
    prev=0.0,
    residual=0.0,
    tau_grad: float = 1.0,
    scale_grad: float = 1.0,
):
    """Step-by-step differentiable delta encoder (reference of the surrogate gradient).

    Returns
    -------
    y : Tensor (N, C, [H, W,] T)
    prev, residual : Tensor (N, C, [H, W])
    """
    dtype, lead = C.work_dtype(x), x.shape[:-1]
    th, p, r = _prep(x, lead, [("th", threshold), ("prev", prev), ("res", residual)], dtype)
    r = r.detach()
    ys = []
    for t in range(x.shape[-1]):
        xt = x[..., t].to(dtype)
        d = (xt - p) + r
        y = _DeltaGate.apply(d, th, tau_grad, scale_grad)
        r = (d - y).detach()
        p = xt
        ys.append(_st(y, torch.floor(y / (1 / scale)) * (1 / scale)))
    return torch.stack(ys, -1), p, r

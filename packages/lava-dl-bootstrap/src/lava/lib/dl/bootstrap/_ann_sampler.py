r"""Piecewise-linear (PWL) model of a spiking layer's rate response, fitted from SNN samples.

A rate-coded spiking neuron driven by a mean weighted input :math:`z` (time average of the
synaptic input) fires at a mean rate :math:`a` (spikes per step). :class:`AnnSampler` records
:math:`(z, a)` pairs of every neuron during SNN sampling and fits a monotone PWL curve
:math:`f` with ``num_centers`` inner points, which the ANN mode then uses as activation.

Fit (``sample_range`` = :math:`[r_0, r_1]`, EMA factor :math:`\alpha` = 0.1):

1. saturation level :math:`a_{max} = \max(\overline{a[a > r_1 \max a]}, 0.8)`;
2. bins :math:`(e_i, e_{i+1}]` with edges ``linspace(r0 a_max, r1 a_max, num_centers + 1)``;
3. per bin, the center :math:`c_i = (\operatorname{median} z, \operatorname{median} a)` of the new
   samples, blended with previous centers in the same bin as
   :math:`\alpha c_i + (1 - \alpha)\,\overline{c_{prev}}` (or the previous mean alone);
4. slopes :math:`m_i = |\Delta a / \Delta z|` between centers, end segments extended with the
   first and last slope down to the axis :math:`(z_0 - a_0/m_0, 0)` and up to saturation
   :math:`(z_K + (a_{max} - a_K)/m_K, a_{max})`;
5. gradient scale :math:`\sigma = z_{end} / a_{max}`.

Forward: :math:`f(z) = 0` left of the first point, linear interpolation between points,
:math:`a_{max}` right of the last one. Backward (gradient normalisation): inside segment
:math:`i` the gradient is :math:`m_i \sigma + \epsilon`, outside :math:`\epsilon`, so it is about 1
on average whatever the layer's rate scale, with a small leak :math:`\epsilon` that keeps silent
and saturated neurons trainable.

Before the first fit the curve is the *default ramp* :math:`f(z) = \min(\max(z / z_{sat}, 0), 1)`
with :math:`z_{sat}` = ``default_saturation`` (bootstrap blocks set it to the ideal
integrate-and-fire saturation input of their neuron), so an ANN-mode forward works from the
start (lava-dl 0.6 raised a TypeError).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["AnnSampler"]


class _PWLFunction(torch.autograd.Function):
    """PWL forward with the normalised slope gradient (see the module docstring)."""

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor, zp: torch.Tensor, ap: torch.Tensor,
                slopes: torch.Tensor, scale: float, eps: float) -> torch.Tensor:
        k = zp.numel()
        idx = torch.searchsorted(zp, z.detach().contiguous().reshape(-1)).reshape(z.shape)
        inside = (idx >= 1) & (idx <= k - 1)
        seg = (idx - 1).clamp(0, k - 2)
        z0, z1 = zp[seg], zp[seg + 1]
        a0, a1 = ap[seg], ap[seg + 1]
        width = z1 - z0
        frac = torch.where(width > 0, (z - z0) / torch.where(width > 0, width, 1), 1)
        out = torch.where(inside, a0 + frac * (a1 - a0), torch.zeros_like(z))
        out = torch.where(idx >= k, ap[-1].expand_as(z), out)
        ctx.save_for_backward(torch.where(inside, slopes[seg] * scale + eps,
                                          torch.full_like(z, eps)))
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (local,) = ctx.saved_tensors
        return grad * local, None, None, None, None, None


def _gather_samples(a: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate every process's samples in rank order under ``torch.distributed``.

    Under DistributedDataParallel each replica sees its own part of the batch; sharing the
    samples keeps the fitted curves (and, with equal seeds, the random thinning) identical on
    every replica. Without a process group the samples are returned unchanged. Collective:
    every process must call :meth:`AnnSampler.append` the same number of times.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return a, z
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, (a, z))
    return (np.concatenate([g[0] for g in gathered]).astype(np.float32),
            np.concatenate([g[1] for g in gathered]).astype(np.float32))


class AnnSampler(torch.nn.Module):
    """Rate-response sampler and piecewise-linear activation of one bootstrap layer.

    Parameters
    ----------
    num_centers : int
        Inner PWL points (activation bins). Default 5.
    sample_range : sequence of two floats
        Bin range as fractions of the saturation rate; the upper value also selects the samples
        that define saturation. Default ``[0.1, 0.9]``.
    eps : float
        Gradient leak. Default 1e-5.
    default_saturation : float
        Input at which the default ramp (used before the first fit) saturates at rate 1.
        Default 1.
    max_points : int
        Most samples kept (a random subset is kept beyond). Default ``2**20``.
    seed : int or None
        Seed of the random thinning (:meth:`soft_clear`); None draws it from torch's global
        generator, so ``torch.manual_seed`` makes training reproducible.

    Attributes
    ----------
    z, a : np.ndarray
        Recorded mean inputs and mean rates (float32, one value per sample and neuron).
    centers : np.ndarray or None
        ``(K, 2)`` PWL points ``(z, a)`` including the axis and saturation points; None before
        the first fit.
    slopes : np.ndarray or None
        ``(K - 1,)`` absolute segment slopes.
    max : float
        Saturation rate :math:`a_{max}` (1 before the first fit).
    scale : float
        Gradient scale :math:`z_{end} / a_{max}`.
    alpha : float
        EMA factor of the refit (0.1).

    Notes
    -----
    ``forward`` is elementwise: any shape in, same shape out.
    """

    def __init__(
        self,
        num_centers: int = 5,
        sample_range: Sequence[float] = (0.1, 0.9),
        eps: float = 1e-5,
        *,
        default_saturation: float = 1.0,
        max_points: int = 1 << 20,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if int(num_centers) < 1:
            raise ValueError(f"num_centers must be >= 1, got {num_centers}")
        lo, hi = (float(v) for v in sample_range)
        if not 0 <= lo < hi <= 1:
            raise ValueError(
                f"sample_range must be [low, high] with 0 <= low < high <= 1, got {sample_range}"
            )
        if not default_saturation > 0:
            raise ValueError(f"default_saturation must be > 0, got {default_saturation}")
        self.num_centers = int(num_centers)
        self.sample_range = [lo, hi]
        self.eps = float(eps)
        self.default_saturation = float(default_saturation)
        self.max_points = int(max_points)
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        self._rng = np.random.default_rng(seed)
        self.z = np.zeros(0, dtype=np.float32)
        self.a = np.zeros(0, dtype=np.float32)
        self.centers: np.ndarray | None = None
        self.slopes: np.ndarray | None = None
        self.max = 1.0
        self.scale = self.default_saturation
        self.alpha = 0.1

    # ------------------------------------------------------------------ samples
    @property
    def num_points(self) -> int:
        """Number of recorded samples."""
        return int(self.z.size)

    def append(self, a: torch.Tensor, z: torch.Tensor) -> None:
        """Record the time means of output spikes ``a`` and synaptic input ``z``.

        Under ``torch.distributed`` the samples of every process are recorded on every process
        (a collective call), so all replicas fit the same curve.

        Parameters
        ----------
        a, z : torch.Tensor
            ``(N, ..., T)`` spikes and weighted input of the same shape.
        """
        if tuple(a.shape) != tuple(z.shape):
            raise ValueError(
                f"append(a, z): spikes {tuple(a.shape)} and input {tuple(z.shape)} must have the "
                "same shape (N, ..., T)"
            )
        a_mean = a.detach().float().mean(-1).reshape(-1).cpu().numpy()
        z_mean = z.detach().float().mean(-1).reshape(-1).cpu().numpy()
        a_mean, z_mean = _gather_samples(a_mean, z_mean)
        self.a = np.concatenate([self.a, a_mean])
        self.z = np.concatenate([self.z, z_mean])
        if self.z.size > self.max_points:
            keep = np.sort(self._rng.choice(self.z.size, self.max_points, replace=False))
            self.a, self.z = self.a[keep], self.z[keep]

    def clear(self) -> None:
        """Forget every recorded sample (the fitted curve is kept)."""
        self.z = np.zeros(0, dtype=np.float32)
        self.a = np.zeros(0, dtype=np.float32)

    def soft_clear(self) -> None:
        """Forget a random half of the recorded samples (keeps some history for the next fit)."""
        n = self.z.size
        keep = np.sort(self._rng.permutation(n)[: n - n // 2])
        self.a, self.z = self.a[keep], self.z[keep]

    # ------------------------------------------------------------------ fit
    def fit(self) -> None:
        """Fit the PWL curve to the recorded samples (see the module docstring)."""
        if self.z.size == 0:
            warnings.warn(
                "AnnSampler.fit() without samples: the curve is unchanged; run SAMPLE-mode "
                "forward passes before FIT",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        a = self.a.astype(np.float64)
        z = self.z.astype(np.float64)
        lo, hi = self.sample_range
        top = a[a > hi * a.max()]
        a_max = max(float(top.mean()) if top.size else 0.0, 0.8)
        edges = np.linspace(lo * a_max, hi * a_max, self.num_centers + 1)
        prev = self.centers
        centers = []
        for e0, e1 in zip(edges[:-1], edges[1:], strict=True):
            sel = (a > e0) & (a <= e1)
            old = None if prev is None else prev[(prev[:, 1] > e0) & (prev[:, 1] <= e1)]
            has_old = old is not None and len(old) > 0
            if sel.any():
                c = np.array([np.median(z[sel]), np.median(a[sel])])
                if has_old:
                    c = self.alpha * c + (1 - self.alpha) * old.mean(axis=0)
            elif has_old:
                c = old.mean(axis=0)
            else:
                continue
            centers.append(c)
        if not centers:  # silent layer: a unit ramp up to saturation
            centers = [np.array([0.0, 0.0]), np.array([a_max, a_max])]
        elif len(centers) == 1:
            centers.insert(0, np.array([0.0, 0.0]))
        c = np.stack(centers)
        c[:, 0] = np.maximum.accumulate(c[:, 0])  # keep the curve a function of z
        dz = np.diff(c[:, 0])
        da = np.diff(c[:, 1])
        slopes = np.abs(da / np.where(dz > 0, dz, np.finfo(np.float64).eps))
        slopes = np.maximum(slopes, np.finfo(np.float32).eps)
        slopes = np.concatenate([slopes[:1], slopes, slopes[-1:]])
        first = [c[0, 0] - c[0, 1] / slopes[0], 0.0]
        last = [c[-1, 0] + max(a_max - c[-1, 1], 0.0) / slopes[-1], a_max]
        self.centers = np.concatenate([[first], c, [last]])
        self.slopes = slopes
        self.max = a_max
        z_end = float(self.centers[-1, 0])
        self.scale = z_end / a_max if z_end > 0 else 1.0

    # ------------------------------------------------------------------ curve
    def points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current curve as ``(z_points, a_points, slopes)`` (the default ramp if unfitted)."""
        if self.centers is None:
            zs = self.default_saturation
            return np.array([0.0, zs]), np.array([0.0, 1.0]), np.array([1.0 / zs])
        return self.centers[:, 0], self.centers[:, 1], self.slopes  # type: ignore[return-value]

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` produced a curve yet."""
        return self.centers is not None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Rate ``f(z)`` of the fitted curve, elementwise (any shape)."""
        zp, ap, slopes = self.points()
        kw = {"dtype": z.dtype, "device": z.device}
        return _PWLFunction.apply(
            z, torch.as_tensor(zp, **kw), torch.as_tensor(ap, **kw),
            torch.as_tensor(slopes, **kw), float(self.scale), self.eps,
        )

    def plot(self, figsize: tuple[float, float] | None = None) -> Any:
        """Scatter of the samples with the fitted curve and its points (needs matplotlib).

        Returns
        -------
        matplotlib.figure.Figure
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - matplotlib is optional
            raise ImportError("AnnSampler.plot needs matplotlib: pip install matplotlib") from exc
        zp, ap, _ = self.points()
        fig, ax = plt.subplots(figsize=figsize)
        if self.z.size:
            ax.scatter(self.z, self.a, s=2, alpha=0.3, label="samples")
        span = max(float(zp[-1]) - float(zp[0]), 1e-3)
        zz = torch.linspace(float(zp[0]) - 0.2 * span, float(zp[-1]) + 0.2 * span, 200)
        with torch.no_grad():
            ax.plot(zz.numpy(), self(zz).numpy(), "k-", label="PWL fit")
        ax.plot(zp, ap, "ro", label="centers")
        ax.set_xlabel("mean weighted input z")
        ax.set_ylabel("mean rate a (spikes / step)")
        ax.legend()
        return fig

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"num_centers={self.num_centers}, sample_range={self.sample_range}, eps={self.eps}, "
            f"fitted={self.fitted}, points={self.num_points}"
        )

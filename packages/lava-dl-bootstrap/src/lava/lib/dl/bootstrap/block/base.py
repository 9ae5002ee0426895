r"""Mode-switching mixin of the bootstrap blocks.

A bootstrap block is a slayer block plus an :class:`~..ann_sampler.AnnSampler` ``f``; its
``forward(x, mode)`` computes, for input :math:`x` and synapse :math:`W`:

.. math::

    \text{SNN:}\quad & y = D(\mathcal{N}(W x)) \\
    \text{SAMPLE:}\quad & y = D(\mathcal{N}(W x)),\ \text{record } (\bar z, \bar s)
        \text{ with } z = W x,\ s = \mathcal{N}(z) \\
    \text{ANN:}\quad & y = \operatorname{drop}(f(\operatorname{norm}(W \bar x))) \\
    \text{FIT:}\quad & \text{fit } f, \text{ then ANN}

where :math:`\mathcal{N}` is the block's spiking neuron, :math:`D` the slayer block's delays
(one-step ``delay_shift`` and the optional learnable axonal delay), :math:`\bar x` the time mean
of the input (``T`` = 1 out: the ANN works on rates, so a hybrid network whose leading layers are
SNN feeds their spike rates to the ANN layers) and :math:`f` the fitted piecewise-linear rate
curve. The SNN forward is exactly the slayer block's forward, so what is trained is what
:meth:`export_hdf5` (inherited from slayer, same exporters) deploys.
"""

from __future__ import annotations

from typing import Any

import torch

from .._ann_sampler import AnnSampler
from .._routine import LayerMode, Mode

__all__ = ["AbstractBlock", "default_saturation"]


def default_saturation(neuron: torch.nn.Module | None) -> float:
    r"""Input at which an ideal non-leaky integrate-and-fire neuron reaches one spike per step.

    For a CUBA neuron with threshold :math:`\theta` and current decay :math:`\alpha_u` (fraction
    lost per step), a constant input :math:`z` settles the current at :math:`z / \alpha_u`, so the
    rate is about :math:`z / (\alpha_u \theta)`, saturating at :math:`z_{sat} = \alpha_u \theta`
    (with :math:`\alpha_u \ge 2^{-12}`). Neurons without these parameters give 1.
    """
    if neuron is None:
        return 1.0
    threshold = getattr(neuron, "threshold", None)
    if threshold is None or float(threshold) <= 0:
        return 1.0
    decay = getattr(neuron, "current_decay", None)
    p_scale = float(getattr(neuron, "p_scale", 1 << 12))
    alpha = 1.0 if decay is None else float(torch.as_tensor(decay).detach().float().mean())
    alpha = alpha / p_scale if decay is not None else alpha
    return float(threshold) * max(alpha, 1.0 / p_scale)


class AbstractBlock(torch.nn.Module):
    """Mixin that adds the bootstrap modes to a slayer block (listed first in the bases).

    Attributes
    ----------
    f : AnnSampler
        Rate sampler and PWL activation of the block.
    mode : Mode
        Mode of the last forward call (``Mode.SAMPLE`` before any).

    Notes
    -----
    Constructor arguments and defaults are those of the slayer block (``delay_shift`` defaults
    to True, as lava-dl 0.6's bootstrap blocks effectively did). Complex-valued (resonator)
    families are rejected: the rate model needs a real spiking neuron.
    """

    _MODE_METHODS = {
        Mode.SNN: "_mode_snn",
        Mode.SAMPLE: "_mode_sample",
        Mode.ANN: "_mode_ann",
        Mode.FIT: "_mode_fit",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        family = getattr(self, "family", None)
        if family is not None and family.complex:
            raise TypeError(
                f"bootstrap blocks need a real-valued spiking neuron; the {family.name} family is "
                "complex-valued: use the cuba family"
            )
        self.f = AnnSampler(default_saturation=default_saturation(self.neuron))
        self.mode = Mode.SAMPLE

    # ------------------------------------------------------------------ parts
    def _forward_synapse(self, x: torch.Tensor) -> torch.Tensor:
        """Weighted input ``z = W x`` (connection mask applied)."""
        self._apply_mask()
        return self.synapse(x)

    def _forward_ann(self, x: torch.Tensor) -> torch.Tensor:
        """Rate forward ``drop(f(norm(W mean_t(x))))``, ``T`` = 1 out."""
        if x.shape[-1] != 1:
            x = x.mean(dim=-1, keepdim=True)
        z = self._forward_synapse(x)
        norm = getattr(self.neuron, "norm", None)
        if norm is not None:
            z = norm(z)
        y = self.f(z)
        drop = getattr(self.neuron, "drop", None)
        if drop is not None:
            y = drop(y)
        return y

    def _forward_snn(self, x: torch.Tensor, sample: bool = False) -> torch.Tensor:
        """Spiking forward (the slayer block's), recording rate samples if ``sample``."""
        z = self._forward_synapse(x)
        s = self.neuron(z)
        if sample:
            self.f.append(s, z)
        return self._post(s)

    def fit(self) -> None:
        """Fit the rate curve to the recorded samples, then forget half of them."""
        self.f.fit()
        self.f.soft_clear()

    # ------------------------------------------------------------------ modes
    def _mode_snn(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        return self._forward_snn(x), True

    def _mode_sample(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        return self._forward_snn(x, sample=True), True

    def _mode_ann(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        return self._forward_ann(x), False

    def _mode_fit(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        self.fit()
        return self._forward_ann(x), False

    def forward(self, x: torch.Tensor, mode: Mode = Mode.ANN) -> Any:
        """Forward pass in ``mode``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, [H, W,] T)`` input (spikes in SNN/SAMPLE, rates in ANN/FIT).
        mode : Mode
            Default ``Mode.ANN``.

        Returns
        -------
        torch.Tensor
            ``(N, C', [H', W',] T)`` spikes in SNN/SAMPLE, ``(N, C', [H', W',] 1)`` rates in
            ANN/FIT (``(output, event_rate)`` with ``count_log``).
        """
        method = self._MODE_METHODS.get(mode) if isinstance(mode, Mode) else None
        if method is None:
            hint = (
                " (a LayerMode holds one mode per layer: iterate it, e.g. "
                "`for block, m in zip(blocks, mode): x = block(x, m)`)"
                if isinstance(mode, LayerMode) else ""
            )
            raise TypeError(f"mode must be a bootstrap Mode, got {mode!r}{hint}")
        self._record_input(x)
        self.mode = mode
        y, spiking = getattr(self, method)(x)
        return self._output(y, spiking=spiking)

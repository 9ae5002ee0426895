r"""Batch normalisations compatible with Loihi deployment.

:class:`MeanOnlyBatchNorm` subtracts the per-channel mean (over batch, space and time) of its
input, :math:`y = x - h(\mu_c)`, where :math:`h` is the pre-hook (8-bit quantization when the norm
belongs to a neuron). The running mean is updated as :math:`\bar\mu \leftarrow (1-m)\bar\mu + m\mu`
and used in evaluation mode. On Loihi the subtraction is a bias: ``bias = -h(mu, descale=True)``.

:class:`WgtScaleBatchNorm` additionally divides by a power of two
:math:`2^{e}`, :math:`e = \mathrm{clamp}(\lceil \log_2 \sqrt{\sigma^2 + \epsilon}\rceil, -b, b)`,
where :math:`\sigma^2` is one global (all-channel) biased variance, so the scaling is a weight
exponent on hardware (``weight_exp``).

Inputs are ``(N, C, ...)`` with 2 to 5 dimensions (time last for 3-D and 5-D inputs).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["MeanOnlyBatchNorm", "WgtScaleBatchNorm"]


def _identity_hook(x: torch.Tensor, descale: bool = False) -> torch.Tensor:
    """Default pre-hook: identity (accepts ``descale`` like the neuron quantizers)."""
    return x


def _channel_view(x: torch.Tensor, name: str) -> torch.Tensor:
    if not 2 <= x.dim() <= 5:
        raise ValueError(
            f"{name} expects an input with 2 to 5 dimensions (N, C, ...), got shape "
            f"{tuple(x.shape)}"
        )
    return x.reshape(x.shape[0], x.shape[1], -1)


def _bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(1, -1, *([1] * (x.dim() - 2)))


class _MeanNorm(torch.nn.Module):
    """Shared machinery: running mean, lazy channel count, pre-hook."""

    def __init__(
        self,
        num_features: int | None,
        momentum: float,
        pre_hook_fx: Callable[..., torch.Tensor] | None,
    ) -> None:
        super().__init__()
        if num_features is not None and int(num_features) < 1:
            raise ValueError(f"num_features must be a positive int or None, got {num_features}")
        self.num_features = num_features
        self.momentum = momentum
        self.pre_hook_fx = _identity_hook if pre_hook_fx is None else pre_hook_fx
        size = 1 if num_features is None else int(num_features)
        self.register_buffer("running_mean", torch.zeros(size))

    def _batch_mean(self, x: torch.Tensor) -> torch.Tensor:
        mean = _channel_view(x, type(self).__name__).mean(dim=(0, 2))
        if self.num_features is not None and mean.numel() != self.num_features:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}) got an input with "
                f"{mean.numel()} channels; build it with num_features={mean.numel()} or None"
            )
        with torch.no_grad():
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean.detach()
        return mean

    def _mean(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self._batch_mean(x)
        _channel_view(x, type(self).__name__)
        return self.running_mean

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        # lazy channel count: adopt the stored per-channel shape
        for name in ("running_mean",):
            key = prefix + name
            if key in state_dict and self.num_features is None:
                setattr(self, name, torch.zeros_like(state_dict[key]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def bias(self) -> torch.Tensor:
        """Bias mantissa of the deployed layer, ``-pre_hook_fx(running_mean, descale=True)``."""
        return -self.pre_hook_fx(self.running_mean, descale=True)


class MeanOnlyBatchNorm(_MeanNorm):
    """Mean-only batch normalisation.

    Parameters
    ----------
    num_features : int or None
        Number of channels C; None infers it from the first training batch.
    momentum : float
        Running-mean momentum. Default 0.1.
    pre_hook_fx : callable or None
        Quantizer applied to the mean, called as ``f(mean)`` and ``f(mean, descale=True)``.
        None means identity (a neuron installs its ``quantize_8bit``).

    Notes
    -----
    Input ``(N, C, ...)`` (2-D to 5-D); output has the same shape.
    """

    def __init__(
        self,
        num_features: int | None = None,
        momentum: float = 0.1,
        pre_hook_fx: Callable[..., torch.Tensor] | None = None,
    ) -> None:
        super().__init__(num_features, momentum, pre_hook_fx)

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        mean = self._mean(input)
        return input - _bcast(self.pre_hook_fx(mean), input)


class WgtScaleBatchNorm(_MeanNorm):
    """Batch normalisation with a per-channel mean and a global power-of-two scale.

    Parameters
    ----------
    num_features : int or None
        Number of channels C; None infers it from the first training batch.
    momentum : float
        Running statistics momentum. Default 0.1.
    weight_exp_bits : int
        The scale exponent is clamped to ``[-weight_exp_bits, weight_exp_bits]``. Default 3.
    eps : float
        Added to the variance. Default 1e-5.
    pre_hook_fx : callable or None
        Quantizer applied to the mean (see :class:`MeanOnlyBatchNorm`).

    Notes
    -----
    Input ``(N, C, ...)`` (2-D to 5-D); output has the same shape.
    """

    def __init__(
        self,
        num_features: int | None = None,
        momentum: float = 0.1,
        weight_exp_bits: int = 3,
        eps: float = 1e-5,
        pre_hook_fx: Callable[..., torch.Tensor] | None = None,
    ) -> None:
        super().__init__(num_features, momentum, pre_hook_fx)
        self.weight_exp_bits = int(weight_exp_bits)
        self.eps = eps
        self.register_buffer("running_var", torch.ones(1))

    def _exponent(self, var: torch.Tensor) -> torch.Tensor:
        e = torch.ceil(torch.log2(torch.sqrt(var + self.eps)))
        return e.clamp(-self.weight_exp_bits, self.weight_exp_bits)

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        mean = self._mean(input)
        if self.training:
            var = torch.var(input, unbiased=False)
            n = input.numel() / input.shape[1]
            with torch.no_grad():
                m = self.momentum
                self.running_var = (1 - m) * self.running_var + m * var.detach() * n / (n + 1)
        else:
            var = self.running_var
        scale = torch.pow(2.0, self._exponent(var).detach())
        return (input - _bcast(self.pre_hook_fx(mean), input)) / scale

    @property
    def weight_exp(self) -> int:
        """Power-of-two weight exponent of the deployed layer (clamped like the forward)."""
        return int(self._exponent(self.running_var).item())

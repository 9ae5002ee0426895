"""Rate-response sampler and piecewise-linear activation: :class:`AnnSampler`."""

from ._ann_sampler import AnnSampler

__all__ = ["AnnSampler"]

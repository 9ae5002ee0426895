r"""Recurrent computation with a neuron stepped one time step at a time.

.. math:: s[t] = \mathcal{N}\big(z[t] + R\, s[t-1]\big), \qquad s[-1] = 0

where :math:`\mathcal{N}` is a neuron with ``persistent_state=True`` called on ``T = 1`` slices
and :math:`R` the recurrent weight (``pre_hook_fx`` applied). Gradients flow through the unrolled
graph (backpropagation through time over :math:`R` and the inputs); the neuron's internal state
is carried detached between steps, as in lava-dl.
"""

from __future__ import annotations

import torch

__all__ = [
    "custom_recurrent",
    "custom_recurrent_ground_truth_1",
    "custom_recurrent_ground_truth_2",
]


def _check(z: torch.Tensor, neuron: torch.nn.Module) -> None:
    if z.dim() != 3:
        raise ValueError(
            f"recurrent: z must be (N, C, T), got shape {tuple(z.shape)}; flatten spatial dims"
        )
    if not getattr(neuron, "persistent_state", False):
        raise ValueError(
            "recurrent: the neuron must be built with persistent_state=True so that its state "
            "carries from one time step to the next"
        )


def recurrent_matrix(recurrent_synapse: torch.nn.Module) -> torch.Tensor:
    """``(out, in)`` recurrent matrix: the synapse weight with its ``pre_hook_fx`` applied."""
    w = recurrent_synapse.weight
    hook = getattr(recurrent_synapse, "pre_hook_fx", None)
    if hook is not None:
        w = hook(w)
    return w.reshape(w.shape[0], -1)


def _run(z, neuron, step):
    _check(z, neuron)
    spikes = []
    s_prev = torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
    for t in range(z.shape[-1]):
        x = z[..., t] + step(s_prev)
        s = neuron(x.unsqueeze(-1))
        spikes.append(s)
        s_prev = s[..., 0]
    return torch.cat(spikes, dim=-1)


def custom_recurrent_ground_truth_1(
    z: torch.Tensor, neuron: torch.nn.Module, recurrent_synapse: torch.nn.Module
) -> torch.Tensor:
    """Reference: calls the recurrent synapse module every step. ``z`` (N, C, T) -> (N, C, T)."""
    return _run(z, neuron, lambda s: recurrent_synapse(s.unsqueeze(-1))[..., 0])


def custom_recurrent_ground_truth_2(
    z: torch.Tensor, neuron: torch.nn.Module, recurrent_synapse: torch.nn.Module
) -> torch.Tensor:
    """Reference: uses the hooked recurrent matrix directly. ``z`` (N, C, T) -> (N, C, T)."""
    r = recurrent_matrix(recurrent_synapse)
    return _run(z, neuron, lambda s: s @ r.t())


def custom_recurrent(
    z: torch.Tensor, neuron: torch.nn.Module, recurrent_synapse: torch.nn.Module
) -> torch.Tensor:
    """Recurrent spiking layer output.

    Parameters
    ----------
    z : torch.Tensor
        ``(N, C, T)`` feed-forward input (already weighted).
    neuron : torch.nn.Module
        Neuron with ``persistent_state=True``.
    recurrent_synapse : torch.nn.Module
        Module with ``weight`` ``(C, C, ...)`` and optional ``pre_hook_fx``.

    Returns
    -------
    torch.Tensor
        ``(N, C, T)`` spikes.
    """
    r = recurrent_matrix(recurrent_synapse)
    return _run(z, neuron, lambda s: s @ r.t())

r"""Training assistant of DECOLLE (in the style of ``slayer.utils.Assistant``).

One call per sample batch ``x`` of shape ``(N, *input_shape, T)`` with labels ``(N,)``:

1. the network state is reset;
2. burn-in: the first ``burnin`` steps run without gradients or updates (they only settle the
   state);
3. ``mode='online'``: for every later step :math:`t` the network runs one step, the loss of that
   step is back-propagated (each layer's gradient stays inside the layer, and inside the step: the
   stored state is detached) and the optimizer steps: :math:`T - t_b` optimizer steps per batch;
   ``mode='batch'``: the remaining :math:`T - t_b` steps run at once, their losses are summed
   (gradients flow through time within a layer, never across layers) and the optimizer steps
   once.

Prediction of layer :math:`l`: :math:`\arg\max_k \sum_{t \ge t_b} Y_{l,k}[t]` (the reference takes
the sigmoid of the accumulated readout first, which does not change the arg-max).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import torch

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.slayer.utils.distributed import all_reduce_sum, unwrap_model

from ._loss import DecolleLoss
from ._network import DecolleNetwork

__all__ = ["MODES", "DecolleAssistant", "LayerStats"]

MODES = ("online", "batch")


@dataclass
class LayerStats:
    """Per-layer accuracy and loss accumulated over batches.

    Attributes
    ----------
    correct : list of int
        Correct predictions per layer.
    loss_sum : list of float
        Sum over batches of ``loss * N`` per layer.
    num_samples : int
        Samples seen.
    """

    correct: list[int] = field(default_factory=list)
    loss_sum: list[float] = field(default_factory=list)
    num_samples: int = 0

    def reset(self) -> None:
        """Forget everything."""
        self.correct, self.loss_sum, self.num_samples = [], [], 0

    def update(self, correct: list[int], losses: list[float], n: int) -> None:
        """Add one batch."""
        if not self.correct:
            self.correct = [0] * len(correct)
            self.loss_sum = [0.0] * len(correct)
        self.correct = [a + b for a, b in zip(self.correct, correct, strict=True)]
        self.loss_sum = [a + b * n for a, b in zip(self.loss_sum, losses, strict=True)]
        self.num_samples += n

    @property
    def accuracy(self) -> list[float]:
        """Accuracy of each layer's readout (fraction in [0, 1])."""
        n = max(self.num_samples, 1)
        return [c / n for c in self.correct]

    @property
    def loss(self) -> list[float]:
        """Mean loss per sample of each layer."""
        n = max(self.num_samples, 1)
        return [s / n for s in self.loss_sum]


class DecolleAssistant:
    """Train and evaluate a :class:`DecolleNetwork` batch by batch.

    Parameters
    ----------
    net : DecolleNetwork
        The network.
    optimizer : torch.optim.Optimizer
        Optimizer of ``net.parameters()`` (the readouts are buffers and are never included).
    loss : DecolleLoss, optional
        Default ``DecolleLoss(net.num_classes)``.
    mode : {'online', 'batch'}
        Update schedule (module docstring). Default ``'online'``.
    burnin : int
        Steps without updates at the start of every sample batch. Default 0.
    stats : slayer.utils.LearningStats, optional
        Receives the last layer's loss and accuracy (``training``/``validation``/``testing``).
    test_dropout : bool
        Keep dropout active in :meth:`test` (as the paper did). Default False.
    backend : str, optional
        lava-dl-core backend for the neuron dynamics (``'reference'``, ``'numba'``, ...; see
        :mod:`lava.lib.dl.core.backend`). The one-step calls of online mode are fastest with
        ``'reference'`` (no kernel launch or thread start per call). Default: core's choice.

    Attributes
    ----------
    optimizer_steps : int
        Optimizer steps taken so far.
    training, validation, testing : LayerStats
        Per-layer statistics.
    """

    def __init__(self, net: DecolleNetwork, optimizer: torch.optim.Optimizer, *,
                 loss: DecolleLoss | None = None, mode: str = "online", burnin: int = 0,
                 stats: Any = None, test_dropout: bool = False,
                 backend: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown DECOLLE mode {mode!r}: use one of {MODES}")
        if burnin < 0:
            raise ValueError(f"burnin must be >= 0, got {burnin}")
        self.net = net  # may be wrapped in DistributedDataParallel: forward goes through it
        self.module = unwrap_model(net)  # the DecolleNetwork itself, for its attributes
        self.optimizer = optimizer
        self.loss = loss if loss is not None else DecolleLoss(self.module.num_classes)
        self.mode = mode
        self.burnin = int(burnin)
        self.stats = stats
        self.test_dropout = bool(test_dropout)
        self.backend = backend
        self.optimizer_steps = 0
        self.training = LayerStats()
        self.validation = LayerStats()
        self.testing = LayerStats()

    def _backend(self) -> contextlib.AbstractContextManager[Any]:
        if self.backend is None:
            return contextlib.nullcontext()
        return core_backend.use_backend(self.backend)

    def _device(self) -> torch.device:
        for p in self.net.parameters():
            return p.device
        return torch.device("cpu")

    def _check(self, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[-1] <= self.burnin:
            raise ValueError(
                f"the input has {x.shape[-1]} time steps but burnin={self.burnin}: nothing is "
                "left to learn from; use longer samples or a shorter burn-in"
            )
        device = self._device()
        return x.to(device), torch.as_tensor(target).to(device)

    def _burnin(self, x: torch.Tensor) -> None:
        self.module.reset_state()
        if self.burnin:
            with torch.no_grad():
                self.net(x[..., : self.burnin])

    def _record(self, stat: LayerStats, slayer_stat_name: str, sums: list[torch.Tensor],
                losses: list[float], target: torch.Tensor) -> list[torch.Tensor]:
        preds = [s.argmax(dim=1) for s in sums]
        labels = target if target.dim() == 1 else target.argmax(dim=1)
        correct = [int((p == labels).sum()) for p in preds]
        n = int(labels.shape[0])
        # Under torch.distributed, every process records the totals of all processes.
        reduced = all_reduce_sum([*correct, *(loss * n for loss in losses), n])
        k = len(correct)
        n = int(reduced[-1])
        correct = [int(c) for c in reduced[:k]]
        losses = [v / n for v in reduced[k:2 * k]]
        stat.update(correct, losses, n)
        if self.stats is not None:
            s = getattr(self.stats, slayer_stat_name)
            s.num_samples += n
            s.loss_sum += losses[-1] * n
            s.correct_samples += correct[-1]
        return preds

    def train(self, x: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        """Train on one sample batch.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, *input_shape, T)`` input spikes.
        target : torch.Tensor
            ``(N,)`` labels (or ``(N, K)`` one-hot).

        Returns
        -------
        list of torch.Tensor
            Per layer ``(N,)`` predictions.
        """
        with self._backend():
            return self._train(x, target)

    def _train(self, x: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        self.net.train()
        x, target = self._check(x, target)
        self._burnin(x)
        steps = x.shape[-1] - self.burnin
        n_layers = len(self.module.layers)
        sums = [torch.zeros(x.shape[0], self.module.num_classes, device=x.device)
                for _ in range(n_layers)]
        losses = [0.0] * n_layers
        windows = ([slice(t, t + 1) for t in range(self.burnin, x.shape[-1])]
                   if self.mode == "online" else [slice(self.burnin, None)])
        for window in windows:
            out = self.net(x[..., window])
            value = self.loss(out.readouts, out.potentials, target)
            self.optimizer.zero_grad()
            value.total.backward()
            self.optimizer.step()
            self.optimizer_steps += 1
            for i, (r, part) in enumerate(zip(out.readouts, value.per_layer, strict=True)):
                sums[i] += r.detach().sum(dim=-1)
                losses[i] += float(part.detach()) / steps
        return self._record(self.training, "training", sums, losses, target)

    def _evaluate(self, x: torch.Tensor, target: torch.Tensor, stat: LayerStats,
                  name: str) -> list[torch.Tensor]:
        self.net.train(self.test_dropout)
        x, target = self._check(x, target)
        with torch.no_grad(), self._backend():
            self._burnin(x)
            out = self.net(x[..., self.burnin:])
            value = self.loss(out.readouts, out.potentials, target)
        steps = x.shape[-1] - self.burnin
        sums = [r.sum(dim=-1) for r in out.readouts]
        losses = [float(p) / steps for p in value.per_layer]
        return self._record(stat, name, sums, losses, target)

    def test(self, x: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        """Evaluate one batch (no update); statistics go to :attr:`testing`."""
        return self._evaluate(x, target, self.testing, "testing")

    def valid(self, x: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        """Evaluate one batch (no update); statistics go to :attr:`validation`."""
        return self._evaluate(x, target, self.validation, "validation")

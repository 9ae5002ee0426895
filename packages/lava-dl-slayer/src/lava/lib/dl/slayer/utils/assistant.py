r"""Training assistant: one call per batch for training, validation and testing.

For a batch of ``N`` samples the assistant computes the network output, the loss
``L = error(output, target)`` and, in training, updates the parameters with

.. math:: \nabla_\theta \big(L + \lambda\, L_{net}\big)

where :math:`L_{net}` is a loss returned by the network itself (e.g. an event-rate penalty),
used only when ``lam`` is given. The statistics receive ``L * N`` (the penalty is not included)
and, with a classifier, the number of samples whose prediction equals the target.

Distributed training: ``net`` may be wrapped in ``DistributedDataParallel`` (see
:func:`lava.lib.dl.slayer.utils.distributed.wrap_ddp`); each process feeds its shard of the
batch, DDP averages the gradients, :meth:`LearningStats.update` sums the statistics over the
processes and only rank 0 prints. :meth:`Assistant.save_checkpoint` /
:meth:`Assistant.load_checkpoint` write and restore atomic checkpoints
(:mod:`lava.lib.dl.slayer.utils.checkpoint`).

Network return conventions (``count_log`` and ``lam``):

============  =========  ==============================
count_log     lam        ``net(input)`` returns
============  =========  ==============================
False         None       ``output``
True          None       ``(output, count)``
False         a number   ``(output, net_loss)``
True          a number   ``(output, net_loss, count)``
============  =========  ==============================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .stats import LearningStat, LearningStats

__all__ = ["Assistant"]


class Assistant:
    """Runs the forward pass, loss, statistics and optimizer step of a network.

    Parameters
    ----------
    net : torch.nn.Module
        The network. Its first parameter's device is where inputs and targets are moved.
    error : callable
        ``error(output, target) -> scalar tensor``.
    optimizer : torch.optim.Optimizer
        Optimizer of the network parameters.
    stats : LearningStats or None
        Statistics to accumulate into (``training``, ``validation``, ``testing``).
    classifier : callable or None
        ``classifier(output) -> predictions`` compared with ``==`` to the target. ``None`` for
        regression (no accuracy).
    count_log : bool
        The network also returns an event count (see the module docstring).
    lam : float or None
        Weight of the network's own loss; ``None`` when the network returns none.

    Examples
    --------
    >>> net = torch.nn.Linear(3, 2)
    >>> assistant = Assistant(net, torch.nn.functional.mse_loss,
    ...                       torch.optim.SGD(net.parameters(), lr=0.1))
    >>> out = assistant.train(torch.ones(4, 3), torch.zeros(4, 2))
    >>> out.shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        net: torch.nn.Module,
        error: Callable[[Any, Any], torch.Tensor],
        optimizer: torch.optim.Optimizer,
        stats: LearningStats | None = None,
        classifier: Callable[[Any], Any] | None = None,
        count_log: bool = False,
        lam: float | None = None,
    ) -> None:
        if not callable(error):
            raise TypeError(f"Assistant: error must be callable, got {type(error).__name__}")
        if classifier is not None and not callable(classifier):
            raise TypeError(
                f"Assistant: classifier must be callable or None, got {type(classifier).__name__}"
            )
        self.net = net
        self.error = error
        self.optimizer = optimizer
        self.classifier = classifier
        self.stats = stats
        self.count_log = count_log
        self.lam = lam
        self.device: torch.device | None = None

    def reduce_lr(self, factor: float = 10 / 3) -> None:
        """Divide the learning rate of every parameter group by ``factor``."""
        if factor <= 0:
            raise ValueError(f"reduce_lr: factor must be > 0, got {factor}")
        from .distributed import print0

        for group in self.optimizer.param_groups:
            print0(f"\nLearning rate reduction from {group['lr']}")
            group["lr"] /= factor

    def save_checkpoint(self, path: Any, *, epoch: int, step: int = 0, scheduler: Any = None,
                        extra: dict[str, Any] | None = None) -> Any:
        """Atomically save network, optimizer, statistics, RNG states (and ``scheduler``).

        See :func:`lava.lib.dl.slayer.utils.checkpoint.save_checkpoint` (``epoch`` and ``step``
        are the position to resume from). Returns the path.
        """
        from .checkpoint import save_checkpoint

        return save_checkpoint(path, model=self.net, optimizer=self.optimizer,
                               scheduler=scheduler, stats=self.stats, epoch=epoch, step=step,
                               extra=extra)

    def load_checkpoint(self, path: Any, *, scheduler: Any = None) -> dict[str, Any]:
        """Restore what :meth:`save_checkpoint` saved; returns ``{"epoch", "step", ...}``.

        See :func:`lava.lib.dl.slayer.utils.checkpoint.load_checkpoint`.
        """
        from .checkpoint import load_checkpoint

        return load_checkpoint(path, model=self.net, optimizer=self.optimizer,
                               scheduler=scheduler, stats=self.stats,
                               map_location=self._discover_device())

    def _discover_device(self) -> torch.device:
        if self.device is None:
            try:
                self.device = next(self.net.parameters()).device
            except StopIteration:
                self.device = torch.device("cpu")
        return self.device

    def _forward(self, input: Any) -> tuple[Any, torch.Tensor | None, Any]:
        result = self.net(input)
        expected = 1 + (self.lam is not None) + bool(self.count_log)
        if expected == 1:
            return result, None, None
        if not isinstance(result, tuple) or len(result) != expected:
            got = f"a tuple of {len(result)}" if isinstance(result, tuple) else "a single value"
            raise ValueError(
                f"Assistant: with count_log={self.count_log} and lam={self.lam} the network must "
                f"return {expected} values (output"
                + (", net_loss" if self.lam is not None else "")
                + (", count" if self.count_log else "")
                + f"), got {got}"
            )
        output = result[0]
        net_loss = result[1] if self.lam is not None else None
        count = result[-1] if self.count_log else None
        return output, net_loss, count

    def _accumulate(self, stat: LearningStat, output: Any, target: Any, loss: torch.Tensor) -> None:
        batch = output.shape[0]
        stat.num_samples += batch
        stat.loss_sum += loss.detach().item() * batch
        if self.classifier is not None:
            prediction = self.classifier(output)
            stat.correct_samples += int(torch.sum(torch.as_tensor(prediction == target)).item())

    def _to_device(self, input: Any, target: Any) -> tuple[Any, Any]:
        device = self._discover_device()
        if isinstance(input, torch.Tensor):
            input = input.to(device)
        if isinstance(target, torch.Tensor):
            target = target.to(device)
        return input, target

    def train(self, input: Any, target: Any) -> Any:
        """One training step on a batch.

        Parameters
        ----------
        input : torch.Tensor
            Network input, e.g. ``(N, C, T)`` spikes.
        target : torch.Tensor
            Target passed to ``error`` (and compared with the classifier's prediction).

        Returns
        -------
        torch.Tensor or (torch.Tensor, Any)
            The network output, and the event count when ``count_log``.
        """
        self.net.train()
        input, target = self._to_device(input, target)
        output, net_loss, count = self._forward(input)
        loss = self.error(output, target)
        if self.stats is not None:
            self._accumulate(self.stats.training, output, target, loss)
        if net_loss is not None:
            loss = loss + self.lam * net_loss
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return (output, count) if self.count_log else output

    def _evaluate(self, input: Any, target: Any, stat_name: str) -> Any:
        self.net.eval()
        with torch.no_grad():
            input, target = self._to_device(input, target)
            output, _, count = self._forward(input)
            loss = self.error(output, target)
            if self.stats is not None:
                self._accumulate(getattr(self.stats, stat_name), output, target, loss)
        return (output, count) if self.count_log else output

    def test(self, input: Any, target: Any) -> Any:
        """Evaluate a batch without updating the network; statistics go to ``stats.testing``.

        Returns the output (and count with ``count_log``), like :meth:`train`.
        """
        return self._evaluate(input, target, "testing")

    def valid(self, input: Any, target: Any) -> Any:
        """Evaluate a batch without updating the network; statistics go to
        ``stats.validation`` (lava-dl 0.6 raised ``AttributeError`` here).
        """
        return self._evaluate(input, target, "validation")

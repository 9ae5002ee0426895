r"""Training schedule of bootstrap: which mode each layer runs in, iteration by iteration.

Bootstrap trains a rate-coded SNN mostly as an ANN. Every ``sample_period`` epochs the first
``num_sample_iter`` training iterations run the real SNN and record each layer's rate response
(:attr:`Mode.SAMPLE`); the next iteration fits the layers' piecewise-linear rate curves
(:attr:`Mode.FIT`); all other iterations train the ANN (:attr:`Mode.ANN`). Evaluation runs the SNN
in sampling epochs and the ANN otherwise. For an epoch :math:`e` and iteration :math:`i`:

.. math::

    \text{mode}(e, i) =
    \begin{cases}
        \text{SAMPLE} & e \bmod P = 0,\; i < n_s \\
        \text{FIT}    & e \bmod P = 0,\; i = n_s \\
        \text{ANN}    & \text{otherwise}
    \end{cases}
    \qquad
    \text{mode}_\text{eval}(e) = \text{SNN if } e \bmod P = 0 \text{ else ANN}

with :math:`P` = ``sample_period`` and :math:`n_s` = ``num_sample_iter``. *Hybrid* training
keeps the first ``crossover`` layers in SNN mode (except while sampling); ``crossover`` counts the
``crossover_epochs`` reached so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Any

__all__ = ["LayerMode", "Mode", "Scheduler"]


class Mode(Enum):
    """How a bootstrap block computes its forward pass.

    Attributes
    ----------
    SNN
        The spiking network (synapse, neuron, delays), ``T`` steps.
    ANN
        The rate network: synapse, then the fitted piecewise-linear rate curve (``T`` = 1).
    SAMPLE
        As SNN, and record the (input, rate) pairs of every neuron for the next fit.
    FIT
        Fit the rate curve to the recorded samples, then run as ANN.
    """

    SNN = 0
    ANN = 1
    SAMPLE = 2
    FIT = 3


class LayerMode:
    """Per-layer modes of one iteration: an endless sequence, one mode per layer.

    Parameters
    ----------
    crossover : int
        Layers with index ``< crossover`` run as SNN (ignored when ``base_mode`` is SAMPLE).
    base_mode : Mode
        Mode of the remaining layers.

    Examples
    --------
    >>> m = LayerMode(2, Mode.ANN)
    >>> [x.name for _, x in zip(range(4), m)]
    ['SNN', 'SNN', 'ANN', 'ANN']

    Notes
    -----
    Every ``iter(layer_mode)`` starts again at layer 0, so ``zip(blocks, mode)`` can be used for
    any number of forward passes; ``next(layer_mode)`` walks one shared position.
    """

    def __init__(self, crossover: int, base_mode: Mode) -> None:
        if not isinstance(base_mode, Mode):
            raise TypeError(f"base_mode must be a bootstrap Mode, got {base_mode!r}")
        if int(crossover) < 0:
            raise ValueError(f"crossover must be >= 0, got {crossover}")
        self.crossover = int(crossover)
        self.base_mode = base_mode
        self._position = 0

    def mode_of(self, layer: int) -> Mode:
        """Mode of layer number ``layer`` (0-based)."""
        if self.base_mode is Mode.SAMPLE or layer >= self.crossover:
            return self.base_mode
        return Mode.SNN

    def __iter__(self) -> Iterator[Mode]:
        layer = 0
        while True:
            yield self.mode_of(layer)
            layer += 1

    def __next__(self) -> Mode:
        mode = self.mode_of(self._position)
        self._position += 1
        return mode

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LayerMode):
            return NotImplemented
        return (self.crossover, self.base_mode) == (other.crossover, other.base_mode)

    def __hash__(self) -> int:
        return hash((self.crossover, self.base_mode))

    def __repr__(self) -> str:
        return f"LayerMode(crossover={self.crossover}, base_mode=Mode.{self.base_mode.name})"

    def __str__(self) -> str:
        text = f"Mode: {self.base_mode.name}"
        if self.crossover != 0:
            text += f", Crossover at: {self.crossover}"
        return text


class Scheduler:
    """Mode schedule of bootstrap training.

    Parameters
    ----------
    num_sample_iter : int
        SNN sampling iterations at the start of each sampling epoch. Default 10.
    sample_period : int
        Epochs between sampling epochs (epoch 0 samples). Default 10.
    crossover_epochs : iterable of int or None
        Epochs at which one more leading layer switches to SNN for good (hybrid training).

    Attributes
    ----------
    crossover : int
        Number of leading layers that run as SNN.
    snn_stat : lava.lib.dl.slayer.utils.LearningStat
        Test statistics of the SNN evaluations only (see :meth:`sync_snn_stat`).

    Notes
    -----
    :meth:`mode` is idempotent: asking twice for the same (epoch, iteration) gives the same
    answer (lava-dl 0.6 incremented ``crossover`` on every call at iteration 0 of a crossover
    epoch, spec §15 #43).
    """

    def __init__(
        self,
        num_sample_iter: int = 10,
        sample_period: int = 10,
        crossover_epochs: Iterable[int] | None = None,
    ) -> None:
        from lava.lib.dl.slayer.utils import LearningStat

        if int(num_sample_iter) < 0:
            raise ValueError(f"num_sample_iter must be >= 0, got {num_sample_iter}")
        if int(sample_period) < 1:
            raise ValueError(f"sample_period must be >= 1, got {sample_period}")
        self.num_sample_iter = int(num_sample_iter)
        self.sample_period = int(sample_period)
        self.crossover_epochs = (
            [] if crossover_epochs is None else sorted({int(e) for e in crossover_epochs})
        )
        self.crossover = 0
        self._crossed: set[int] = set()
        self.snn_stat = LearningStat()

    def _update_crossover(self, epoch: int) -> None:
        for e in self.crossover_epochs:
            if e <= epoch and e not in self._crossed:
                self._crossed.add(e)
                self.crossover += 1

    def is_sampling_epoch(self, epoch: int) -> bool:
        """Whether ``epoch`` samples the SNN (and evaluates as SNN)."""
        return int(epoch) % self.sample_period == 0

    def mode(self, epoch: int, iteration: int, train: bool = True) -> LayerMode:
        """Per-layer modes for a training (or evaluation) iteration.

        Parameters
        ----------
        epoch : int
            Epoch number (0-based).
        iteration : int
            Iteration within the epoch (0-based).
        train : bool
            Training (True) or evaluation (False). Default True.

        Returns
        -------
        LayerMode
        """
        epoch, iteration = int(epoch), int(iteration)
        if not train:
            base = Mode.SNN if self.is_sampling_epoch(epoch) else Mode.ANN
            return LayerMode(self.crossover, base)
        self._update_crossover(epoch)
        base = Mode.ANN
        if self.is_sampling_epoch(epoch):
            if iteration < self.num_sample_iter:
                base = Mode.SAMPLE
            elif iteration == self.num_sample_iter:
                base = Mode.FIT
        return LayerMode(self.crossover, base)

    def sync_snn_stat(self, stat: Any) -> None:
        """Copy the epoch accumulators of ``stat`` (a ``LearningStat``) into :attr:`snn_stat`."""
        self.snn_stat.num_samples = stat.num_samples
        self.snn_stat.loss_sum = stat.loss_sum
        self.snn_stat.correct_samples = stat.correct_samples

    def update_snn_stat(self) -> None:
        """Close the SNN epoch: ``snn_stat.update()`` then ``snn_stat.reset()``."""
        self.snn_stat.update()
        self.snn_stat.reset()

    def __repr__(self) -> str:
        return (
            f"Scheduler(num_sample_iter={self.num_sample_iter}, "
            f"sample_period={self.sample_period}, crossover_epochs={self.crossover_epochs})"
        )

r"""A rate-coded SNN on scikit-learn's handwritten digits, trained with bootstrap or plain slayer.

Data: the 1797 bundled 8x8 digits (``sklearn.datasets.load_digits``), intensities 0..16 scaled to
rates in [0, 1], a stratified train/test split. Network: ``Dense(64, H) -> ... -> Affine(H, 10)``
(CUBA). In SNN mode each pixel rate :math:`x` becomes an evenly spaced spike train of
:math:`\lfloor T x \rfloor` spikes (:func:`encode`; a CUBA input neuron's reset-to-zero rate
response is a staircase :math:`1 / \lceil \theta / x \rceil` that a 5-point PWL cannot follow);
the prediction is :math:`\arg\max_k \frac1T \sum_t o_k[t]` of the
linear readout :math:`o`. The loss is the cross entropy of that time-mean output.

Bootstrap training follows :class:`~lava.lib.dl.bootstrap.routine.Scheduler`: SNN sampling
iterations, one fit, then ANN iterations (``T`` = 1). The plain slayer baseline trains the same
architecture, built from ``slayer.block.cuba`` blocks, as an SNN at every iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from ._routine import LayerMode, Mode, Scheduler
from .block import cuba

__all__ = [
    "HIDDEN_PARAMS",
    "READOUT_PARAMS",
    "DigitsNetwork",
    "DigitsSplit",
    "SlayerDigitsNetwork",
    "TrainResult",
    "evaluate",
    "load_digits_split",
    "train_bootstrap",
    "train_slayer",
]

#: CUBA parameters of the hidden layers.
HIDDEN_PARAMS: dict[str, Any] = {"threshold": 1.25, "current_decay": 1.0, "voltage_decay": 0.03,
                                 "tau_grad": 1.0, "scale_grad": 1.0}
#: Readout neuron: no current memory, no voltage leak, so its deployed voltage is the running
#: sum of the readout input (the prediction is the same argmax as in training).
READOUT_PARAMS: dict[str, Any] = {"threshold": 1.25, "current_decay": 1.0, "voltage_decay": 0.0}


@dataclass
class DigitsSplit:
    """Digits rates ``x`` ``(N, 64)`` in [0, 1] and labels ``y`` ``(N,)``, train and test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(*, test_fraction: float = 0.25, seed: int = 0) -> DigitsSplit:
    """Load scikit-learn's bundled digits, scaled to [0, 1], with a stratified split.

    Parameters
    ----------
    test_fraction : float
        Fraction of the 1797 samples in the test split. Default 0.25 (450 samples).
    seed : int
        Split seed. Default 0.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the digits example needs scikit-learn (its bundled dataset): pip install "
            "scikit-learn"
        ) from exc
    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        data.data / 16.0, data.target, test_size=test_fraction, random_state=seed,
        stratify=data.target,
    )
    f = torch.float32
    return DigitsSplit(torch.as_tensor(x_tr, dtype=f), torch.as_tensor(y_tr, dtype=torch.long),
                       torch.as_tensor(x_te, dtype=f), torch.as_tensor(y_te, dtype=torch.long))


def encode(x: torch.Tensor, steps: int) -> torch.Tensor:
    r"""Rates ``(N, 64)`` in [0, 1] -> evenly spaced input spikes ``(N, 64, steps)``.

    :math:`s[t] = \lfloor (t + 1) x \rfloor - \lfloor t x \rfloor`, so a pixel fires
    :math:`\lfloor T x \rfloor` spikes (exactly :math:`T x` for the digits' 17 grey levels when
    ``T`` is a multiple of 16). ``steps = 1`` returns the rates themselves ``(N, 64, 1)`` (the
    ANN-mode input).
    """
    if int(steps) == 1:
        return x.unsqueeze(-1)
    t = torch.arange(int(steps) + 1, dtype=x.dtype, device=x.device)
    counts = torch.floor(x.unsqueeze(-1) * t)
    return counts[..., 1:] - counts[..., :-1]


class DigitsNetwork(torch.nn.Module):
    """Bootstrap network ``Dense(64, h1) -> ... -> Affine(h_last, 10)`` on encoded spikes.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer sizes. Default ``(128,)``.
    weight_scale : float
        Initial weight multiplier of the dense layers. Default 2.
    """

    def __init__(self, hidden: Sequence[int] = (128,), *, weight_scale: float = 2.0) -> None:
        super().__init__()
        sizes = [64, *[int(h) for h in hidden]]
        blocks: list[torch.nn.Module] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            blocks.append(cuba.Dense(HIDDEN_PARAMS, n_in, n_out, weight_scale=weight_scale))
        blocks.append(cuba.Affine(READOUT_PARAMS, sizes[-1], 10, weight_scale=weight_scale))
        self.blocks = torch.nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, mode: LayerMode | Mode = Mode.SNN) -> torch.Tensor:
        """Readout ``(N, 10, T)`` for input ``(N, 64, T)``; ``mode`` per layer or for all."""
        if isinstance(mode, Mode):
            mode = LayerMode(0, mode)
        for block, m in zip(self.blocks, mode, strict=False):  # mode is endless
            x = block(x, m)
        return x

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """SNN-mode output of every block for input ``(N, 64, T)`` (no gradient)."""
        outs = []
        with torch.no_grad():
            for block in self.blocks:
                x = block(x, Mode.SNN)
                outs.append(x)
        return outs

    def export_hdf5(self, filename: Any, *, steps: int = 16) -> Any:
        """Write the network file (``simulation/Ts = 1``, ``tSample = steps``)."""
        from lava.lib.dl import hdf5_spec
        from lava.lib.dl.slayer.block import cuba as sl
        from lava.lib.dl.slayer.block import export_network

        # a neuron-less input layer declares the 64 input lines (spikes go to the first dense)
        blocks = [sl.Input(None, delay_shift=False), *self.blocks]
        return export_network(blocks, filename, input_shape=(64,),
                              simulation=hdf5_spec.Simulation(ts=1, t_sample=int(steps)))


class SlayerDigitsNetwork(torch.nn.Module):
    """The same architecture from plain ``slayer.block.cuba`` blocks (always an SNN)."""

    def __init__(self, hidden: Sequence[int] = (128,), *, weight_scale: float = 2.0) -> None:
        super().__init__()
        from lava.lib.dl.slayer.block import cuba as sl

        sizes = [64, *[int(h) for h in hidden]]
        blocks: list[torch.nn.Module] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            blocks.append(sl.Dense(HIDDEN_PARAMS, n_in, n_out, weight_scale=weight_scale))
        blocks.append(sl.Affine(READOUT_PARAMS, sizes[-1], 10, weight_scale=weight_scale,
                                dynamics=False))
        self.blocks = torch.nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, mode: Any = None) -> torch.Tensor:
        """Readout ``(N, 10, T)``; ``mode`` is ignored (always SNN)."""
        for block in self.blocks:
            x = block(x)
        return x


def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, mode: Mode = Mode.SNN,
             steps: int = 16, batch_size: int = 512) -> float:
    """Accuracy of ``net`` on rates ``x`` in ``mode`` (SNN: ``steps`` steps; ANN: one)."""
    was = net.training
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            inp = encode(xb, 1 if mode is Mode.ANN else steps)
            out = net(inp, mode)
            correct += int((out.mean(-1).argmax(1) == y[i:i + batch_size]).sum())
    net.train(was)
    return correct / len(x)


@dataclass
class TrainResult:
    """History of a training run.

    Attributes
    ----------
    epochs : list of int
    wall : list of float
        Cumulative training time at the end of each epoch, in CPU seconds of the process
        (evaluation excluded). With one torch thread this is the wall time of an idle machine,
        and it does not grow when other processes load the machine.
    snn16, snn32, ann : list of float
        Test accuracy after each epoch: SNN at 16 and 32 steps, ANN mode (bootstrap only).
    """

    epochs: list[int] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    snn16: list[float] = field(default_factory=list)
    snn32: list[float] = field(default_factory=list)
    ann: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[Any]]:
        """Plain dict (JSON-ready)."""
        return {"epochs": self.epochs, "wall": self.wall, "snn16": self.snn16,
                "snn32": self.snn32, "ann": self.ann}


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    perm = torch.randperm(n, generator=gen)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def _record(res: TrainResult, net: torch.nn.Module, data: DigitsSplit, epoch: int, wall: float,
            *, ann: bool, eval_32: bool) -> None:
    res.epochs.append(epoch)
    res.wall.append(wall)
    res.snn16.append(evaluate(net, data.x_test, data.y_test, steps=16))
    res.snn32.append(evaluate(net, data.x_test, data.y_test, steps=32) if eval_32 else float("nan"))
    if ann:
        res.ann.append(evaluate(net, data.x_test, data.y_test, mode=Mode.ANN))


def train_bootstrap(
    net: DigitsNetwork,
    data: DigitsSplit,
    *,
    epochs: int,
    scheduler: Scheduler | None = None,
    steps: int = 16,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    eval_32: bool = True,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``net`` with the bootstrap schedule; evaluate on the test split after every epoch.

    Parameters
    ----------
    net : DigitsNetwork
    data : DigitsSplit
    epochs : int
    scheduler : Scheduler, optional
        Default ``Scheduler(num_sample_iter=10, sample_period=5)``.
    steps : int
        SNN time steps of the sampling iterations. Default 16.
    batch_size, lr, seed
        Adam learning rate, minibatch size, shuffling seed.
    eval_32 : bool
        Also evaluate the SNN at 32 steps after each epoch.
    log : callable, optional
        Receives one line per epoch.
    """
    scheduler = scheduler or Scheduler(num_sample_iter=10, sample_period=5)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    res = TrainResult()
    wall = 0.0
    for epoch in range(epochs):
        t0 = time.process_time()
        net.train()
        for i, idx in enumerate(_batches(len(data.x_train), batch_size, gen)):
            mode = scheduler.mode(epoch, i, True)
            ann = mode.base_mode in (Mode.ANN, Mode.FIT)
            x = encode(data.x_train[idx], 1 if ann else steps)
            out = net(x, mode)
            loss = F.cross_entropy(out.mean(-1), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        wall += time.process_time() - t0
        _record(res, net, data, epoch, wall, ann=True, eval_32=eval_32)
        if log is not None:
            log(f"bootstrap epoch {epoch:3d} {wall:7.2f}s ann {res.ann[-1]:.4f} "
                f"snn16 {res.snn16[-1]:.4f} snn32 {res.snn32[-1]:.4f}")
    return res


def train_slayer(
    net: torch.nn.Module,
    data: DigitsSplit,
    *,
    epochs: int | None = None,
    time_budget: float | None = None,
    steps: int = 16,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    eval_32: bool = True,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``net`` as an SNN at every iteration (plain slayer), for ``epochs`` or until the
    cumulative training time exceeds ``time_budget`` seconds (checked after each epoch)."""
    if epochs is None and time_budget is None:
        raise ValueError("train_slayer needs epochs or time_budget")
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    res = TrainResult()
    wall = 0.0
    epoch = 0
    while (epochs is None or epoch < epochs) and (time_budget is None or wall < time_budget):
        t0 = time.process_time()
        net.train()
        for idx in _batches(len(data.x_train), batch_size, gen):
            out = net(encode(data.x_train[idx], steps))
            loss = F.cross_entropy(out.mean(-1), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        wall += time.process_time() - t0
        _record(res, net, data, epoch, wall, ann=False, eval_32=eval_32)
        if log is not None:
            log(f"slayer    epoch {epoch:3d} {wall:7.2f}s snn16 {res.snn16[-1]:.4f} "
                f"snn32 {res.snn32[-1]:.4f}")
        epoch += 1
    return res

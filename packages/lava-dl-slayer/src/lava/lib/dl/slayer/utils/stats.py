r"""Learning statistics: per-phase loss and accuracy accumulation, logs, printing, saving, plots.

During an epoch the training loop adds to the accumulators of one phase (``training``,
``testing`` or ``validation``); :meth:`LearningStats.update` closes the epoch:

.. math::

    \text{loss} = \frac{\text{loss\_sum}}{\text{num\_samples}}, \qquad
    \text{accuracy} = \frac{\text{correct\_samples}}{\text{num\_samples}}

Both are ``None`` for a phase that saw no sample. The epoch values are appended to the logs and
the running minimum loss / maximum accuracy (with ``best_loss`` / ``best_accuracy`` flags) are
updated.

Log files (:meth:`LearningStats.save`) are text with ``\r\n`` line endings, compatible with the
``loss.txt`` / ``accuracy.txt`` files of lava-dl 0.6 tutorials: a header ``#`` followed by one
13-character column title per phase (``" Train       "``, ``" Valid       "``,
``" Test        "``), then one line per epoch of ``"%12.6f "`` values (``nan`` where a phase has no
value for that epoch).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["LearningStat", "LearningStats"]

_PHASES = (
    ("training", " Train       "),
    ("validation", " Valid       "),
    ("testing", " Test        "),
)
_HEADER_TO_PHASE = {title.strip(): name for name, title in _PHASES}


class LearningStat:
    """Statistics of one learning phase (training, testing or validation).

    Attributes
    ----------
    loss_sum : float
        Sum over the epoch of ``loss * batch_size``.
    correct_samples : int
        Correctly classified samples in the epoch.
    num_samples : int
        Samples seen in the epoch.
    min_loss, max_accuracy : float or None
        Best values over all epochs.
    loss_log, accuracy_log : list of (float or None)
        One value per epoch.
    best_loss, best_accuracy : bool
        Whether the last :meth:`update` set a new best.
    """

    def __init__(
        self,
        loss_str: str = "loss",
        loss_unit: str = "",
        accuracy_str: str = "accuracy",
        accuracy_unit: str = "",
    ) -> None:
        self.loss_str = loss_str
        self.loss_unit = loss_unit
        self.accuracy_str = accuracy_str
        self.accuracy_unit = accuracy_unit
        self.loss_sum = 0.0
        self.correct_samples = 0
        self.num_samples = 0
        self.min_loss: float | None = None
        self.max_accuracy: float | None = None
        self.loss_log: list[float | None] = []
        self.accuracy_log: list[float | None] = []
        self.best_loss = False
        self.best_accuracy = False

    def reset(self) -> None:
        """Zero the epoch accumulators (logs and best values are kept)."""
        self.loss_sum = 0.0
        self.correct_samples = 0
        self.num_samples = 0

    @property
    def loss(self) -> float | None:
        """Mean loss per sample of the current epoch, ``None`` before any sample."""
        if self.num_samples > 0:
            return float(self.loss_sum) / self.num_samples
        return None

    @property
    def accuracy(self) -> float | None:
        """Fraction of correct samples of the current epoch, ``None`` before any sample."""
        if self.num_samples > 0:
            return float(self.correct_samples) / self.num_samples
        return None

    @property
    def valid_loss_log(self) -> bool:
        """True when at least one epoch has a loss."""
        return any(v is not None for v in self.loss_log)

    @property
    def valid_accuracy_log(self) -> bool:
        """True when at least one epoch has a non-zero accuracy.

        A regression run (no classifier) counts no correct sample, so its accuracy log is all
        zeros; such a log is treated as absent (not printed, saved or plotted).
        """
        return any(v is not None and v > 0 for v in self.accuracy_log)

    def update(self) -> None:
        """Append the epoch values to the logs and update the best values and flags."""
        loss, accuracy = self.loss, self.accuracy
        self.loss_log.append(loss)
        self.accuracy_log.append(accuracy)
        self.best_loss = False
        self.best_accuracy = False
        if loss is not None and (self.min_loss is None or loss < self.min_loss):
            self.min_loss = loss
            self.best_loss = True
        if accuracy is not None and (self.max_accuracy is None or accuracy > self.max_accuracy):
            self.max_accuracy = accuracy
            self.best_accuracy = True

    def _loss_text(self) -> str:
        loss = self.loss
        if loss is None:
            return ""
        text = f"{self.loss_str} = {loss:11.5f}{self.loss_unit}"
        if self.min_loss is not None:
            text += f" (min = {self.min_loss:11.5f}{self.loss_unit})"
        return text

    def _accuracy_text(self) -> str:
        accuracy = self.accuracy
        if accuracy is None:
            return ""
        text = f"{self.accuracy_str} = {accuracy:7.5f}{self.accuracy_unit}"
        if self.max_accuracy is not None:
            text += f" (max = {self.max_accuracy:7.5f}{self.accuracy_unit})"
        return text

    def __str__(self) -> str:
        parts = [self._loss_text()]
        # a regression (no classifier) never counts a correct sample: show accuracy only when
        # some epoch had one or this epoch has one
        if self.correct_samples > 0 or self.valid_accuracy_log:
            parts.append(self._accuracy_text())
        return "    ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return (
            f"LearningStat(num_samples={self.num_samples}, loss={self.loss}, "
            f"accuracy={self.accuracy}, epochs={len(self.loss_log)})"
        )


class LearningStats:
    """Statistics of a training run: ``training``, ``validation`` and ``testing`` phases.

    Parameters
    ----------
    loss_str : str
        Name of the loss (also the loss log file name, ``<path><loss_str>.txt``).
    loss_unit : str
        Unit printed after loss values.
    accuracy_str : str
        Name of the accuracy (also the accuracy log file name).
    accuracy_unit : str
        Unit printed after accuracy values.

    Examples
    --------
    >>> stats = LearningStats()
    >>> stats.training.num_samples += 4; stats.training.loss_sum += 2.0
    >>> stats.training.correct_samples += 3
    >>> stats.update()
    >>> stats.training.loss_log, stats.training.accuracy_log
    ([0.5], [0.75])
    """

    def __init__(
        self,
        loss_str: str = "loss",
        loss_unit: str = "",
        accuracy_str: str = "accuracy",
        accuracy_unit: str = "",
    ) -> None:
        labels = (loss_str, loss_unit, accuracy_str, accuracy_unit)
        self.training = LearningStat(*labels)
        self.validation = LearningStat(*labels)
        self.testing = LearningStat(*labels)
        self.lines_printed = 0

    def _phases(self) -> Iterable[tuple[str, str, LearningStat]]:
        for name, title in _PHASES:
            yield name, title, getattr(self, name)

    def reduce(self) -> None:
        """Sum the epoch accumulators of every phase over the ``torch.distributed`` processes.

        No-op without a process group. Collective: every process must call it (``update``
        does).
        """
        if not _distributed():
            return
        from .distributed import all_reduce_sum

        stats = [stat for _, _, stat in self._phases()]
        flat = [v for st in stats for v in (st.loss_sum, st.correct_samples, st.num_samples)]
        total = all_reduce_sum(flat)
        for i, st in enumerate(stats):
            st.loss_sum = total[3 * i]
            st.correct_samples = int(round(total[3 * i + 1]))
            st.num_samples = int(round(total[3 * i + 2]))

    def update(self) -> None:
        """Close the epoch: update the logs of every phase, then reset the accumulators.

        Under ``torch.distributed`` the accumulators are first summed over the processes
        (:meth:`reduce`), so every process logs the whole epoch; call it on every process.
        """
        self.reduce()
        for _, _, stat in self._phases():
            stat.update()
            stat.reset()

    def new_line(self) -> None:
        """Start printing below the last block instead of overwriting it."""
        self.lines_printed = 0

    def __str__(self) -> str:
        lines = []
        for label, stat in (
            ("Train", self.training),
            ("Valid", self.validation),
            ("Test ", self.testing),
        ):
            text = str(stat)
            if text:
                lines.append(f"{label} {text}")
        return " | ".join(lines)

    def print(
        self,
        epoch: int,
        iter: int | None = None,
        time_elapsed: float | None = None,
        header: list[str] | str | None = None,
        dataloader: Any = None,
        *,
        file: TextIO | None = None,
    ) -> None:
        """Print the epoch status, overwriting the block printed by the previous call.

        Parameters
        ----------
        epoch : int
            Epoch number.
        iter : int or None
            Iteration within the epoch.
        time_elapsed : float or None
            Seconds since the start of the epoch (printed in ms).
        header : str or list of str or None
            Extra lines printed above the status.
        dataloader : torch.utils.data.DataLoader or None
            With ``iter``, prints the processed-samples progress ``done/total (pct%)``.
        file : text stream, optional
            Where to print (default ``sys.stdout``). Cursor movement uses ANSI escapes
            (``ESC[nA`` up, ``ESC[2K`` clear line). Prints on rank 0 only under
            ``torch.distributed``.
        """
        if not _is_main_process():
            return
        out = sys.stdout if file is None else file
        lines: list[str] = []
        if header is not None:
            lines.extend([header] if isinstance(header, str) else list(header))
        status = f"Epoch {epoch:4d}"
        if iter is not None:
            status += f": i = {iter:5d}"
            if dataloader is not None:
                batch = getattr(dataloader, "batch_size", None) or 1
                total = len(dataloader.dataset)
                done = min((iter + 1) * batch, total)
                status += f" ({done:5d}/{total:5d} = {100.0 * done / total:5.1f}%)"
        if time_elapsed is not None:
            status += f", {time_elapsed * 1000:.0f} ms elapsed"
        lines.append(status)
        for label, stat in (
            ("Train", self.training),
            ("Valid", self.validation),
            ("Test ", self.testing),
        ):
            text = str(stat)
            if text:
                lines.append(f"{label} {text}")
        prefix = f"\033[{self.lines_printed}A" if self.lines_printed > 0 else ""
        out.write(prefix + "".join(f"\033[2K{line}\n" for line in lines))
        out.flush()
        self.lines_printed = len(lines)

    def plot(
        self,
        figures: tuple[int, int] = (1, 2),
        figsize: tuple[float, float] | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> tuple[Any, Any]:
        """Plot the loss logs (log scale) and the accuracy logs per epoch.

        Parameters
        ----------
        figures : (int, int)
            matplotlib figure numbers of the loss and the accuracy plots.
        figsize : (float, float) or None
            Figure size in inches.
        path : str or None
            If given, save ``<path>loss.png`` and ``<path>accuracy.png`` (the prefix is used as
            is, like :meth:`save`) and close the figures.

        Returns
        -------
        (Figure, Figure or None)
            The loss figure and the accuracy figure (``None`` without any accuracy; both
            ``None`` on ranks other than 0 under ``torch.distributed``).
        """
        if not _is_main_process():
            return None, None
        import matplotlib.pyplot as plt

        loss_fig = plt.figure(figures[0], figsize=figsize)
        loss_fig.clf()
        ax = loss_fig.add_subplot()
        for _, title, stat in self._phases():
            if stat.valid_loss_log:
                ax.semilogy(_nan_none(stat.loss_log), label=title.strip())
        ax.set_xlabel("epoch")
        ax.set_ylabel(
            self.training.loss_str
            + (f" [{self.training.loss_unit}]" if self.training.loss_unit else "")
        )
        ax.legend()
        acc_fig = None
        if any(stat.valid_accuracy_log for _, _, stat in self._phases()):
            acc_fig = plt.figure(figures[1], figsize=figsize)
            acc_fig.clf()
            ax = acc_fig.add_subplot()
            for _, title, stat in self._phases():
                if stat.valid_accuracy_log:
                    ax.plot(_nan_none(stat.accuracy_log), label=title.strip())
            ax.set_xlabel("epoch")
            ax.set_ylabel(self.training.accuracy_str)
            ax.legend()
        if path is not None:
            loss_fig.savefig(f"{os.fspath(path)}loss.png")
            plt.close(loss_fig)
            if acc_fig is not None:
                acc_fig.savefig(f"{os.fspath(path)}accuracy.png")
                plt.close(acc_fig)
        return loss_fig, acc_fig

    def save(self, path: str | os.PathLike[str] = "") -> None:
        """Write the logs as text files ``<path><loss_str>.txt`` and ``<path><accuracy_str>.txt``.

        The path is a prefix used as is (``'Trained/'`` writes into the ``Trained`` folder, which
        must exist). The accuracy file is written only when some phase has an accuracy; its
        columns are the phases with an accuracy log (lava-dl 0.6 used the loss logs, giving
        empty columns). Writes on rank 0 only under ``torch.distributed``.
        """
        if not _is_main_process():
            return
        prefix = os.fspath(path)
        loss_phases = [(t, s.loss_log) for _, t, s in self._phases() if s.valid_loss_log]
        if loss_phases:
            _write_log(f"{prefix}{self.training.loss_str}.txt", loss_phases)
        acc_phases = [(t, s.accuracy_log) for _, t, s in self._phases() if s.valid_accuracy_log]
        if acc_phases:
            _write_log(f"{prefix}{self.testing.accuracy_str}.txt", acc_phases)

    def load(self, path: str | os.PathLike[str] = "") -> None:
        """Read logs written by :meth:`save` (or lava-dl 0.6) back into the phases.

        The logs of every phase present in the files are replaced, and the best values are
        recomputed. A missing accuracy file is allowed (regression runs); a missing loss file
        raises ``FileNotFoundError``.
        """
        prefix = os.fspath(path)
        for name, values in _read_log(f"{prefix}{self.training.loss_str}.txt").items():
            stat = getattr(self, name)
            stat.loss_log = values
            finite = [v for v in values if v is not None]
            stat.min_loss = min(finite) if finite else None
        acc_file = f"{prefix}{self.testing.accuracy_str}.txt"
        if os.path.exists(acc_file):
            for name, values in _read_log(acc_file).items():
                stat = getattr(self, name)
                stat.accuracy_log = values
                finite = [v for v in values if v is not None]
                stat.max_accuracy = max(finite) if finite else None


def _distributed() -> bool:
    # torch.distributed is looked up only if already imported: this module does not need torch
    dist = sys.modules.get("torch.distributed")
    return dist is not None and dist.is_available() and dist.is_initialized()


def _is_main_process() -> bool:
    return not _distributed() or sys.modules["torch.distributed"].get_rank() == 0


def _nan_none(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _write_log(filename: str, columns: list[tuple[str, list[float | None]]]) -> None:
    num_epochs = max(len(values) for _, values in columns)
    lines = ["#" + "".join(title for title, _ in columns)]
    for epoch in range(num_epochs):
        row = []
        for _, values in columns:
            value = values[epoch] if epoch < len(values) else None
            row.append("%12.6f " % (math.nan if value is None else value))  # noqa: UP031
        lines.append("".join(row))
    with open(filename, "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


def _read_log(filename: str) -> dict[str, list[float | None]]:
    with open(filename, newline="") as f:
        text = f.read()
    rows = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not rows or not rows[0].startswith("#"):
        raise ValueError(
            f"{filename}: not a LearningStats log (expected a '#' header line with column titles "
            f"Train/Valid/Test)"
        )
    titles = rows[0][1:].split()
    try:
        names = [_HEADER_TO_PHASE[t] for t in titles]
    except KeyError as err:
        raise ValueError(
            f"{filename}: unknown column {err.args[0]!r} in the header; expected Train, Valid or "
            f"Test"
        ) from None
    logs: dict[str, list[float | None]] = {name: [] for name in names}
    for lineno, row in enumerate(rows[1:], start=2):
        values = row.split()
        if len(values) != len(names):
            raise ValueError(
                f"{filename}: line {lineno} has {len(values)} values, expected {len(names)}"
            )
        for name, value in zip(names, values, strict=True):
            number = float(value)
            logs[name].append(None if math.isnan(number) else number)
    return logs

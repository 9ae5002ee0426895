r"""Host-side sequential helpers (lava-dl's ``netx.modules``): numpy only, no torch, no Lava.

They run on the host around a deployed network, one call per time step:

* :class:`Quantize` — real values to fixed-point mantissas, :math:`q = \mathrm{round}(x 2^e)`;
* :class:`Dequantize` — mantissas back to reals: sign-extend the low ``num_raw_bits`` bits
  (hardware registers are 24 bit wide), then divide by :math:`2^e`;
* :class:`FIFO` — a delay line of ``depth`` steps (align a host signal with the network's
  latency of one step per synapse).

Each module counts its calls in ``time_step`` and may run an optional :meth:`post_forward` in a
background thread, joined before the next call (lava-dl's ``AbstractSeqModule`` behaviour).
Arrays of any shape are accepted; objects with a ``numpy()`` method (e.g. framework tensors on
the CPU) are converted with it.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import numpy as np

__all__ = ["FIFO", "AbstractSeqModule", "Dequantize", "Quantize"]


def _array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


class AbstractSeqModule:
    """Base of the sequential modules: ``module(x)`` runs :meth:`forward` once per step.

    Attributes
    ----------
    time_step : int
        Number of completed calls.
    """

    def __init__(self) -> None:
        self.time_step = 0
        self._thread: threading.Thread | None = None

    def forward(self, x: Any) -> Any:  # pragma: no cover - abstract
        """Process one step."""
        raise NotImplementedError

    def post_forward(self, x: Any, y: Any) -> None:
        """Optional work done in the background after a step (default: nothing)."""

    def __call__(self, x: Any) -> Any:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        y = self.forward(x)
        self.time_step += 1
        if type(self).post_forward is not AbstractSeqModule.post_forward:
            self._thread = threading.Thread(target=self.post_forward, args=(x, y), daemon=True)
            self._thread.start()
        return y

    def join(self) -> None:
        """Wait for a pending :meth:`post_forward`."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class Quantize(AbstractSeqModule):
    """``round(x * 2**exp)`` as int64 (round half to even, as numpy).

    Parameters
    ----------
    exp : int
        Fixed-point exponent (6 for weights/thresholds, 12 for sigma-delta spikes, ...).
    """

    def __init__(self, exp: int) -> None:
        super().__init__()
        self.exp = int(exp)

    def forward(self, x: Any) -> np.ndarray:  # noqa: D102
        return np.round(_array(x) * (2.0**self.exp)).astype(np.int64)


class Dequantize(AbstractSeqModule):
    """Sign-extend the low ``num_raw_bits`` bits, then divide by ``2**exp`` (float64).

    Parameters
    ----------
    exp : int
        Fixed-point exponent (e.g. 18 for PilotNet's sigma readout).
    num_raw_bits : int
        Width of the raw register (24 on Loihi).
    """

    def __init__(self, exp: int, num_raw_bits: int = 24) -> None:
        super().__init__()
        if not 1 <= int(num_raw_bits) <= 63:
            raise ValueError(f"num_raw_bits must be in [1, 63], got {num_raw_bits}")
        self.exp = int(exp)
        self.num_raw_bits = int(num_raw_bits)

    def forward(self, x: Any) -> np.ndarray:  # noqa: D102
        raw = _array(x).astype(np.int64)
        bits = self.num_raw_bits
        low = raw & ((1 << bits) - 1)
        signed = np.where(low >= (1 << (bits - 1)), low - (1 << bits), low)
        return signed / (2.0**self.exp)


class FIFO(AbstractSeqModule):
    """Delay line: returns the input of ``depth`` calls ago (zeros of the same shape before).

    Parameters
    ----------
    depth : int
        Delay in steps (0 returns the input itself).
    """

    def __init__(self, depth: int) -> None:
        super().__init__()
        if int(depth) < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        self.depth = int(depth)
        self._buf: deque[np.ndarray] = deque()

    def forward(self, x: Any) -> np.ndarray:  # noqa: D102
        a = _array(x)
        if self.depth == 0:
            return a
        if not self._buf:
            self._buf.extend(np.zeros_like(a) for _ in range(self.depth))
        self._buf.append(a.copy())
        return self._buf.popleft()

"""Lava processes of the netx Lava backend, each with a single fixed-point model.

:mod:`.neurons` rebinds Lava's LIF, LIFReset, Delta, SigmaDelta and Sigma to their bit-accurate
models and adds ALIF, RF/RF_IZ with integer decays and the adaptive resonator ADRF;
:mod:`.synapses` does the same for Dense, DelayDense, Sparse, DelaySparse and Conv and adds
ConvTranspose and DelayConv. Needs lava-nc 0.10 (Python 3.10).
"""

from lava.lib.dl.netx.utils import require_lava as _require_lava

_require_lava("lava.lib.dl.netx.procs")

from lava.lib.dl.netx.procs import io, neurons, synapses  # noqa: E402

__all__ = ["io", "neurons", "synapses"]

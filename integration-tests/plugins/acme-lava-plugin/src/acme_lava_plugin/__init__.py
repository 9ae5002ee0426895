"""acme-lava-plugin: a fake third-party lava-dl plugin adding the ``acme/gain_dense`` block type.

The block is a CUBA dense layer whose synaptic input is multiplied by a fixed integer ``gain``:

.. math::

    z[t] = g \\, W s[t], \\qquad y = \\mathrm{CUBA}(z)

with ``W`` the 8-bit quantised weight (mantissas at slayer's weight scale 64) and ``g`` a small
positive integer, so the fixed-point product is exact. On disk it is a layer of type
``gain_dense`` in namespace ``acme`` holding ``weight`` (mantissas), ``gain``, ``inFeatures``,
``outFeatures`` and the ``neuron`` group; netx runs it as a dense layer of weight ``g W``.

Training side (needs torch and lava-dl-slayer): :class:`GainDense` from
:mod:`acme_lava_plugin.block`. Deploy side (needs lava-dl-netx, no torch): the loader is found by
netx through the ``lava.lib.dl.netx.loaders`` entry point; nothing here is imported by hand.
"""

from __future__ import annotations

__all__ = ["KEY", "NAMESPACE", "TYPE", "__version__"]

__version__ = "0.1.0"
NAMESPACE = "acme"
TYPE = "gain_dense"
KEY = f"{NAMESPACE}/{TYPE}"

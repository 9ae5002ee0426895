"""Private stand-ins for lava-dl-core functions that core does not provide yet.

TODO(core): every function here belongs in ``lava.lib.dl.core``; slayer switches to core's
public functions as they land (see the package CHANGELOG). The math follows spec §1.3 and §4.
"""

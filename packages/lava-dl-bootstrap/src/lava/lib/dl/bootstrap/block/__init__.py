"""Bootstrap blocks: slayer blocks that run as SNN, ANN, SAMPLE or FIT (:mod:`.base`).

Family modules: :mod:`.cuba`.
"""

from . import base, cuba

__all__ = ["base", "cuba"]

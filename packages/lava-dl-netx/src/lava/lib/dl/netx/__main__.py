"""``python -m lava.lib.dl.netx``: see :mod:`lava.lib.dl.netx._cli`.

The native runtime multiplies small matrices; multi-threaded BLAS only adds synchronisation cost
there (and collapses on a busy machine), so the command line runs BLAS single-threaded unless the
user set the thread variables.
"""

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from ._cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

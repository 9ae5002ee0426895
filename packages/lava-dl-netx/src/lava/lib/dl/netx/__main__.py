"""``python -m lava.lib.dl.netx``: see :mod:`lava.lib.dl.netx._cli`."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())

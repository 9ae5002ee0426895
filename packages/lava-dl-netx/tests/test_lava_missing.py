"""Without lava-nc (e.g. Python 3.11), the Lava backend explains how to get it."""

from __future__ import annotations

import importlib.util

import pytest

from lava.lib.dl.netx import utils

pytestmark = pytest.mark.skipif(importlib.util.find_spec("lava.magma") is not None,
                                reason="lava-nc is installed: the backend is available")


def test_hdf5_network_raises_import_error_with_install_hint():
    from lava.lib.dl.netx import hdf5  # the module itself imports fine

    assert not utils.lava_available()
    with pytest.raises(ImportError) as info:
        hdf5.Network  # noqa: B018
    msg = str(info.value)
    assert "Python 3.10" in msg and 'pip install "lava-dl-netx[lava]"' in msg
    assert "native" in msg
    with pytest.raises(ImportError, match="Python 3.10"):
        from lava.lib.dl.netx.hdf5 import Network  # noqa: F401


@pytest.mark.parametrize("module", ["blocks", "procs"])
def test_lava_only_packages_raise_the_same_hint(module):
    with pytest.raises(ImportError, match=r"lava-dl-netx\[lava\]"):
        importlib.import_module(f"lava.lib.dl.netx.{module}")


def test_netdict_and_weight_helpers_need_no_lava():
    opt = utils.optimize_weight_bits([[2, -4]])
    assert opt.weight.tolist() == [[128, -256]] and opt.weight_exponent == -6

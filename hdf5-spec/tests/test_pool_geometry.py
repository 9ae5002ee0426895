"""Pool output sizes: floor mode and slayer's ceil mode are valid; anything else is not."""

from __future__ import annotations

import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs


def _net(in_hw, out_hw, kernel=3, stride=3):
    inp = hs.InputLayer(shape=(2, *in_hw))
    pool = hs.PoolLayer(
        shape=(2, *out_hw), kernel_size=(kernel, kernel), stride=(stride, stride),
        padding=(0, 0), dilation=(1, 1), weight=np.full((1, 1, kernel, kernel), 64, np.float32),
    )
    return hs.NetworkDescription(layers=[inp, pool])


@pytest.mark.parametrize(
    ("in_hw", "out_hw"),
    [((9, 9), (3, 3)),  # exact
     ((8, 8), (2, 2)),  # floor
     ((8, 8), (3, 3)),  # ceil: 8 padded to 9
     ((7, 10), (3, 4))],  # ceil on both axes
)
def test_floor_and_ceil_sizes_are_valid(in_hw, out_hw):
    hs.validate(_net(in_hw, out_hw))


@pytest.mark.parametrize(("in_hw", "out_hw"), [((8, 8), (4, 4)), ((9, 9), (4, 3))])
def test_other_sizes_are_refused(in_hw, out_hw):
    with pytest.raises(hs.ValidationError, match="shape"):
        hs.validate(_net(in_hw, out_hw))


def test_ceil_never_adds_a_window_starting_in_the_padding():
    # kernel 2 stride 3 on 7: windows start at 0, 3, 6 -> 3 (window at 6 overlaps row 6)
    hs.validate(_net((7, 7), (3, 3), kernel=2, stride=3))
    # kernel 1 stride 3 on 6: windows at 0, 3 only; a third would start at 6 = n
    with pytest.raises(hs.ValidationError):
        hs.validate(_net((6, 6), (3, 3), kernel=1, stride=3))

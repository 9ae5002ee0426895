"""Classifiers: rates, confidences, predictions, golden predictions, MovingWindow.forward fix."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from lava.lib.dl.slayer.classifier import MovingWindow, Rate


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


def test_golden_predict():
    if not _shared().is_dir():
        pytest.skip("shared folder with golden vectors is absent")
    d = np.load(_shared() / "golden" / "lava-dl-0.6" / "losses.npz")
    pred = Rate.predict(torch.tensor(d["spikes"]))
    np.testing.assert_array_equal(pred.numpy(), d["rate_predict"])


def test_rate_and_confidence():
    s = torch.zeros(2, 2, 2, 4)
    s[0, 1, 0, :2] = 1  # rate 0.5 at flat index 2
    s[0, 0, 0, :1] = 1  # rate 0.25 at flat index 0
    s[1, 1, 1, :] = 1  # rate 1.0 at flat index 3
    assert Rate.rate(s).shape == (2, 2, 2)
    np.testing.assert_array_equal(Rate.predict(s).numpy(), [2, 3])
    np.testing.assert_array_equal(Rate()(s).numpy(), [2, 3])
    p = Rate.confidence(s)
    np.testing.assert_allclose(p[0].numpy(), [0.25 / 0.75, 0, 0.5 / 0.75, 0], rtol=1e-5)
    np.testing.assert_allclose(Rate.confidence(s, mode="softmax").sum(1).numpy(), [1, 1], 1e-6)
    np.testing.assert_allclose(
        Rate.confidence(s, mode="logsoftmax").exp().numpy(),
        Rate.confidence(s, mode="softmax").numpy(),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="unknown confidence mode"):
        Rate.confidence(s, mode="max")


def test_moving_window():
    s = torch.zeros(1, 3, 10)
    s[0, 0, :5] = 1
    s[0, 2, 5:] = 1
    mw = MovingWindow(time_window=3)
    rate = mw.rate(s)
    np.testing.assert_allclose(
        rate[0, 0].numpy(), [1 / 3, 2 / 3, 1, 1, 1, 2 / 3, 1 / 3, 0, 0, 0], rtol=1e-6
    )
    pred = mw(s)  # lava-dl 0.6 returned None (spec 15 #32)
    assert pred.shape == (1, 10)
    np.testing.assert_array_equal(pred[0].numpy(), [0, 0, 0, 0, 0, 0, 2, 2, 2, 2])
    conf = mw.confidence(s)
    assert conf.shape == (1, 3, 10)
    np.testing.assert_allclose(conf[0, :, 3].numpy(), [1, 0, 0], atol=1e-5)
    with pytest.raises(ValueError, match="unknown confidence mode"):
        MovingWindow(3, mode="nope")
    with pytest.raises(ValueError, match="time_window"):
        MovingWindow(0)

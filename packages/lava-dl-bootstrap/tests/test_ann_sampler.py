"""AnnSampler: PWL fit against the lava-dl 0.6 golden vector (spec Appendix A), forward,
normalised gradient, refit EMA, default curve, sample bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lava.lib.dl.bootstrap.ann_sampler import AnnSampler

GOLDEN_CENTERS = [[0, 0], [.3233, .1617], [.609, .3045], [.8947, .4474], [1.1805, .5902],
                  [1.4662, .7331], [1.7885, .8942]]


def clipped_ramp(shift=0.0, n=400):
    z = np.linspace(-1, 3, n)
    a = np.clip(0.5 * (z - shift), 0, 0.9)
    return torch.tensor(a)[:, None], torch.tensor(z)[:, None]  # (N, T=1)


def fitted(shift=0.0, **kwargs):
    s = AnnSampler(**kwargs)
    s.append(*clipped_ramp(shift))
    s.fit()
    return s


def test_fit_reproduces_golden_pwl():
    s = fitted()
    np.testing.assert_allclose(s.centers, GOLDEN_CENTERS, atol=6e-5)
    np.testing.assert_allclose(s.slopes, 0.5, rtol=1e-6)
    assert len(s.slopes) == len(s.centers) - 1
    assert s.max == pytest.approx(0.8942, abs=1e-4)
    assert s.scale == pytest.approx(2.0, abs=1e-4)


def test_forward_is_the_piecewise_linear_curve():
    s = fitted()
    z = torch.tensor([-1.0, 0.0, 0.1, 0.5, 1.0, 1.7, 1.7885, 1.9, 10.0])
    expect = np.clip(0.5 * z.numpy(), 0, s.max)
    np.testing.assert_allclose(s(z).numpy(), expect, atol=1e-6)
    # elementwise on any shape
    zz = torch.rand(2, 3, 4, 5) * 3 - 1
    np.testing.assert_allclose(s(zz).numpy(), np.clip(0.5 * zz.numpy(), 0, s.max), atol=1e-6)


def test_gradient_is_normalised_slope_plus_leak():
    s = fitted(eps=1e-3)
    z = torch.tensor([-0.5, 0.2, 1.0, 1.5, 2.5], requires_grad=True)
    s(z).sum().backward()
    # inside: slope 0.5 * scale 2.0 + eps; outside: eps
    np.testing.assert_allclose(z.grad.numpy(), [1e-3, 1.001, 1.001, 1.001, 1e-3], rtol=1e-4)


def test_default_curve_before_fit():
    s = AnnSampler(default_saturation=2.0)
    assert not s.fitted and s.centers is None
    z = torch.tensor([-1.0, 0.5, 1.0, 3.0], requires_grad=True)
    y = s(z)  # lava-dl 0.6 raised a TypeError here
    np.testing.assert_allclose(y.detach().numpy(), [0, 0.25, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [1e-5, 1 + 1e-5, 1 + 1e-5, 1e-5], rtol=1e-6)
    with pytest.raises(ValueError, match="default_saturation"):
        AnnSampler(default_saturation=0)


def test_refit_blends_old_and_new_centers_by_alpha():
    a_fit, b_fit = fitted(0.0), fitted(0.2)
    s = fitted(0.0)
    s.clear()
    s.append(*clipped_ramp(0.2))
    s.fit()
    inner = slice(1, -1)
    expect = 0.1 * b_fit.centers[inner] + 0.9 * a_fit.centers[inner]
    np.testing.assert_allclose(s.centers[inner], expect, atol=1e-9)
    # same data again: a fixed point
    again = fitted(0.0)
    again.fit()
    np.testing.assert_allclose(again.centers, a_fit.centers, atol=1e-12)


def test_previous_centers_alone_are_kept():
    s = fitted()
    s.clear()
    # new samples only in the lowest bin: the other bins keep the previous centers
    a = torch.tensor([0.15, 0.16, 0.9, 0.9])[:, None]
    z = torch.tensor([0.3, 0.32, 2.0, 2.0])[:, None]
    old = s.centers.copy()
    s.append(a, z)
    s.fit()
    np.testing.assert_allclose(s.centers[2:-1], old[2:-1], atol=1e-12)


def test_silent_layer_gives_a_ramp_and_single_center_gets_origin():
    s = AnnSampler()
    s.append(torch.zeros(10, 4), torch.rand(10, 4))
    s.fit()
    assert s.max == 0.8
    z = torch.tensor([-1.0, 0.4, 2.0])
    np.testing.assert_allclose(s(z).numpy(), [0.0, 0.4, 0.8], atol=1e-6)
    one = AnnSampler(num_centers=1)
    one.append(torch.tensor([0.5, 1.0])[:, None], torch.tensor([1.0, 3.0])[:, None])
    one.fit()
    # centers: origin, (1, .5); saturation at 1 + (1 - .5) / .5 = 2
    np.testing.assert_allclose(one.centers, [[0, 0], [0, 0], [1, 0.5], [2, 1.0]])
    np.testing.assert_allclose(one(torch.tensor([0.5, 1.5, 5.0])).numpy(), [0.25, 0.75, 1.0])


def test_fit_without_samples_warns_and_keeps_curve():
    s = AnnSampler()
    with pytest.warns(RuntimeWarning, match="without samples"):
        s.fit()
    assert s.centers is None


def test_append_uses_time_means_and_clear():
    s = AnnSampler(seed=1)
    a = torch.tensor([[[1.0, 0.0, 1.0, 0.0]], [[1.0, 1.0, 1.0, 1.0]]])  # (2, 1, 4)
    z = torch.tensor([[[0.0, 1.0, 2.0, 3.0]], [[4.0, 4.0, 4.0, 4.0]]])
    s.append(a, z)
    np.testing.assert_allclose(s.a, [0.5, 1.0])
    np.testing.assert_allclose(s.z, [1.5, 4.0])
    with pytest.raises(ValueError, match="same shape"):
        s.append(a, z[..., :2])
    for _ in range(49):
        s.append(a, z)
    assert s.num_points == 100
    s.soft_clear()
    assert s.num_points == 50
    s.clear()
    assert s.num_points == 0


def test_max_points_thins_randomly():
    s = AnnSampler(max_points=64, seed=0)
    for _ in range(5):
        s.append(torch.rand(8, 10, 3), torch.rand(8, 10, 3))
    assert s.num_points == 64


@pytest.mark.parametrize("kwargs", [{"num_centers": 0}, {"sample_range": [0.9, 0.1]}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        AnnSampler(**kwargs)


def test_plot_returns_a_figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    fig = fitted().plot(figsize=(3, 2))
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 2
    import matplotlib.pyplot as plt

    plt.close(fig)

"""slayer.dendrite.Sigma and the Sigma-Delta identity gradient."""

from __future__ import annotations

import torch

import lava.lib.dl.slayer as slayer


def test_sigma_is_cumsum_and_persistent():
    x = torch.rand(2, 3, 20)
    assert torch.allclose(slayer.dendrite.Sigma()(x), torch.cumsum(x, -1))
    s = slayer.dendrite.Sigma(persistent_state=True)
    split = torch.cat([s(x[..., :7]), s(x[..., 7:])], -1)
    assert torch.allclose(split, torch.cumsum(x, -1), atol=1e-6)
    assert s.device_params == {"type": "SDNN", "sigma_output": True}
    assert s.shape == (3,)


def test_sigma_after_delta_has_identity_gradient():
    x = torch.rand(2, 4, 30, requires_grad=True)
    y = slayer.dendrite.Sigma()(slayer.axon.Delta(threshold=0.05)(x))
    g = torch.rand_like(y)
    (y * g).sum().backward()
    assert torch.allclose(x.grad, g, atol=1e-6)


def test_sigma_delta_reconstructs_input_within_threshold():
    torch.manual_seed(0)
    x = torch.cumsum(torch.randn(2, 3, 50) * 0.1, -1)
    y = slayer.dendrite.Sigma()(slayer.axon.Delta(threshold=0.1, scale=4096)(x))
    assert (y - x).abs().max() < 0.1 + 50 / 4096

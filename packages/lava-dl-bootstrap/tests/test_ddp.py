"""AnnSampler under torch.distributed: every replica records all samples and fits one curve."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lava.lib.dl.bootstrap.ann_sampler import AnnSampler
from lava.lib.dl.bootstrap.testing import ddp_sampler_worker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_two_processes_share_samples_and_fit_the_same_curve():
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=ddp_sampler_worker, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = sorted(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    # single process recording both ranks' samples, in rank order
    single = AnnSampler(seed=0)
    z = torch.linspace(0, 2, 64).reshape(4, 16, 1).expand(4, 16, 8).contiguous()
    single.append(torch.cat([(z * 0.4 * (r + 1)).clamp(max=1.0) for r in range(2)]),
                  torch.cat([z, z]))
    single.fit()
    for _, zs, as_, centers in results:
        assert zs.size == 2 * 64
        np.testing.assert_array_equal(zs, single.z)
        np.testing.assert_array_equal(as_, single.a)
        np.testing.assert_array_equal(centers, np.asarray(single.centers))

"""DecolleAssistant under DistributedDataParallel (2 CPU processes, gloo).

Two processes, each on half of a batch, must end with the parameters of one process trained on
the whole batch (the per-layer losses are batch means, so DDP's gradient average is the
full-batch gradient), and both must record the statistics of the whole batch.
"""

from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lava.lib.dl.decolle import DecolleAssistant
from lava.lib.dl.decolle.testing import (
    DDP_CHECK,
    ddp_check_setup,
    ddp_check_train,
    ddp_check_worker,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_two_process_ddp_equals_single_process_on_the_global_batch():
    net, x, y = ddp_check_setup()
    optim = torch.optim.SGD(net.parameters(), lr=0.5)
    single = DecolleAssistant(net, optim, mode="batch", burnin=DDP_CHECK["burnin"],
                              backend="reference")
    expected = ddp_check_train(single, x, y)

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=ddp_check_worker, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for _, params, num_samples, correct in results:
        # two batches of the global size, summed over both ranks
        assert num_samples == 2 * DDP_CHECK["batch"]
        for got, want in zip(params, expected, strict=True):
            torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=1e-6)
        assert correct == list(single.training.correct)

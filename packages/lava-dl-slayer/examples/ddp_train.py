"""Distributed (DDP) training of a small slayer network, with atomic checkpoints and resume.

Run on one process::

    python ddp_train.py --epochs 2

or on two processes (CPU, gloo backend; use ``--backend nccl`` with one GPU per process)::

    torchrun --nproc-per-node 2 ddp_train.py --epochs 2 --checkpoint run/ckpt.pt

Every optimizer step uses a global batch of ``--batch`` samples; each of the ``P`` processes
trains on its contiguous ``batch / P`` share and DistributedDataParallel averages the gradients,
so the run gives the same parameters (to float32 rounding) for any ``P`` dividing the batch.
With ``--checkpoint`` a checkpoint is written atomically every ``--checkpoint-every`` steps and
at the end of each epoch; starting the same command again resumes from the newest valid one.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.utils import checkpoint, distributed

IN, HIDDEN, OUT, STEPS = 8, 16, 4, 20


class Network(torch.nn.Module):
    """Input encoder (per-channel decays) -> Dense with delays -> Dense readout spikes."""

    def __init__(self, *, dropout: float = 0.0) -> None:
        super().__init__()
        per_channel = {
            "threshold": 0.5, "current_decay": (0.2, 0.4), "voltage_decay": (0.1, 0.3),
            "shared_param": False, "tau_grad": 1.0, "scale_grad": 1.0,
        }
        hidden = dict(per_channel)
        if dropout > 0:
            hidden["dropout"] = slayer.neuron.Dropout(p=dropout)
        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Input(per_channel),
            slayer.block.cuba.Dense(hidden, IN, HIDDEN, weight_scale=4, delay=True),
            slayer.block.cuba.Dense(per_channel, HIDDEN, OUT, weight_scale=4),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def make_data(num_samples: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random input spikes ``(N, IN, STEPS)`` and target output rates ``(N, OUT)``."""
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(num_samples, IN, STEPS, generator=gen) < 0.4).float()
    y = 0.1 + 0.4 * torch.rand(num_samples, OUT, generator=gen)
    return x, y


def rate_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the output spike rates (mean over the batch)."""
    return torch.nn.functional.mse_loss(output.mean(dim=-1), target)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=64, help="data set size")
    parser.add_argument("--batch", type=int, default=16, help="global batch size")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--checkpoint", type=Path, default=None, help="checkpoint file")
    parser.add_argument("--checkpoint-every", type=int, default=1, help="steps between saves")
    parser.add_argument("--step-delay", type=float, default=0.0, help="seconds to sleep per step")
    parser.add_argument("--out", type=Path, default=None, help="write the final state dict here")
    parser.add_argument("--backend", default="gloo")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Train; returns ``{"losses": [...], "state_dict": ..., "world_size": P, "resumed": ...}``."""
    args = parse_args(argv)
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if launched and not dist.is_initialized():
        dist.init_process_group(args.backend)
    rank, world = distributed.get_rank(), distributed.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be divisible by the {world} processes")
    torch.manual_seed(args.seed)
    x, y = make_data(args.samples, args.seed + 1)
    net = Network(dropout=args.dropout)
    # create the lazily shaped parameters (Input block's per-channel decays) on every process
    # count alike, so single- and multi-process runs draw the same initial values
    distributed.materialize(net, x[:1])
    if launched:
        net = distributed.wrap_ddp(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    stats = slayer.utils.LearningStats()
    assistant = slayer.utils.Assistant(net, rate_error, optimizer, stats)

    start_epoch = start_step = 0
    resumed = None
    if args.checkpoint is not None:
        found = checkpoint.latest_checkpoint(args.checkpoint)
        if found is not None:
            info = assistant.load_checkpoint(found)
            start_epoch, start_step, resumed = info["epoch"], info["step"], str(found)
            distributed.print0(f"resumed from {found}: epoch {start_epoch}, step {start_step}")

    steps_per_epoch = args.samples // args.batch
    losses = []
    for epoch in range(start_epoch, args.epochs):
        order = torch.randperm(args.samples, generator=torch.Generator().manual_seed(
            1000 * args.seed + epoch))
        for step in range(start_step if epoch == start_epoch else 0, steps_per_epoch):
            batch = order[step * args.batch:(step + 1) * args.batch]
            local = batch.chunk(world)[rank]
            assistant.train(x[local], y[local])
            if args.checkpoint is not None and (step + 1) % args.checkpoint_every == 0:
                assistant.save_checkpoint(args.checkpoint, epoch=epoch, step=step + 1)
            if args.step_delay:
                time.sleep(args.step_delay)
        if not args.quiet:
            stats.print(epoch)
            stats.new_line()
        stats.update()  # sums the statistics over the processes
        losses.append(stats.training.loss_log[-1])
        if args.checkpoint is not None:
            assistant.save_checkpoint(args.checkpoint, epoch=epoch + 1, step=0)

    state = {k: v.detach().clone() for k, v in
             distributed.unwrap_model(net).state_dict().items()}
    if args.out is not None and distributed.is_main_process():
        torch.save(state, args.out)
    if launched:
        dist.destroy_process_group()
    return {"losses": losses, "state_dict": state, "world_size": world, "resumed": resumed}


if __name__ == "__main__":
    main()

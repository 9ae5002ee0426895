"""Atomic checkpoints: round trip, corruption/truncation errors, previous kept, SIGKILL resume."""

import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.utils import checkpoint as ckpt
from lava.lib.dl.slayer.utils.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_train.py"
PARAMS = {"threshold": 0.5, "current_decay": (0.2, 0.4), "voltage_decay": 0.1,
          "shared_param": False}


def _net(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(slayer.block.cuba.Dense(PARAMS, 3, 4, delay=True))


def _setup(seed):
    net = _net(seed)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    stats = slayer.utils.LearningStats()
    return net, opt, sched, stats


def _train_step(net, opt, sched, stats):
    x = torch.ones(2, 3, 5)
    loss = net(x).sum() + sum(p.sum() for p in net.parameters())
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    stats.training.num_samples += 2
    stats.training.loss_sum += 1.5


def test_round_trip_restores_everything(tmp_path):
    net, opt, sched, stats = _setup(0)
    _train_step(net, opt, sched, stats)
    stats.update()
    stats.training.num_samples += 4  # mid-epoch accumulators are kept too
    stats.training.loss_sum += 2.0
    torch.manual_seed(7)
    np.random.seed(7)  # noqa: NPY002 - the legacy global stream is what is saved
    random.seed(7)
    path = save_checkpoint(tmp_path / "c.pt", model=net, optimizer=opt, scheduler=sched,
                           stats=stats, epoch=3, step=5, extra={"note": "x"})
    expect_rand = (torch.rand(3), np.random.rand(), random.random())  # noqa: NPY002
    expect_state = {k: v.clone() for k, v in net.state_dict().items()}
    expect_opt = opt.state_dict()

    net2, opt2, sched2, stats2 = _setup(1)
    info = load_checkpoint(path, model=net2, optimizer=opt2, scheduler=sched2, stats=stats2)
    assert info == {"epoch": 3, "step": 5, "extra": {"note": "x"}, "world_size": 1}
    for k, v in net2.state_dict().items():
        assert torch.equal(v, expect_state[k]), k
    got_opt = opt2.state_dict()["state"]
    assert got_opt.keys() == expect_opt["state"].keys() and len(got_opt) > 0
    for i, state in expect_opt["state"].items():
        for name, value in state.items():
            assert torch.equal(got_opt[i][name], value), (i, name)
    assert sched2.state_dict() == sched.state_dict()
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.05)
    assert stats2.training.loss_log == [0.75]
    assert stats2.training.num_samples == 4 and stats2.training.loss_sum == 2.0
    got_rand = (torch.rand(3), np.random.rand(), random.random())  # noqa: NPY002
    assert torch.equal(got_rand[0], expect_rand[0])
    assert got_rand[1:] == expect_rand[1:]


def test_truncated_and_corrupted_files_raise_clear_errors(tmp_path):
    net = _net(0)
    path = save_checkpoint(tmp_path / "c.pt", model=net)
    raw = path.read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=r"bad\.pt' is truncated.*bad\.pt\.prev"):
        read_checkpoint(bad)
    bad.write_bytes(raw[:20])
    with pytest.raises(CheckpointError, match="truncated"):
        read_checkpoint(bad)
    flipped = bytearray(raw)
    flipped[-10] ^= 0xFF
    bad.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(bad, model=_net(1))
    bad.write_bytes(b"PK\x03\x04 some other file")
    with pytest.raises(CheckpointError, match="not a lava-dl checkpoint"):
        read_checkpoint(bad)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="holds no optimizer"):
        load_checkpoint(path, model=_net(1), optimizer=torch.optim.SGD(net.parameters(), lr=1))


def _weight(path):
    return read_checkpoint(path)["model"]["0.synapse.weight"]


def test_previous_checkpoint_is_kept_and_never_replaced_by_a_corrupt_one(tmp_path):
    net = _net(0)
    path = tmp_path / "c.pt"
    prev = tmp_path / "c.pt.prev"
    save_checkpoint(path, model=net, epoch=1)
    first = _weight(path).clone()
    with torch.no_grad():
        net[0].synapse.weight.add_(1)
    save_checkpoint(path, model=net, epoch=2)
    assert read_checkpoint(prev)["epoch"] == 1 and torch.equal(_weight(prev), first)
    assert read_checkpoint(path)["epoch"] == 2
    # the current file gets corrupted (e.g. a disk error): resume picks the previous one
    path.write_bytes(path.read_bytes()[:-7])
    assert latest_checkpoint(path) == prev
    # the next save must not rotate the corrupt file over the good previous one
    save_checkpoint(path, model=net, epoch=3)
    assert read_checkpoint(prev)["epoch"] == 1
    assert read_checkpoint(path)["epoch"] == 3
    assert latest_checkpoint(path) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt", "c.pt.prev"]  # no temp files
    assert latest_checkpoint(tmp_path / "none.pt") is None


def test_a_crash_during_the_write_leaves_the_last_checkpoint_intact(tmp_path, monkeypatch):
    net = _net(0)
    path = save_checkpoint(tmp_path / "c.pt", model=net, epoch=1)
    before = path.read_bytes()

    real_replace = os.replace

    def crash_on_final_rename(src, dst):
        if Path(dst) == path:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(ckpt.os, "replace", crash_on_final_rename)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model=net, epoch=2)
    monkeypatch.setattr(ckpt.os, "replace", real_replace)
    assert path.read_bytes() == before
    assert read_checkpoint(path)["epoch"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp file removed


def _load_example():
    spec = importlib.util.spec_from_file_location("slayer_example_ddp_train", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted_run(tmp_path):
    args = ["--epochs", "2", "--samples", "48", "--batch", "8", "--dropout", "0.2", "--quiet"]
    reference = _load_example().main(args)["state_dict"]

    path = tmp_path / "ckpt.pt"
    out = tmp_path / "final.pt"
    cmd = [sys.executable, str(EXAMPLE), *args, "--checkpoint", str(path), "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK")}
    proc = subprocess.Popen([*cmd, "--step-delay", "0.5"], env=env)
    try:
        deadline = time.monotonic() + 50
        step = 0
        while time.monotonic() < deadline and proc.poll() is None:
            found = latest_checkpoint(path)
            if found is not None:
                step = read_checkpoint(found)["step"]
                if step >= 2:  # mid-epoch of the first epoch (6 steps per epoch)
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the training ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    killed_at = read_checkpoint(latest_checkpoint(path))
    assert killed_at["epoch"] == 0 and 2 <= killed_at["step"] < 6

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resumed from" in done.stdout
    final = torch.load(out)
    assert final.keys() == reference.keys()
    for k in reference:
        torch.testing.assert_close(final[k], reference[k], rtol=0, atol=0, msg=k)


def test_statistics_of_another_process_count_keep_the_epoch_totals():
    def rank_state(loss_sum, n):
        stats = slayer.utils.LearningStats()
        stats.training.loss_log = [0.5]
        stats.training.loss_sum, stats.training.num_samples = loss_sum, n
        return ckpt._stats_state(stats)

    saved = [rank_state(1.5, 3), rank_state(2.5, 5)]  # two ranks, mid-epoch
    stats = slayer.utils.LearningStats()
    ckpt._load_stats_state(stats, ckpt._own_stats_state(saved, same_world=False))
    assert (stats.training.loss_sum, stats.training.num_samples) == (4.0, 8)
    assert isinstance(stats.training.num_samples, int)
    assert stats.training.loss_log == [0.5]
    ckpt._load_stats_state(stats, ckpt._own_stats_state(saved[:1], same_world=True))
    assert (stats.training.loss_sum, stats.training.num_samples) == (1.5, 3)

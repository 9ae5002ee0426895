"""DistributedDataParallel: 2-process training equals single-process training on the global batch;
helpers (wrap_ddp, statistics reduction, rank-0 printing); no parameter is shaped lazily after
wrapping."""

import importlib.util
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.utils import distributed
from lava.lib.dl.slayer.utils.checkpoint import read_checkpoint

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_train.py"
PER_CHANNEL = {"threshold": 0.5, "current_decay": (0.2, 0.4), "voltage_decay": (0.1, 0.3),
               "shared_param": False}
RF = {"threshold": 0.5, "period": (5, 10), "decay": (0.1, 0.3), "shared_param": False}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env():
    drop = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    return {k: v for k, v in os.environ.items() if k not in drop}


def _load_example():
    spec = importlib.util.spec_from_file_location("slayer_example_ddp_train_t", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_torchrun_two_processes_equal_single_process(tmp_path):
    args = ["--epochs", "2", "--samples", "32", "--batch", "8", "--quiet"]
    single = _load_example().main(args)
    out = tmp_path / "ddp.pt"
    ckpt = tmp_path / "ckpt.pt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), str(EXAMPLE),
           *args, "--out", str(out), "--checkpoint", str(ckpt), "--checkpoint-every", "2"]
    done = subprocess.run(cmd, env=_clean_env(), capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    ddp = torch.load(out)
    assert ddp.keys() == single["state_dict"].keys()
    for k, v in single["state_dict"].items():
        assert ddp[k].shape == v.shape, k
        torch.testing.assert_close(ddp[k], v, rtol=0, atol=1e-6, msg=k)
    # the training really moved the weights
    init = _load_example().Network()
    assert not torch.allclose(init.blocks[1].synapse.weight, v := ddp["blocks.1.synapse.weight"])
    assert v.abs().sum() > 0
    # rank 0 wrote the checkpoint with every rank's RNG state; epoch statistics were summed
    state = read_checkpoint(ckpt)
    assert state["world_size"] == 2 and len(state["rng"]) == 2
    assert state["epoch"] == 2
    assert len(state["stats"]) == 2  # statistics kept per rank (mid-epoch accumulators)
    logged = state["stats"][0]["training"]["loss_log"]
    assert state["stats"][1]["training"]["loss_log"] == logged
    assert logged == pytest.approx(single["losses"], rel=1e-5)


WORKER = textwrap.dedent("""
    import sys
    import torch, torch.distributed as dist
    import lava.lib.dl.slayer as slayer
    from lava.lib.dl.slayer.utils import distributed

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    assert distributed.get_world_size() == 2 and distributed.is_main_process() == (rank == 0)
    assert distributed.all_reduce_sum([rank + 1, 0.5]) == [3.0, 1.0]
    stats = slayer.utils.LearningStats()
    stats.training.num_samples += 2 + rank
    stats.training.loss_sum += 1.0 + rank
    stats.training.correct_samples += rank
    stats.update()
    assert stats.training.loss_log == [3.0 / 5] and stats.training.accuracy_log == [1 / 5]
    distributed.print0(f"printed by rank {rank}")
    stats.training.num_samples += 1
    stats.print(0)
    # persistent neuron state stays per replica (no broadcast from rank 0)
    torch.manual_seed(0)
    p = dict(threshold=0.5, current_decay=0.2, voltage_decay=0.1, persistent_state=True)
    net = torch.nn.Sequential(slayer.block.cuba.Dense(p, 3, 4, weight_scale=4))
    ddp = distributed.wrap_ddp(net)
    x = torch.full((2, 3, 4), float(rank + 1))
    ddp(x).sum().backward()
    ddp(x)
    v = net[0].neuron.voltage_state
    ref = torch.nn.Sequential(slayer.block.cuba.Dense(p, 3, 4, weight_scale=4))
    ref.load_state_dict(net.state_dict())
    ref(x)
    ref(x)
    assert torch.equal(v, ref[0].neuron.voltage_state), "state overwritten by rank 0"
    print(f"OK {rank}", flush=True)
    dist.destroy_process_group()
""")


def test_two_process_helpers_statistics_printing_and_state(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = _clean_env()
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE="2")
    procs = [subprocess.Popen([sys.executable, str(script)], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in range(2)]
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=120))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for r, (p, (out, err)) in enumerate(zip(procs, outs, strict=True)):
        assert p.returncode == 0, err[-3000:]
        assert f"OK {r}" in out
    assert "printed by rank 0" in outs[0][0] and "printed by rank" not in outs[1][0]
    assert "Epoch" in outs[0][0] and "Epoch" not in outs[1][0]


@pytest.fixture
def one_process_group(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rdzv'}", rank=0,
                            world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_helpers_without_a_process_group():
    assert not distributed.is_distributed()
    assert distributed.get_rank() == 0 and distributed.get_world_size() == 1
    assert distributed.all_reduce_sum([1, 2.5]) == [1.0, 2.5]
    distributed.barrier()
    with pytest.raises(RuntimeError, match="init_process_group"):
        distributed.wrap_ddp(torch.nn.Linear(2, 2))


def test_wrap_ddp_refuses_lazy_parameters_and_materializes_them(one_process_group):
    torch.manual_seed(0)
    net = torch.nn.Sequential(slayer.block.cuba.Input(PER_CHANNEL),
                              slayer.block.cuba.Pool(PER_CHANNEL, 2, delay=True))
    problems = distributed.pending_lazy_parameters(net)
    assert [p.split(":")[0] for p in problems] == ["0.neuron", "1.neuron", "1.delay"]
    with pytest.raises(RuntimeError, match=r"(?s)0\.neuron: per-channel.*sample_input="):
        distributed.wrap_ddp(net)
    x = torch.rand(2, 3, 4, 4, 5)
    ddp = distributed.wrap_ddp(net, sample_input=x)
    assert distributed.unwrap_model(ddp) is net
    assert net[0].neuron.current_decay.shape == (3,) and net[1].delay.delay.shape == (3,)
    assert distributed.pending_lazy_parameters(net) == []
    names = set(distributed.state_buffer_names(net))
    assert {"0.neuron.current_state", "0.neuron.voltage_state"} <= names
    assert names <= set(net._ddp_params_and_buffers_to_ignore)
    assert not any(n in dict(net.named_buffers()) and n in ddp.named_module_buffers
                   for n in names)
    ddp(x).sum().backward()  # gradient shapes match the registered parameters


def test_materialize_leaves_states_and_modes_untouched():
    torch.manual_seed(0)
    p = dict(PER_CHANNEL, persistent_state=True)
    net = torch.nn.Sequential(slayer.block.cuba.Input(p))
    net.train()
    before = net[0].neuron.voltage_state.clone()
    distributed.materialize(net, torch.rand(2, 3, 5))
    assert net.training and net[0].training
    assert torch.equal(net[0].neuron.voltage_state, before)
    assert net[0].neuron.current_decay.shape == (3,)


@pytest.mark.parametrize("make", [
    lambda: slayer.block.cuba.Affine(PER_CHANNEL, 4, 3),
    lambda: slayer.block.cuba.KWTA(PER_CHANNEL, 4, 3, num_winners=1),
    lambda: slayer.block.cuba.Dense(PER_CHANNEL, 4, 3, delay=True),
    lambda: slayer.block.rf.Dense(RF, 4, 3, delay=True),
    lambda: slayer.block.rf_iz.Affine(RF, 4, 3),
    lambda: slayer.block.alif.Conv(dict(PER_CHANNEL, threshold_step=0.1,
                                        refractory_decay=(0.1, 0.2), threshold_decay=(0.1, 0.2)),
                                   2, 3, 3, delay=True),
], ids=["cuba.Affine", "cuba.KWTA", "cuba.Dense", "rf.Dense", "rf_iz.Affine", "alif.Conv"])
def test_blocks_with_known_channels_create_every_parameter_at_construction(make):
    torch.manual_seed(0)
    block = make()
    assert distributed.pending_lazy_parameters(block) == []
    before = {k: v.clone() for k, v in block.state_dict().items()}
    assert any(v.numel() == 3 for k, v in before.items() if "decay" in k)
    x = torch.rand(2, 4, 6) if "Conv" not in type(block).__name__ else torch.rand(2, 2, 5, 5, 6)
    block(x)
    after = block.state_dict()
    assert after.keys() == before.keys()
    for k, v in before.items():
        assert after[k].shape == v.shape, k

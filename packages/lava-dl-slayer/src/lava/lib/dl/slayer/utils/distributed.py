r"""Distributed training helpers built on ``torch.distributed`` (DistributedDataParallel).

Every helper works without an initialized process group: it then behaves as a single process of
rank 0 in a world of size 1, so the same training script runs under ``python`` and ``torchrun``.

Statistics reduction
--------------------
With :math:`P` processes, process :math:`p` accumulates over its shard of an epoch the loss sum
:math:`S_p = \sum_{i \in p} L_i N_i`, correct samples :math:`K_p` and samples :math:`N_p`. The
epoch values are those of the whole data set,

.. math:: \text{loss} = \frac{\sum_p S_p}{\sum_p N_p}, \qquad
          \text{accuracy} = \frac{\sum_p K_p}{\sum_p N_p},

obtained with one ``all_reduce(SUM)`` of the three accumulators (float64).

DDP safety of slayer networks
-----------------------------
DistributedDataParallel registers the parameters once, when it wraps the network, and then
broadcasts the buffers of rank 0 before every forward. Two slayer conventions need care:

- per-channel neuron parameters (``shared_param=False``) and learnable axonal delays of blocks
  whose channel count comes from their input (``Input``, ``Pool``, ``Unpool``) or of
  stand-alone neurons get their shape at the first forward. :func:`wrap_ddp` runs one
  no-gradient forward on ``sample_input`` to create them (restoring the neuron states after)
  and refuses to wrap while any is still pending (:func:`pending_lazy_parameters`);
- neuron states (``current_state``, ``voltage_state``, ...) are non-persistent buffers holding
  per-replica, per-sample state; :func:`wrap_ddp` excludes them from DDP's buffer broadcast
  (:func:`state_buffer_names`), so each process keeps the state of its own samples. The state
  dict never contains them, so it does not depend on the number of processes.

Normalisation buffers (``running_mean``, ``running_var``) are broadcast from rank 0 like those of
``torch.nn.BatchNorm``; batch statistics are per process (as without ``SyncBatchNorm``).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist

__all__ = [
    "all_reduce_sum",
    "barrier",
    "get_rank",
    "get_world_size",
    "is_distributed",
    "is_main_process",
    "materialize",
    "pending_lazy_parameters",
    "print0",
    "rank_zero_only",
    "state_buffer_names",
    "unwrap_model",
    "wrap_ddp",
]

F = TypeVar("F", bound=Callable[..., Any])

# modules of these packages follow slayer's convention: non-persistent buffers are neuron state
_STATE_PACKAGES = ("lava.lib.dl.",)


def is_distributed() -> bool:
    """True when ``torch.distributed`` is available and a process group is initialized."""
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    """Rank of this process (0 without a process group)."""
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    """Number of processes (1 without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """True on rank 0 (and always without a process group)."""
    return get_rank() == 0


def barrier() -> None:
    """Wait for every process (no-op without a process group)."""
    if is_distributed():
        dist.barrier()


def rank_zero_only(fn: F) -> F:
    """Decorator: run ``fn`` on rank 0 only; other ranks return ``None``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_main_process():
            return fn(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]


@rank_zero_only
def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only (same arguments as the builtin)."""
    builtins.print(*args, **kwargs)


def _reduce_device() -> torch.device:
    if is_distributed() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum(values: Sequence[float]) -> list[float]:
    """Sum numbers over every process (float64; returned unchanged without a process group).

    Parameters
    ----------
    values : sequence of float
        This process's numbers, the same count on every process.

    Returns
    -------
    list of float
        Element-wise sums over the processes, identical on every process.
    """
    values = [float(v) for v in values]
    if not is_distributed():
        return values
    t = torch.tensor(values, dtype=torch.float64, device=_reduce_device())
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [float(v) for v in t.cpu().tolist()]


def unwrap_model(net: torch.nn.Module) -> torch.nn.Module:
    """The network inside ``DistributedDataParallel`` / ``DataParallel`` wrappers (or ``net``)."""
    while isinstance(net, (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)):
        net = net.module
    return net


def pending_lazy_parameters(net: torch.nn.Module) -> list[str]:
    """Describe the parameters of ``net`` that are still created or reshaped at the first forward.

    Returns
    -------
    list of str
        One line per module, e.g. ``"blocks.0.neuron: per-channel parameters not drawn yet"``;
        empty when the network is ready for DistributedDataParallel.
    """
    from ..axon import Delay

    problems = []
    for name, module in unwrap_model(net).named_modules():
        label = name or "<root>"
        pending = getattr(module, "_params_pending", None)
        if callable(pending) and pending():
            problems.append(
                f"{label}: per-channel neuron parameters (shared_param=False) not drawn yet "
                "(the channel count comes from the first input)"
            )
        if isinstance(module, Delay) and module.delay is None:
            problems.append(f"{label}: learnable axonal delays not created yet")
    return problems


def _state_buffers(net: torch.nn.Module) -> Iterable[tuple[str, torch.nn.Module, str]]:
    for mod_name, module in net.named_modules():
        if not type(module).__module__.startswith(_STATE_PACKAGES):
            continue
        for buf_name in module._non_persistent_buffers_set:
            if buf_name in module._buffers:
                full = f"{mod_name}.{buf_name}" if mod_name else buf_name
                yield full, module, buf_name


def state_buffer_names(net: torch.nn.Module) -> list[str]:
    """Qualified names of the per-replica neuron state buffers (non-persistent) of ``net``."""
    return sorted(full for full, _, _ in _state_buffers(unwrap_model(net)))


def materialize(net: torch.nn.Module, sample_input: Any) -> None:
    """Create every lazily shaped parameter with one forward pass, leaving no other trace.

    The forward runs without gradient in evaluation mode (normalisation statistics are not
    updated); the neuron states are restored afterwards and the training mode is put back.
    Random draws use the global torch generator (as the first training forward would).

    Parameters
    ----------
    net : torch.nn.Module
        The (unwrapped) network.
    sample_input : Any
        An input the network accepts, e.g. one batch ``(N, C, [H, W,] T)``; its batch size and
        length do not matter.
    """
    net = unwrap_model(net)
    saved = [(module, buf_name, module._buffers[buf_name])
             for _, module, buf_name in _state_buffers(net)]
    modes = [(m, m.training) for m in net.modules()]
    try:
        net.eval()
        with torch.no_grad():
            net(sample_input)
    finally:
        for module, buf_name, value in saved:
            module._buffers[buf_name] = value
        for m, mode in modes:
            m.training = mode


def wrap_ddp(
    net: torch.nn.Module,
    *,
    sample_input: Any = None,
    **ddp_kwargs: Any,
) -> torch.nn.parallel.DistributedDataParallel:
    """Wrap a slayer network in ``DistributedDataParallel`` safely.

    Parameters
    ----------
    net : torch.nn.Module
        Network already on its device. A process group must be initialized
        (``torch.distributed.init_process_group``, e.g. under ``torchrun``).
    sample_input : Any, optional
        One input batch; when given, :func:`materialize` creates the lazily shaped parameters
        first. Needed when the network has ``Input``/``Pool``/``Unpool`` blocks or stand-alone
        neurons with ``shared_param=False`` or learnable delays.
    **ddp_kwargs
        Passed to ``DistributedDataParallel`` (``device_ids``, ``find_unused_parameters`` ...).

    Returns
    -------
    torch.nn.parallel.DistributedDataParallel
        The wrapped network; neuron state buffers are excluded from the buffer broadcast.

    Raises
    ------
    RuntimeError
        No process group, or parameters still lazily shaped.
    """
    if not is_distributed():
        raise RuntimeError(
            "wrap_ddp: no torch.distributed process group; call "
            "torch.distributed.init_process_group(...) first (torchrun sets the environment)"
        )
    if sample_input is not None:
        materialize(net, sample_input)
    problems = pending_lazy_parameters(net)
    if problems:
        raise RuntimeError(
            "wrap_ddp: these parameters get their shape at the first forward, which breaks "
            "DistributedDataParallel:\n  " + "\n  ".join(problems)
            + "\npass sample_input=<one batch> to wrap_ddp (or run one forward before wrapping)"
        )
    ignore = set(getattr(net, "_ddp_params_and_buffers_to_ignore", ()))
    ignore.update(state_buffer_names(net))
    torch.nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
        net, sorted(ignore)
    )
    return torch.nn.parallel.DistributedDataParallel(net, **ddp_kwargs)

r"""Atomic training checkpoints: save and resume model, optimizer, scheduler, statistics, RNG.

File format
-----------
A checkpoint file is ``MAGIC (12 bytes) | n (8 bytes, little endian) | SHA-256 (32 bytes) |
payload (n bytes)`` where the payload is a ``torch.save`` archive of a dict of plain values and
tensors (loaded with ``weights_only=True``). A file whose magic, length or digest does not match
is reported as corrupted or truncated (:class:`CheckpointError`), never half-loaded.

Atomicity
---------
:func:`save_checkpoint` writes ``.<name>.tmp-<pid>`` beside the target, flushes and ``fsync``\ s
it, then

1. if the current file is a valid checkpoint, hard-links it to ``<name>.prev`` (through a
   temporary link and ``os.replace``), so the previous checkpoint is kept;
2. ``os.replace``\ s the temporary file onto ``<name>`` and ``fsync``\ s the folder.

Every step is atomic, so a process killed at any moment (SIGKILL, power loss after the folder
sync) leaves ``<name>`` either the old or the new checkpoint, and a corrupted ``<name>`` never
replaces a good ``<name>.prev``. :func:`latest_checkpoint` returns the newest valid one.

Under ``torch.distributed`` only rank 0 writes; the RNG states of every rank are gathered so that
each rank resumes its own random stream (when resumed with the same number of processes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import distributed

__all__ = [
    "CheckpointError",
    "latest_checkpoint",
    "load_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]

MAGIC = b"LAVADLCKPT1\n"
_LEN = struct.Struct("<Q")
_DIGEST = 32
_HEADER = len(MAGIC) + _LEN.size + _DIGEST
_FORMAT_VERSION = 1
_PHASES = ("training", "validation", "testing")


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, corrupted or does not fit the objects."""


# ---------------------------------------------------------------------- RNG states
def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()  # noqa: NPY002 - the legacy global stream is what users seed
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [str(np_state[0]), torch.from_numpy(np.asarray(np_state[1]).astype(np.int64)),
                  int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": _to_lists(random.getstate()),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _to_lists(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_lists(v) for v in value]
    return value


def _to_tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_to_tuples(v) for v in value)
    return value


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (name, keys.numpy().astype(np.uint32), pos, has_gauss, cached)
    )
    random.setstate(_to_tuples(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _gather(own: Any) -> list[Any]:
    """``own`` of every rank, in rank order (``[own]`` without a process group)."""
    if not distributed.is_distributed():
        return [own]
    out: list[Any] = [None] * distributed.get_world_size()
    torch.distributed.all_gather_object(out, own)
    return out


# ---------------------------------------------------------------------- statistics
def _stats_state(stats: Any) -> dict[str, Any]:
    if hasattr(stats, "state_dict"):
        return {"state_dict": stats.state_dict()}
    state: dict[str, Any] = {"lines_printed": int(getattr(stats, "lines_printed", 0))}
    for phase in _PHASES:
        state[phase] = dict(vars(getattr(stats, phase)))
    return state


_ACCUMULATORS = ("loss_sum", "correct_samples", "num_samples")


def _own_stats_state(states: list[dict[str, Any]], same_world: bool) -> dict[str, Any]:
    """This rank's statistics: its own, or (another process count) rank 0 takes the sums."""
    rank = distributed.get_rank()
    if same_world:
        return states[rank]
    state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in states[0].items()}
    if "state_dict" in state:
        return state
    for phase in _PHASES:
        for name in _ACCUMULATORS:
            total = sum(s[phase][name] for s in states) if rank == 0 else 0
            state[phase][name] = type(states[0][phase][name])(total)
    return state


def _load_stats_state(stats: Any, state: dict[str, Any]) -> None:
    if "state_dict" in state:
        stats.load_state_dict(state["state_dict"])
        return
    stats.lines_printed = state.get("lines_printed", 0)
    for phase in _PHASES:
        vars(getattr(stats, phase)).update(state[phase])


# ---------------------------------------------------------------------- file format
def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _encode(payload: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    return MAGIC + _LEN.pack(len(data)) + hashlib.sha256(data).digest() + data


def _check_bytes(path: Path, raw: bytes) -> bytes:
    fix = (f"delete it and resume from '{path.name}.prev' (latest_checkpoint() picks the newest "
           "valid file)")
    if len(raw) < _HEADER or not raw.startswith(MAGIC):
        if raw.startswith(MAGIC[: len(raw)]) and raw:
            raise CheckpointError(f"checkpoint '{path}' is truncated (header incomplete); {fix}")
        raise CheckpointError(
            f"'{path}' is not a lava-dl checkpoint (bad magic bytes; written by "
            f"slayer.utils.save_checkpoint?); {fix}"
        )
    (size,) = _LEN.unpack_from(raw, len(MAGIC))
    digest = raw[len(MAGIC) + _LEN.size: _HEADER]
    data = raw[_HEADER:]
    if len(data) < size:
        raise CheckpointError(
            f"checkpoint '{path}' is truncated: {len(data)} of {size} payload bytes; {fix}"
        )
    if len(data) > size:
        raise CheckpointError(
            f"checkpoint '{path}' has {len(data) - size} unexpected trailing bytes; {fix}"
        )
    if hashlib.sha256(data).digest() != digest:
        raise CheckpointError(f"checkpoint '{path}' is corrupted (SHA-256 mismatch); {fix}")
    return data


def read_checkpoint(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> dict[str, Any]:
    """Read and verify a checkpoint file; return its payload dict.

    Raises
    ------
    CheckpointError
        Missing, truncated or corrupted file (the message names the file and the fix).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(
            f"checkpoint '{path}' does not exist; start from scratch or pass the path returned "
            "by latest_checkpoint()"
        ) from None
    data = _check_bytes(path, raw)
    try:
        payload = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as exc:  # digest matched but the archive is unreadable
        raise CheckpointError(f"checkpoint '{path}' payload cannot be loaded: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint '{path}' has an unknown format version "
            f"{payload.get('format') if isinstance(payload, dict) else None!r}; expected "
            f"{_FORMAT_VERSION}"
        )
    return payload


def _is_valid(path: Path) -> bool:
    try:
        _check_bytes(path, path.read_bytes())
    except (OSError, CheckpointError):
        return False
    return True


def latest_checkpoint(path: str | os.PathLike[str]) -> Path | None:
    """The newest valid checkpoint among ``path`` and ``path.prev`` (None when neither is)."""
    path = Path(path)
    for candidate in (path, path.with_name(path.name + ".prev")):
        if candidate.exists() and _is_valid(candidate):
            return candidate
    return None


# ---------------------------------------------------------------------- save / load
def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    stats: Any = None,
    epoch: int = 0,
    step: int = 0,
    extra: dict[str, Any] | None = None,
    keep_previous: bool = True,
) -> Path:
    """Atomically write a checkpoint (rank 0 only under ``torch.distributed``).

    Parameters
    ----------
    path : path-like
        Target file; its folder must exist.
    model : torch.nn.Module
        Network (a DDP wrapper is unwrapped: the state dict does not depend on the wrapper).
    optimizer, scheduler : optional
        Objects with ``state_dict()``.
    stats : LearningStats, optional
        Learning statistics (logs, best values and the current epoch's accumulators).
    epoch, step : int
        Position to resume from (the meaning is the caller's; e.g. the next epoch and the
        number of batches already done in it).
    extra : dict, optional
        Further plain values or tensors.
    keep_previous : bool
        Keep the replaced checkpoint as ``<path>.prev``. Default True.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    # collectives: every rank takes part. The epoch accumulators of the statistics differ per
    # rank in the middle of an epoch, so they are kept per rank like the RNG states.
    rng = _gather(_rng_state())
    stats_states = _gather(_stats_state(stats)) if stats is not None else None
    if distributed.is_main_process():
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"save_checkpoint: folder '{path.parent}' does not exist; create it first"
            )
        payload: dict[str, Any] = {
            "format": _FORMAT_VERSION,
            "model": distributed.unwrap_model(model).state_dict(),
            "epoch": int(epoch),
            "step": int(step),
            "rng": rng,
            "world_size": distributed.get_world_size(),
            "extra": dict(extra or {}),
        }
        if optimizer is not None:
            payload["optimizer"] = optimizer.state_dict()
        if scheduler is not None:
            payload["scheduler"] = scheduler.state_dict()
        if stats_states is not None:
            payload["stats"] = stats_states
        _write_atomic(path, _encode(payload), keep_previous=keep_previous)
    distributed.barrier()
    return path


def _write_atomic(path: Path, blob: bytes, *, keep_previous: bool) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        if keep_previous and path.exists() and _is_valid(path):
            prev = path.with_name(path.name + ".prev")
            link = path.with_name(f".{path.name}.prev-{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            try:
                os.link(path, link)
            except OSError:  # file systems without hard links: copy (still atomic on replace)
                link.write_bytes(path.read_bytes())
            os.replace(link, prev)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: torch.nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    stats: Any = None,
    restore_rng: bool = True,
    map_location: Any = "cpu",
) -> dict[str, Any]:
    """Restore the objects from a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : path-like
        Checkpoint file (see :func:`latest_checkpoint`).
    model, optimizer, scheduler, stats : optional
        Objects to restore in place (a DDP wrapper is unwrapped).
    restore_rng : bool
        Restore the torch, numpy and python RNG states of this rank (rank ``r`` takes the state
        saved by rank ``r``; with a different number of processes, rank 0's). Default True.
        The statistics' epoch accumulators are restored per rank the same way (with a different
        number of processes rank 0 takes their sums, so the epoch totals are kept).
    map_location : Any
        Passed to ``torch.load``.

    Returns
    -------
    dict
        ``{"epoch": int, "step": int, "extra": dict, "world_size": int}``.

    Raises
    ------
    CheckpointError
        Invalid file, or an object was requested that the checkpoint does not hold.
    """
    path = Path(path)
    payload = read_checkpoint(path, map_location=map_location)
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("stats", stats)):
        if obj is not None and name not in payload:
            raise CheckpointError(
                f"checkpoint '{path}' holds no {name} state; save it with "
                f"save_checkpoint(..., {name}=...) or do not pass {name}"
            )
    if model is not None:
        distributed.unwrap_model(model).load_state_dict(payload["model"])
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(payload["scheduler"])
    same_world = payload["world_size"] == distributed.get_world_size()
    if stats is not None:
        _load_stats_state(stats, _own_stats_state(payload["stats"], same_world))
    if restore_rng:
        states = payload["rng"]
        _set_rng_state(states[distributed.get_rank()] if same_world else states[0])
    return {
        "epoch": payload["epoch"],
        "step": payload["step"],
        "extra": payload["extra"],
        "world_size": payload["world_size"],
    }

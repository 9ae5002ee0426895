r"""NaN/Inf guard: stop training at the first block whose output or gradient is not finite.

:class:`NaNGuard` installs forward hooks on the blocks of a network (every
``slayer.block`` block; for networks without slayer blocks, every leaf module) and on their
direct parts (synapse, neuron, delay): a spiking neuron turns a NaN voltage into "no spike", so
the synapse output is where a bad weight shows. In the forward pass the blocks run in order, so
the first hook that sees a NaN or Inf names the block that produced it (and the part).

For the backward pass a tensor hook on each block output checks the gradient
:math:`\partial L / \partial y_b` and a hook on each parameter checks
:math:`\partial L / \partial \theta`. The backward visits the blocks from the loss towards the
input. For a chain of blocks, when :math:`\partial L / \partial y_b` is the first non-finite
gradient, the block whose backward produced it is the one visited just before (block
:math:`b+1`, whose own output gradient was finite), or the loss when no block was visited yet;
a non-finite parameter gradient of a block whose output gradient was finite names that block.

The checks cost one ``isfinite().all()`` reduction per tensor; the guard is meant for
debugging runs and can be switched off (``enabled=False``) or removed (:meth:`NaNGuard.remove`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .distributed import unwrap_model

__all__ = ["NaNGuard", "NonFiniteError"]


class NonFiniteError(FloatingPointError):
    """A block produced a NaN or Inf.

    Attributes
    ----------
    block : str
        Qualified module name of the block (``""`` for the root module).
    kind : str
        ``"output"`` (forward), ``"gradient"`` (the block's backward produced it),
        ``"parameter gradient"`` or ``"loss gradient"`` (``block`` is then ``""``).
    """

    def __init__(self, message: str, *, block: str, kind: str) -> None:
        super().__init__(message)
        self.block = block
        self.kind = kind


def _tensors(value: Any) -> Iterable[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _count(t: torch.Tensor) -> str:
    t = t.detach()
    nan = int(torch.isnan(t).sum())
    inf = int(torch.isinf(t).sum())
    return f"{nan} NaN and {inf} Inf of {t.numel()} values, shape {tuple(t.shape)}"


def _finite(t: torch.Tensor) -> bool:
    if not (t.is_floating_point() or t.is_complex()):
        return True
    return bool(torch.isfinite(t.detach()).all())


class NaNGuard:
    """Raise :class:`NonFiniteError` naming the first block with a non-finite output/gradient.

    Parameters
    ----------
    net : torch.nn.Module
        Network (a DDP wrapper is unwrapped).
    forward : bool
        Check block outputs. Default True.
    backward : bool
        Check the gradients of block outputs and parameters. Default True.
    enabled : bool
        Start enabled. Default True (the attribute can be toggled).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    >>> with NaNGuard(net):
    ...     _ = net(torch.ones(1, 2))
    """

    def __init__(self, net: torch.nn.Module, *, forward: bool = True, backward: bool = True,
                 enabled: bool = True) -> None:
        self.net = unwrap_model(net)
        self.check_forward = bool(forward)
        self.check_backward = bool(backward)
        self.enabled = bool(enabled)
        self._handles: list[Any] = []
        self._last_ok: tuple[str, torch.nn.Module] | None = None
        self.blocks = self._watched()
        for name, module in self.blocks:
            for part_name, part in module.named_children():
                self._handles.append(part.register_forward_hook(
                    self._forward_hook(name, part=part_name, check_grad=False)))
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
            if self.check_backward:
                for p_name, p in module.named_parameters():
                    if p.requires_grad:
                        self._handles.append(p.register_hook(self._param_hook(name, p_name)))

    def _watched(self) -> list[tuple[str, torch.nn.Module]]:
        from ..block.base import AbstractBlock

        named = list(self.net.named_modules())
        blocks = [(n, m) for n, m in named if isinstance(m, AbstractBlock)]
        if blocks:
            # nested blocks (none in slayer today) would double-report: keep the outermost
            names = [n for n, _ in blocks]
            return [(n, m) for n, m in blocks
                    if not any(n != o and n.startswith(o + ".") for o in names if o)]
        return [(n, m) for n, m in named if not any(True for _ in m.children())]

    @staticmethod
    def _label(name: str, module: torch.nn.Module | None = None) -> str:
        kind = f" ({type(module).__module__}.{type(module).__name__})" if module is not None else ""
        return f"'{name or '<root>'}'{kind}"

    def _forward_hook(self, name: str, *, part: str | None = None,
                      check_grad: bool = True) -> Any:
        def hook(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            if not self.enabled:
                return
            self._last_ok = None  # a new forward: the next backward starts at the loss
            outs = list(_tensors(output))
            if self.check_forward:
                for t in outs:
                    if not _finite(t):
                        bad_in = [x for x in _tensors(inputs) if not _finite(x)]
                        note = (" (its input was already not finite: check the data)" if bad_in
                                else " (its input was finite)")
                        where = f"output of its {part} " if part else "output "
                        raise NonFiniteError(
                            f"NaNGuard: non-finite {where}in block "
                            f"{self._label(name, module if part is None else None)}: "
                            f"{_count(t)}{note}; lower the learning rate, clip gradients or "
                            "check this block's parameters",
                            block=name, kind="output",
                        )
            if check_grad and self.check_backward and torch.is_grad_enabled():
                for t in outs:
                    if t.requires_grad and t.is_floating_point():
                        t.register_hook(self._grad_hook(name, module))

        return hook

    def _grad_hook(self, name: str, module: torch.nn.Module) -> Any:
        def hook(grad: torch.Tensor) -> None:
            if not self.enabled:
                return
            if _finite(grad):
                self._last_ok = (name, module)
                return
            if self._last_ok is None:
                raise NonFiniteError(
                    f"NaNGuard: the loss gives a non-finite gradient to the output of block "
                    f"{self._label(name, module)}: {_count(grad)}; check the loss and targets",
                    block="", kind="loss gradient",
                )
            culprit, cmod = self._last_ok
            raise NonFiniteError(
                f"NaNGuard: non-finite gradient produced by the backward of block "
                f"{self._label(culprit, cmod)}: its output gradient is finite, the gradient it "
                f"passes to block {self._label(name)} is not ({_count(grad)})",
                block=culprit, kind="gradient",
            )

        return hook

    def _param_hook(self, name: str, p_name: str) -> Any:
        def hook(grad: torch.Tensor) -> None:
            if self.enabled and not _finite(grad):
                raise NonFiniteError(
                    f"NaNGuard: non-finite gradient of parameter '{p_name}' of block "
                    f"{self._label(name)}: {_count(grad)}",
                    block=name, kind="parameter gradient",
                )

        return hook

    def remove(self) -> None:
        """Remove every hook (the guard cannot be re-enabled afterwards)."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self) -> NaNGuard:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

r"""Abstract blocks: synapse -> neuron -> inter-layer delay -> axonal delay.

A block is one layer of a spiking network. For input spikes :math:`s` (time last) a spiking block
computes

.. math::

    z = W * s, \qquad y = \mathcal{N}(z), \qquad
    y'[t] = y[t - 1] \;(\text{``delay_shift``}), \qquad y''_c[t] = y'_c[t - \lfloor d_c \rfloor]

where :math:`W *` is the synapse (dense, conv, pool, ...), :math:`\mathcal{N}` the neuron of the
block's family, the one-step shift models the axon delay between Loihi cores, and :math:`d_c` the
optional learnable per-channel axonal delay.

A family module (:mod:`.cuba`, :mod:`.alif`, ...) binds each abstract class to its neuron through a
:class:`Family`. Blocks never mutate the ``neuron_params`` dict they are given (lava-dl 0.6 did,
spec §15 #22, #23).

Export: :meth:`AbstractBlock.export_hdf5` finds the exporter registered for
``"<hdf5_namespace>/<hdf5_type>"`` in the ``lava.lib.dl.exporters`` entry-point group, which turns
the block into a :class:`lava.lib.dl.hdf5_spec.Layer` (without touching the live block), and writes
it into the given hdf5 group. Export works before any forward pass when the block's shape is known
from its arguments; otherwise pass ``input_shape``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch

from .. import synapse as _synapse
from ..axon import Delay, delay

__all__ = [
    "DEFAULT_HOOK",
    "AbstractAffine",
    "AbstractAverage",
    "AbstractBlock",
    "AbstractConv",
    "AbstractConvT",
    "AbstractDense",
    "AbstractFlatten",
    "AbstractInput",
    "AbstractKWTA",
    "AbstractPool",
    "AbstractRecurrent",
    "AbstractResidual",
    "AbstractTimeDecimation",
    "AbstractUnpool",
    "Family",
    "step_delay",
]

#: Maximum learnable axonal delay of the spiking blocks (time steps).
MAX_DELAY = 62


class _DefaultHook:
    """Marker default of ``pre_hook_fx``: use the neuron's 8-bit weight quantizer.

    Passing ``pre_hook_fx=None`` explicitly disables weight quantization (as in lava-dl).
    """

    def __repr__(self) -> str:
        return "neuron.quantize_8bit"

    def __reduce__(self):
        return "DEFAULT_HOOK"


DEFAULT_HOOK: Any = _DefaultHook()


@dataclass(frozen=True)
class Family:
    """A neuron family: what the blocks of one family module share.

    Attributes
    ----------
    name : str
        Module name (``'cuba'``, ``'sigma_delta'``, ...).
    neuron_module : module
        The neuron module (``Neuron`` class and ``neuron_params``).
    complex : bool
        The neuron takes a ``(real, imag)`` input and the synapses are complex pairs.
    readout : callable or None
        ``readout(neuron, z) -> trace``: the non-spiking trace used by ``Affine`` (None: the family
        has no Affine block).
    affine_setup : callable or None
        Called once on the neuron of an ``Affine`` block (e.g. to disable the reset).
    extras : dict
        Free-form family options.
    """

    name: str
    neuron_module: ModuleType
    complex: bool = False
    readout: Callable[[torch.nn.Module, Any], torch.Tensor] | None = None
    affine_setup: Callable[[torch.nn.Module], None] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def neuron_class(self) -> type[torch.nn.Module]:
        """The family's ``Neuron`` class."""
        return self.neuron_module.Neuron

    @property
    def synapse(self) -> ModuleType:
        """:mod:`..synapse.layer` or :mod:`..synapse.complex`."""
        return _synapse.complex if self.complex else _synapse.layer


def step_delay(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One-step inter-layer delay: ``out[t] = x[t - 1]``.

    ``out[0]`` is zero, or, when the block's neuron has persistent state, the last step of the
    previous call (kept in ``module.delay_buffer``, dropped when the batch size changes). The
    buffer is concatenated, never written in place, so this works under autograd (lava-dl 0.6 wrote
    in place and failed, spec §15 #18). A block without neuron just shifts (§15 #19).

    Parameters
    ----------
    module : torch.nn.Module
        The block (reads ``module.neuron.persistent_state``).
    x : torch.Tensor
        ``(N, ..., T)``.

    Returns
    -------
    torch.Tensor
        Same shape as ``x``.
    """
    neuron = getattr(module, "neuron", None)
    if neuron is None or not getattr(neuron, "persistent_state", False):
        if x.is_floating_point():
            # zero-filled one-step shift: a pad of a view (no index tensors); same values and
            # gradient as ``axon.delay(x, 1)``
            return torch.nn.functional.pad(x[..., :-1], (1, 0))
        return delay(x, 1)
    buffer = getattr(module, "delay_buffer", None)
    if buffer is None or buffer.shape != x.shape[:-1]:
        buffer = torch.zeros_like(x[..., :1])
    else:
        buffer = buffer.unsqueeze(-1).to(x.dtype)
    out = torch.cat([buffer, x[..., :-1]], dim=-1)
    module.delay_buffer = x[..., -1].detach().clone()
    return out


def _identity_hook(x: torch.Tensor, descale: bool = False) -> torch.Tensor:
    """Hook of a neuron-less input: the identity."""
    return x


def _event_rate(x: torch.Tensor) -> torch.Tensor:
    """Fraction of non-zero entries (spike events) in ``x``."""
    return (x != 0).to(torch.float32).mean()


def _state_snapshot(neuron: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        name: buf.detach().clone()
        for name, buf in neuron.named_buffers()
        if name.rsplit(".", 1)[-1].endswith("_state")
    }


def _restore_states(neuron: torch.nn.Module, snapshot: Mapping[str, torch.Tensor]) -> None:
    for name, value in snapshot.items():
        owner_name, _, attr = name.rpartition(".")
        owner = neuron.get_submodule(owner_name) if owner_name else neuron
        current = getattr(owner, attr)
        setattr(owner, attr, value.clone().to(current.device))


def _shape3(shape: Any, who: str) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        raise ValueError(f"{who}: expected an input neuron shape (C, H, W), got {shape}")
    return shape  # type: ignore[return-value]


class AbstractBlock(torch.nn.Module):
    """Base of every block.

    Attributes
    ----------
    family : Family or None
        Set by the family module's subclasses.
    hdf5_type, hdf5_namespace : str
        Export key ``"<hdf5_namespace>/<hdf5_type>"`` in the ``lava.lib.dl.exporters`` group.
    neuron, synapse, delay : torch.nn.Module or None
        The parts of the block (None when absent).
    count_log : bool
        ``forward`` returns ``(output, event_rate)`` when True.
    input_shape : tuple of int or None
        Input neuron shape (set by the first forward or by the arguments).
    """

    family: Family | None = None
    hdf5_type = ""
    hdf5_namespace = "lava-dl"

    def __init__(self, *, count_log: bool = False) -> None:
        super().__init__()
        self.count_log = bool(count_log)
        self.neuron: torch.nn.Module | None = None
        self.synapse: torch.nn.Module | None = None
        self.delay: torch.nn.Module | None = None
        self.delay_shift = False
        self.input_shape: tuple[int, ...] | None = None

    # ------------------------------------------------------------------ construction helpers
    def _family(self) -> Family:
        if self.family is None:
            raise TypeError(
                f"{type(self).__name__} is abstract: use a family block such as "
                f"slayer.block.cuba.{type(self).__name__.replace('Abstract', '')}"
            )
        return self.family

    def _make_neuron(self, neuron_params: Mapping[str, Any] | None,
                     **overrides: Any) -> torch.nn.Module | None:
        if neuron_params is None:
            return None
        if not isinstance(neuron_params, Mapping):
            raise TypeError(
                f"{type(self).__name__}: neuron_params must be a dict of the neuron's keyword "
                f"arguments, got {type(neuron_params).__name__}"
            )
        params = dict(neuron_params)  # never mutate the caller's dict
        params.update(overrides)
        cls = self._family().neuron_class
        try:
            return cls(**params)
        except TypeError as exc:
            raise TypeError(
                f"{type(self).__name__}: cannot build {cls.__module__}.{cls.__name__} from "
                f"neuron_params {sorted(params)}: {exc}"
            ) from exc

    def _synapse_hook(self, pre_hook_fx: Any) -> Callable[..., torch.Tensor] | None:
        if pre_hook_fx is DEFAULT_HOOK:
            return None if self.neuron is None else self.neuron.quantize_8bit
        return pre_hook_fx

    def _make_delay(self, enabled: bool) -> None:
        self.delay = Delay(max_delay=MAX_DELAY) if enabled else None

    def _record_input(self, x: Any) -> None:
        t = x[0] if isinstance(x, tuple) else x
        shape = tuple(t.shape[1:-1])
        if self.input_shape is None:
            self.input_shape = shape

    def _output(self, x: torch.Tensor, spiking: bool = True) -> Any:
        if self.count_log:
            return x, (_event_rate(x) if spiking else None)
        return x

    def _post(self, x: torch.Tensor) -> torch.Tensor:
        """Inter-layer delay then axonal delay."""
        if (self.delay_shift and type(self.delay) is Delay and x.is_floating_point()
                and not getattr(self.neuron, "persistent_state", False)
                and not self.delay._forward_hooks and not self.delay._forward_pre_hooks):
            return self.delay._delayed(x, 1)  # both shifts in one pass (same values)
        if self.delay_shift:
            x = step_delay(self, x)
        if self.delay is not None:
            x = self.delay(x)
        return x

    # ------------------------------------------------------------------ shapes
    def output_shape(self, input_shape: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
        """Neuron shape of the output for a given input neuron shape (None if unknown)."""
        return None

    @property
    def shape(self) -> tuple[int, ...] | None:
        """Output neuron shape (``neuron.shape``; known before the first forward if possible)."""
        if self.neuron is not None and getattr(self.neuron, "shape", None) is not None:
            return tuple(self.neuron.shape)
        return self.output_shape(self.input_shape)

    # ------------------------------------------------------------------ export
    @property
    def export_key(self) -> str:
        """``"<hdf5_namespace>/<hdf5_type>"``."""
        return f"{self.hdf5_namespace}/{self.hdf5_type}"

    def export_layer(self, *, input_shape: tuple[int, ...] | None = None) -> Any:
        """The block as a :class:`lava.lib.dl.hdf5_spec.Layer` (the live block is not changed).

        Parameters
        ----------
        input_shape : tuple of int, optional
            Input neuron shape, needed before the first forward by blocks whose output shape
            depends on it (conv, pool, flatten, input).
        """
        from .._export import get_exporter

        return get_exporter(self.export_key)(self, input_shape=input_shape)

    def export_hdf5(self, handle: Any, *, input_shape: tuple[int, ...] | None = None) -> None:
        """Write the block into an hdf5 group (``layer/<i>`` of a network file).

        Parameters
        ----------
        handle : h5py.Group
            Empty group to write into.
        input_shape : tuple of int, optional
            See :meth:`export_layer`.
        """
        from .._export import write_layer

        write_layer(self.export_layer(input_shape=input_shape), handle)


# ====================================================================== neuron-less blocks
class AbstractFlatten(AbstractBlock):
    """Flatten ``(N, C, H, W, T)`` to ``(N, C*H*W, T)``.

    Parameters
    ----------
    count_log : bool
        Return ``(output, None)``. Default False.
    """

    hdf5_type = "flatten"

    def __init__(self, count_log: bool = False) -> None:
        super().__init__(count_log=count_log)

    def output_shape(self, input_shape=None):  # noqa: D102
        if input_shape is None:
            return None
        return (math.prod(input_shape), 1, 1)

    def forward(self, x: torch.Tensor) -> Any:
        """``(N, C*H*W, T)``."""
        self._record_input(x)
        return self._output(x.reshape(x.shape[0], -1, x.shape[-1]), spiking=False)


class AbstractAverage(AbstractBlock):
    """Population average ``(N, K*M, ..., T)`` -> ``(N, K, T)``: mean over each group of M.

    Parameters
    ----------
    num_outputs : int
        Number of output groups K.
    count_log : bool
        Return ``(output, None)``. Default False.
    """

    hdf5_type = "average"

    def __init__(self, num_outputs: int, count_log: bool = False) -> None:
        super().__init__(count_log=count_log)
        if int(num_outputs) < 1:
            raise ValueError(f"num_outputs must be a positive int, got {num_outputs!r}")
        self.num_outputs = int(num_outputs)

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.num_outputs, 1, 1)

    def forward(self, x: torch.Tensor) -> Any:
        """``(N, num_outputs, T)``."""
        self._record_input(x)
        n, t = x.shape[0], x.shape[-1]
        return self._output(
            torch.mean(x.reshape(n, self.num_outputs, -1, t), dim=2), spiking=False
        )


class AbstractTimeDecimation(AbstractBlock):
    """Average every ``factor`` consecutive time steps (``T`` zero-padded to a multiple).

    Parameters
    ----------
    factor : int
        Power of two.
    count_log : bool
        Return ``(output, None)``. Default False.
    """

    hdf5_type = "average"

    def __init__(self, factor: int, count_log: bool = False) -> None:
        super().__init__(count_log=count_log)
        factor = int(factor)
        if factor < 1 or factor & (factor - 1):
            raise ValueError(f"TimeDecimation factor must be a power of two, got {factor}")
        self.factor = factor

    def output_shape(self, input_shape=None):  # noqa: D102
        return None if input_shape is None else tuple(input_shape)

    def forward(self, x: torch.Tensor) -> Any:
        """``(N, ..., ceil(T / factor))``."""
        self._record_input(x)
        t = x.shape[-1]
        pad = (-t) % self.factor
        if pad:
            x = torch.nn.functional.pad(x, (0, pad))
        y = x.reshape(*x.shape[:-1], -1, self.factor).mean(dim=-1)
        return self._output(y, spiking=False)


class AbstractResidual(AbstractBlock):
    """Placeholder kept for API compatibility (lava-dl 0.6 left it empty)."""


# ====================================================================== input
class AbstractInput(AbstractBlock):
    """Input block: optional scalar gain and offset, then the neuron (the encoder).

    Parameters
    ----------
    neuron_params : dict or None
        Neuron keyword arguments; None gives a neuron-less pass-through (plus ``delay_shift``).
    weight, bias : float or None
        Learnable scalar gain and offset, applied through the neuron's 8-bit quantizer.
    delay_shift : bool
        Apply the one-step inter-layer delay. Default True.
    count_log : bool
        Return ``(output, event_rate)``. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output of the same shape. The input data itself goes through the
    quantizer too (as in lava-dl).
    """

    hdf5_type = "input"

    def __init__(
        self,
        neuron_params: Mapping[str, Any] | None = None,
        weight: float | None = None,
        bias: float | None = None,
        delay_shift: bool = True,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        self.neuron = self._make_neuron(neuron_params)
        self.pre_hook_fx = (
            self.neuron.quantize_8bit if self.neuron is not None else _identity_hook
        )
        self.weight = None if weight is None else torch.nn.Parameter(
            torch.tensor([float(weight)]), requires_grad=True
        )
        self.bias = None if bias is None else torch.nn.Parameter(
            torch.tensor([float(bias)]), requires_grad=True
        )
        self.delay_shift = bool(delay_shift)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        for name in ("weight", "bias"):
            if getattr(self, name) is None and prefix + name in state_dict:
                setattr(self, name, torch.nn.Parameter(torch.zeros_like(state_dict[prefix + name])))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def output_shape(self, input_shape=None):  # noqa: D102
        return None if input_shape is None else tuple(input_shape)

    def _encode(self, x: Any) -> Any:
        z = self.pre_hook_fx(x)
        if self.weight is not None:
            z = z * self.pre_hook_fx(self.weight)
        if self.bias is not None:
            z = z + self.pre_hook_fx(self.bias)
        return z

    def forward(self, x: Any) -> Any:
        """Encoded spikes ``(N, C, [H, W,] T)``."""
        self._record_input(x)
        if self.neuron is not None:
            if self._family().complex and not isinstance(x, tuple):
                x = (x, torch.zeros_like(x))  # a real input drives the real part
            z = tuple(self._encode(v) for v in x) if isinstance(x, tuple) else self._encode(x)
            x = self.neuron(z)
        if self.delay_shift:
            x = step_delay(self, x)
        return self._output(x)


# ====================================================================== synaptic blocks
class _SynapticBlock(AbstractBlock):
    """A block with synapse and neuron: ``neuron(synapse(x))`` then delays."""

    def _build(self, neuron_params, *, delay: bool, delay_shift: bool, pre_hook_fx: Any,
               neuron_overrides: Mapping[str, Any] | None = None) -> None:
        self.neuron = self._make_neuron(neuron_params, **(neuron_overrides or {}))
        if self.neuron is None:
            raise ValueError(f"{type(self).__name__}: neuron_params are required")
        self._make_delay(bool(delay))
        self.delay_shift = bool(delay_shift)
        self._hook_arg = pre_hook_fx

    def _install_synapse(self, syn: torch.nn.Module) -> None:
        self.synapse = syn
        self.synapse.pre_hook_fx = self._synapse_hook(self._hook_arg)
        del self._hook_arg

    def _init_delay(self, channels: int) -> None:
        """Create the axonal delays and per-channel neuron parameters now.

        Delays are drawn U[0, 1) and per-channel decays in their range, as lava-dl did at the
        first forward; doing it here makes an export before any forward pass complete.
        """
        if self.delay is not None and self.delay.delay is None:
            self.delay.init_delay(int(channels))
        pending = getattr(self.neuron, "_params_pending", None)
        if pending is not None and pending():
            self.neuron._init_channel_params(int(channels))

    def _apply_mask(self) -> None:
        mask = getattr(self, "mask", None)
        if mask is None:
            return
        halves = (self.synapse.real, self.synapse.imag) if self.synapse.complex else (self.synapse,)
        with torch.no_grad():
            for s in halves:
                p = s.weight_v if s.weight_norm_enabled else s.weight
                p.data.mul_(mask.to(p.dtype))

    def forward(self, x: Any) -> Any:
        """Output spikes (time last)."""
        self._record_input(x)
        self._apply_mask()
        z = self.synapse(x)
        y = self.neuron(z)
        return self._output(self._post(y))


def _register_mask(block: AbstractBlock, mask: Any, out_neurons: int, in_neurons: Any) -> None:
    if mask is None:
        block.mask = None
        return
    m = torch.as_tensor(mask, dtype=torch.float32)
    n_in = in_neurons if isinstance(in_neurons, int) else math.prod(in_neurons)
    if m.dim() != 2 or m.shape[0] != out_neurons or m.numel() != out_neurons * n_in:
        raise ValueError(
            f"mask must have shape (out_neurons, in_neurons) = ({out_neurons}, {in_neurons}), "
            f"got {tuple(m.shape)}"
        )
    block.register_buffer("mask", m.reshape(out_neurons, -1, 1, 1, 1) if isinstance(
        in_neurons, int) else m.reshape(block.synapse.weight.shape[:-1] + (1,)))


class AbstractDense(_SynapticBlock):
    """Dense block: ``neuron(W s)`` then delays.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments (not modified).
    in_neurons : int or tuple of int
        Input neurons, or the input shape ``(W, H[, C])``.
    out_neurons : int
        Output neurons.
    weight_scale : float
        Initial weight multiplier. Default 1.
    weight_norm : bool
        Weight normalisation. Default False.
    pre_hook_fx : callable or None
        Weight pre-hook; default the neuron's ``quantize_8bit``; None disables quantization.
    delay : bool
        Learnable axonal delay per output neuron. Default False.
    delay_shift : bool
        One-step inter-layer delay. Default True.
    mask : array-like or None
        ``(out, in)`` connection mask multiplied into the weight before every forward.
    count_log : bool
        Return ``(output, event_rate)``. Default False.

    Notes
    -----
    Input ``(N, in, T)`` (or ``(N, C, H, W, T)``); output ``(N, out, T)``.
    """

    hdf5_type = "dense"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int | tuple[int, ...],
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = True,
        mask: Any = None,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        self._build(neuron_params, delay=delay, delay_shift=delay_shift, pre_hook_fx=pre_hook_fx)
        self._install_synapse(self._family().synapse.Dense(
            in_neurons, out_neurons, weight_scale=weight_scale, weight_norm=weight_norm
        ))
        _register_mask(self, mask, out_neurons, in_neurons)
        self._init_delay(out_neurons)

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.synapse.out_channels,)


class AbstractConv(_SynapticBlock):
    """Convolution block: ``neuron(W * s)`` then delays.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments.
    in_features, out_features : int
        Input and output channels.
    kernel_size, stride, padding, dilation : int or (int, int)
        Geometry, ``(H, W)`` order.
    groups : int
        Channel groups. Default 1.
    weight_scale, weight_norm, pre_hook_fx, delay, delay_shift, count_log
        As :class:`AbstractDense`.

    Notes
    -----
    Input ``(N, in, H, W, T)``; output ``(N, out, H', W', T)``.
    """

    hdf5_type = "conv"
    _synapse_name = "Conv"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = True,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        self._build(neuron_params, delay=delay, delay_shift=delay_shift, pre_hook_fx=pre_hook_fx)
        cls = getattr(self._family().synapse, self._synapse_name)
        self._install_synapse(cls(
            in_features, out_features, kernel_size, stride, padding, dilation, groups,
            weight_scale=weight_scale, weight_norm=weight_norm,
        ))
        self._init_delay(out_features)

    def _geometry(self) -> tuple[Any, ...]:
        s = self.synapse
        return s.kernel_size[:2], s.stride[:2], s.padding[:2], s.dilation[:2]

    def output_shape(self, input_shape=None):  # noqa: D102
        if input_shape is None:
            return None
        _, h, w = _shape3(input_shape, type(self).__name__)
        k, st, p, d = self._geometry()
        size = [(n + 2 * p[i] - d[i] * (k[i] - 1) - 1) // st[i] + 1 for i, n in enumerate((h, w))]
        return (self.synapse.out_channels, *size)


class AbstractConvT(AbstractConv):
    """Transposed convolution block (arguments of :class:`AbstractConv`).

    Notes
    -----
    Output ``(N, out, (H-1)s - 2p + d(k-1) + 1, ..., T)``.
    """

    hdf5_type = "convT"
    _synapse_name = "ConvTranspose"

    def output_shape(self, input_shape=None):  # noqa: D102
        if input_shape is None:
            return None
        _, h, w = _shape3(input_shape, type(self).__name__)
        k, st, p, d = self._geometry()
        size = [(n - 1) * st[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1 for i, n in enumerate((h, w))]
        return (self.synapse.out_channels, *size)


class AbstractPool(_SynapticBlock):
    """Sum-pooling block: ``neuron(pool(s))`` then delays; the neuron never has a norm.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments (``norm`` is ignored for this block; the dict is not changed).
    kernel_size : int or (int, int)
        Window.
    stride : int or (int, int) or None
        Default ``kernel_size``.
    padding, dilation : int or (int, int)
        Per-channel zero padding, dilation.
    weight_scale, weight_norm, pre_hook_fx, delay, delay_shift, count_log
        As :class:`AbstractDense`.

    Notes
    -----
    Input ``(N, C, H, W, T)``; output ``(N, C, H', W', T)`` (ceil mode, see
    :mod:`..synapse.layer`).
    """

    hdf5_type = "pool"
    _synapse_name = "Pool"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = True,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        self._build(neuron_params, delay=delay, delay_shift=delay_shift, pre_hook_fx=pre_hook_fx,
                    neuron_overrides={"norm": None})
        cls = getattr(self._family().synapse, self._synapse_name)
        self._install_synapse(cls(
            kernel_size, stride, padding, dilation, weight_scale=weight_scale,
            weight_norm=weight_norm,
        ))

    def _real_synapse(self) -> torch.nn.Module:
        return self.synapse.real if self.synapse.complex else self.synapse

    def output_shape(self, input_shape=None):  # noqa: D102
        if input_shape is None:
            return None
        c, h, w = _shape3(input_shape, type(self).__name__)
        return (c, *self._real_synapse().output_size(h, w))


class AbstractUnpool(AbstractPool):
    """Unpooling block (arguments of :class:`AbstractPool`)."""

    hdf5_type = "unpool"
    _synapse_name = "Unpool"

    def output_shape(self, input_shape=None):  # noqa: D102
        if input_shape is None:
            return None
        c, h, w = _shape3(input_shape, type(self).__name__)
        s = self._real_synapse()
        k, st, p, d = s.kernel_size[:2], s.stride[:2], s.padding[:2], s.dilation[:2]
        size = [(n - 1) * st[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1 for i, n in enumerate((h, w))]
        return (c, *size)


class AbstractAffine(_SynapticBlock):
    """Non-spiking readout: the neuron's (voltage) trace without spiking or reset.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments.
    in_neurons, out_neurons : int
        Sizes.
    weight_scale, weight_norm, pre_hook_fx, mask, count_log
        As :class:`AbstractDense`.
    dynamics : bool
        True: return the neuron's sub-threshold trace (voltage, or imaginary state); False: return
        the synaptic input itself. Default True.

    Notes
    -----
    Input ``(N, in, T)``; output ``(N, out, T)``. Exported as a dense layer whose neuron never
    fires (``vThMant = 2**18 - 1``), or without neuron when ``dynamics=False``.
    """

    hdf5_type = "dense"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int,
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        dynamics: bool = True,
        mask: Any = None,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        family = self._family()
        if family.readout is None:
            raise NotImplementedError(
                f"the {family.name} family has no Affine block; use a cuba, rf or rf_iz Affine"
            )
        self._build(neuron_params, delay=False, delay_shift=False, pre_hook_fx=pre_hook_fx)
        self.dynamics = bool(dynamics)
        if family.affine_setup is not None:
            family.affine_setup(self.neuron)
        self._install_synapse(family.synapse.Dense(
            in_neurons, out_neurons, weight_scale=weight_scale, weight_norm=weight_norm
        ))
        _register_mask(self, mask, out_neurons, in_neurons)
        self._init_delay(out_neurons)  # per-channel parameters exist before wrapping (DDP)

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.synapse.out_channels,)

    @property
    def shape(self) -> tuple[int, ...]:  # noqa: D102
        return (self.synapse.out_channels,)

    def forward(self, x: Any) -> Any:
        """Readout trace ``(N, out, T)``."""
        self._record_input(x)
        self._apply_mask()
        z = self.synapse(x)
        if self.dynamics:
            y = self._family().readout(self.neuron, z)
        else:
            y = z[1] if isinstance(z, tuple) else z
        return self._output(y, spiking=False)


# ====================================================================== recurrent blocks
def _recurrent_loop(z: torch.Tensor, neuron: torch.nn.Module, weight: torch.Tensor,
                    bias: torch.Tensor | None = None) -> torch.Tensor:
    """``s[t] = neuron(z[t] + R s[t-1] + b)``, neuron called on ``T = 1`` slices."""
    out = []
    s = torch.zeros_like(z[..., 0])
    for t in range(z.shape[-1]):
        d = z[..., t] + torch.matmul(s, weight.t())
        if bias is not None:
            d = d + bias
        s = neuron(d.unsqueeze(-1))[..., 0]
        out.append(s)
    return torch.stack(out, dim=-1)


class _StatefulRecurrence(_SynapticBlock):
    """Recurrent blocks run the neuron step by step with persistent state inside a call.

    The neuron is built with ``persistent_state=True``; unless the caller asked for persistent
    state, it is reset at the start of every forward, so samples do not leak into each other
    (lava-dl 0.6 forced persistence on the caller's dict, spec §15 #23).
    """

    def _build_recurrent(self, neuron_params, **kwargs: Any) -> None:
        self.persistent_state = bool(dict(neuron_params or {}).get("persistent_state", False))
        self._build(neuron_params, neuron_overrides={"persistent_state": True}, **kwargs)
        self._initial_states = _state_snapshot(self.neuron)

    def reset_state(self) -> None:
        """Reset the neuron state (and the delay buffer) to the initial values."""
        _restore_states(self.neuron, self._initial_states)
        self.delay_buffer = None

    def _step_delay_persistent(self) -> bool:
        return self.persistent_state

    def _post(self, x: torch.Tensor) -> torch.Tensor:
        if self.delay_shift:
            if self.persistent_state:
                x = step_delay(self, x)
            else:
                x = delay(x, 1)
        if self.delay is not None:
            x = self.delay(x)
        return x


class AbstractKWTA(_StatefulRecurrence):
    """k-winners-take-all: dense input plus fixed lateral inhibition and self excitation.

    ``s[t] = neuron(W x[t] + R s[t-1] + b)`` with ``R = (1 + a) I - 1`` (``a`` =
    ``self_excitation`` clamped to [0, 1]) and ``b = theta (N - 2K) / N / w_scale``; ``R`` and ``b``
    go through the neuron's 8-bit quantizer.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments.
    in_neurons, out_neurons : int
        Sizes.
    num_winners : int
        K.
    self_excitation : float
        a. Default 0.5.
    weight_scale, weight_norm, pre_hook_fx, delay_shift, count_log
        As :class:`AbstractDense`.
    requires_grad : bool
        Kept for API compatibility (the lateral weights are fixed). Default True.
    """

    hdf5_type = "kwta"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int,
        out_neurons: int,
        num_winners: int,
        self_excitation: float = 0.5,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        delay_shift: bool = True,
        requires_grad: bool = True,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        if not 0 < int(num_winners) <= int(out_neurons):
            raise ValueError(f"num_winners must be in [1, out_neurons], got {num_winners}")
        self._build_recurrent(neuron_params, delay=False, delay_shift=delay_shift,
                              pre_hook_fx=pre_hook_fx)
        self._install_synapse(self._family().synapse.Dense(
            in_neurons, out_neurons, weight_scale=weight_scale, weight_norm=weight_norm
        ))
        self.num_winners = int(num_winners)
        self.self_excitation = float(self_excitation)
        self.requires_grad = requires_grad
        self.bias = None
        self._init_delay(out_neurons)  # per-channel parameters exist before wrapping (DDP)

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.synapse.out_channels,)

    def lateral(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Quantized lateral weight ``R`` ``(out, out)`` and bias ``b`` (float units)."""
        n = self.synapse.out_channels
        a = min(max(self.self_excitation, 0.0), 1.0)
        dev = self.neuron.device
        r = (1 + a) * torch.eye(n, device=dev) - 1
        th = float(self.neuron.threshold) if self.neuron.threshold is not None else 0.0
        b = torch.full((n,), th * (n - 2 * self.num_winners) / n / self.neuron.w_scale,
                       device=dev)
        return self.neuron.quantize_8bit(r), self.neuron.quantize_8bit(b)

    def forward(self, x: torch.Tensor) -> Any:
        """Winner spikes ``(N, out, T)``."""
        self._record_input(x)
        if not self.persistent_state:
            self.reset_state()
        z = self.synapse(x)
        if self.bias is not None:
            z = z + self.bias
        r, b = self.lateral()
        y = _recurrent_loop(z, self.neuron, r, b.reshape(1, -1))
        return self._output(self._post(y))


class AbstractRecurrent(_StatefulRecurrence):
    """Recurrent dense block: ``s[t] = neuron(W x[t] + R s[t-1])``.

    Parameters
    ----------
    neuron_params : dict
        Neuron keyword arguments.
    in_neurons, out_neurons : int
        Sizes.
    weight_scale, weight_norm, pre_hook_fx, delay, delay_shift, count_log
        As :class:`AbstractDense` (``pre_hook_fx`` applies to both synapses).
    requires_grad : bool
        Kept for API compatibility. Default True.

    Notes
    -----
    State-dict keys ``input_synapse.weight`` and ``recurrent_synapse.weight``.
    """

    hdf5_type = "dense_rec"

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int,
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = DEFAULT_HOOK,
        requires_grad: bool = True,
        delay: bool = False,
        delay_shift: bool = True,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        if self._family().complex:
            raise NotImplementedError(
                f"{self._family().name}.Recurrent: recurrent blocks need a real-valued neuron "
                "family (cuba, alif, sigma_delta)"
            )
        self._build_recurrent(neuron_params, delay=delay, delay_shift=delay_shift,
                              pre_hook_fx=pre_hook_fx)
        hook = self._synapse_hook(self._hook_arg)
        del self._hook_arg
        syn = self._family().synapse
        self.input_synapse = syn.Dense(in_neurons, out_neurons, weight_scale=weight_scale,
                                       weight_norm=weight_norm, pre_hook_fx=hook)
        self.recurrent_synapse = syn.Dense(out_neurons, out_neurons, weight_scale=weight_scale,
                                           weight_norm=weight_norm, pre_hook_fx=hook)
        self.requires_grad = requires_grad
        self._init_delay(out_neurons)

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.input_synapse.out_channels,)

    def forward(self, x: torch.Tensor) -> Any:
        """Output spikes ``(N, out, T)``."""
        self._record_input(x)
        if not self.persistent_state:
            self.reset_state()
        z = self.input_synapse(x)
        try:
            from ..utils.recurrent import custom_recurrent
        except ImportError:  # pragma: no cover - utils.recurrent not yet available
            custom_recurrent = None
        if custom_recurrent is not None:
            y = custom_recurrent(z, self.neuron, self.recurrent_synapse)
        else:
            w = self.recurrent_synapse.hooked_weight()
            y = _recurrent_loop(z, self.neuron, w.reshape(w.shape[0], w.shape[1]))
        return self._output(self._post(y))

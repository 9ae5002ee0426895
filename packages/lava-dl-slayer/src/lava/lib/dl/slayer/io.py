r"""Spike events: the :class:`Event` container, binary event files, tensor conversion, plots.

Events
------
An event is ``(x, [y,] c, t[, p])``: a neuron (or pixel) address ``x`` (and row ``y`` for 2-D
sensors), a channel / polarity ``c``, a time ``t`` in **milliseconds**, and optionally a graded
payload ``p``. Dense spike tensors are laid out time last: ``(C, X, T)`` for 1-D events and
``(C, Y, X, T)`` for 2-D events, with ``T = round(t_max / Ts) + 1`` bins of ``Ts`` ms. A binary
event is written into its bin ``round(t / Ts)`` as the value ``1 / Ts`` (a spike is a Dirac of
unit area); a graded event writes its payload.

Binary file formats (5 bytes = 40 bits per event, big endian, times in microseconds in the file)
-----------------------------------------------------------------------------------------------
=================  ========================================================================
format             bit layout (39 is the most significant bit of the first byte)
=================  ========================================================================
1-D ``.bs1``       39-24: x (16 bits), 23: channel c, 22-0: t in us (23 bits, < 8.39 s)
2-D ``.bin/.bs2``  39-32: x (8 bits), 31-24: y (8 bits), 23: polarity c, 22-0: t in us
=================  ========================================================================

The 2-D layout is the N-MNIST / N-Caltech101 ``.bin`` format. ``.npy`` event files hold an
``(N, 3)`` array ``[x, c, t]`` or ``(N, 4)`` array ``[x, y, c, t]`` with ``t`` in units of
``time_unit`` seconds.

Structured event arrays (tonic)
-------------------------------
:func:`event_from_structured` and :func:`structured_to_tensor` read numpy structured arrays with
fields ``x``, ``y`` (optional), ``t`` (microseconds by default) and ``p`` (polarity), as produced
by the tonic library, into an :class:`Event` or a time-last torch tensor ``(P, H, W, T)``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

__all__ = [
    "Event",
    "encode_1d_spikes",
    "encode_2d_spikes",
    "encode_np_spikes",
    "event_from_structured",
    "event_to_structured",
    "read_1d_spikes",
    "read_2d_spikes",
    "read_np_spikes",
    "structured_to_tensor",
    "tensor_to_event",
]

PathLike = str | os.PathLike[str]

_T_BITS = 23
_T_MAX_US = (1 << _T_BITS) - 1
_BINNING_MODES = ("OR", "SUM")


def _as_int_array(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if not np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.int64)
    return array


class Event:
    """A set of 1-D or 2-D spike events.

    Parameters
    ----------
    x_event : array_like
        ``(E,)`` x addresses (neuron index for 1-D events, column for 2-D events); cast to int.
    y_event : array_like or None
        ``(E,)`` row addresses of 2-D events, ``None`` for 1-D events.
    c_event : array_like
        ``(E,)`` channel (polarity) indices; cast to int.
    t_event : array_like
        ``(E,)`` event times in milliseconds (float allowed).
    payload : array_like or None
        ``(E,)`` graded values, ``None`` for binary spikes.
    normalize_channels : bool, keyword-only
        Subtract the smallest channel index so that channels start at 0 (default, as lava-dl
        0.6 always did; e.g. polarities ``{1, 2}`` become ``{0, 1}``). Set ``False`` to keep the
        channel indices as given.

    Attributes
    ----------
    x, y, c, t, p : numpy.ndarray or None
        The event fields (``y`` and ``p`` may be ``None``).
    dim : int
        1 for 1-D events, 2 for 2-D events.
    graded : bool
        Whether the events carry a payload.
    """

    def __init__(
        self,
        x_event: Any,
        y_event: Any,
        c_event: Any,
        t_event: Any,
        payload: Any = None,
        *,
        normalize_channels: bool = True,
    ) -> None:
        self.x = _as_int_array(x_event, "x")
        self.y = None if y_event is None else _as_int_array(y_event, "y")
        self.c = _as_int_array(c_event, "c")
        self.t = np.asarray(t_event).reshape(-1)
        self.p = None if payload is None else np.asarray(payload).reshape(-1)
        lengths = {"x": self.x.size, "c": self.c.size, "t": self.t.size}
        if self.y is not None:
            lengths["y"] = self.y.size
        if self.p is not None:
            lengths["payload"] = self.p.size
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Event: every field needs one value per event, got sizes {lengths}")
        if normalize_channels and self.c.size:
            self.c = self.c - self.c.min()
        self.dim = 1 if self.y is None else 2
        self.graded = self.p is not None

    def __len__(self) -> int:
        return int(self.x.size)

    def __repr__(self) -> str:
        span = f", t in [{self.t.min():g}, {self.t.max():g}] ms" if len(self) else ""
        kind = "graded" if self.graded else "binary"
        return f"Event(dim={self.dim}, {len(self)} {kind} events{span})"

    def _default_dim(self, sampling_time: float) -> tuple[int, ...]:
        if not len(self):
            raise ValueError(
                "Event.to_tensor: there are no events to size the tensor from; pass dim="
                "(C, X, T) or (C, Y, X, T)"
            )
        num_steps = int(np.round(self.t.max() / sampling_time + 1))
        if self.dim == 1:
            return (int(self.c.max()) + 1, int(self.x.max()) + 1, num_steps)
        return (
            int(self.c.max()) + 1,
            int(self.y.max()) + 1,  # type: ignore[union-attr]
            int(self.x.max()) + 1,
            num_steps,
        )

    def to_tensor(self, sampling_time: float = 1, dim: tuple[int, ...] | None = None) -> np.ndarray:
        """Dense spike array of the events.

        Parameters
        ----------
        sampling_time : float
            Bin width ``Ts`` in ms.
        dim : tuple of int or None
            ``(C, X, T)`` for 1-D events or ``(C, Y, X, T)`` for 2-D events. Default: the largest
            index + 1 on each axis and ``round(t_max / Ts) + 1`` bins. Events outside are
            dropped.

        Returns
        -------
        numpy.ndarray
            float32 array of shape ``dim``.
        """
        dim = self._default_dim(sampling_time) if dim is None else tuple(int(d) for d in dim)
        expected = 3 if self.dim == 1 else 4
        if len(dim) != expected:
            raise ValueError(
                f"Event.to_tensor: {self.dim}-D events need dim of length {expected} "
                f"({'(C, X, T)' if self.dim == 1 else '(C, Y, X, T)'}), got {dim}"
            )
        frame_shape = (dim[0], 1, dim[1], dim[2]) if self.dim == 1 else dim
        frame = np.zeros(frame_shape, dtype=np.float32)
        return self.fill_tensor(frame, sampling_time=sampling_time).reshape(dim)

    def fill_tensor(
        self,
        empty_tensor: np.ndarray | torch.Tensor,
        sampling_time: float = 1,
        random_shift: bool = False,
        binning_mode: str = "OR",
        *,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | torch.Tensor:
        """Write the events into a caller-provided array, in place.

        Parameters
        ----------
        empty_tensor : numpy.ndarray or torch.Tensor
            ``(C, H, W, T)`` array (``(C, 1, X, T)`` for 1-D events), usually zeros.
        sampling_time : float
            Bin width ``Ts`` in ms.
        random_shift : bool
            Shift all events by one random whole number of bins ``k``, drawn uniformly (numpy's
            global generator) from the shifts that keep every event inside ``[0, T)``:
            ``-b_min <= k <= T - 1 - b_max`` where ``b_min``, ``b_max`` are the first and last
            event bins. If the events span more than ``T`` bins, ``k`` is drawn between the two
            bounds and the events that fall outside are dropped. (lava-dl 0.6 used an ad-hoc
            offset that could push events out of the tensor.)
        rng : numpy.random.Generator or None, keyword-only
            Generator of the random shift; ``None`` uses numpy's global generator (seeded by
            ``np.random.seed``, as in lava-dl 0.6).
        binning_mode : str
            ``'OR'`` (a bin holding several events keeps one value) or ``'SUM'`` (values of all
            events in a bin are added, duplicates included). Graded events always use ``'SUM'``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``empty_tensor``, filled. Events outside its extent are dropped.
        """
        if binning_mode not in _BINNING_MODES:
            raise ValueError(
                f"fill_tensor: binning_mode must be one of {_BINNING_MODES}, got {binning_mode!r}"
            )
        if empty_tensor.ndim != 4:
            raise ValueError(
                "fill_tensor: expected a (C, H, W, T) tensor ((C, 1, X, T) for 1-D events), got "
                f"shape {tuple(empty_tensor.shape)}"
            )
        c_dim, h_dim, w_dim, t_dim = (int(s) for s in empty_tensor.shape)
        if self.dim == 1 and h_dim != 1:
            raise ValueError(
                "fill_tensor: 1-D events need a (C, 1, X, T) tensor, got "
                f"{tuple(empty_tensor.shape)}"
            )
        if not len(self):
            return empty_tensor
        bins = np.round(self.t / sampling_time).astype(np.int64)
        if random_shift:
            low, high = -int(bins.min()), t_dim - 1 - int(bins.max())
            low, high = min(low, high), max(low, high)
            if rng is None:
                bins = bins + np.random.randint(low, high + 1)  # noqa: NPY002 - np.random.seed
            else:
                bins = bins + int(rng.integers(low, high + 1))
        y = np.zeros_like(self.x) if self.y is None else self.y
        valid = (
            (bins >= 0) & (bins < t_dim)
            & (self.x >= 0) & (self.x < w_dim)
            & (y >= 0) & (y < h_dim)
            & (self.c >= 0) & (self.c < c_dim)
        )  # fmt: skip
        if self.graded:
            values = np.asarray(self.p, dtype=np.float64)[valid]
            binning_mode = "SUM"
        else:
            values = np.full(int(valid.sum()), 1.0 / sampling_time)
        index = (self.c[valid], y[valid], self.x[valid], bins[valid])
        if isinstance(empty_tensor, torch.Tensor):
            t_index = tuple(
                torch.as_tensor(i.astype(np.int64), device=empty_tensor.device) for i in index
            )
            t_values = torch.as_tensor(values, dtype=empty_tensor.dtype, device=empty_tensor.device)
            empty_tensor.index_put_(t_index, t_values, accumulate=binning_mode == "SUM")
        elif binning_mode == "SUM":
            np.add.at(empty_tensor, index, values.astype(empty_tensor.dtype))
        else:
            empty_tensor[index] = values
        return empty_tensor

    def show(
        self,
        fig: Any = None,
        frame_rate: float = 24,
        pre_compute_frames: bool = True,
        repeat: bool = False,
        plot: bool = True,
    ) -> Any:
        """Animate the events and show the animation (``matplotlib.pyplot.show``).

        Parameters are those of :meth:`anim`; ``plot=False`` builds the animation without showing
        it. Returns the ``FuncAnimation``.
        """
        import matplotlib.pyplot as plt

        animation = self.anim(
            fig=fig, frame_rate=frame_rate, pre_compute_frames=pre_compute_frames, repeat=repeat
        )
        if plot:
            plt.show()
        return animation

    def anim(
        self,
        fig: Any = None,
        frame_rate: float = 24,
        pre_compute_frames: bool = True,
        repeat: bool = True,
    ) -> Any:
        """Build a matplotlib animation of the events.

        1-D events: a raster (time in ms vs neuron) with a moving scan line; graded events are
        drawn with marker size and opacity following the payload. 2-D events: frames of
        ``1000 / frame_rate`` ms, channel 0 in blue, 1 in red, 2 in green.

        Parameters
        ----------
        fig : matplotlib.figure.Figure or None
            Figure to draw in (a new one by default).
        frame_rate : float
            Frames per second; one frame covers ``1000 / frame_rate`` ms of events.
        pre_compute_frames : bool
            Bin every 2-D frame before animating (faster playback); otherwise each frame is
            binned when drawn.
        repeat : bool
            Loop the animation.

        Returns
        -------
        matplotlib.animation.FuncAnimation
            The animation; its figure is closed so that notebooks do not draw it twice.
        """
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        if not len(self):
            raise ValueError("Event.anim: there are no events to draw")
        if fig is None:
            fig = plt.figure()
        frame_ms = 1000.0 / frame_rate
        num_frames = max(int(np.ceil((self.t.max() + 1) / frame_ms)), 1)
        ax = fig.add_subplot()
        if self.dim == 1:
            if self.graded:
                size = 20 * np.abs(self.p) / max(np.abs(self.p).max(), 1e-12)
                ax.scatter(self.t, self.x, s=size, alpha=0.6, c="k")
            else:
                ax.plot(self.t, self.x, ".k", markersize=2)
            ax.set_xlabel("time [ms]")
            ax.set_ylabel("neuron")
            line = ax.axvline(0, color="r")

            def update(i: int) -> Any:
                line.set_xdata([i * frame_ms, i * frame_ms])
                return (line,)

        else:
            shape = (
                max(int(self.c.max()) + 1, 1),
                int(self.y.max()) + 1,  # type: ignore[union-attr]
                int(self.x.max()) + 1,
                num_frames,
            )
            colors = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=np.float32)

            def frame_image(frames: np.ndarray) -> np.ndarray:
                image = np.zeros((*frames.shape[1:3], 3), dtype=np.float32)
                for c in range(min(frames.shape[0], 3)):
                    image += (frames[c] > 0)[..., None] * colors[c]
                return np.clip(image, 0, 1)

            if pre_compute_frames:
                frames = self.to_tensor(sampling_time=frame_ms, dim=shape)

                def get(i: int) -> np.ndarray:
                    return frame_image(frames[..., i])

            else:

                def get(i: int) -> np.ndarray:
                    sel = (self.t >= i * frame_ms) & (self.t < (i + 1) * frame_ms)
                    sub = Event(self.x[sel], self.y[sel], self.c[sel], self.t[sel] * 0,
                                normalize_channels=False)  # fmt: skip
                    return frame_image(sub.to_tensor(dim=(*shape[:3], 1))[..., 0])

            artist = ax.imshow(get(0))
            ax.set_axis_off()

            def update(i: int) -> Any:
                artist.set_data(get(i))
                return (artist,)

        animation = FuncAnimation(
            fig, update, frames=num_frames, interval=frame_ms, repeat=repeat, blit=True
        )
        plt.close(fig)
        return animation


def tensor_to_event(spike_tensor: np.ndarray | torch.Tensor, sampling_time: float = 1) -> Event:
    """Events of a dense spike tensor.

    Parameters
    ----------
    spike_tensor : numpy.ndarray or torch.Tensor
        ``(C, X, T)`` (1-D events) or ``(C, Y, X, T)`` (2-D events).
    sampling_time : float
        Bin width ``Ts`` in ms.

    Returns
    -------
    Event
        One event per non-zero element, ``t = bin * Ts`` ms. The payload ``value * Ts`` is kept
        only when some value differs from a unit spike (``sum |value*Ts - 1| >= 1e-6``). Channel
        indices are kept as they are (no renormalisation), so converting back gives the same
        tensor.
    """
    if isinstance(spike_tensor, torch.Tensor):
        array = spike_tensor.detach().cpu().numpy()
    else:
        array = np.asarray(spike_tensor)
    if array.ndim == 3:
        c, x, t = np.nonzero(array)
        y = None
    elif array.ndim == 4:
        c, y, x, t = np.nonzero(array)
    else:
        raise ValueError(
            "tensor_to_event: expected a (C, X, T) or (C, Y, X, T) spike tensor, got shape "
            f"{array.shape}"
        )
    payload = array[np.nonzero(array)] * sampling_time
    if np.abs(payload - 1).sum() < 1e-6:
        payload = None
    return Event(x, y, c, t * sampling_time, payload, normalize_channels=False)


def _read_bytes(filename: PathLike, who: str) -> np.ndarray:
    data = np.fromfile(os.fspath(filename), dtype=np.uint8)
    if data.size % 5:
        raise ValueError(
            f"{who}: {os.fspath(filename)!r} has {data.size} bytes, not a multiple of the 5-byte "
            f"event size; the file is truncated or not in this format"
        )
    return data.reshape(-1, 5).astype(np.uint64)


def _pack(words: np.ndarray) -> bytes:
    out = np.empty((words.size, 5), dtype=np.uint8)
    for i in range(5):
        out[:, i] = (words >> np.uint64(8 * (4 - i))) & np.uint64(0xFF)
    return out.tobytes()


def _times_us(event: Event, who: str) -> np.ndarray:
    t_us = np.round(np.asarray(event.t, dtype=np.float64) * 1000).astype(np.int64)
    if t_us.size and (t_us.min() < 0 or t_us.max() > _T_MAX_US):
        raise ValueError(
            f"{who}: event times must be in [0, {_T_MAX_US / 1000:g}] ms to fit the 23-bit "
            f"microsecond field, got [{event.t.min():g}, {event.t.max():g}] ms; shift or split "
            f"the recording"
        )
    return t_us


def _check_range(values: np.ndarray, bits: int, name: str, who: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= (1 << bits)):
        raise ValueError(
            f"{who}: {name} must be in [0, {(1 << bits) - 1}] ({bits} bits), got "
            f"[{values.min()}, {values.max()}]"
        )


def read_1d_spikes(filename: PathLike, *, normalize_channels: bool = True) -> Event:
    """Read a 1-D binary event file (``.bs1``).

    Parameters
    ----------
    filename : str or path
        The file.
    normalize_channels : bool, keyword-only
        Renumber channels from 0 (see :class:`Event`); ``False`` keeps the file's bit 23.

    Returns
    -------
    Event
        1-D events, times in ms.
    """
    raw = _read_bytes(filename, "read_1d_spikes")
    x = (raw[:, 0] << np.uint64(8)) | raw[:, 1]
    c = raw[:, 2] >> np.uint64(7)
    t = ((raw[:, 2] & np.uint64(0x7F)) << np.uint64(16)) | (raw[:, 3] << np.uint64(8)) | raw[:, 4]
    return Event(
        x.astype(np.int64),
        None,
        c.astype(np.int64),
        t.astype(np.float64) / 1000,
        normalize_channels=normalize_channels,
    )


def encode_1d_spikes(filename: PathLike, td_event: Event) -> None:
    """Write 1-D events as a ``.bs1`` file (x < 65536, c in {0, 1}, t < 8388.6 ms).

    Unlike lava-dl 0.6, neuron addresses >= 256 are written correctly.
    """
    if td_event.dim != 1:
        raise ValueError(
            "encode_1d_spikes: expected 1-D events (y_event=None); use encode_2d_spikes for 2-D"
        )
    _check_range(td_event.x, 16, "x", "encode_1d_spikes")
    _check_range(td_event.c, 1, "c (channel)", "encode_1d_spikes")
    t_us = _times_us(td_event, "encode_1d_spikes").astype(np.uint64)
    words = (
        (td_event.x.astype(np.uint64) << np.uint64(24))
        | (td_event.c.astype(np.uint64) << np.uint64(23))
        | t_us
    )
    with open(os.fspath(filename), "wb") as f:
        f.write(_pack(words))


def read_2d_spikes(filename: PathLike, *, normalize_channels: bool = True) -> Event:
    """Read a 2-D binary event file (N-MNIST ``.bin`` / ``.bs2``).

    Parameters
    ----------
    filename : str or path
        The file.
    normalize_channels : bool, keyword-only
        Renumber polarities from 0 (see :class:`Event`); ``False`` keeps the file's bit 23.

    Returns
    -------
    Event
        2-D events, times in ms.
    """
    raw = _read_bytes(filename, "read_2d_spikes")
    x = raw[:, 0]
    y = raw[:, 1]
    c = raw[:, 2] >> np.uint64(7)
    t = ((raw[:, 2] & np.uint64(0x7F)) << np.uint64(16)) | (raw[:, 3] << np.uint64(8)) | raw[:, 4]
    return Event(
        x.astype(np.int64),
        y.astype(np.int64),
        c.astype(np.int64),
        t.astype(np.float64) / 1000,
        normalize_channels=normalize_channels,
    )


def encode_2d_spikes(filename: PathLike, td_event: Event) -> None:
    """Write 2-D events as an N-MNIST style ``.bin`` file (x, y < 256, c in {0, 1})."""
    if td_event.dim != 2:
        raise ValueError("encode_2d_spikes: expected 2-D events; use encode_1d_spikes for 1-D")
    _check_range(td_event.x, 8, "x", "encode_2d_spikes")
    _check_range(td_event.y, 8, "y", "encode_2d_spikes")  # type: ignore[arg-type]
    _check_range(td_event.c, 1, "c (polarity)", "encode_2d_spikes")
    t_us = _times_us(td_event, "encode_2d_spikes").astype(np.uint64)
    words = (
        (td_event.x.astype(np.uint64) << np.uint64(32))
        | (td_event.y.astype(np.uint64) << np.uint64(24))  # type: ignore[union-attr]
        | (td_event.c.astype(np.uint64) << np.uint64(23))
        | t_us
    )
    with open(os.fspath(filename), "wb") as f:
        f.write(_pack(words))


def _check_fmt(fmt: str, who: str) -> None:
    if fmt != "xypt":
        raise ValueError(f"{who}: only fmt='xypt' is supported, got {fmt!r}")


def read_np_spikes(filename: PathLike, fmt: str = "xypt", time_unit: float = 1e-3) -> Event:
    """Read events from a ``.npy`` file.

    Parameters
    ----------
    filename : str or path
        ``.npy`` file holding an ``(N, 3)`` array ``[x, c, t]`` (1-D) or ``(N, 4)`` array
        ``[x, y, c, t]`` (2-D).
    fmt : str
        Column order; only ``'xypt'``.
    time_unit : float
        Unit of ``t`` in the file, in seconds (``1e-3``: ms, ``1e-6``: us).

    Returns
    -------
    Event
        Events with times in ms.
    """
    _check_fmt(fmt, "read_np_spikes")
    array = np.load(os.fspath(filename), allow_pickle=False)
    if array.ndim != 2 or array.shape[1] not in (3, 4):
        raise ValueError(
            f"read_np_spikes: expected an (N, 3) [x, c, t] or (N, 4) [x, y, c, t] array, got "
            f"shape {array.shape}"
        )
    t_ms = array[:, -1] * time_unit * 1e3
    if array.shape[1] == 3:
        return Event(array[:, 0], None, array[:, 1], t_ms)
    return Event(array[:, 0], array[:, 1], array[:, 2], t_ms)


def encode_np_spikes(
    filename: PathLike, td_event: Event, fmt: str = "xypt", time_unit: float = 1e-3
) -> None:
    """Write events as a ``.npy`` file (see :func:`read_np_spikes`).

    The times are written in units of ``time_unit`` seconds (lava-dl 0.6 ignored ``time_unit``
    and always wrote ms).
    """
    _check_fmt(fmt, "encode_np_spikes")
    t = np.asarray(td_event.t, dtype=np.float64) / (time_unit * 1e3)
    if td_event.dim == 1:
        array = np.stack([td_event.x, td_event.c, t], axis=1)
    else:
        array = np.stack([td_event.x, td_event.y, td_event.c, t], axis=1)
    np.save(os.fspath(filename), array)


def _structured_field(events: np.ndarray, name: str, who: str) -> np.ndarray:
    names = events.dtype.names or ()
    if name not in names:
        raise ValueError(
            f"{who}: the structured event array needs a {name!r} field; it has {names}. "
            "Expected tonic-style fields x, [y,] t, p"
        )
    return np.asarray(events[name])


def _polarity_channels(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p)
    if p.dtype == np.bool_:
        return p.astype(np.int64)
    if p.size and p.min() < 0:  # {-1, +1} polarity -> {0, 1}
        return (p > 0).astype(np.int64)
    return p.astype(np.int64)


def event_from_structured(events: np.ndarray, *, time_unit: float = 1e-6) -> Event:
    """Event of a tonic-style structured array.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with fields ``x``, ``t``, ``p`` and, for 2-D sensors, ``y``.
        Polarities may be bool, ``{0, 1}`` or ``{-1, 1}`` (mapped to channels 0 and 1).
    time_unit : float, keyword-only
        Unit of ``t`` in seconds (tonic uses microseconds, ``1e-6``).

    Returns
    -------
    Event
        Events with times in ms; channels are the polarities (not renormalised).
    """
    who = "event_from_structured"
    if not isinstance(events, np.ndarray) or events.dtype.names is None:
        raise TypeError(f"{who}: expected a numpy structured array with fields x, [y,] t, p")
    x = _structured_field(events, "x", who)
    t = _structured_field(events, "t", who).astype(np.float64) * time_unit * 1e3
    p = _polarity_channels(_structured_field(events, "p", who))
    y = _structured_field(events, "y", who) if "y" in events.dtype.names else None
    return Event(x, y, p, t, normalize_channels=False)


def event_to_structured(event: Event, *, time_unit: float = 1e-6) -> np.ndarray:
    """Tonic-style structured array of an :class:`Event` (inverse of
    :func:`event_from_structured`; times rounded to whole ``time_unit``).

    Returns
    -------
    numpy.ndarray
        Structured array with int64 fields ``x``, [``y``,] ``t``, ``p``.
    """
    fields = [("x", np.int64)] + ([("y", np.int64)] if event.dim == 2 else [])
    fields += [("t", np.int64), ("p", np.int64)]
    out = np.zeros(len(event), dtype=fields)
    out["x"] = event.x
    if event.dim == 2:
        out["y"] = event.y
    out["t"] = np.round(np.asarray(event.t, dtype=np.float64) / (time_unit * 1e3))
    out["p"] = event.c
    return out


def structured_to_tensor(
    events: np.ndarray,
    *,
    sensor_size: tuple[int, ...] | None = None,
    sampling_time: float = 1.0,
    num_steps: int | None = None,
    time_unit: float = 1e-6,
    binning_mode: str = "OR",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Time-last spike tensor of a tonic-style structured event array.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with fields ``x``, [``y``,] ``t``, ``p`` (see
        :func:`event_from_structured`).
    sensor_size : tuple of int or None, keyword-only
        tonic order ``(W, H, P)`` (``(X, P)`` or ``(X, 1, P)`` for 1-D events). Default: the
        largest address + 1 on each axis.
    sampling_time : float, keyword-only
        Bin width in ms.
    num_steps : int or None, keyword-only
        Number of time bins ``T``; default ``round(t_max / Ts) + 1``. Later events are dropped.
    time_unit : float, keyword-only
        Unit of ``t`` in seconds (tonic: ``1e-6``).
    binning_mode : str, keyword-only
        ``'OR'`` or ``'SUM'`` (see :meth:`Event.fill_tensor`).
    dtype : torch.dtype, keyword-only
        Output dtype.

    Returns
    -------
    torch.Tensor
        ``(P, H, W, T)`` for 2-D events, ``(P, X, T)`` for 1-D events; a spike in bin ``k`` has
        value ``1 / Ts``.
    """
    event = event_from_structured(events, time_unit=time_unit)
    if sensor_size is None:
        width = int(event.x.max()) + 1 if len(event) else 1
        height = int(event.y.max()) + 1 if event.dim == 2 and len(event) else 1
        polarities = int(event.c.max()) + 1 if len(event) else 1
    else:
        size = tuple(int(s) for s in sensor_size)
        if len(size) == 2:
            size = (size[0], 1, size[1])
        if len(size) != 3:
            raise ValueError(
                f"structured_to_tensor: sensor_size must be (W, H, P) (tonic order), got "
                f"{sensor_size}"
            )
        width, height, polarities = size
    if num_steps is None:
        num_steps = int(np.round(event.t.max() / sampling_time)) + 1 if len(event) else 1
    tensor = torch.zeros((polarities, height, width, int(num_steps)), dtype=dtype)
    event.fill_tensor(tensor, sampling_time=sampling_time, binning_mode=binning_mode)
    if event.dim == 1:
        return tensor.reshape(polarities, width, int(num_steps))
    return tensor

r"""CUDA backend: CuPy ``RawModule`` kernels compiled at run time by NVRTC (private).

This is the **only** module of lava-dl-core that imports CuPy, and it does so lazily, inside
functions: importing it (or ``lava.lib.dl.core``) never needs a GPU, and a missing or broken
CuPy is reported with its real error and the extra to install (``lava-dl-core[cuda12]`` or
``lava-dl-core[cuda13]``). No nvcc, ninja or C++ toolchain is needed: the kernel source
(``cuda/core_kernels.cu``, shipped as package data) is compiled by NVRTC on first use, once per
device and floating-point type, and CuPy caches the binary on disk.

Execution model
---------------
One CUDA thread owns one neuron (a row of the ``(M, T)`` traces) and loops sequentially over
time, exactly like the reference recurrences. Kernels are launched on PyTorch's current CUDA
stream of the tensors' device (through :class:`cupy.cuda.ExternalStream`), so they are ordered
with the surrounding PyTorch work without extra synchronisation; tensors are shared with CuPy
zero-copy through DLPack.

Numerics
--------
Fixed-point states are 64-bit integers (lava-dl's CUDA kernels used 32-bit ones, which overflow
above 2**31); the conversions follow the interface contract (a truncating cast, a
round-to-nearest conversion, an IEEE division). The source is compiled with ``--fmad=false``, so
the backward recurrences round every product and sum separately, like the reference: results
equal the reference bit for bit in both the fixed-point and the float paths.
"""

from __future__ import annotations

import threading
from importlib import resources

import numpy as np
import torch

__all__ = [
    "NAME",
    "INSTALL_HINT",
    "is_available",
    "supports_device",
    "kernel_source",
    "leaky_integrator_fwd",
    "leaky_integrator_bwd",
    "resonator_fwd",
    "resonator_bwd",
    "adaptive_threshold_fwd",
    "adaptive_phase_th_fwd",
    "adaptive_resonator_fwd",
    "delta_encoder_fwd",
]

NAME = "cupy"

#: How to get a working CuPy, quoted in every error of this backend.
INSTALL_HINT = (
    "install the CuPy extra matching your CUDA toolkit: pip install 'lava-dl-core[cuda12]' "
    "(CUDA 12.x) or 'lava-dl-core[cuda13]' (CUDA 13.x)"
)

#: NVRTC options: no contraction into fused multiply-adds (bit parity with the reference).
_NVRTC_OPTIONS = ("--fmad=false", "--std=c++14")
_SCALAR = {torch.float32: "float", torch.float64: "double"}
_NP_SCALAR = {torch.float32: np.float32, torch.float64: np.float64}
_THREADS = 128

_lock = threading.Lock()
_modules: dict[tuple[int, str], object] = {}  # (device index, C scalar type) -> RawModule
_functions: dict[tuple[int, str, str], object] = {}  # (device, scalar, kernel name) -> Function
_source: str | None = None


class CupyBackendError(RuntimeError):
    """CuPy is missing or broken, or a kernel failed to compile or launch."""


def _import_cupy():
    """Import CuPy, re-raising its real error with the install hint."""
    try:
        import cupy
    except Exception as exc:
        raise CupyBackendError(
            f"the 'cupy' core backend needs CuPy, which failed to import "
            f"({type(exc).__name__}: {exc}); {INSTALL_HINT}"
        ) from exc
    return cupy


def is_available() -> tuple[bool, str]:
    """Usable when CuPy imports and sees a CUDA device, and PyTorch sees CUDA too.

    Returns
    -------
    tuple of (bool, str)
        ``(True, "")``, else ``(False, reason)`` with the real error and the fix.
    """
    try:
        cupy = _import_cupy()
    except CupyBackendError as exc:
        return False, str(exc)
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, (
            f"CuPy imported but cannot use CUDA ({type(exc).__name__}: {exc}); check the NVIDIA "
            f"driver, or {INSTALL_HINT}"
        )
    if count < 1:
        return False, "CuPy found no CUDA device"
    if not torch.cuda.is_available():
        return False, (
            "CuPy sees a CUDA device but this PyTorch build has no CUDA support; install a CUDA "
            "build of torch to pass CUDA tensors"
        )
    return True, ""


def supports_device(device: torch.device) -> bool:
    """The CuPy backend processes CUDA tensors only."""
    return torch.device(device).type == "cuda"


def kernel_source() -> str:
    """The CUDA C++ source of every kernel (``cuda/core_kernels.cu``)."""
    global _source
    if _source is None:
        ref = resources.files(__package__).joinpath("cuda", "core_kernels.cu")
        _source = ref.read_text(encoding="utf-8")
    return _source


def _module(cupy, device: torch.device, dtype: torch.dtype):
    """The compiled RawModule for ``device`` and ``dtype`` (compiled by NVRTC on first use)."""
    key = (device.index, _SCALAR[dtype])
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            options = (*_NVRTC_OPTIONS, f"-DSCALAR={_SCALAR[dtype]}")
            try:
                with cupy.cuda.Device(device.index):
                    mod = cupy.RawModule(code=kernel_source(), options=options)
                    mod.compile()
            except Exception as exc:
                raise CupyBackendError(
                    f"NVRTC failed to compile the lava-dl-core CUDA kernels for "
                    f"{_SCALAR[dtype]} on {device} ({type(exc).__name__}: {exc}); check that "
                    f"the CuPy build matches the CUDA driver, or {INSTALL_HINT}"
                ) from exc
            _modules[key] = mod
    return mod


# ---------------------------------------------------------------------- argument handling
def _device_of(x: torch.Tensor) -> torch.device:
    if x.device.type != "cuda":
        raise ValueError(
            f"the cupy backend processes CUDA tensors only, got a tensor on {x.device}; use "
            "backend='numba' or 'reference' for CPU tensors"
        )
    return x.device


def _traces(*xs: torch.Tensor) -> list[torch.Tensor]:
    first = xs[0]
    if first.dtype not in _SCALAR:
        raise TypeError(f"core primitives take float32 or float64 traces, got {first.dtype}")
    dev = _device_of(first)
    out = []
    for x in xs:
        if x.dim() != 2 or x.dtype != first.dtype or x.shape != first.shape:
            raise ValueError(
                "core primitives take (M, T) traces of one dtype and shape, got "
                f"{tuple(x.shape)} {x.dtype} vs {tuple(first.shape)} {first.dtype}"
            )
        if x.device != dev:
            raise ValueError(f"all traces must be on one device, got {x.device} and {dev}")
        out.append(x.detach().contiguous())
    return out


def _per_neuron(p: torch.Tensor, m: int, dtype: torch.dtype, dev: torch.device, what: str):
    if p.dim() != 1 or p.shape[0] != m:
        raise ValueError(
            f"{what} must have shape ({m},) (one value per neuron), got {tuple(p.shape)}"
        )
    if p.dtype != dtype:
        raise TypeError(f"{what} must have dtype {dtype}, got {p.dtype}")
    if p.device != dev:
        raise ValueError(f"{what} is on {p.device}, the traces on {dev}")
    return p.detach().contiguous()


def _external_stream(cupy, stream: torch.cuda.Stream):
    """A CuPy view of PyTorch's CUDA ``stream`` (usable as a context manager)."""
    from_external = getattr(cupy.cuda.Stream, "from_external", None)
    if from_external is not None and hasattr(stream, "__cuda_stream__"):
        return from_external(stream)  # CuPy >= 14: the CUDA stream protocol
    return cupy.cuda.ExternalStream(stream.cuda_stream, stream.device_index)


def _launch(name: str, like: torch.Tensor, args: list, m: int, t: int) -> None:
    """Launch kernel ``name`` with one thread per neuron on torch's current stream."""
    if m == 0 or t == 0:
        return  # nothing to compute; outputs are empty
    cupy = _import_cupy()
    dev = like.device
    fkey = (dev.index, _SCALAR[like.dtype], name)
    kern = _functions.get(fkey)
    if kern is None:  # compile errors carry their own message (CupyBackendError)
        kern = _module(cupy, dev, like.dtype).get_function(name)
        _functions[fkey] = kern
    blocks = (m + _THREADS - 1) // _THREADS
    stream = torch.cuda.current_stream(dev)
    try:
        with cupy.cuda.Device(dev.index), _external_stream(cupy, stream):
            # DLPack exchange on the same stream: zero-copy, no synchronisation
            conv = [cupy.from_dlpack(a) if isinstance(a, torch.Tensor) else a for a in args]
            kern((blocks,), (_THREADS,), (*conv, np.int64(m), np.int64(t)))
    except Exception as exc:
        raise CupyBackendError(
            f"launching CUDA kernel {name} on {dev} failed ({type(exc).__name__}: {exc})"
        ) from exc


def _empty(like: torch.Tensor, n: int = 1) -> list[torch.Tensor]:
    return [torch.empty_like(like, memory_format=torch.contiguous_format) for _ in range(n)]


def _scale(s_scale: int, dtype: torch.dtype) -> tuple:
    """Kernel arguments ``(S, 1/S, S is a power of two)`` (the product replaces the division
    when it is exact)."""
    s = int(s_scale)
    if s <= 0:
        raise ValueError(f"s_scale must be a positive integer, got {s_scale!r}")
    pow2 = s & (s - 1) == 0
    t = _NP_SCALAR[dtype]
    return (t(s), t(1.0 / s if pow2 else 0.0), np.int32(pow2))


def _ints(m: int, dev: torch.device, **params: torch.Tensor) -> list[torch.Tensor]:
    return [_per_neuron(p, m, torch.int64, dev, name) for name, p in params.items()]


# ---------------------------------------------------------------------- primitives
def leaky_integrator_fwd(x, decay, state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.leaky_integrator_fwd`."""
    (xc,) = _traces(x)
    m, t = xc.shape
    dev = xc.device
    dc, sc = _ints(m, dev, decay=decay, state=state)
    has_th = threshold is not None
    thc = _ints(m, dev, threshold=threshold)[0] if has_th else dc
    (y,) = _empty(xc)
    s = _scale(s_scale, xc.dtype)
    _launch("li_fwd", xc, [xc, dc, sc, thc, np.int32(has_th), *s, y], m, t)
    return y


def leaky_integrator_bwd(grad_y, gain, keep):
    """See :meth:`._interface.CoreBackend.leaky_integrator_bwd`."""
    has_keep = keep is not None
    if has_keep:
        gy, kp = _traces(grad_y, keep)
    else:
        (gy,) = _traces(grad_y)
        kp = gy  # never read
    m, t = gy.shape
    gn = _per_neuron(gain, m, gy.dtype, gy.device, "gain")
    (gx,) = _empty(gy)
    _launch("li_bwd", gy, [gy, gn, kp, np.int32(has_keep), gx], m, t)
    return gx


def resonator_fwd(x_re, x_im, sin_decay, cos_decay, re_state, im_state, threshold, *, s_scale):
    """See :meth:`._interface.CoreBackend.resonator_fwd`."""
    xr, xi = _traces(x_re, x_im)
    m, t = xr.shape
    dev = xr.device
    sd, cd, rs, is_ = _ints(
        m, dev, sin_decay=sin_decay, cos_decay=cos_decay, re_state=re_state, im_state=im_state
    )
    has_th = threshold is not None
    thc = _ints(m, dev, threshold=threshold)[0] if has_th else sd
    re, im = _empty(xr, 2)
    s = _scale(s_scale, xr.dtype)
    _launch("res_fwd", xr, [xr, xi, sd, cd, rs, is_, thc, np.int32(has_th), *s, re, im], m, t)
    return re, im


def resonator_bwd(grad_re, grad_im, sin_gain, cos_gain, keep):
    """See :meth:`._interface.CoreBackend.resonator_bwd`."""
    has_keep = keep is not None
    if has_keep:
        gr, gi, kp = _traces(grad_re, grad_im, keep)
    else:
        gr, gi = _traces(grad_re, grad_im)
        kp = gr  # never read
    m, t = gr.shape
    sg = _per_neuron(sin_gain, m, gr.dtype, gr.device, "sin_gain")
    cg = _per_neuron(cos_gain, m, gr.dtype, gr.device, "cos_gain")
    gx_re, gx_im = _empty(gr, 2)
    _launch("res_bwd", gr, [gr, gi, sg, cg, kp, np.int32(has_keep), gx_re, gx_im], m, t)
    return gx_re, gx_im


def adaptive_threshold_fwd(v, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale):
    """See :meth:`._interface.CoreBackend.adaptive_threshold_fwd`."""
    (vc,) = _traces(v)
    m, t = vc.shape
    ints = _ints(
        m,
        vc.device,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        ref_state=ref_state,
        th_state=th_state,
    )
    th, ref = _empty(vc, 2)
    s = _scale(s_scale, vc.dtype)
    _launch("ath_fwd", vc, [vc, *ints, *s, th, ref], m, t)
    return th, ref


def adaptive_phase_th_fwd(
    re, im, im_state, ref_decay, th_decay, th0, th_step, ref_state, th_state, *, s_scale
):
    """See :meth:`._interface.CoreBackend.adaptive_phase_th_fwd`."""
    rc, ic = _traces(re, im)
    m, t = rc.shape
    ints = _ints(
        m,
        rc.device,
        im_state=im_state,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        ref_state=ref_state,
        th_state=th_state,
    )
    th, ref = _empty(rc, 2)
    s = _scale(s_scale, rc.dtype)
    _launch("aph_fwd", rc, [rc, ic, *ints, *s, th, ref], m, t)
    return th, ref


def adaptive_resonator_fwd(
    x_re,
    x_im,
    sin_decay,
    cos_decay,
    ref_decay,
    th_decay,
    th0,
    th_step,
    re_state,
    im_state,
    ref_state,
    th_state,
    *,
    s_scale,
):
    """See :meth:`._interface.CoreBackend.adaptive_resonator_fwd`."""
    xr, xi = _traces(x_re, x_im)
    m, t = xr.shape
    ints = _ints(
        m,
        xr.device,
        sin_decay=sin_decay,
        cos_decay=cos_decay,
        ref_decay=ref_decay,
        th_decay=th_decay,
        th0=th0,
        th_step=th_step,
        re_state=re_state,
        im_state=im_state,
        ref_state=ref_state,
        th_state=th_state,
    )
    re, im, th, ref = _empty(xr, 4)
    s = _scale(s_scale, xr.dtype)
    _launch("ares_fwd", xr, [xr, xi, *ints, *s, re, im, th, ref], m, t)
    return re, im, th, ref


def delta_encoder_fwd(x, threshold, prev, residual):
    """See :meth:`._interface.CoreBackend.delta_encoder_fwd`."""
    (xc,) = _traces(x)
    m, t = xc.shape
    dev = xc.device
    thc = _per_neuron(threshold, m, xc.dtype, dev, "threshold")
    pc = _per_neuron(prev, m, xc.dtype, dev, "prev")
    rc = _per_neuron(residual, m, xc.dtype, dev, "residual")
    (delta,) = _empty(xc)
    _launch("delta_fwd", xc, [xc, thc, pc, rc, delta], m, t)
    return delta

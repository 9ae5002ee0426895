r"""The primitive interface every core backend implements (private, binding for backends).

A *backend* is a module (or any object) exposing the attributes and functions of
:class:`CoreBackend`. The public dynamics functions (:mod:`lava.lib.dl.core.dynamics`,
:mod:`lava.lib.dl.core.sigma_delta`) flatten every tensor to ``(M, T)`` (``M`` neurons, i.e. the
product of all non-time dimensions, ``T`` time steps), broadcast and quantize every parameter to
one value per neuron, and then call the primitives defined here. A primitive therefore never
broadcasts, never allocates autograd graphs and never sees a parameter layout: it runs the
per-time-step recurrence for each of the ``M`` independent neurons. This is exactly the part a
compiled kernel (one thread per neuron, sequential time loop) accelerates.

Argument conventions (all primitives)
-------------------------------------
* Float traces (``x``, ``v``, ``grad_*``) are ``(M, T)`` C-contiguous tensors of dtype
  ``torch.float32`` or ``torch.float64``; all float tensors of one call share the dtype and the
  device. Outputs have the same dtype, shape and device.
* Fixed-point parameters and states (``decay``, ``threshold``, ``*_state``, ``th0``, ...) are
  ``(M,)`` C-contiguous ``torch.int64`` tensors holding integers in *state units* (the float value
  times ``s_scale``) or, for decays, in units of ``1/4096``.
* Float per-neuron values (``gain``, ``sin_gain``, ``threshold`` of the delta encoder, ...) are
  ``(M,)`` tensors of the traces' dtype.
* ``keep`` (backward masks) is ``None`` or an ``(M, T)`` tensor of the traces' dtype holding only
  ``0.0`` and ``1.0``.
* ``s_scale`` is a positive Python ``int`` (4096 for every lava-dl neuron).
* Inputs are never modified in place; every output is a freshly allocated tensor.

Fixed-point arithmetic (the Loihi contract, bit exact in every backend)
----------------------------------------------------------------------
The following helper operations define the integer path. ``dtype`` is the traces' dtype.

``fix(a)``
    ``trunc(a * s_scale)`` as int64, where the product is computed **in dtype** (rounded to
    dtype) and the truncation is toward zero (C cast semantics, ``torch.Tensor.to(torch.int64)``).
``flt(A)``
    ``A`` converted to dtype (round to nearest), then divided by ``s_scale`` **in dtype**.
``rtz(a)``
    ``sign(a) * (|a| >> 12)``: division by 4096 truncated toward zero, on int64.
``leak(A, d)``
    ``rtz(A * (4096 - d))`` with int64 multiplication.

All integer arithmetic is int64 (no overflow for states below 2**50). Comparisons are on the
integers. A backend must reproduce these operations exactly; the reference backend
(:mod:`._backends.reference`) is the executable specification.

Backward recurrences
--------------------
Backward primitives compute only the reverse-time recurrences; parameter gradients (decays,
thresholds, initial states) are vectorised reductions done by the caller from the returned input
gradients and the saved forward traces. They are float computations: a backend must equal the
reference to floating-point rounding of the traces' dtype (the operation order below is the
reference's; a fused multiply-add is allowed).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["PRIMITIVES", "FUSED_PRIMITIVES", "NO_RESET", "CoreBackend", "FusedPrimitives"]

#: Reset level meaning "this neuron never resets" inside an int64 ``threshold`` tensor.
NO_RESET: int = 2**62

#: Names of every primitive a complete backend provides.
PRIMITIVES: tuple[str, ...] = (
    "leaky_integrator_fwd",
    "leaky_integrator_bwd",
    "resonator_fwd",
    "resonator_bwd",
    "adaptive_threshold_fwd",
    "adaptive_phase_th_fwd",
    "adaptive_resonator_fwd",
    "delta_encoder_fwd",
)

#: Optional fused primitives (:class:`FusedPrimitives`). A backend may omit them; callers then
#: run the reference backend's version (spike functions, which accept any broadcastable shapes)
#: or the unfused primitives of the same backend (``leaky_integrator_bwd_fused``,
#: ``delta_encoder_*_fused``).
FUSED_PRIMITIVES: tuple[str, ...] = (
    "spike_real_fwd",
    "spike_real_bwd",
    "leaky_integrator_bwd_fused",
    "delta_encoder_fwd_fused",
    "delta_encoder_bwd_fused",
)


@runtime_checkable
class CoreBackend(Protocol):
    """Structural type of a backend module.

    Attributes
    ----------
    NAME : str
        Registry name (``"reference"``, ``"numba"``, ``"cupy"``).
    """

    NAME: str

    def is_available(self) -> tuple[bool, str]:
        """Whether the backend can run here.

        Returns
        -------
        tuple of (bool, str)
            ``(True, "")`` when usable, else ``(False, reason)`` where ``reason`` is the real
            error (e.g. the ``ImportError`` text of a missing or broken dependency) and the fix.
        """

    def supports_device(self, device: torch.device) -> bool:
        """Whether tensors on ``device`` can be processed (no data is moved between devices)."""

    # ------------------------------------------------------------------ leaky integrator
    def leaky_integrator_fwd(
        self,
        x: torch.Tensor,
        decay: torch.Tensor,
        state: torch.Tensor,
        threshold: torch.Tensor | None,
        *,
        s_scale: int,
    ) -> torch.Tensor:
        """Fixed-point leaky integrator with optional reset.

        Recurrence, per neuron ``m`` (``Y`` int64 starts at ``state[m]``)::

            for t in range(T):
                Y = leak(Y, decay[m]) + fix(x[m, t])
                y[m, t] = flt(Y)                      # pre-reset value
                if threshold is not None and Y >= threshold[m]:
                    Y = 0

        Parameters
        ----------
        x : Tensor (M, T) float
            Input per step (float value; scaled by ``s_scale`` and truncated each step).
        decay : Tensor (M,) int64
            Fraction lost per step in units of 1/4096 (0 = perfect integrator, 4096 = no memory).
        state : Tensor (M,) int64
            Initial (post-reset) integer state ``Y[-1]``.
        threshold : Tensor (M,) int64 or None
            Integer reset level: reset to 0 iff ``Y >= threshold`` (the caller passes
            ``S*theta + 1`` for Loihi's strict ``v > theta``). ``None``: never reset; per-neuron
            "never" is :data:`NO_RESET`.
        s_scale : int
            State scale ``S``.

        Returns
        -------
        y : Tensor (M, T) float
            Pre-reset states ``flt(Y)``.
        """

    def leaky_integrator_bwd(
        self,
        grad_y: torch.Tensor,
        gain: torch.Tensor,
        keep: torch.Tensor | None,
    ) -> torch.Tensor:
        """Reverse-time recurrence of the leaky integrator (the transpose of the linear filter).

        Per neuron ``m`` (``acc`` starts at 0)::

            for t in reversed(range(T)):
                k = 1 if keep is None else keep[m, t]
                acc = grad_y[m, t] + (gain[m] * k) * acc
                grad_x[m, t] = acc

        Parameters
        ----------
        grad_y : Tensor (M, T) float
            Gradient of the loss with respect to the pre-reset output ``y``.
        gain : Tensor (M,) float
            Retained fraction ``1 - decay / 4096``.
        keep : Tensor (M, T) float or None
            ``0`` where the state after step ``t`` was reset (the exact-reset gradient mode),
            ``1`` elsewhere; ``None`` ignores resets (the surrogate default of lava-dl).

        Returns
        -------
        grad_x : Tensor (M, T) float
            Gradient with respect to the input ``x`` (the straight-through gradient of ``fix``);
            it is also the gradient with respect to the pre-reset state ``y``.
        """

    # ------------------------------------------------------------------ resonator
    def resonator_fwd(
        self,
        x_re: torch.Tensor,
        x_im: torch.Tensor,
        sin_decay: torch.Tensor,
        cos_decay: torch.Tensor,
        re_state: torch.Tensor,
        im_state: torch.Tensor,
        threshold: torch.Tensor | None,
        *,
        s_scale: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed-point damped rotation (resonate-and-fire) with optional Izhikevich reset.

        Per neuron (``R``, ``I`` int64 start at ``re_state``, ``im_state``; ``s``, ``c`` are
        ``sin_decay[m]``, ``cos_decay[m]``)::

            for t in range(T):
                R_new = rtz(c * R) - rtz(s * I) + fix(x_re[m, t])
                I_new = rtz(s * R) + rtz(c * I) + fix(x_im[m, t])
                R, I = R_new, I_new
                re[m, t], im[m, t] = flt(R), flt(I)     # pre-reset values
                if threshold is not None and I >= threshold[m]:
                    R, I = 0, threshold[m] - 1

        Parameters
        ----------
        x_re, x_im : Tensor (M, T) float
            Real and imaginary inputs.
        sin_decay, cos_decay : Tensor (M,) int64
            ``4096 (1 - decay) sin(phi)`` and ``4096 (1 - decay) cos(phi)``, integers.
        re_state, im_state : Tensor (M,) int64
            Initial integer states.
        threshold : Tensor (M,) int64 or None
            Integer imaginary reset level (rf_iz); ``None`` = no reset.
        s_scale : int
            State scale ``S``.

        Returns
        -------
        re, im : Tensor (M, T) float
            Pre-reset real and imaginary traces.
        """

    def resonator_bwd(
        self,
        grad_re: torch.Tensor,
        grad_im: torch.Tensor,
        sin_gain: torch.Tensor,
        cos_gain: torch.Tensor,
        keep: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reverse-time recurrence of the resonator (transpose of the rotation).

        Per neuron (``a_re``, ``a_im`` start at 0, ``s = sin_gain[m]``, ``c = cos_gain[m]``)::

            for t in reversed(range(T)):
                k = 1 if keep is None else keep[m, t]
                n_re = grad_re[m, t] + k * (c * a_re + s * a_im)
                n_im = grad_im[m, t] + k * (c * a_im - s * a_re)
                a_re, a_im = n_re, n_im
                grad_x_re[m, t], grad_x_im[m, t] = a_re, a_im

        Parameters
        ----------
        grad_re, grad_im : Tensor (M, T) float
            Gradients with respect to the pre-reset real and imaginary traces.
        sin_gain, cos_gain : Tensor (M,) float
            ``sin_decay / 4096`` and ``cos_decay / 4096``.
        keep : Tensor (M, T) float or None
            ``0`` where the state after step ``t`` was reset (both components are constants
            then), ``1`` elsewhere; ``None`` ignores resets.

        Returns
        -------
        grad_x_re, grad_x_im : Tensor (M, T) float
        """

    # ------------------------------------------------------------------ adaptive threshold
    def adaptive_threshold_fwd(
        self,
        v: torch.Tensor,
        ref_decay: torch.Tensor,
        th_decay: torch.Tensor,
        th0: torch.Tensor,
        th_step: torch.Tensor,
        ref_state: torch.Tensor,
        th_state: torch.Tensor,
        *,
        s_scale: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Adaptive threshold with refractory state driven by a voltage trace (no gradient).

        Per neuron (``Rf``, ``Th`` int64 start at ``ref_state``, ``th_state``)::

            for t in range(T):
                Rf = leak(Rf, ref_decay[m])
                Th = leak(Th - th0[m], th_decay[m]) + th0[m]
                fire = fix(v[m, t]) >= Th + Rf
                th[m, t], ref[m, t] = flt(Th), flt(Rf)  # values before the spike update
                if fire:
                    Rf = Rf + 2 * Th
                    Th = Th + th_step[m]

        Parameters
        ----------
        v : Tensor (M, T) float
            Voltage trace.
        ref_decay, th_decay : Tensor (M,) int64
            Refractory and threshold decays in units of 1/4096.
        th0, th_step : Tensor (M,) int64
            Resting threshold and threshold increment per spike, in state units.
        ref_state, th_state : Tensor (M,) int64
            Initial refractory and threshold states.
        s_scale : int

        Returns
        -------
        th, ref : Tensor (M, T) float
        """

    def adaptive_phase_th_fwd(
        self,
        re: torch.Tensor,
        im: torch.Tensor,
        im_state: torch.Tensor,
        ref_decay: torch.Tensor,
        th_decay: torch.Tensor,
        th0: torch.Tensor,
        th_step: torch.Tensor,
        ref_state: torch.Tensor,
        th_state: torch.Tensor,
        *,
        s_scale: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Adaptive threshold of a phase-threshold (counter-clockwise crossing) neuron.

        As :meth:`adaptive_threshold_fwd` with the firing test replaced by::

            R, I = fix(re[m, t]), fix(im[m, t])
            fire = (R >= Th + Rf) and (I_prev < 0) and (I >= 0)
            ...
            I_prev = I          # I_prev starts at im_state[m]

        Parameters
        ----------
        re, im : Tensor (M, T) float
            Real and imaginary state traces of the resonator.
        im_state : Tensor (M,) int64
            Imaginary state before the first step.
        ref_decay, th_decay, th0, th_step, ref_state, th_state, s_scale
            As in :meth:`adaptive_threshold_fwd`.

        Returns
        -------
        th, ref : Tensor (M, T) float
        """

    def adaptive_resonator_fwd(
        self,
        x_re: torch.Tensor,
        x_im: torch.Tensor,
        sin_decay: torch.Tensor,
        cos_decay: torch.Tensor,
        ref_decay: torch.Tensor,
        th_decay: torch.Tensor,
        th0: torch.Tensor,
        th_step: torch.Tensor,
        re_state: torch.Tensor,
        im_state: torch.Tensor,
        ref_state: torch.Tensor,
        th_state: torch.Tensor,
        *,
        s_scale: int,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Resonator without reset plus adaptive threshold fired by the imaginary state.

        Per step: the resonator update of :meth:`resonator_fwd` (no reset), then the ``Rf``/``Th``
        decay of :meth:`adaptive_threshold_fwd`, ``fire = I >= Th + Rf``, the four outputs
        ``flt(R), flt(I), flt(Th), flt(Rf)``, then the spike update of ``Rf`` and ``Th``.
        The backward pass is :meth:`resonator_bwd` with ``keep=None``.

        Returns
        -------
        re, im, th, ref : Tensor (M, T) float
        """

    # ------------------------------------------------------------------ delta encoder
    def delta_encoder_fwd(
        self,
        x: torch.Tensor,
        threshold: torch.Tensor,
        prev: torch.Tensor,
        residual: torch.Tensor,
    ) -> torch.Tensor:
        """Float delta encoder: the pre-gate change per step (residual rule of lava-dl).

        Per neuron (``p``, ``r`` start at ``prev[m]``, ``residual[m]``)::

            for t in range(T):
                d = (x[m, t] - p) + r           # in dtype, this order
                delta[m, t] = d
                r = 0 if abs(d) >= threshold[m] else d
                p = x[m, t]

        The caller gates (``y = d`` where ``|d| >= threshold``), floor-quantizes and derives the
        final ``prev``/``residual``.

        Parameters
        ----------
        x : Tensor (M, T) float
            Activation to encode.
        threshold : Tensor (M,) float
            Event threshold.
        prev, residual : Tensor (M,) float
            Previous input and residual before the first step.

        Returns
        -------
        delta : Tensor (M, T) float
        """


@runtime_checkable
class FusedPrimitives(Protocol):
    """Optional fused primitives: spike functions and the leaky-integrator backward pass.

    They replace chains of full-tensor torch operations (compare, cast, subtract, abs, scale,
    exp, multiply) by one or a few passes over memory. Arguments are flat: ``v`` is a
    C-contiguous ``(K,)`` float tensor (``K`` = number of elements of the voltage), ``threshold``
    and ``grad`` are ``(K,)`` or ``(1,)`` (one value for every element) tensors of ``v``'s
    dtype. Results equal the reference **bit for bit**: every rounding step of the reference's
    torch expression is reproduced in ``v``'s dtype, and the exponential itself is computed by
    ``torch.exp`` (a compiled ``exp`` may differ by one unit in the last place).
    """

    def spike_real_fwd(
        self, v: torch.Tensor, threshold: torch.Tensor, *, graded: bool, scale: float
    ) -> torch.Tensor:
        """Real spikes ``s = float(v >= threshold)``; graded: ``s = (s * v) / scale``.

        Parameters
        ----------
        v : Tensor (K,) float
            Voltage.
        threshold : Tensor (K,) or (1,) float
            Threshold per element, or one for all.
        graded : bool
            Graded spikes.
        scale : float
            Graded spike divisor (converted to ``v``'s dtype).

        Returns
        -------
        s : Tensor (K,) float
        """

    def spike_real_bwd(
        self,
        grad: torch.Tensor,
        v: torch.Tensor,
        threshold: torch.Tensor,
        *,
        tau: float,
        rho: float,
        graded: bool,
    ) -> torch.Tensor:
        """Voltage gradient through the surrogate derivative, in this rounding order::

            binary: g_v = ((exp(|v - th| / (-tau)) * (rho / (2 tau))) * grad
            graded: g_v = ((exp(min(v - th, 0) / tau)) * rho) * grad

        where every operation is rounded to ``v``'s dtype and the scalars ``-tau``, ``tau``,
        ``rho / (2 tau)`` (computed in float64) and ``rho`` are converted to that dtype.

        Parameters
        ----------
        grad : Tensor (K,) or (1,) float
            Gradient of the spikes (one value broadcast to every element when ``(1,)``).
        v : Tensor (K,) float
            Voltage saved by the forward pass.
        threshold : Tensor (K,) or (1,) float
            Threshold of the forward pass.
        tau, rho : float
            Surrogate width (> 0) and scale.
        graded : bool
            Graded-spike surrogate.

        Returns
        -------
        grad_v : Tensor (K,) float
        """

    def leaky_integrator_bwd_fused(
        self,
        grad_y: torch.Tensor,
        gain: torch.Tensor,
        y: torch.Tensor,
        level: torch.Tensor | None,
        grad_last: torch.Tensor | None,
        *,
        s_scale: int,
        exact: bool,
        decay_dot: bool,
        compat: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Leaky-integrator backward with reset masks and the decay-gradient sum in one pass.

        With ``keep[m, t] = 1.0`` iff the pre-reset trace did not reach the reset level
        (``y[m, t] < float64(level[m]) / s_scale`` rounded to dtype when ``s_scale`` is a power of
        two, else ``fix(y[m, t]) < level[m]``; all ones when ``level`` is None)::

            gy = grad_y;  gy[:, T-1] += grad_last * (keep[:, T-1] if exact else 1)
            grad_x = leaky_integrator_bwd(gy, gain, keep if exact else None)
            prev = y if (level is None or compat) else y * keep           # in dtype
            dot[m] = sum over t = T-1, T-2, ..., 1 of
                     float64(grad_x[m, t]) * float64(prev[m, t-1])        # float64, this order

        Every backend implementing it equals the reference bit for bit (the sum is sequential in
        float64, not a blocked reduction).

        Parameters
        ----------
        grad_y : Tensor (M, T) float
            Gradient of the pre-reset trace.
        gain : Tensor (M,) float
            ``1 - decay / 4096``.
        y : Tensor (M, T) float
            Pre-reset trace of the forward pass.
        level : Tensor (M,) int64 or None
            Reset level of the forward pass (:data:`NO_RESET` for "never").
        grad_last : Tensor (M,) float or None
            Gradient of the final post-reset state (added at the last step).
        s_scale : int
            State scale.
        exact : bool
            Resets block the gradient (requires ``level``).
        decay_dot : bool
            Compute ``dot``; otherwise None is returned in its place.
        compat : bool
            lava-dl's decay gradient: ``prev`` is the pre-reset trace.

        Returns
        -------
        grad_x : Tensor (M, T) float
        dot : Tensor (M,) float64 or None
        """

    def delta_encoder_fwd_fused(
        self,
        x: torch.Tensor,
        threshold: torch.Tensor,
        prev: torch.Tensor,
        residual: torch.Tensor,
        *,
        step: float,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`CoreBackend.delta_encoder_fwd` plus the gate and the floor quantization::

            y[m, t] = delta[m, t] if abs(delta[m, t]) >= threshold[m] else 0.0
            yq[m, t] = floor(y[m, t] / step) * step       # in dtype, step converted to dtype

        Returns
        -------
        delta, yq : Tensor (M, T) float
        """

    def delta_encoder_bwd_fused(
        self, g: torch.Tensor, g_prev: torch.Tensor | None
    ) -> torch.Tensor:
        """Input gradient of the delta encoder: ``g_x[:, t] = g[:, t] - g[:, t+1]`` for
        ``t < T-1`` and ``g_x[:, T-1] = g[:, T-1] (+ g_prev)``.

        Parameters
        ----------
        g : Tensor (M, T) float
            Gradient of the quantized output.
        g_prev : Tensor (M,) float or None
            Gradient of the returned ``prev`` (the last input).

        Returns
        -------
        g_x : Tensor (M, T) float
        """

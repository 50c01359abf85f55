"""Synapses: linear filters applied to signals over time.

A synapse is a linear time-invariant filter with transfer function
``H(s) = num(s) / den(s)``. The same code filters a connection (which changes
what the next layer receives) and a probe (which changes only what is recorded).

- `Lowpass(tau)`: ``H(s) = 1 / (tau s + 1)``; impulse response ``exp(-t / tau) / tau``.
- `Alpha(tau)`: ``H(s) = 1 / (tau s + 1)^2``; impulse response ``t exp(-t / tau) / tau^2``.
- `LinearFilter(num, den)`: any other (proper) filter.

Filters are discretised by zero-order hold (the input is held constant over
each step), exactly as Nengo does, and `filt` applies one to a recorded signal.
A bare number wherever a synapse is expected means ``Lowpass(number)``;
``None`` means no synapse at all. The two differ even at zero, as in Nengo:
``None`` delivers a value in the same step, while ``0`` (``Lowpass(0)``) is a
filter that does not smooth but, like every filter, delivers one step later.
"""

import numbers

import numpy as np

from ._checks import as_finite_array, check_number

# What the two "no smoothing" synapses mean, for error messages.
NONE_AND_ZERO = (
    "synapse=None delivers the value in the same step; 0 (Lowpass(0)) "
    "does not smooth but delivers it one step later"
)


class LinearFilter:
    """A general linear filter ``H(s) = num(s) / den(s)``.

    Parameters
    ----------
    num, den : array_like
        Polynomial coefficients in ``s``, highest power first (as numpy's
        ``polyval``). ``len(num) <= len(den)`` (a proper filter).
    """

    def __init__(self, num, den):
        name = type(self).__name__
        num = np.atleast_1d(as_finite_array(name, "num", num))
        den = np.atleast_1d(as_finite_array(name, "den", den))
        if num.ndim != 1 or den.ndim != 1:
            raise ValueError(f"{name}: num and den must be 1-D lists of coefficients")
        den = np.trim_zeros(den, "f")
        if den.size == 0:
            raise ValueError(f"{name}: den must have a non-zero coefficient, got {den}")
        num = np.trim_zeros(num, "f") if np.any(num) else np.zeros(1)
        if num.size > den.size:
            raise ValueError(
                f"{name}: num has degree {num.size - 1} but den has degree "
                f"{den.size - 1}; a synapse must be proper (degree of num <= degree of den)"
            )
        self.num, self.den = num, den

    def __repr__(self):
        return f"LinearFilter(num={self.num.tolist()}, den={self.den.tolist()})"

    def discretize(self, dt):
        """State-space matrices ``(A, B, C, D)`` of the filter discretised by
        zero-order hold with step ``dt``::

            x[k] = A x[k-1] + B u[k]
            y[k] = C x[k]             (plus D u[k] if the filter has a passthrough)
        """
        dt = check_number(repr(self), "dt", dt, low=0, low_open=True)
        A, B, C, D = _transfer_function_to_state_space(self.num, self.den)
        n = len(A)
        if n == 0:
            return A, B, C, D
        # Zero-order hold: over one step with input u held constant,
        # x(t + dt) = e^(A dt) x(t) + (integral_0^dt e^(A s) ds) B u. Both matrices
        # are blocks of one exponential: expm([[A, B], [0, 0]] dt) = [[Ad, Bd], [0, I]].
        M = np.zeros((n + 1, n + 1))
        M[:n, :n], M[:n, n:] = A * dt, B * dt
        E = _expm(M)
        return E[:n, :n], E[:n, n:], C, D

    def make_state(self, shape, dt, dtype=np.float64):
        """Filter state at rest: zeros of ``(n_states,) + shape``."""
        A, _, _, _ = self.discretize(dt)
        return np.zeros((len(A),) + tuple(shape), dtype=dtype)

    def make_step(self, dt):
        """Return ``step(state, u) -> y`` that advances ``state`` in place by one step.

        The output includes this step's input ``u`` (no delay inside the filter);
        the one-step delay of a filtered connection or probe comes from the
        simulator reading the output before it is updated.
        """
        A, B, C, D = self.discretize(dt)
        if len(A) == 0:  # no state: a pure gain
            d = D.item()
            return lambda state, u: d * u
        if len(A) == 1 and D.item() == 0:
            # one state, stored as the output itself: y[k] = a y[k-1] + b u[k]
            a, b = A.item(), C.item() * B.item()

            def step_one_state(state, u):
                state *= a
                state += b * u
                return state[0].copy()

            return step_one_state

        B = B[:, 0]
        C = C[0]
        d = D.item()

        def step_general(state, u):
            if d == 0:  # x[k] = A x[k-1] + B u[k];  y[k] = C x[k]
                state[...] = np.tensordot(A, state, axes=1) + _column(B, state) * u
                return np.tensordot(C, state, axes=1)
            # with a passthrough: y[k] = C x[k] + D u[k];  x[k+1] = A x[k] + B u[k]
            y = np.tensordot(C, state, axes=1) + d * u
            state[...] = np.tensordot(A, state, axes=1) + _column(B, state) * u
            return y

        return step_general

    def filt(self, x, dt, axis=0):
        """Filter a recorded signal ``x`` along the time ``axis``.

        The filter starts at rest and ``y[k]`` includes ``x[k]``. In a simulation, a
        probe or connection with this synapse reports ``y[k - 1]`` at step ``k``
        (one step later), and 0 at the first step.

        Parameters
        ----------
        x : array_like
            The signal; time runs along ``axis``. For probe data
            ``(batch, n_steps, size)`` use ``axis=1``.
        dt : float
            Time step, in seconds.
        axis : int
            The time axis.
        """
        x = as_finite_array(repr(self), "x (the signal to filter)", x)
        if x.ndim == 0:
            raise ValueError(f"{self!r}.filt: x must have a time axis, got a scalar")
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"{self!r}.filt: axis {axis} does not exist in x of shape {x.shape}")
        x = np.moveaxis(x, axis, 0)
        step = self.make_step(dt)
        state = self.make_state(x.shape[1:], dt)
        y = np.empty_like(x)
        for k in range(x.shape[0]):
            y[k] = step(state, x[k])
        return np.moveaxis(y, 0, axis)


class Lowpass(LinearFilter):
    """First-order lowpass synapse, ``H(s) = 1 / (tau s + 1)``.

    Impulse response ``h(t) = exp(-t / tau) / tau``; step response
    ``1 - exp(-t / tau)``. Discretised by zero-order hold::

        y[k] = a y[k-1] + (1 - a) u[k],   a = exp(-dt / tau)

    Parameters
    ----------
    tau : float
        Time constant, in seconds (>= 0). ``Lowpass(0)`` does not smooth
        (``H(s) = 1``); in a simulation it still delays by one step.
    """

    def __init__(self, tau):
        self.tau = _check_tau("Lowpass", tau)
        super().__init__([1.0], [self.tau, 1.0])

    def __repr__(self):
        return f"Lowpass(tau={self.tau!r})"


class Alpha(LinearFilter):
    """Alpha synapse, ``H(s) = 1 / (tau s + 1)^2``: two lowpass filters in a row.

    Impulse response ``h(t) = t exp(-t / tau) / tau^2``, which rises, peaks at
    ``t = tau`` and decays.

    Parameters
    ----------
    tau : float
        Time constant, in seconds (>= 0). ``Alpha(0)``, like ``Lowpass(0)``,
        does not smooth and delays by one step in a simulation.
    """

    def __init__(self, tau):
        self.tau = _check_tau("Alpha", tau)
        super().__init__([1.0], [self.tau**2, 2 * self.tau, 1.0])

    def __repr__(self):
        return f"Alpha(tau={self.tau!r})"


def as_synapse(synapse, owner="synapse"):
    """``None`` stays None, a number ``tau`` becomes ``Lowpass(tau)``, a
    `LinearFilter` is returned as it is; anything else is an error."""
    if synapse is None or isinstance(synapse, LinearFilter):
        return synapse
    if isinstance(synapse, numbers.Real) and not isinstance(synapse, bool):
        if not synapse >= 0 or not np.isfinite(synapse):  # also catches NaN
            raise ValueError(
                f"{owner}: a synapse time constant must be a finite number >= 0 "
                f"seconds, got {synapse} ({NONE_AND_ZERO})"
            )
        return Lowpass(synapse)
    raise TypeError(
        f"{owner}: synapse must be None, a time constant in seconds, or a "
        f"LinearFilter such as Lowpass(0.005); got {synapse!r}"
    )


def _check_tau(owner, tau):
    """A time constant: a finite number of seconds, >= 0 (0 is a valid filter)."""
    try:
        return check_number(owner, "tau", tau, low=0)
    except ValueError as error:
        raise ValueError(f"{error} seconds ({NONE_AND_ZERO})") from None


def _column(B, state):
    """Reshape ``B`` to broadcast against ``state`` of shape ``(n_states, ...)``."""
    return B.reshape((-1,) + (1,) * (state.ndim - 1))


def _transfer_function_to_state_space(num, den):
    """Controllable canonical form of ``num(s) / den(s)`` (as scipy's tf2ss)."""
    num = np.asarray(num, dtype=float) / den[0]
    den = np.asarray(den, dtype=float) / den[0]
    n = len(den) - 1
    num = np.concatenate([np.zeros(len(den) - len(num)), num])
    D = np.array([[num[0]]])
    if n == 0:
        return np.zeros((0, 0)), np.zeros((0, 1)), np.zeros((1, 0)), D
    A = np.zeros((n, n))
    A[0, :] = -den[1:]
    A[1:, :-1] = np.eye(n - 1)
    B = np.zeros((n, 1))
    B[0, 0] = 1.0
    C = (num[1:] - num[0] * den[1:]).reshape(1, n)
    return A, B, C, D


def _expm(M, n_terms=20):
    """Matrix exponential by scaling and squaring: ``e^M = (e^(M / 2^s))^(2^s)``,
    with a Taylor series for the small matrix ``M / 2^s``."""
    norm = np.abs(M).sum(axis=1).max()
    s = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0 else 0
    X = M / 2.0**s
    E = term = np.eye(len(M))
    for k in range(1, n_terms):
        term = term @ X / k
        E = E + term
    for _ in range(s):
        E = E @ E
    return E

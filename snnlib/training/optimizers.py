"""Optimisers (Adam, RMSprop) and a learning-rate schedule (cosine decay)."""

import numpy as np

from .._checks import check_number, check_positive_int

# --- optimisers ----------------------------------------------------------------------


class Adam:
    """Adam (Kingma and Ba, 2015), with Keras's defaults.

    For each parameter ``p`` with gradient ``g``, at step ``t``::

        m = beta_1 m + (1 - beta_1) g           (running mean of g)
        v = beta_2 v + (1 - beta_2) g^2         (running mean of g^2)
        p -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    with the bias corrections ``m_hat = m / (1 - beta_1^t)`` and
    ``v_hat = v / (1 - beta_2^t)``. Parameters are updated in place.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = check_number(
            "Adam", "learning_rate", learning_rate, low=0, low_open=True
        )
        self.beta_1 = check_number("Adam", "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number("Adam", "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number("Adam", "epsilon", epsilon, low=0, low_open=True)
        self.t, self.m, self.v = 0, None, None

    def __repr__(self):
        return f"Adam(learning_rate={self.learning_rate})"

    def step(self, params, grads):
        """Update each array in ``params`` in place from its gradient in ``grads``."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        correction_1 = 1 - self.beta_1**self.t
        correction_2 = 1 - self.beta_2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta_1
            m += (1 - self.beta_1) * g
            v *= self.beta_2
            v += (1 - self.beta_2) * g * g
            p -= (
                self.learning_rate * (m / correction_1) / (np.sqrt(v / correction_2) + self.epsilon)
            )


class RMSprop:
    """RMSprop (Hinton), with Keras's defaults (NengoDL's MNIST tutorial uses it).

    For each parameter ``p`` with gradient ``g``::

        v = rho v + (1 - rho) g^2
        p -= learning_rate * g / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        self.learning_rate = check_number(
            "RMSprop", "learning_rate", learning_rate, low=0, low_open=True
        )
        self.rho = check_number("RMSprop", "rho", rho, low=0, high=1)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0, low_open=True)
        self.v = None

    def __repr__(self):
        return f"RMSprop(learning_rate={self.learning_rate})"

    def step(self, params, grads):
        """Update each array in ``params`` in place from its gradient in ``grads``."""
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v *= self.rho
            v += (1 - self.rho) * g * g
            p -= self.learning_rate * g / (np.sqrt(v) + self.epsilon)


def cosine_decay(initial, epochs, final=0.0):
    """A learning-rate schedule: ``lr(epoch)`` falls from ``initial`` (epoch 0) to
    ``final`` (last epoch) along half a cosine::

        lr(e) = final + (initial - final) * (1 + cos(pi * e / (epochs - 1))) / 2
    """
    initial = check_number("cosine_decay", "initial", initial, low=0, low_open=True)
    final = check_number("cosine_decay", "final", final, low=0)
    epochs = check_positive_int("cosine_decay", "epochs", epochs)

    def schedule(epoch):
        fraction = epoch / (epochs - 1) if epochs > 1 else 0.0
        return final + (initial - final) * (1 + np.cos(np.pi * min(fraction, 1.0))) / 2

    return schedule

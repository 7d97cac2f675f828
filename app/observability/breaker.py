"""Circuit breakers for outbound services: the mail server, the translation provider (pybreaker).

After ``fail_max`` failures in a row, calls fail at once for ``reset_timeout``
seconds instead of each waiting for a dead or silent server; then one call is
let through to test it. The state is exported as a gauge (the mail one also in /health).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import pybreaker

from app.observability.metrics import CIRCUIT_STATE

STATE_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}


class _GaugeListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: object, new_state: object) -> None:
        CIRCUIT_STATE.labels(cb.name).set(STATE_VALUES.get(getattr(new_state, "name", str(new_state)), 0))


def make_breaker(name: str, fail_max: int, reset_timeout: float,
                 exclude: Iterable[type[BaseException] | Callable[[BaseException], bool]] = ()
                 ) -> pybreaker.CircuitBreaker:
    """``exclude``: errors (types or predicates) that do not count as failures."""
    breaker = pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_timeout, name=name, listeners=[_GaugeListener()],
        exclude=list(exclude),
        throw_new_error_on_trip=False,  # the failing call raises its own error; later ones CircuitBreakerError
    )
    CIRCUIT_STATE.labels(name).set(0)
    return breaker


CircuitBreakerError = pybreaker.CircuitBreakerError

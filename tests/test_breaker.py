"""The SMTP circuit breaker: its states, its gauge, and what it spares."""
from __future__ import annotations

import socket
import time

import pytest

from app.observability.breaker import CircuitBreakerError, make_breaker
from app.observability.metrics import CIRCUIT_STATE
from tests.support.waiting import wait_for


def gauge(name: str) -> float:
    return CIRCUIT_STATE.labels(name)._value.get()


def failing() -> None:
    raise ConnectionRefusedError("down")


def test_state_machine_and_gauge():
    breaker = make_breaker("test-smtp", fail_max=3, reset_timeout=0.3)
    assert (breaker.current_state, gauge("test-smtp")) == ("closed", 0)

    for _ in range(2):
        with pytest.raises(ConnectionRefusedError):
            breaker.call(failing)
    assert breaker.current_state == "closed"  # not yet: 2 of 3
    with pytest.raises(ConnectionRefusedError):
        breaker.call(failing)  # the third failure trips it
    assert (breaker.current_state, gauge("test-smtp")) == ("open", 2)

    calls = []
    with pytest.raises(CircuitBreakerError):
        breaker.call(lambda: calls.append(1))  # open: not even tried
    assert calls == []

    time.sleep(0.35)  # after the cool-down, one trial call goes through
    with pytest.raises(ConnectionRefusedError):
        breaker.call(failing)
    assert breaker.current_state == "open"  # the trial failed: open again

    time.sleep(0.35)
    assert breaker.call(lambda: "sent") == "sent"
    assert (breaker.current_state, gauge("test-smtp")) == ("closed", 0)


def test_a_success_resets_the_failure_count():
    breaker = make_breaker("test-reset", fail_max=2, reset_timeout=60)
    with pytest.raises(ConnectionRefusedError):
        breaker.call(failing)
    breaker.call(lambda: None)
    with pytest.raises(ConnectionRefusedError):
        breaker.call(failing)
    assert breaker.current_state == "closed"


@pytest.fixture
def app_config():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "SMTP_BREAKER_FAILURES": 2, "SMTP_BREAKER_RESET": 60}


def test_password_reset_mail_stops_trying_a_dead_server(client, susan, app):
    breaker = app.extensions["smtp_breaker"]
    for _ in range(2):
        client.post("/auth/reset_password_request", data={"email": "susan@example.com"})
    wait_for(lambda: breaker.current_state == "open", 10, lambda: f"breaker is {breaker.current_state}",
             interval=0.05)
    response = client.post("/auth/reset_password_request", data={"email": "susan@example.com"})
    assert response.status_code == 302  # the user is still answered at once

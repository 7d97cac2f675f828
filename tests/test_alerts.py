"""Error emails, received by a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import socket
import time

import pytest
import sqlalchemy as sa
from flask import request

from app.observability.metrics import ERROR_EMAILS
from tests.support.smtp import SMTPServer
from tests.support.waiting import wait_for


@pytest.fixture
def window():
    return 60.0


@pytest.fixture
def app_config(smtp, tmp_path, window):
    return {
        "PROPAGATE_EXCEPTIONS": False, "ERROR_EMAILS": True, "LOG_TO_FILE": True, "LOG_DIR": str(tmp_path),
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "ADMINS": ["admin@example.com", "ops@example.com"],
        "ERROR_EMAIL_WINDOW": window, "ERROR_EMAIL_RETRY": 0.2, "MAIL_TIMEOUT": 1,
    }


@pytest.fixture(autouse=True)
def routes(app):
    @app.route("/test/boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/test/other")
    def other():
        raise KeyError("other")

    @app.route("/test/db-a")
    def db_a():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    @app.route("/test/db-b")
    def db_b():
        raise sa.exc.OperationalError("SELECT 2", {}, Exception("server closed the connection unexpectedly"))

    @app.route("/test/reset/<token>")
    def with_token(token):
        raise ValueError(f"bad {request.method}")


@pytest.fixture
def outbox(app):
    return app.extensions["error_emails"]


def metric(result: str) -> float:
    return ERROR_EMAILS.labels(result)._value.get()


def test_email_content_and_redaction(client, auth, susan, smtp, outbox):
    auth.login()
    client.set_cookie("session_extra", "cookie-secret-value")
    client.post("/test/boom?q=1&api_token=tok-in-query", data={
        "password": "form-password", "new_password2": "pw2", "csrf_token": "csrf-secret", "client_secret": "s",
        "about_me": "visible text"},
        headers={"Authorization": "Bearer auth-secret", "User-Agent": "alert-test-agent", "X-Request-ID": "rid-7"})
    (msg,) = smtp.inbox.wait_for(1)
    assert msg["Subject"] == "Microblog Failure: RuntimeError in boom"
    assert msg["To"] == "admin@example.com, ops@example.com"
    body = msg.get_body().get_content()
    for expected in ("Traceback (most recent call last)", "RuntimeError: kaboom",
                     "Request: POST http://localhost/test/boom?q=1&api_token=%5Bredacted%5D",
                     f"User id: {susan.id}", "Request id: rid-7", "Remote address: 127.0.0.1",
                     "User agent: alert-test-agent", "Host: ", "Version: 1.0.0", "Time: 20",
                     "Authorization: [redacted]", "Cookie: [redacted]", "about_me: visible text",
                     "password: [redacted]", "new_password2: [redacted]", "csrf_token: [redacted]",
                     "client_secret: [redacted]", "Fingerprint: "):
        assert expected in body, expected
    for secret in ("form-password", "pw2", "csrf-secret", "auth-secret", "cookie-secret-value", "tok-in-query"):
        assert secret not in body


def test_token_in_the_path_is_redacted(client, smtp):
    client.get("/test/reset/the-reset-token-123")
    (msg,) = smtp.inbox.wait_for(1)
    body = msg.get_body().get_content()
    assert "the-reset-token-123" not in body
    assert "/test/reset/[redacted]" in body


def test_a_thousand_identical_errors_send_at_most_two_emails(client, smtp, outbox):
    grouped_before = metric("grouped")
    for _ in range(1000):
        client.get("/test/boom", headers={"Accept": "application/json"})
    assert outbox.wait_idle(10)
    assert len(smtp.inbox.messages) == 1  # the first, at once; the rest only counted
    assert metric("grouped") - grouped_before == 999
    outbox.close()  # as at shutdown: the open digest goes out
    messages = smtp.inbox.wait_for(2)
    time.sleep(0.2)
    assert len(smtp.inbox.messages) == 2
    digest = messages[1]
    assert digest["Subject"] == "Microblog Failure digest: RuntimeError in boom (999 more)"
    assert "occurred 999 more times" in digest.get_body().get_content()


@pytest.mark.parametrize("window", [0.5])
def test_digest_when_the_window_closes(client, smtp, outbox):
    for _ in range(5):
        client.get("/test/boom")
    first, digest = smtp.inbox.wait_for(2, timeout=10)
    assert first["Subject"] == "Microblog Failure: RuntimeError in boom"
    assert digest["Subject"] == "Microblog Failure digest: RuntimeError in boom (4 more)"
    body = digest.get_body().get_content()
    assert "occurred 4 more times" in body and "between 20" in body
    # After the window, the same error is new again and mailed at once.
    client.get("/test/boom")
    assert smtp.inbox.wait_for(3)[2]["Subject"] == "Microblog Failure: RuntimeError in boom"


def test_three_different_errors_send_three_emails(client, smtp, outbox):
    client.get("/test/boom")
    client.get("/test/other")
    client.get("/test/reset/x")
    client.get("/test/boom")
    client.get("/test/other")
    assert outbox.wait_idle(10)
    subjects = sorted(m["Subject"] for m in smtp.inbox.wait_for(3))
    assert subjects == ["Microblog Failure: KeyError in other", "Microblog Failure: RuntimeError in boom",
                        "Microblog Failure: ValueError in with_token"]
    time.sleep(0.3)
    assert len(smtp.inbox.messages) == 3


def free_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_port():
    return free_closed_port()


def test_dead_mail_server_then_recovery(app, dead_port, tmp_path):
    """Nobody listens: the request is not held up, the error is in error.log
    and counted, and mail goes out by itself once a server is there."""
    from app import create_app
    from tests.conftest import config

    app2 = create_app(config(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False, ERROR_EMAILS=True,
                             LOG_TO_FILE=True, LOG_DIR=str(tmp_path / "dead"), MAIL_SERVER="127.0.0.1",
                             MAIL_PORT=dead_port, ADMINS=["admin@example.com"], ERROR_EMAIL_RETRY=0.2))
    app2.add_url_rule("/boom", "boom", lambda: 1 / 0)
    failed_before = metric("failed")
    assert app2.test_client().get("/boom").status_code == 500
    assert "ZeroDivisionError" in (tmp_path / "dead" / "error.log").read_text()
    wait_for(lambda: metric("failed") > failed_before, 10, lambda: "no failed send was counted", interval=0.05)

    server = SMTPServer()
    server.port = dead_port
    from aiosmtpd.controller import Controller
    server.controller = Controller(server.inbox, hostname="127.0.0.1", port=dead_port)
    with server:
        (msg,) = server.inbox.wait_for(1, timeout=10)
    app2.extensions["error_emails"].stop()
    assert msg["Subject"] == "Microblog Failure: ZeroDivisionError in boom"


def test_silent_mail_server_does_not_hold_requests(app, tmp_path):
    """The server accepts connections and never answers."""
    from app import create_app
    from tests.conftest import config

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(50)
        app2 = create_app(config(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False,
                                 ERROR_EMAILS=True, LOG_TO_FILE=True, LOG_DIR=str(tmp_path / "silent"),
                                 MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1],
                                 ADMINS=["admin@example.com"], MAIL_TIMEOUT=30))
        app2.add_url_rule("/boom", "boom", lambda: 1 / 0)
        client = app2.test_client()
        started = time.perf_counter()
        for _ in range(20):
            assert client.get("/boom").status_code == 500
        elapsed = time.perf_counter() - started
        # Synchronous sending would wait MAIL_TIMEOUT (30 s) on the first one.
        assert elapsed < 30, elapsed
        assert (tmp_path / "silent" / "error.log").read_text().count("ZeroDivisionError: division by zero") == 20
        silent.close()  # the sender's read fails now, and its thread can stop
        app2.extensions["error_emails"].stop()


def test_disabled_in_testing_and_debug_by_default(app):
    from app import create_app
    from tests.conftest import config

    plain = create_app(config("sqlite://", MAIL_SERVER="127.0.0.1", ADMINS=["a@example.com"]))
    assert "error_emails" not in plain.extensions


def test_on_without_a_mail_server_fails_fast():
    from app import create_app
    from tests.conftest import config

    with pytest.raises(RuntimeError, match="MAIL_SERVER or ADMINS"):
        create_app(config("sqlite://", ERROR_EMAILS=True, MAIL_SERVER=None))


def test_a_database_outage_is_one_incident_across_endpoints(client, smtp, outbox):
    for path in ("/test/db-a", "/test/db-b", "/test/db-a", "/test/db-b"):
        assert client.get(path).status_code == 503
    assert outbox.wait_idle(10)
    (msg,) = smtp.inbox.wait_for(1)
    assert msg["Subject"].strip() == "Microblog Failure: OperationalError in * (database unavailable)"
    time.sleep(0.3)
    assert len(smtp.inbox.messages) == 1

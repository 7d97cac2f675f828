"""A reset token or a password hash never reaches an error email, a log file,
an error response or the development server's access log: not through the
Referer, not through SQLAlchemy's "[parameters: ...]" line."""
from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import Flask

from app.redact import REDACTED, safe_url_header
from tests.conftest import make_user
from tests.support.gunicorn import ROOT, environment
from tests.support.ports import free_port
from tests.support.smtp import SMTPServer
from tests.support.waiting import wait_for

NEW_PASSWORD = "Brand-New-Secret-9431"
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
Q_REDACTED = "%5Bredacted%5D"  # [redacted], as a query value


@pytest.fixture
def app_config(smtp, tmp_path):
    return {
        "PROPAGATE_EXCEPTIONS": False, "ERROR_EMAILS": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
        "MAIL_TIMEOUT": 2, "ADMINS": ["admin@example.com"], "LOG_TO_FILE": True, "LOG_DIR": str(tmp_path / "logs"),
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # a cheap scrypt, to look for its "scrypt:" prefix
        # The commit below waits this long for a lock another connection holds.
        "SQLITE_BUSY_TIMEOUT_MS": 50, "DB_STATEMENT_TIMEOUT_MS": 300,
        "PUBLIC_URL": "https://microblog.example.com",
    }


@contextmanager
def user_row_locked(app: Flask, backend: str, user_id: int) -> Iterator[None]:
    """Another connection holds a write lock the reset's commit needs."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if backend == "sqlite":
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    else:
        holder = psycopg.connect(url.replace("+psycopg", ""))
        holder.execute('SELECT id FROM "user" WHERE id = %s FOR UPDATE', (user_id,))
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_failed_password_reset_leaks_neither_token_nor_hash(app, client, smtp: SMTPServer, backend, tmp_path):
    susan = make_user("susan")
    token = susan.get_reset_password_token()
    path = f"/auth/reset_password/{token}"
    referer = f"http://localhost{path}?token={token}&from=email"
    form = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    with user_row_locked(app, backend, susan.id):
        responses = [client.post(path, data=form, headers={"Referer": referer, "Origin": "http://localhost",
                                                            **accept}) for accept in (HTML, JSON)]
    assert [r.status_code for r in responses] == [503, 503]
    assert app.extensions["error_emails"].wait_idle(10)
    (mail,) = smtp.inbox.wait_for(1)
    body = mail.get_body().get_content().replace("\r\n", "\n")
    logs = {p.name: p.read_text() for p in (tmp_path / "logs").glob("*.log")}

    assert f"Referer: http://localhost/auth/reset_password/{REDACTED}?token={Q_REDACTED}&from=email" in body
    assert "Origin: http://localhost\n" in body
    assert "[SQL parameters hidden due to hide_parameters=True]" in body
    assert "[SQL parameters hidden due to hide_parameters=True]" in logs["error.log"]
    for where, text in {"email": body, **logs, **{f"response {r.mimetype}": r.get_data(as_text=True)
                                                 for r in responses}}.items():
        for secret in (token, NEW_PASSWORD, "scrypt:", "[parameters:"):
            assert secret not in text, f"{secret!r} in the {where}"


SAFE_URLS = [
    # header value, what the email and logs show
    ("http://localhost/auth/reset_password/abc.DEF-1?x=1", f"http://localhost/auth/reset_password/{REDACTED}?x=1"),
    ("/auth/reset_password/abc.DEF-1", f"/auth/reset_password/{REDACTED}"),
    ("https://microblog.example.com/auth/reset_password/abc",  # PUBLIC_URL's host is this site too
     f"https://microblog.example.com/auth/reset_password/{REDACTED}"),
    ("http://localhost/auth/reset_password/abc%2Edef", f"http://localhost/auth/reset_password/{REDACTED}"),
    ("http://localhost/user/susan?page=2&api_token=t0k", f"http://localhost/user/susan?page=2&api_token={Q_REDACTED}"),
    ("http://localhost/explore", "http://localhost/explore"),
    ("http://localhost", "http://localhost"),  # an Origin
    ("null", "null"),
    ("http://someone:pw@localhost/explore", "http://localhost/explore"),
    ("http://localhost/explore#token=abc", f"http://localhost/explore#{REDACTED}"),
    # Another site's paths are not ours to read; its query parameters are.
    ("https://elsewhere.example/auth/reset_password/abc?reset_token=xyz&q=1",
     f"https://elsewhere.example/auth/reset_password/abc?reset_token={Q_REDACTED}&q=1"),
    ("http://[::1", REDACTED),  # unparseable: withheld whole
]


@pytest.mark.parametrize("header, shown", SAFE_URLS)
def test_referer_and_origin_values(app, header, shown):
    with app.test_request_context("/explore", base_url="http://localhost"):
        assert safe_url_header(header) == shown


def test_a_referer_under_a_script_root(app):
    with app.test_request_context("/explore", base_url="http://localhost/blog"):
        assert safe_url_header("http://localhost/blog/auth/reset_password/abc") == \
            f"http://localhost/blog/auth/reset_password/{REDACTED}"


def test_development_server_access_log(tmp_path: Path):
    """`make run`'s server (flask run, werkzeug's logger) writes request lines
    with the token replaced, for a good request and a malformed one."""
    token = "eyJyZXNldCI6MX0.aGVsbG8.secret-token-9431"
    env = environment(tmp_path, {"SECURE_COOKIES": "0"})
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    port = free_port()
    out = tmp_path / "server.log"
    with open(out, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "run", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _answers(port), 30, lambda: out.read_text(), proc=proc)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(f"GET /auth/reset_password/{token}?token={token}&page=2 HTTP/1.1\r\n"
                         f"Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            assert conn.recv(100).startswith(b"HTTP/1.1 302")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(f"GET /auth/reset_password/{token} HTTP/1.1 extra HTTP/1.1\r\n\r\n".encode())
            assert b" 400 " in conn.recv(100)
        wait_for(lambda: out.read_text().count("/auth/reset_password/") >= 3, 10, lambda: out.read_text())
    finally:
        proc.terminate()
        proc.wait(10)
    log = out.read_text()
    assert token not in log, log
    assert f"GET /auth/reset_password/{REDACTED}?token={Q_REDACTED}&page=2 HTTP/1.1" in log, log
    assert "Bad request syntax" in log, log


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False

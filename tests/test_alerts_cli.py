"""`flask alerts test`: a test error through the app's real error pipeline, to
a real SMTP server, with its log line and its metric."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from config import BASE_DIR
from tests.support.metrics import scrape, value
from tests.support.ports import free_port

FLASK = str(BASE_DIR / ".venv" / "bin" / "flask")
SUBJECT = "Microblog Failure: AlertTestError in -"


@pytest.fixture
def app_config(smtp, tmp_path: Path) -> dict[str, object]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "ADMINS": ["admin@example.com"],
            "LOG_TO_FILE": True, "LOG_DIR": str(tmp_path / "logs")}


def exceptions_counted(client) -> float:  # type: ignore[no-untyped-def]
    return value(scrape(client), "http_exceptions_total", exception="AlertTestError", endpoint="<unmatched>")


@pytest.mark.parametrize("backend", ["sqlite"])  # a question for the CLI, not the database
def test_each_run_mails_logs_and_counts(runner, client, smtp, tmp_path):
    before = exceptions_counted(client)
    first = runner.invoke(args=["alerts", "test"])
    second = runner.invoke(args=["alerts", "test"])  # within ERROR_EMAIL_WINDOW: still mailed
    for result in (first, second):
        assert result.exit_code == 0, result.output
        assert "Error emails are off by default in debug mode: on for this test." in result.output
        assert f'Error email "{SUBJECT}" sent to admin@example.com via 127.0.0.1:{smtp.port}.' in result.output
    mails = smtp.inbox.wait_for(2)
    assert [m["Subject"] for m in mails] == [SUBJECT, SUBJECT]
    assert all(m["To"] == "admin@example.com" for m in mails)
    bodies = [m.get_body().get_content() for m in mails]
    assert all("Request: GET http://localhost/flask-alerts-test" in b for b in bodies)
    assert all("AlertTestError: A test error from `flask alerts test`" in b for b in bodies)
    errors = (tmp_path / "logs" / "error.log").read_text()
    assert errors.count("Exception on /flask-alerts-test [GET]") == 2
    # One shared series, however many runs: the path matches no route.
    assert exceptions_counted(client) == before + 2


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("settings", "reason"), [
    ({"MAIL_SERVER": None}, "No error email: MAIL_SERVER is not set."),
    ({"MAIL_SERVER": None, "ADMINS": []}, "No error email: MAIL_SERVER and ADMINS are not set."),
    ({"ERROR_EMAILS": False}, "No error email: ERROR_EMAILS=0 turns them off."),
])
def test_says_why_no_email_is_sent(app, runner, client, smtp, tmp_path, settings, reason):
    app.config.update(settings)
    before = exceptions_counted(client)
    result = runner.invoke(args=["alerts", "test"])
    assert result.exit_code == 1
    assert reason in result.output
    # The error itself still happened, logged and counted.
    assert "Exception on /flask-alerts-test [GET]" in (tmp_path / "logs" / "error.log").read_text()
    assert exceptions_counted(client) == before + 1
    assert not smtp.inbox.messages


@pytest.mark.parametrize("backend", ["sqlite"])
def test_says_when_the_mail_server_fails(app, runner):
    port = free_port()  # nothing listens there
    app.config["MAIL_PORT"] = port
    result = runner.invoke(args=["alerts", "test"])
    assert result.exit_code == 1
    assert f"The error email was not sent via 127.0.0.1:{port}: the mail server failed" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("settings", "url"), [
    ({"TRUSTED_HOSTS": [".example.org"]}, "http://example.org/flask-alerts-test"),
    ({"TRUSTED_HOSTS": ["microblog.example.com"], "PUBLIC_URL": "https://microblog.example.com"},
     "https://microblog.example.com/flask-alerts-test"),
])
def test_the_test_request_is_for_a_host_the_app_trusts(app, runner, smtp, settings, url):
    """With TRUSTED_HOSTS set, a request for "localhost" could not even be
    described in the report (werkzeug refuses to read its host)."""
    app.config.update(settings)
    result = runner.invoke(args=["alerts", "test"])
    assert result.exit_code == 0, result.output
    [mail] = smtp.inbox.wait_for(1)
    assert f"Request: GET {url}" in mail.get_body().get_content()


def test_a_second_run_is_mailed_with_the_shared_groups(smtp, tmp_path):
    """As an admin runs it: separate processes, not in debug mode, grouping in
    the instance folder's shared file, as every worker does."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "INSTANCE_PATH": str(tmp_path / "instance"),
           "LOG_DIR": str(tmp_path / "logs"), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port),
           "ADMINS": "ops@example.com,dev@example.com"}
    for _ in range(2):
        done = subprocess.run([FLASK, "alerts", "test"], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f'"{SUBJECT}" sent to ops@example.com, dev@example.com via 127.0.0.1:{smtp.port}.' in done.stdout
    mails = smtp.inbox.wait_for(2)
    assert [m["Subject"] for m in mails] == [SUBJECT, SUBJECT]
    assert "Exception on /flask-alerts-test [GET]" in (tmp_path / "logs" / "error.log").read_text()

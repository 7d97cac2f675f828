"""``flask alerts test``: a test error through the real error pipeline, like
Sentry's "send test event", so an admin can see an error email arrive
without breaking anything."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app, got_request_exception
from flask.cli import with_appcontext

from app.observability.alerts import AlertOutbox, configure_error_emails
from app.observability.alerts.report import ErrorReport
from app.observability.logs import file_logging_enabled
from app.observability.metrics import ERROR_EMAILS, UNMATCHED
from app.request_id import get_request_id

# No route matches it, so the metric's endpoint label is the shared
# "<unmatched>" one: test runs add no new series, however many there are.
TEST_PATH = "/flask-alerts-test"
SETTLE_SECONDS = 2.0  # on top of MAIL_TIMEOUT, for the outbox thread to pick the report up


class AlertTestError(RuntimeError):
    """Raised on purpose by ``flask alerts test``."""


@click.group("alerts")
def alerts() -> None:
    """Error emails to the admins."""


@alerts.command("test")
@with_appcontext
def alerts_test() -> None:
    """Raise a test error: an error email to ADMINS, a log line and a metric."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    why_not = no_email_reason(app.config)
    if why_not:
        raise_and_report(app)
        raise click.ClickException(f"No error email: {why_not}")
    with forced_error_emails(app) as outbox:
        reports = watch_reports(outbox)
        before = email_counts()
        raise_and_report(app)
        if not reports:  # ErrorMailHandler failed: logging printed why on stderr
            raise click.ClickException("The error pipeline made no email of the error (see the logging error).")
        outcome = wait_for_delivery(outbox, before)
    smtp = outbox.smtp
    if outcome != "sent":
        raise click.ClickException(
            f"The error email was not sent via {smtp.host}:{smtp.port}: {outcome}. A running app would keep "
            f"it and retry every {app.config['ERROR_EMAIL_RETRY']:g}s."
        )
    click.echo(f'Error email "{reports[0].subject}" sent to {", ".join(smtp.recipients)} '
               f"via {smtp.host}:{smtp.port}.")


def raise_and_report(app: Flask) -> None:
    request_id = raise_test_error(app)
    click.echo(f"Raised AlertTestError on {TEST_PATH} (request id {request_id}).")
    click.echo(f"Logged to {log_destination(app)}.")
    if app.config.get("METRICS_ENABLED"):
        click.echo(f'Counted in http_exceptions_total{{exception="AlertTestError",endpoint="{UNMATCHED}"}}.')
    if app.config.get("SENTRY_DSN"):
        click.echo("Reported to Sentry (SENTRY_DSN is set).")


def no_email_reason(config: Mapping[str, Any]) -> str | None:
    """Why this app cannot send error emails, or None when it can."""
    unset = [name for name in ("MAIL_SERVER", "ADMINS") if not config.get(name)]
    if unset:
        return (f"{' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set. For a local inbox, run "
                "`flask mailserver` and set MAIL_SERVER=127.0.0.1 MAIL_PORT=8025 ADMINS=you@example.com.")
    if config.get("ERROR_EMAILS") is False:
        return "ERROR_EMAILS=0 turns them off."
    return None


@contextmanager
def forced_error_emails(app: Flask) -> Iterator[AlertOutbox]:
    """The app's own error-email pipeline, on for the block, with groups of its own.

    Error emails are off by default in debug mode, and a second test within
    ERROR_EMAIL_WINDOW would only be counted in the shared groups, never
    mailed. Groups kept in this process alone mail every run, and leave the
    app's real groups alone. Afterwards the app is as it was."""
    if app.config.get("ERROR_EMAILS") is None and (app.debug or app.testing):
        click.echo("Error emails are off by default in debug mode: on for this test.")
    saved = {name: app.config.get(name) for name in ("ERROR_EMAILS", "ERROR_EMAIL_STATE")}
    previous = app.extensions.pop("error_emails", None)
    if previous is not None:
        previous.stop()  # unused: a CLI process serves no requests
    app.config.update(ERROR_EMAILS=True, ERROR_EMAIL_STATE="memory")
    outbox = configure_error_emails(app)
    assert outbox is not None  # MAIL_SERVER and ADMINS are set
    try:
        yield outbox
    finally:
        outbox.stop()
        app.config.update(saved)
        app.extensions.pop("error_emails", None)
        configure_error_emails(app)  # takes this run's handler off app.logger


def watch_reports(outbox: AlertOutbox) -> list[ErrorReport]:
    """The reports handed to ``outbox`` from now on: none means the error
    never reached it, and there is nothing to wait for."""
    seen: list[ErrorReport] = []
    submit = outbox.submit

    def watched(report: ErrorReport) -> None:
        seen.append(report)
        submit(report)

    outbox.submit = watched  # type: ignore[method-assign]
    return seen


def site_url(config: Mapping[str, Any]) -> str | None:
    """A base URL the app answers to: with TRUSTED_HOSTS set, "localhost"
    would be refused, and so would the error report that reads the URL."""
    if config.get("PUBLIC_URL"):
        return str(config["PUBLIC_URL"])
    hosts = config.get("TRUSTED_HOSTS") or []
    return f"http://{hosts[0].lstrip('.')}" if hosts else None


def raise_test_error(app: Flask) -> str:
    """Fail as an unhandled exception in a view does. Flask's handle_exception
    sends got_request_exception (the exceptions metric, Sentry), then logs the
    exception on app.logger (the log files, the error email)."""
    with app.test_request_context(TEST_PATH, base_url=site_url(app.config),
                                  headers={"User-Agent": "flask alerts test"}):
        request_id = get_request_id() or "-"
        try:
            raise AlertTestError(f"A test error from `flask alerts test` (request id {request_id}): "
                                 "nothing is broken.")
        except AlertTestError as exc:
            got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=exc)
            app.log_exception(sys.exc_info())
    return request_id


def email_counts() -> dict[str, float]:
    """error_emails_total by result, in this process."""
    return {s.labels["result"]: s.value for metric in ERROR_EMAILS.collect() for s in metric.samples
            if s.name.endswith("_total")}


def wait_for_delivery(outbox: AlertOutbox, before: dict[str, float]) -> str:
    """Wait until the outbox thread has tried (it sends in the background, and
    this process must not exit first): "sent", or why not."""
    deadline = time.monotonic() + outbox.smtp.timeout + SETTLE_SECONDS
    while time.monotonic() < deadline:
        now = email_counts()
        if now.get("sent", 0) > before.get("sent", 0):
            return "sent"
        if now.get("failed", 0) > before.get("failed", 0):
            return "the mail server failed (the error is above)"
        if now.get("dropped", 0) > before.get("dropped", 0):
            return "the outbox dropped it"
        time.sleep(0.05)
    return f"no answer within {outbox.smtp.timeout + SETTLE_SECONDS:g}s"


def log_destination(app: Flask) -> str:
    if app.config.get("LOG_TO_STDOUT"):
        return "stdout"
    if file_logging_enabled(app):
        return f"{app.config['LOG_DIR']}/error.log and microblog.log"
    return "stderr (LOG_TO_FILE=1 writes the log files in debug mode too)"

"""Sending email without making the request wait on the mail server.

Without a mail server, a developer still needs to read what was sent (a
password-reset link): in debug mode, or with MAIL_TO_CONSOLE, each email is
printed to the console instead. Never in production, where the console is a
log and a reset link in it would be a secret in the logs.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from flask_mail import Message

from app.extensions import mail

# A small pool rather than a thread per message: a burst of reset requests
# cannot start hundreds of SMTP connections at once.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def mail_to_console(app: Flask) -> bool:
    setting = app.config.get("MAIL_TO_CONSOLE")
    if setting is not None:
        return bool(setting)
    return not app.config.get("MAIL_SERVER") and app.debug


def _print(msg: Message) -> None:
    text = "\n".join([
        "-" * 72,
        "Email (printed, not sent: MAIL_SERVER is not set)",
        f"From: {msg.sender}",
        f"To: {', '.join(msg.recipients)}",
        f"Subject: {msg.subject}",
        "",
        msg.body or "",
        "-" * 72,
    ])
    print(text, file=sys.stdout, flush=True)


def can_send(subject: str, recipients: list[str]) -> bool:
    """Whether an email can go anywhere (a mail server or the console); if
    not, say so once in the log, before any work is spent on it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if mail_to_console(app) or app.config.get("MAIL_SERVER"):
        return True
    app.logger.warning("Email %r to %s not sent: MAIL_SERVER is not set", subject, recipients)
    return False


def deliver(msg: Message) -> None:
    """Send ``msg`` now, from inside an app context (a background thread)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if mail_to_console(app):
        _print(msg)
        return
    if not can_send(msg.subject, msg.recipients):
        return
    try:
        # Through the mail server's circuit breaker: while it is open, fail
        # at once instead of waiting MAIL_TIMEOUT on a server known to be down.
        app.extensions["smtp_breaker"].call(mail.send, msg)
    except Exception:
        # Not swallowed: logged with its traceback, so it reaches the logs.
        app.logger.exception("Could not send email %r to %s", msg.subject, msg.recipients)
        raise


def _in_app(app: Flask, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
    with app.app_context():
        fn(*args)


def in_background(fn: Callable[..., None], *args: Any) -> Future[None]:
    """Run ``fn(*args)`` on the mail threads, in an app context of its own."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _executor.submit(_in_app, app, fn, args)


def make_message(subject: str, recipients: list[str], text_body: str, html_body: str,
                 sender: str | None = None) -> Message:
    msg = Message(subject, sender=sender or current_app.config["MAIL_DEFAULT_SENDER"], recipients=recipients)
    msg.body = text_body
    msg.html = html_body
    return msg


def send_email(subject: str, recipients: list[str], text_body: str, html_body: str,
               sender: str | None = None) -> Future[None]:
    """Queue an email with text and HTML parts; returns the pending send."""
    if not can_send(subject, recipients):
        done: Future[None] = Future()
        done.set_result(None)
        return done
    return in_background(deliver, make_message(subject, recipients, text_body, html_body, sender))


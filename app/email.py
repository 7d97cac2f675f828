"""Sending email without making the request wait on the mail server."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app
from flask_mail import Message

from app.extensions import mail

# A small pool rather than a thread per message: a burst of reset requests
# cannot start hundreds of SMTP connections at once.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def _send(app: Flask, msg: Message) -> None:
    with app.app_context():
        try:
            # Through the mail server's circuit breaker: while it is open, fail
            # at once instead of waiting MAIL_TIMEOUT on a server known to be down.
            app.extensions["smtp_breaker"].call(mail.send, msg)
        except Exception:
            # Not swallowed: logged with its traceback, so it reaches the logs.
            app.logger.exception("Could not send email %r to %s", msg.subject, msg.recipients)
            raise


def send_email(subject: str, recipients: list[str], text_body: str, html_body: str,
               sender: str | None = None) -> Future[None]:
    """Queue an email with text and HTML parts; returns the pending send."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    msg = Message(subject, sender=sender or app.config["MAIL_DEFAULT_SENDER"], recipients=recipients)
    msg.body = text_body
    msg.html = html_body
    return _executor.submit(_send, app, msg)

"""Error emails to the admins: every new error at once, repeats as a digest,
and no request ever waits on the mail server."""
from __future__ import annotations

import logging
import os

from flask import Flask

from app.observability.alerts.groups import make_store
from app.observability.alerts.outbox import AlertOutbox, SMTPSettings
from app.observability.alerts.report import build_report
from app.observability.context import current_user_id
from app.request_id import get_request_id

__all__ = ["AlertOutbox", "ErrorMailHandler", "configure_error_emails"]


class ErrorMailHandler(logging.Handler):
    """Turns ERROR records into reports, in the failing request's thread, and
    hands them to the outbox."""

    def __init__(self, outbox: AlertOutbox) -> None:
        super().__init__(logging.ERROR)
        self.outbox = outbox
        self._microblog_handler = True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.outbox.submit(build_report(record, current_user_id(), get_request_id()))
        except Exception:
            self.handleError(record)


def error_emails_enabled(app: Flask) -> bool:
    setting = app.config.get("ERROR_EMAILS")
    configured = bool(app.config.get("MAIL_SERVER") and app.config.get("ADMINS"))
    if setting is None:
        return configured and not (app.debug or app.testing)
    if setting and not configured:
        raise RuntimeError("ERROR_EMAILS is on, but MAIL_SERVER or ADMINS is not set")
    return bool(setting)


def configure_error_emails(app: Flask) -> AlertOutbox | None:
    for old in [h for h in app.logger.handlers if isinstance(h, ErrorMailHandler)]:
        app.logger.removeHandler(old)
    if not error_emails_enabled(app):
        return None
    cfg = app.config
    outbox = AlertOutbox(
        SMTPSettings(
            host=cfg["MAIL_SERVER"], port=int(cfg["MAIL_PORT"]), sender=cfg["MAIL_DEFAULT_SENDER"],
            recipients=tuple(cfg["ADMINS"]), use_tls=cfg["MAIL_USE_TLS"], use_ssl=cfg["MAIL_USE_SSL"],
            username=cfg.get("MAIL_USERNAME"), password=cfg.get("MAIL_PASSWORD"),
            timeout=float(cfg["MAIL_TIMEOUT"]),
        ),
        window=float(cfg["ERROR_EMAIL_WINDOW"]),
        retry_interval=float(cfg["ERROR_EMAIL_RETRY"]),
        breaker=app.extensions.get("smtp_breaker"),
        groups=make_store(cfg.get("ERROR_EMAIL_STATE"), cfg.get("REDIS_URL"),
                          os.path.join(app.instance_path, "error-alerts.json")),
    )
    app.logger.addHandler(ErrorMailHandler(outbox))
    app.extensions["error_emails"] = outbox
    return outbox

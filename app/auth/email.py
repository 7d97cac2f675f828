"""The password-reset email: asked for in a request, looked up and sent in
the background."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import force_locale
from flask_limiter.util import get_remote_address

from app.email import can_send, deliver, in_background, make_message
from app.extensions import db
from app.i18n import dates, language_of
from app.i18n.gettext import lazy_gettext as _l
from app.limits import allowed
from app.links import external_url, link_base
from app.models import User
from app.observability.metrics import PASSWORD_RESETS

SUBJECT = _l("[Microblog] Reset Your Password")
NO_LINK = ("No password-reset email sent: PUBLIC_URL is not set, so a link can only be built for a request to "
           "a loopback host, and this one came to %r. Set PUBLIC_URL to the site's address "
           "(e.g. https://microblog.example.com).")


def request_password_reset(address: str) -> None:
    """What a reset request does while the client waits: the same work
    whether or not ``address`` is registered (limits, then a background job
    that looks it up), so neither the page nor its timing tells."""
    cfg = current_app.config
    key = address.strip().lower()
    by_client = allowed(cfg["RESET_LIMIT_PER_ADDRESS"], "reset-address", get_remote_address())
    by_email = allowed(cfg["RESET_LIMIT_PER_EMAIL"], "reset-email", key)
    if not (by_client and by_email):
        PASSWORD_RESETS.labels("limited").inc()
        return
    base = link_base()
    if base is None:
        current_app.logger.error(NO_LINK, request.host[:100])
        PASSWORD_RESETS.labels("no_link").inc()
        return
    # The job has no request: it is told the language this one was served in.
    in_background(_send_reset_link, key, base, dates.language())
    PASSWORD_RESETS.labels("queued").inc()


def _send_reset_link(address: str, base: str, language: str = "en") -> None:
    try:
        user = db.session.scalar(User.by_email(address))
        if user is None:
            return
        token = user.get_reset_password_token()
        url = external_url(base, "auth.reset_password", token=token)
        recipient, username = user.email, user.username
        chosen = language_of(user, language)
        with force_locale(chosen):
            subject = str(SUBJECT)
        if not can_send(subject, [recipient]):
            return
    except Exception:
        current_app.logger.exception("Could not prepare a password-reset email")
        raise
    finally:
        db.session.remove()
    with force_locale(chosen):
        message = make_message(
            subject,
            recipients=[recipient],
            text_body=render_template("email/reset_password.txt", username=username, reset_url=url),
            html_body=render_template("email/reset_password.html", username=username, reset_url=url),
        )
    deliver(message)


"""Rate limits shared by every feature (Flask-Limiter underneath).

- A refusal says, in a sentence a person understands, how many attempts are
  allowed and when to come back ("5 per 15 minute" is what the library says).
- ``Retry-After`` goes only with a 429 or a 503: Flask-Limiter adds it to
  every answer of a limited view, so a 401 said "retry after 900 seconds" and
  a success "retry after 0".
- ``allowed()`` checks limits by hand, for a view that must answer the same
  way whether or not a limit was hit (the password-reset request).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_login import current_user
from limits import RateLimitItem, parse_many

from app.extensions import limiter

RETRY_STATUSES = {429, 503}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _only_writes_are_limited() -> bool:
    """Every limit is on a POST or PUT: skip the limiter's bookkeeping (a
    tenth of a login page's cost) for reads. Add a GET limit, and this filter
    must change."""
    return request.method in SAFE_METHODS


def describe(item: RateLimitItem) -> str:
    """``5 every 15 minutes``, ``10 an hour``."""
    unit = item.GRANULARITY.name
    if item.multiples == 1:
        period = f"an {unit}" if unit == "hour" else f"a {unit}"
    else:
        period = f"every {item.multiples} {unit}s"
    return f"{item.amount} {period}"


def wait_words(seconds: float) -> str:
    """``12 minutes``, ``1 second``: how long to wait, for a person."""
    if seconds < 90:
        count, unit = max(1, math.ceil(seconds)), "second"
    elif seconds < 90 * 60:
        count, unit = math.ceil(seconds / 60), "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def limit_message() -> str:
    """The detail of a 429 (Flask-Limiter's ``error_message``)."""
    current = limiter.current_limit
    if current is None:
        return "Too many requests. Please wait a little and try again."
    wait = max(0.0, current.reset_at - time.time())
    return (f"Too many attempts: at most {describe(current.limit)} are allowed. "
            f"Please try again in {wait_words(wait)}.")


def allowed(setting: str, scope: str, key: str) -> bool:
    """Count one attempt against every limit in ``setting`` (a Flask-Limiter
    string such as ``3 per hour;10 per day``); False once any is exceeded.
    Always True while rate limiting is off."""
    if not limiter.enabled:
        return True
    items = parse_many(setting)
    # Test every limit first: a refused attempt must not use up the limits
    # that still had room (a spent day limit would eat the minute's).
    if not all(limiter.limiter.test(item, scope, key) for item in items):
        return False
    return all([limiter.limiter.hit(item, scope, key) for item in items])


def longest_wait(setting: str, scope: str, key: str) -> tuple[float, RateLimitItem] | None:
    """After ``allowed()`` said no: the seconds until every spent limit in
    ``setting`` has room again, and the limit that ends last (None if none is
    spent any more)."""
    now = time.time()
    spent = []
    for item in parse_many(setting):
        stats = limiter.limiter.get_window_stats(item, scope, key)
        if stats.remaining == 0:
            spent.append((max(0.0, stats.reset_time - now), item))
    return max(spent, key=lambda pair: pair[0]) if spent else None


def note_wrong_password() -> None:
    """Mark this request as a failed check of an account's current password."""
    g.wrong_password = True


def wrong_password_limit(key_func: Callable[[], str]) -> Callable:
    """A limit on failed checks of the current password before a sensitive
    change (email, password): someone holding a stolen session or API token
    cannot guess the password for long. Same allowance as failed logins."""
    return limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=key_func, methods=["POST", "PUT"],
        deduct_when=lambda response: bool(g.get("wrong_password")), scope="current-password",
        error_message=limit_message,
    )


def _signed_in_account() -> str:
    return f"user:{getattr(current_user, 'id', None)}"


# Failed current-password checks on the web forms (profile, change password).
password_checks = wrong_password_limit(_signed_in_account)


def _retry_after_only_when_it_means_something(response: Response) -> Response:
    if response.status_code not in RETRY_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> None:
    # after_request functions run last-registered first: registered before
    # the limiter's own, this one runs after it has added its headers.
    app.after_request(_retry_after_only_when_it_means_something)
    limiter.init_app(app)

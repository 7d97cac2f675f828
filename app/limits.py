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

from babel.lists import format_list
from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_login import current_user
from limits import RateLimitItem, parse_many

from app.extensions import limiter
from app.i18n import dates
from app.i18n.gettext import gettext as _
from app.i18n.gettext import lazy_gettext as _l
from app.i18n.gettext import ngettext

RETRY_STATUSES = {429, 503}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _only_writes_are_limited() -> bool:
    """Every limit is on a POST or PUT: skip the limiter's bookkeeping (a
    tenth of a login page's cost) for reads. Add a GET limit, and this filter
    must change."""
    return request.method in SAFE_METHODS


# A limit's period, as a person says it: "an hour" when the limit counts
# one unit, "every 15 minutes" otherwise (Flask-Limiter says "15 minute").
_ONE_UNIT = {"second": _l("a second"), "minute": _l("a minute"), "hour": _l("an hour"), "day": _l("a day"),
             "month": _l("a month"), "year": _l("a year")}


def _every(unit: str, count: int) -> str:
    if unit == "second":
        return ngettext("every %(num)d second", "every %(num)d seconds", count)
    if unit == "minute":
        return ngettext("every %(num)d minute", "every %(num)d minutes", count)
    if unit == "hour":
        return ngettext("every %(num)d hour", "every %(num)d hours", count)
    if unit == "day":
        return ngettext("every %(num)d day", "every %(num)d days", count)
    if unit == "month":
        return ngettext("every %(num)d month", "every %(num)d months", count)
    return ngettext("every %(num)d year", "every %(num)d years", count)


def describe(item: RateLimitItem) -> str:
    """``5 every 15 minutes``, ``10 an hour``, in the page's language."""
    unit = item.GRANULARITY.name
    period = str(_ONE_UNIT[unit]) if item.multiples == 1 else _every(unit, item.multiples)
    # TRANSLATORS: a rate limit: "5 every 15 minutes", "10 an hour".
    return _("%(amount)d %(period)s", amount=item.amount, period=period)


def describe_all(setting: str) -> str:
    """Every limit of a setting (``3 per hour;10 per day``), joined as the language joins a list."""
    return format_list([describe(item) for item in parse_many(setting)], locale=dates.language())


def wait_words(seconds: float) -> str:
    """``12 minutes``, ``1 second``: how long to wait, for a person."""
    if seconds < 90:
        count = max(1, math.ceil(seconds))
        return ngettext("%(num)d second", "%(num)d seconds", count)
    if seconds < 90 * 60:
        return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
    return ngettext("%(num)d hour", "%(num)d hours", math.ceil(seconds / 3600))


def limit_message() -> str:
    """The detail of a 429 (Flask-Limiter's ``error_message``)."""
    current = limiter.current_limit
    if current is None:
        return _("Too many requests. Please wait a little and try again.")
    wait = max(0.0, current.reset_at - time.time())
    return _("Too many attempts: at most %(limit)s are allowed. Please try again in %(wait)s.",
             limit=describe(current.limit), wait=wait_words(wait))


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


def _writes_only(check: Callable[[], None]) -> Callable[[], None]:
    """The limiter's before-request check, run for writes only. For a read,
    with every limit filtered out (``_only_writes_are_limited``), it still
    resolved exemption scopes and meta limits: most of the 3.8% of
    /explore's CPU samples that were in the limiter (``make bench-profile``
    on PostgreSQL, gunicorn)."""
    def check_writes() -> None:
        if request.method not in SAFE_METHODS:
            check()
    return check_writes


def init_app(app: Flask) -> None:
    # after_request functions run last-registered first: registered before
    # the limiter's own, this one runs after it has added its headers.
    app.after_request(_retry_after_only_when_it_means_something)
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # not with RATELIMIT_ENABLED off
        hooks[hooks.index(limiter._check_request_limit)] = _writes_only(limiter._check_request_limit)

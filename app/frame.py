"""base.html's navbar and scripts, written once per language and site root.

Around every page's own content, base.html wrote the same navbar and script
tags again: some 25 translated words, 20 addresses and the language chooser,
each a Jinja call, for bytes that differ between requests only in a few
places (the session's token, the unread count, the viewer's name, where the
chooser goes back to, the search box's query). ``_frame.html`` holds those
two parts, with the per-request values in ``slot``; each part is rendered
once per key with a placeholder in every slot, cut at the placeholders, and
each request joins the pieces with its own values, escaped here.

The key is everything else the parts are made of: the part, signed in or
not, the page's language and the chooser's list, the site root, and the poll
interval. Nothing of one viewer is in a kept part.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, current_app, get_template_attribute, request
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.csrf_token import csrf_token
from app.i18n import chooser_next
from app.kept import kept
from app.urls import template_url_for

_KEY = "microblog_frames"
# A NUL is in no token, name, address or translated word.
_PLACEHOLDER = re.compile("\x00(\\w+)\x00")
# One entry per part, sign-in state, language and root: past this many (a
# site behind many roots) the table starts again rather than grow.
MAX_KEPT = 256


def _csrf(context: Context) -> str:
    return str(escape(csrf_token()))


def _unread(context: Context) -> str:
    return str(int(current_user.unread_message_count or 0))


def _unread_class(context: Context) -> str:
    return "" if current_user.unread_message_count else " d-none"


def _username(context: Context) -> str:
    return str(escape(current_user.username))


def _profile_url(context: Context) -> str:
    return str(escape(template_url_for("main.user", username=current_user.username)))


def _next(context: Context) -> str:
    return str(escape(chooser_next()))


def _search_value(context: Context) -> str:
    """The search box keeps the query on the search page (the view's ``q``)."""
    if request.endpoint != "search.search":
        return ""
    return f' value="{escape(context.get("q", ""))}"'


# Each slot's value in this request, already escaped for where it is written.
SLOTS: dict[str, Callable[[Context], str]] = {
    "csrf": _csrf, "unread": _unread, "unread_class": _unread_class, "username": _username,
    "profile_url": _profile_url, "next": _next, "search_value": _search_value,
}
_PLACEHOLDERS = {name: f"\x00{name}\x00" for name in SLOTS}


@pass_context
def frame(context: Context, part: str, signed_in: bool) -> Markup:
    """``part`` ("top": ``<body>`` and the navbar; "bottom": the scripts) as
    this request shows it."""
    page_language, languages = context["page_language"], context["languages"]
    key = (part, bool(signed_in), page_language, tuple(languages), request.root_path,
           current_app.config["NOTIFICATION_POLL_SECONDS"])

    def pieces() -> list[str]:
        macro = get_template_attribute("_frame.html", part)
        return _PLACEHOLDER.split(str(macro(signed_in, _PLACEHOLDERS, page_language, languages)))

    # split() puts each placeholder's name at the odd places.
    out = kept(_KEY, key, pieces, MAX_KEPT)[:]
    for index in range(1, len(out), 2):
        out[index] = SLOTS[out[index]](context)
    return Markup("".join(out))


def init_app(app: Flask) -> None:
    app.add_template_global(frame)

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
from collections.abc import Callable, Mapping

from flask import Flask, current_app, get_template_attribute, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.i18n import chooser_next
from app.urls import template_url_for

_KEY = "microblog_frames"
# A NUL is in no token, name, address or translated word.
_PLACEHOLDER = re.compile("\x00(\\w+)\x00")
# One entry per part, sign-in state, language and root: past this many (a
# site behind many roots) the table starts again rather than grow.
MAX_KEPT = 256


def _csrf() -> str:
    return str(escape(generate_csrf()))


def _unread() -> str:
    return str(int(current_user.unread_message_count or 0))


def _unread_class() -> str:
    return "" if current_user.unread_message_count else " d-none"


def _username() -> str:
    return str(escape(current_user.username))


def _profile_url() -> str:
    return str(escape(template_url_for("main.user", username=current_user.username)))


def _next() -> str:
    return str(escape(chooser_next()))


# Each slot's value in this request, already escaped for where it is written.
SLOTS: dict[str, Callable[[], str]] = {
    "csrf": _csrf, "unread": _unread, "unread_class": _unread_class, "username": _username,
    "profile_url": _profile_url, "next": _next,
}


def _render(part: str, signed_in: bool, slot: Mapping[str, str], context: Context) -> str:
    macro = get_template_attribute("_frame.html", part)
    if part == "top":
        return str(macro(signed_in, slot, context["page_language"], context["languages"]))
    return str(macro(signed_in))


def _search_value(context: Context) -> str:
    """The search box keeps the query on the search page (the view's ``q``)."""
    if request.endpoint != "search.search":
        return ""
    return f' value="{escape(context.get("q", ""))}"'


@pass_context
def frame(context: Context, part: str, signed_in: bool) -> Markup:
    """``part`` ("top": ``<body>`` and the navbar; "bottom": the scripts) as
    this request shows it."""
    config = current_app.config
    key = (part, bool(signed_in), context["page_language"], tuple(context["languages"]), request.root_path,
           config["NOTIFICATION_POLL_SECONDS"])
    kept: dict[tuple, list[str]] = current_app.extensions[_KEY]
    pieces = kept.get(key)
    if pieces is None:
        placeholders = {name: f"\x00{name}\x00" for name in (*SLOTS, "search_value")}
        pieces = _PLACEHOLDER.split(_render(part, signed_in, placeholders, context))
        if len(kept) >= MAX_KEPT:
            kept.clear()
        kept[key] = pieces
    if len(pieces) == 1:
        return Markup(pieces[0])
    # split() puts each placeholder's name at the odd places.
    return Markup("".join(_fill(pieces, context)))


def _fill(pieces: list[str], context: Context) -> list[str]:
    out = pieces[:]
    for index in range(1, len(pieces), 2):
        name = pieces[index]
        out[index] = _search_value(context) if name == "search_value" else SLOTS[name]()
    return out


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}
    app.add_template_global(frame)

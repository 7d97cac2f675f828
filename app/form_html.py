"""A page's form as HTML: the blank form of a GET kept, a sent one written afresh."""
from __future__ import annotations

from typing import Any

from flask import get_template_attribute, request
from markupsafe import Markup

from app.csrf_token import kept_with_token
from app.forms import WebForm
from app.i18n.dates import language

_KEY = "microblog_blank_forms"
# A thread's reply form is kept per post (its action): past this many the
# table starts again rather than grow without bound.
MAX_KEPT = 1024


def form_html(form: WebForm | type[WebForm], **render_args: Any) -> Markup:
    """``_form.html``'s ``render(form, **render_args)``, as a page shows it.

    A form class stands for its blank form, the one a GET shows: the same
    bytes for every viewer but the session's CSRF token, so it is written
    once per class, arguments, language and site root, and each request's
    token is put in. Building a PostForm and running its macros for every
    home page cost 6% of it. A form instance (sent back with its text and
    errors) is written afresh. ``render_args`` make the key: their values
    must be hashable (``fields`` a tuple)."""
    if not isinstance(form, type):
        return Markup(get_template_attribute("_form.html", "render")(form, **render_args))
    form_class: type[WebForm] = form

    def blank() -> str:
        # The form's own field writes the request's token (kept in g), which
        # kept_with_token swaps for its slot.
        return str(get_template_attribute("_form.html", "render")(form_class(formdata=None), **render_args))

    key = (form, language(), request.root_path, *sorted(render_args.items()))
    return kept_with_token(_KEY, key, blank, MAX_KEPT)

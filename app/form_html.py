"""A page's form as HTML: the blank form of a GET kept, a sent one written afresh."""
from __future__ import annotations

from typing import Any

from flask import get_template_attribute, request
from markupsafe import Markup

from app.csrf_token import csrf_token
from app.forms import WebForm
from app.i18n.dates import language
from app.kept import kept

_KEY = "microblog_blank_forms"
# A thread's reply form is kept per post (its action): past this many the
# table starts again rather than grow without bound.
MAX_KEPT = 1024
# Stands for the CSRF token in a kept form: a NUL is in no token, label or address.
_SLOT = "\x00csrf\x00"


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
    token = csrf_token()  # the same token the form's own field writes (kept for the request)
    form_class: type[WebForm] = form

    def blank() -> str:
        html = get_template_attribute("_form.html", "render")(form_class(formdata=None), **render_args)
        return str(html).replace(token, _SLOT)

    key = (form, language(), request.root_path, *sorted(render_args.items()))
    return Markup(kept(_KEY, key, blank, MAX_KEPT).replace(_SLOT, token))

"""The words the page scripts (static/js/*.js) write, in the page's language.

Scripts cannot call gettext: base.html hands them these strings as JSON in
a ``data-texts`` attribute (no inline ``<script>`` at all, so nothing the
CSP would have to allow). Placeholders are ``{name}``; plurals are the forms
for Intl.PluralRules' "one" and "other", which is every form English,
Spanish, German and French have.
"""
from __future__ import annotations

import json

from markupsafe import Markup, escape

from app.i18n.gettext import gettext as _
from app.i18n.gettext import ngettext
from app.i18n.gettext import translations as current_translations
from app.jobs.export import FAILED as EXPORT_FAILED
from app.jobs.tasks import LOST, STOPPED

# Built once per loaded catalogue, not per page: a catalogue object lives as
# long as the process keeps it (a test that loads new ones gets new objects).
# The catalogue is kept beside its JSON so that its id() cannot be reused.
_built: dict[int, tuple[object, Markup]] = {}


def _plural(singular: str, plural: str) -> dict[str, str]:
    return {"one": ngettext(singular, plural, 1).replace("1", "{n}", 1),
            "other": ngettext(singular, plural, 2).replace("2", "{n}", 1)}


def _texts() -> dict[str, object]:
    return {
        "like": _("Like"), "unlike": _("Unlike"), "likes": _plural("%(num)d like", "%(num)d likes"),
        "close": _("Close"), "dismiss": _("Dismiss"), "progress": _("Progress"), "try_again": _("Try again"),
        "replied": _("%(username)s replied to your post.", username="{name}"), "see_reply": _("See the reply"),
        "mentioned": _("%(username)s mentioned you.", username="{name}"), "see_post": _("See the post"),
        "export_waiting": _("Exporting your posts: waiting for a worker…"),
        "export_running": _("Exporting your posts…"), "export_done": _("Exported your posts: done."),
        "download": _("Download the file"), "task_failed": _("The task failed: %(reason)s", reason="{reason}"),
        "unknown_error": _("unknown error"),
        "translate": _("Translate"), "show_original": _("Show original"),
        "translate_failed": _("Translation is not available right now"),
        # A task's failure is stored in English (marked with N_ where it is
        # written); these are the ones the app writes.
        "errors": {text: _(text) for text in (STOPPED, LOST, EXPORT_FAILED)},
    }


def client_texts() -> Markup:
    """The JSON for the page's ``data-texts`` attribute, escaped once for
    an attribute value (quotes included) and kept."""
    translations = current_translations()
    built = _built.get(id(translations))
    if built is None or built[0] is not translations:
        text = json.dumps(_texts(), ensure_ascii=False, separators=(",", ":"))
        built = _built[id(translations)] = (translations, escape(text))
    return built[1]

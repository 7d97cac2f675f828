"""The message form."""
from __future__ import annotations

from wtforms import SubmitField, TextAreaField

from app.forms import WebForm, length, required
from app.i18n.gettext import lazy_gettext as _l


def _trimmed(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MessageForm(WebForm):
    # The posts' rule, on the trimmed text: 1 to 140 characters.
    message = TextAreaField(_l("Message"), filters=[_trimmed], validators=[required(), length(min=1, max=140)])
    submit = SubmitField(_l("Send"))

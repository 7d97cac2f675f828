"""The message form."""
from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import WebForm


def _trimmed(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MessageForm(WebForm):
    # The posts' rule, on the trimmed text: 1 to 140 characters.
    message = TextAreaField("Message", filters=[_trimmed], validators=[DataRequired(), Length(min=1, max=140)])
    submit = SubmitField("Send")

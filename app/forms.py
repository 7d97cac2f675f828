"""The base of every web form."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read it from the request" marker (pinned version)
from wtforms import SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.i18n.gettext import lazy_gettext as _l

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


# WTForms' own messages come from its catalogues, which we do not control or
# check; every validator here says its message (WTForms' English) in ours.
REQUIRED = _l("This field is required.")


def required() -> DataRequired:
    return DataRequired(message=REQUIRED)


def length(min: int = -1, max: int = -1) -> Length:  # noqa: A002 (WTForms' names)
    """Length with a message for each kind of bound."""
    if min > 0 and max > 0:
        message = _l("Field must be between %(min)d and %(max)d characters long.")
    elif max > 0:
        message = _l("Field cannot be longer than %(max)d characters.")
    else:
        message = _l("Field must be at least %(min)d characters long.")
    return Length(min=min, max=max, message=message)


def email_address() -> Email:
    return Email(allow_smtputf8=False, message=_l("Invalid email address."))


def same_as(field: str) -> EqualTo:
    return EqualTo(field, message=_l("Passwords must match."))


class WebForm(FlaskForm):
    """A FlaskForm that reads only ordinary form fields.

    Flask-WTF also fills a form from uploaded files and from a JSON body, so a
    field could hold a file or a dict, which the validators (``len()``) and
    the database do not expect: a 500. The site's forms take text fields only.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is _Auto:
                return request.form if request.method in SUBMIT_METHODS else None
            return formdata


class EmptyForm(WebForm):
    """Carries only the CSRF token, for buttons: follow, unfollow, export."""

    submit = SubmitField(_l("Submit"))


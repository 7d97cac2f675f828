"""The base of every web form."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read it from the request" marker (pinned version)
from wtforms import SubmitField

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


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

    submit = SubmitField("Submit")


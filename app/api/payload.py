"""Reading a request body: a JSON object whose fields are all known, of the
right type, and pass the same rules as the web forms.

Unknown fields are rejected (400, listed in ``errors``) rather than ignored:
a typo such as ``usrname`` would otherwise be dropped without a word.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import request
from werkzeug.exceptions import UnsupportedMediaType
from wtforms import Form, StringField

from app.accounts import EMAIL_RULES, PASSWORD_RULES, USERNAME_RULES
from app.errors import ValidationError
from app.forms import length, required
from app.models.base import MAX_ID
from app.posts.forms import POST_RULES

NOT_JSON = "Send the request body as JSON, with the header 'Content-Type: application/json'."
MALFORMED = "The request body is not valid JSON."
NOT_AN_OBJECT = "The request body must be a JSON object."
INVALID_FIELDS = "The request has invalid fields."


class UserFields(Form):
    """An account's fields, with the registration form's rules (no CSRF: a plain WTForms form)."""

    username = StringField(validators=USERNAME_RULES)
    email = StringField(validators=EMAIL_RULES)
    password = StringField(validators=PASSWORD_RULES)
    about_me = StringField(validators=[length(max=140)])
    current_password = StringField(validators=[required(), length(max=128)])


class PostFields(Form):
    body = StringField(validators=POST_RULES)


class MessageFields(Form):
    # Read with trimmed=("body",): the message form's rule, on the trimmed text.
    recipient = StringField(validators=USERNAME_RULES)
    body = StringField(validators=[required(), length(min=1, max=140)])


def json_object() -> dict[str, Any]:
    """The body as a JSON object: 415 for another media type, 400 for bad JSON or a non-object."""
    if not request.is_json:
        raise UnsupportedMediaType(NOT_JSON)
    raw = request.get_data(cache=True)  # past MAX_CONTENT_LENGTH this raises 413
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ValidationError(MALFORMED) from None
    if not isinstance(data, dict):
        raise ValidationError(NOT_AN_OBJECT)
    return data


def _text_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "Must be a string."
    if "\x00" in value:  # PostgreSQL cannot store it
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800" in the JSON
        return "Must be valid Unicode text."
    return None


def _id_problem(value: object) -> str | None:
    # bool is an int in Python, but true is not a post id.
    if isinstance(value, bool) or not isinstance(value, int):
        return "Must be an integer id."
    if not 1 <= value <= MAX_ID:
        return f"Must be an id from 1 to {MAX_ID}."
    return None


def read_fields(form_class: type[Form], *, required: Iterable[str] = (), optional: Iterable[str] = (),
                nullable: Iterable[str] = (), trimmed: Iterable[str] = (),
                ids: Iterable[str] = ()) -> dict[str, Any]:
    """Validate the body's fields against ``form_class``; raise ValidationError with every problem.

    Fields in ``trimmed`` lose their surrounding whitespace before the rules
    apply, and are returned trimmed (as a web form's strip filter does).
    Fields in ``ids`` are integer ids (such as ``in_reply_to``), not text."""
    payload = json_object()
    required, allowed, nullable = set(required), set(required) | set(optional), set(nullable)
    trimmed, ids = set(trimmed), set(ids)
    errors: dict[str, list[str]] = {}
    for name in sorted(payload.keys() - allowed):
        errors[name] = [f"Unknown field. The fields are: {', '.join(sorted(allowed))}."]
    for name in sorted(required - payload.keys()):
        errors[name] = ["This field is required."]
    form = form_class()
    data: dict[str, Any] = {}
    for name in sorted(allowed & payload.keys()):
        value = payload[name]
        if value is None and name in nullable:
            data[name] = None
            continue
        if name in ids:
            problem = _id_problem(value)
            if problem is None:
                data[name] = value
            else:
                errors[name] = [problem]
            continue
        problem = _text_problem(value)
        if problem is not None:
            errors[name] = [problem]
            continue
        if name in trimmed:
            value = value.strip()
        field = form[name]
        field.data = value
        if field.validate(form):
            data[name] = value
        else:
            errors[name] = list(field.errors)
    if errors:
        raise ValidationError(INVALID_FIELDS, errors=errors)
    return data

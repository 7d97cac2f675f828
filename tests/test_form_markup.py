"""The hand-written form markup (app/templates/_form.html): every field's
autocomplete hint for password managers, and render_kw output escaped."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import render_template_string
from wtforms import StringField

from app.forms import WebForm


class Inputs(HTMLParser):
    """Every <input> and <textarea> of a page, by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"input", "textarea"}:
            found = dict(attrs)
            self.by_id[found.get("id") or ""] = found


def autocomplete(client, path: str) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    return {i: a.get("autocomplete") for i, a in Inputs(response.get_data(as_text=True)).by_id.items()
            if a.get("type") in {"text", "password"}}


@pytest.mark.parametrize(("path", "expected"), [
    ("/auth/login", {"username": "username", "password": "current-password"}),
    ("/auth/register", {"username": "username", "email": "email", "password": "new-password",
                        "password2": "new-password"}),
    ("/auth/reset_password_request", {"email": "email"}),
])
def test_account_forms_tell_password_managers_what_each_field_is(client, path, expected):
    assert autocomplete(client, path) == expected


def test_reset_form_asks_for_a_new_password(client, susan):
    path = f"/auth/reset_password/{susan.get_reset_password_token()}"
    assert autocomplete(client, path) == {"password": "new-password", "password2": "new-password"}


class Hostile(WebForm):
    nickname = StringField("Nickname", render_kw={"data-note": '"><script>alert(1)</script>', "autocomplete": None})


def test_render_kw_values_are_escaped(app):
    with app.test_request_context("/"):
        html = render_template_string('{% import "_form.html" as forms %}{{ forms.control(form.nickname) }}',
                                      form=Hostile())
    assert "<script>" not in html
    attrs = Inputs(html).by_id["nickname"]
    assert attrs["data-note"] == '"><script>alert(1)</script>'  # the value, intact but inert
    assert "autocomplete" not in attrs  # None leaves the attribute out

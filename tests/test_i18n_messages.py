"""Messages in the reader's language beyond the page itself (issue 16):
emails in the recipient's language, received by a real SMTP server; the
API in English with only a problem's title translated; plural forms; and
the fast gettext's catalogue following ``force_locale``."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.i18n.gettext import gettext, ngettext
from app.models import User

THREE = {"LANGUAGES": ["en", "es", "de"]}


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "PUBLIC_URL": "http://microblog.test", **THREE}


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_reset_asked_for_in_spanish_is_written_in_spanish(client, susan, smtp):
    client.post("/auth/reset_password_request", data={"email": "susan@example.com"},
                headers={"Accept-Language": "es"})
    (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"] == "[Microblog] Restablece tu contraseña"
    assert "Hola, susan:" in text_of(message)
    assert "Dear" not in text_of(message) and "Sincerely" not in text_of(message)


def test_the_recipient_s_saved_language_beats_the_request_s(client, susan, smtp):
    db.session.get(User, susan.id).language = "de"
    db.session.commit()
    client.post("/auth/reset_password_request", data={"email": "susan@example.com"},
                headers={"Accept-Language": "es"})
    (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"].startswith("[Microblog] ") and "Passwort" in message["Subject"]
    assert "Passwort" in text_of(message) and "contraseña" not in text_of(message)


def test_the_api_answers_in_english_but_titles_its_problems_in_the_reader_s_language(client, token):
    auth = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/users/999999", headers={**auth, "Accept-Language": "es"})
    assert response.status_code == 404
    problem = response.get_json()
    assert problem["title"] == "No encontrado"
    assert "Nicht" not in problem["detail"] and problem["detail"] == client.get(
        "/api/users/999999", headers=auth).get_json()["detail"]  # the detail stays English
    assert client.get("/api/users/999999", headers={**auth, "Accept-Language": "de"}).get_json()["title"] \
        == "Nicht gefunden"
    assert client.get("/api/users/999999", headers={**auth, "Accept-Language": "ja"}).get_json()["title"] \
        == "Not Found"
    bad = client.post("/api/posts", json={"body": ""}, headers={**auth, "Accept-Language": "es"})
    assert bad.status_code == 400 and bad.get_json()["errors"]["body"] == ["This field is required."]


def test_an_html_error_page_is_in_the_page_s_language(client):
    page = client.get("/no/such/page", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in page and "Nicht gefunden" in page and "Not Found" not in page


@pytest.mark.parametrize(("language", "one", "two"), [
    ("en", "1 follower", "2 followers"), ("es", "1 seguidor", "2 seguidores"), ("de", "1 Follower", "2 Follower"),
])
def test_counts_take_the_language_s_plural_forms(app, language, one, two):
    with app.test_request_context("/"), force_locale(language):
        forms = [ngettext("%(count)s follower", "%(count)s followers", n, count=n) for n in (1, 2)]
    assert forms == [one, two]


def test_the_profile_says_1_follower_and_2_followers(client, auth, susan, john):
    auth.login()
    client.post("/follow/john")
    page = client.get("/user/john").get_data(as_text=True)
    assert '<span id="followers-count">1</span> follower,' in page
    assert '<span id="posts-count">0</span> posts,' in page


def test_the_fast_gettext_follows_force_locale_inside_a_request(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert gettext("Home") == "Inicio"
        with force_locale("de"):
            assert gettext("Home") == "Startseite"
        assert gettext("Home") == "Inicio"


def test_the_profile_form_saves_and_clears_the_language(client, auth, susan):
    auth.login()
    form = {"username": "susan", "email": "susan@example.com", "about_me": "", "current_password": ""}
    assert client.post("/edit_profile", data={**form, "language": "de"}).status_code == 302
    assert db.session.get(User, susan.id).language == "de"
    assert '<html lang="de">' in client.get("/index").get_data(as_text=True)
    response = client.post("/edit_profile", data={**form, "language": "tlh"})
    assert response.status_code == 200 and db.session.get(User, susan.id).language == "de"
    assert client.post("/edit_profile", data={**form, "language": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, susan.id).language is None

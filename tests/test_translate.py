"""POST /translate end to end, against the LibreTranslate stand-in over real
HTTP (tests/support/libretranslate.py): the answer, the cache, every way the
provider fails, and the breaker."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, PostTranslation, User
from app.observability.metrics import TRANSLATIONS
from app.posts import publish
from tests.support import libretranslate as lt

API_KEY = "lt-key-5f0c2b9e7d41a3"  # long and unique: found anywhere, it leaked
UNAVAILABLE = "Translation is not available right now"
JSON = {"Accept": "application/json"}


@pytest.fixture
def stand_in():
    with lt.LibreTranslateStandIn(api_keys={API_KEY}) as server:
        yield server


@pytest.fixture
def app_config(stand_in):
    # No test here waits for the timeout (tests/test_translate_failures.py
    # does): a generous one keeps a loaded machine from turning an answer
    # into a timeout (seen once in CI: 0.5 s passed before the stand-in replied).
    return {"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": stand_in.url, "LIBRETRANSLATE_API_KEY": API_KEY,
            "TRANSLATE_TIMEOUT": 5, "TRANSLATE_BREAKER_FAILURES": 3, "TRANSLATE_BREAKER_RESET": 0.5,
            "LANGUAGES": ["en", "es"]}


def foreign_post(author: User, body: str = "hola a todos", language: str = "es") -> int:
    """A post whose language the detector would have set (set here directly)."""
    post = publish(author, body)
    post.language = language
    db.session.commit()
    return post.id


def ask(client, post_id: object, dest: object = "en", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/translate", json={"post_id": post_id, "dest": dest}, headers={**JSON, **headers})


def counted(status: str) -> float:
    return TRANSLATIONS.labels("libretranslate", status)._value.get()


def assert_unavailable(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert (problem["status"], problem["title"], problem["detail"]) == (503, UNAVAILABLE, UNAVAILABLE)


def test_another_users_post_in_the_readers_language(client, logged_in, john, stand_in):
    post_id = foreign_post(john, "hola a todos")
    before = counted("ok")
    response = ask(client, post_id, "en")
    assert response.status_code == 200
    assert response.get_json() == {"post_id": post_id, "source": "es", "dest": "en", "text": "[en] hola a todos",
                                   "cached": False}
    # The text and its language came from the post; the key went to the provider, as documented.
    assert stand_in.requests == [{"q": "hola a todos", "source": "es", "target": "en", "format": "text",
                                  "api_key": API_KEY}]
    assert counted("ok") == before + 1
    stored = db.session.scalars(sa.select(PostTranslation)).all()
    assert [(t.post_id, t.language, t.text, t.provider) for t in stored] == [
        (post_id, "en", "[en] hola a todos", "libretranslate")]


def test_the_client_cannot_choose_the_text_or_the_source(client, logged_in, john, stand_in):
    post_id = foreign_post(john, "buenos días")
    response = client.post("/translate", headers=JSON, json={
        "post_id": post_id, "dest": "en", "text": "something else", "q": "injected", "source": "de"})
    assert response.get_json()["text"] == "[en] buenos días"
    assert (stand_in.requests[0]["q"], stand_in.requests[0]["source"]) == ("buenos días", "es")


def test_the_second_click_costs_no_call(client, logged_in, john, stand_in):
    post_id = foreign_post(john)
    first = ask(client, post_id).get_json()
    cached_before = counted("cached")
    second = ask(client, post_id)
    assert second.status_code == 200
    assert second.get_json() == {**first, "cached": True}
    assert stand_in.calls == 1
    assert counted("cached") == cached_before + 1
    stand_in.stop()  # a cached translation needs no provider at all
    assert ask(client, post_id).get_json()["cached"] is True


def test_the_cache_is_per_language(client, logged_in, susan, stand_in):
    post_id = foreign_post(susan, "guten Morgen", "de")
    assert ask(client, post_id, "en").get_json()["text"] == "[en] guten Morgen"
    assert ask(client, post_id, "es").get_json() == {"post_id": post_id, "source": "de", "dest": "es",
                                                     "text": "[es] guten Morgen", "cached": False}
    assert stand_in.calls == 2


def test_an_edit_drops_the_cache(client, logged_in, susan, stand_in):
    """An edit deletes the post's cached translations (app/posts/content.py
    ``apply()``): the next reader gets the new text translated, not the old."""
    post_id = foreign_post(susan, "hola")
    assert ask(client, post_id).get_json()["text"] == "[en] hola"
    assert client.post(f"/post/{post_id}/edit", data={"post": "hola otra vez"}).status_code == 302
    db.session.remove()
    db.session.execute(sa.update(Post).where(Post.id == post_id).values(language="es"))  # as the detector would
    db.session.commit()
    answer = ask(client, post_id).get_json()
    assert (answer["text"], answer["cached"], stand_in.calls) == ("[en] hola otra vez", False, 2)


def test_a_translation_of_an_edited_text_is_not_kept(app, susan):
    """The provider answered for the old text while the author edited it:
    storing that would put back what the edit dropped."""
    from app.translate.service import _store

    post_id = foreign_post(susan, "hola")
    db.session.execute(sa.update(Post).where(Post.id == post_id).values(body="adiós"))
    db.session.commit()
    _store(post_id, "hola", "en", "[en] hola", "libretranslate")
    assert db.session.scalars(sa.select(PostTranslation)).all() == []


def test_two_readers_storing_the_same_translation_is_not_an_error(app, susan):
    from app.translate.service import _store

    post_id = foreign_post(susan, "hola")
    _store(post_id, "hola", "en", "[en] hola", "libretranslate")
    _store(post_id, "hola", "en", "[en] hola (the other reader)", "libretranslate")  # a duplicate key: ignored
    db.session.remove()
    assert db.session.scalars(sa.select(PostTranslation.text)).all() == ["[en] hola"]


@pytest.mark.parametrize(("language", "message"), [
    ("", "This post's language is not known, so it cannot be translated."),
    ("en", "This post is already in that language."),
])
def test_a_post_without_a_known_other_language_is_409(client, logged_in, susan, stand_in, language, message):
    post_id = foreign_post(susan, "hello", language)
    response = ask(client, post_id, "en")
    assert (response.status_code, response.mimetype) == (409, "application/problem+json")
    assert response.get_json()["detail"] == message
    assert stand_in.calls == 0


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"dest": "en"}, 400, "post_id"),
    ({"post_id": "1", "dest": "en"}, 400, "post_id"),
    ({"post_id": True, "dest": "en"}, 400, "post_id"),
    ({"post_id": 1.0, "dest": "en"}, 400, "post_id"),
    ({"post_id": 0, "dest": "en"}, 400, "post_id"),
    ({"post_id": -3, "dest": "en"}, 400, "post_id"),
    ({"post_id": None, "dest": "en"}, 400, "post_id"),
    ({"post_id": 1}, 400, "dest"),
    ({"post_id": 1, "dest": "xx"}, 400, "dest"),
    ({"post_id": 1, "dest": "de"}, 400, "dest"),  # the provider has it; the site does not offer it
    ({"post_id": 1, "dest": ["en"]}, 400, "dest"),
    ({"post_id": 999, "dest": "en"}, 404, None),
    ({"post_id": 2**63, "dest": "en"}, 404, None),  # past any id column: still a 404, not a database error
])
def test_bad_requests_are_clear_problems(client, logged_in, susan, stand_in, body, status, field):
    foreign_post(susan)
    response = client.post("/translate", json=body, headers=JSON)
    assert (response.status_code, response.mimetype) == (status, "application/problem+json")
    if field is not None:
        assert list(response.get_json()["errors"]) == [field]
    assert stand_in.calls == 0


@pytest.mark.parametrize(("data", "content_type"), [
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ('"a string"', "application/json"),
    ("", "application/json"),
    ("post_id=1&dest=en", "application/x-www-form-urlencoded"),
    ("[" * 100_000, "application/json"),
])
def test_bodies_that_are_not_a_json_object_are_400(client, logged_in, data, content_type):
    response = client.post("/translate", data=data, content_type=content_type, headers=JSON)
    assert (response.status_code, response.mimetype) == (400, "application/problem+json")


def test_it_needs_a_login(client, susan, stand_in):
    post_id = foreign_post(susan)
    response = ask(client, post_id)
    assert (response.status_code, response.mimetype) == (401, "application/problem+json")
    assert stand_in.calls == 0


class TestNoProvider:
    @pytest.fixture
    def app_config(self):
        return {"TRANSLATOR": "", "LANGUAGES": ["en", "es"]}

    def test_503_problem(self, client, logged_in, susan):
        assert_unavailable(ask(client, foreign_post(susan)))


@pytest.mark.parametrize(("setting", "message"), [
    ({"TRANSLATOR": "babelfish"}, "TRANSLATOR must be empty or one of libretranslate"),
    ({"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": ""}, "needs LIBRETRANSLATE_URL"),
    ({"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": "localhost:5000"}, "needs LIBRETRANSLATE_URL"),
    ({"TRANSLATE_TIMEOUT": 0}, "TRANSLATE_TIMEOUT must be a positive number"),
])
def test_settings_that_cannot_work_fail_at_start(setting, message):
    from app import create_app
    from tests.conftest import config

    with pytest.raises(ValueError, match=message):
        create_app(config("sqlite://", **setting))


def test_a_rate_limit_per_account(app, client, logged_in, susan, stand_in):
    app.config["TRANSLATE_LIMIT"] = "2 per minute"
    post_id = foreign_post(susan)
    assert [ask(client, post_id).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post("/translate", json={"post_id": post_id, "dest": "en"},
                       headers=JSON).mimetype == "application/problem+json"

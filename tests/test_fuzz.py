"""Fuzzing every form and every JSON API endpoint with Hypothesis.

Random, overlong, Unicode, NUL and type-confused values never get a 5xx;
every rejection says why (a problem document with a ``detail``, the form
again with its errors or a flash, an error page); and whatever is accepted is
stored exactly as it was typed. Schemathesis covers the API's OpenAPI
description (test_api_schema.py); this covers what lies outside it: values
of every JSON type, broken bodies, and the HTML forms.

``pytest --hypothesis-show-statistics`` shows how often each test's input was
accepted. The schemathesis plugin blanks the values in Hypothesis's
"Failing test case" report: add ``-p no:schemathesis`` to see them.
"""
from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app import db
from app.models import Message, Post, User
from tests.support import hostile as h
from tests.support.answers import assert_api_answer, assert_form_answer, assert_page, basic, bearer, is_local

# Modest, because every test runs on both backends. The examples of one test
# share its app and database, as requests to a real server would.
FUZZ = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=15)


@pytest.fixture
def app_config():
    # Failed logins by the hundred must not be throttled; reset emails go nowhere.
    return {"RATELIMIT_ENABLED": False, "MAIL_SUPPRESS_SEND": True}


@pytest.fixture
def susan_id(susan: User) -> int:
    return susan.id


def reload(model: type, id: int):  # type: ignore[no-untyped-def]
    """The row as the database holds it now, not as this session remembers it."""
    db.session.remove()
    return db.session.get(model, id)


def user_named(username: str) -> User | None:
    db.session.remove()
    return db.session.scalar(User.by_username(username))


def newest_post() -> Post | None:
    db.session.remove()
    return db.session.scalar(sa.select(Post).order_by(Post.id.desc()))


def newest_post_id() -> int | None:
    post = newest_post()
    return post.id if post is not None else None


def valid(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with every field valid: ``h.form_data`` and ``h.json_body`` break them in every way."""
    return st.fixed_dictionaries(fields)


def repeat_password(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "password2": data["password"]}


def positive_int(raw: str, maximum: int | None = None) -> bool:
    return raw.isascii() and raw.isdigit() and int(raw) >= 1 and (maximum is None or int(raw) <= maximum)


# -- HTML forms -------------------------------------------------------------

@FUZZ
@given(data=h.form_data(valid(username=h.usernames, email=h.emails, password=h.passwords).map(repeat_password)))
def test_register(client, data):
    response = client.post("/auth/register", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        user = user_named(h.sent(data, "username"))
        assert user is not None
        assert (user.username, user.email) == (h.sent(data, "username"), h.sent(data, "email"))
        assert user.check_password(h.sent(data, "password"))


LOGIN = valid(username=st.sampled_from(["susan", "SUSAN"]), password=st.just("correct horse"),
              remember_me=st.sampled_from(["y", "on", "false", ""]))


@FUZZ
@given(data=h.form_data(LOGIN), next_=st.none() | h.query_values | st.sampled_from(h.OPEN_REDIRECTS))
def test_login(app, client, susan, data, next_):
    visitor = app.test_client()  # a new visitor each time: a login must not carry over
    response = visitor.post("/auth/login", data=data, query_string={} if next_ is None else {"next": next_})
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        assert (h.sent(data, "username") or "").lower() == "susan"
        assert h.sent(data, "password") == "correct horse"
        assert is_local(response.headers["Location"])


@FUZZ
@given(data=h.form_data(valid(email=st.just("susan@example.com") | h.emails)))
def test_reset_password_request(client, susan, data):
    response = client.post("/auth/reset_password_request", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        assert response.headers["Location"] == "/auth/login"


@FUZZ
@given(data=h.form_data(valid(password=h.passwords).map(repeat_password)))
def test_reset_password(client, susan_id, data):
    token = reload(User, susan_id).get_reset_password_token()  # the last example may have used the previous one
    db.session.remove()
    response = client.post(f"/auth/reset_password/{token}", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        assert response.headers["Location"] == "/auth/login"
        assert reload(User, susan_id).check_password(h.sent(data, "password"))


@FUZZ
@given(token=h.hostile_text | st.text(string.ascii_letters + string.digits + "-_.", max_size=120),
       method=st.sampled_from(["GET", "POST"]))
def test_reset_password_token_in_the_path(client, susan_id, token, method):
    data = {"password": "a new password", "password2": "a new password"} if method == "POST" else None
    response = client.open(f"/auth/reset_password/{quote(token, safe='')}", method=method, data=data)
    event(assert_form_answer(response))
    if response.status_code == 302:  # not a 308, which merges a "//" in the path
        assert response.headers["Location"] == "/auth/reset_password_request"
    assert reload(User, susan_id).check_password("correct horse")


@FUZZ
@given(data=h.form_data(valid(post=h.short_texts)))
def test_post(client, logged_in, data):
    before = newest_post_id()
    response = client.post("/index", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        post = newest_post()
        assert post is not None and post.body == h.sent(data, "post")  # exactly as typed
    else:
        assert newest_post_id() == before


EDIT_PROFILE = valid(username=st.sampled_from(["susan", "SUSAN", "john"]) | h.usernames, about_me=st.text(max_size=140))


@FUZZ
@given(data=h.form_data(EDIT_PROFILE))
def test_edit_profile(client, logged_in, susan_id, john, data):
    response = client.post("/edit_profile", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        user = reload(User, susan_id)
        assert user.username == h.sent(data, "username")
        typed = h.sent(data, "about_me")
        assert user.about_me == typed if typed is not None else user.about_me in (None, "")


def newest_message() -> sa.Row | None:
    """(id, body) of the newest message, read on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(sa.select(Message.id, Message.body).order_by(Message.id.desc())).first()


@FUZZ
@given(data=h.form_data(valid(message=st.text(min_size=1, max_size=150))))
def test_send_message(client, logged_in, john, data):
    before = newest_message()
    response = client.post("/send_message/john", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    message = newest_message()
    if outcome == "redirect":
        assert message is not None and message.body == h.sent(data, "message").strip()
    else:
        assert (message.id if message else None) == (before.id if before else None)


@FUZZ
@given(data=h.form_data(valid(current_password=st.sampled_from(["correct horse", "wrong one"]),
                              password=h.passwords).map(repeat_password)))
def test_change_password(client, logged_in, susan_id, data):
    response = client.post("/auth/change_password", data=data)
    outcome = assert_form_answer(response)
    event(outcome)
    if outcome == "redirect":
        assert reload(User, susan_id).check_password(h.sent(data, "password"))
        # Back to the known password for the next example.
        user = reload(User, susan_id)
        user.set_password("correct horse")
        db.session.commit()


@FUZZ
@given(name=st.sampled_from(["john", "JOHN", "susan", "nobody"]) | h.hostile_text,
       action=st.sampled_from(["follow", "unfollow"]))
def test_follow_and_unfollow(client, logged_in, john, name, action):
    response = client.post(f"/{action}/{quote(name, safe='')}")
    assert_form_answer(response)
    # 302 to the profile (or to itself for "susan"); a "//" in the path is a 308 to the merged one.
    assert (response.status_code == 302) == (name.lower() in ("john", "susan")), response.status_code


@FUZZ
@given(path=st.sampled_from(["/index", "/explore", "/user/susan"]), page=h.query_values)
def test_page_parameter(client, logged_in, path, page):
    response = client.get(path, query_string={"page": page})
    assert assert_page(response) in ("page", "error")
    assert (response.status_code == 200) == positive_int(page, 10**9), response.status_code


@FUZZ
@given(name=st.sampled_from(["susan", "SUSAN", "nobody", ".", ".."]) | h.hostile_text)
def test_user_path(client, logged_in, name):
    response = client.get("/user/" + quote(name, safe=""))
    if assert_page(response) == "redirect":  # a "/" in the name makes "//" in the path: a 308 to the merged one
        assert response.status_code == 308 and is_local(response.headers["Location"])
    assert (response.status_code == 200) == (name.lower() == "susan")


@FUZZ
@given(next_=h.query_values | st.sampled_from(h.OPEN_REDIRECTS))
def test_next_parameter_on_the_login_page(client, next_):
    assert assert_page(client.get("/auth/login", query_string={"next": next_})) in ("page", "error")


RAW_FORM_BODIES = st.binary(max_size=300) | st.sampled_from([
    b"username=%FF%FE&password=%ED%A0%80", b"post=%00", b"a=b&" * 2000, b"=&=&&", b"post", b"%", b"%zz=%zz",
    b"--xyz\r\nContent-Disposition: form-data; name=\"post\"\r\n\r\nhi\r\n--xyz--\r\n", b"--xyz\r\n\r\n",
])


FORM_CONTENT_TYPES = st.sampled_from(h.CONTENT_TYPES)


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login", "/auth/reset_password_request"])
@FEW
@given(body=RAW_FORM_BODIES, content_type=FORM_CONTENT_TYPES)
def test_raw_bodies_to_visitor_forms(client, susan, path, body, content_type):
    assert_form_answer(client.post(path, data=body, content_type=content_type or None))


@pytest.mark.parametrize("path", ["/index", "/edit_profile", "/follow/john", "/unfollow/john", "/send_message/john",
                                  "/auth/change_password"])
@FEW
@given(body=RAW_FORM_BODIES, content_type=FORM_CONTENT_TYPES)
def test_raw_bodies_to_member_forms(client, logged_in, john, path, body, content_type):
    assert_form_answer(client.post(path, data=body, content_type=content_type or None))


# Flask-WTF reads a form's data from request.files too, and from the body
# of any request sent as JSON: a file or a JSON value that is not a string
# reaches the validators (Length() calls len() on it) and the database.
TEXT_FORMS = [  # path, signed in, a text field
    ("/auth/register", False, "username"),
    ("/auth/login", False, "password"),
    ("/auth/reset_password_request", False, "email"),
    ("/auth/reset_password/<token>", False, "password"),
    ("/index", True, "post"),
    ("/edit_profile", True, "about_me"),
    ("/send_message/john", True, "message"),
    ("/auth/change_password", True, "current_password"),
]
FILLED_IN = {"username": "susan", "password": "correct horse", "password2": "correct horse",
             "email": "susan@example.com", "post": "hi", "about_me": "hi", "message": "hi",
             "current_password": "correct horse"}
TYPE_CONFUSED = [
    *[(path, signed_in, "file", name) for path, signed_in, name in TEXT_FORMS],
    *[(path, signed_in, "JSON number field", name) for path, signed_in, name in TEXT_FORMS],
    *[(path, signed_in, "JSON number body", None) for path, signed_in, _ in TEXT_FORMS],
    ("/follow/john", True, "JSON number body", None),
    ("/unfollow/john", True, "JSON number body", None),
]


@pytest.mark.parametrize(("path", "signed_in", "kind", "field_name"), TYPE_CONFUSED)
def test_type_confused_form_bodies(client, auth, susan, john, path, signed_in, kind, field_name):
    if signed_in:
        auth.login()
    path = path.replace("<token>", susan.get_reset_password_token())
    if kind == "file":
        response = client.post(path, data={**FILLED_IN, field_name: h.file_upload()})
    elif kind == "JSON number field":
        response = client.post(path, json={**FILLED_IN, field_name: 5})
    else:
        response = client.post(path, json=5)
    assert_form_answer(response)


# -- JSON API ---------------------------------------------------------------

ABOUT_ME = st.none() | st.text(max_size=140)


@FUZZ
@given(body=h.json_body(valid(username=h.usernames, email=h.emails, password=h.passwords)
                        | valid(username=h.usernames, email=h.emails, password=h.passwords, about_me=ABOUT_ME)))
def test_api_register(client, body):
    response = client.post("/api/users", data=h.dump(body), content_type="application/json")
    accepted = assert_api_answer(response, accepted=(201,))
    event(f"accepted={accepted}")
    if accepted:
        doc = response.get_json()
        user = reload(User, doc["id"])
        assert (user.username, user.email, user.about_me) == (body["username"], body["email"], body.get("about_me"))
        assert (doc["username"], doc["about_me"]) == (body["username"], body.get("about_me"))
        assert user.check_password(body["password"])


@FUZZ
@given(body=h.json_body(st.fixed_dictionaries({}, optional={"username": h.usernames, "email": h.emails,
                                                              "about_me": ABOUT_ME})),
       target=st.none() | st.integers(min_value=0, max_value=2**70))
def test_api_update_user(client, susan_id, token, body, target):
    user_id = susan_id if target is None else target
    response = client.put(f"/api/users/{user_id}", data=h.dump(body), content_type="application/json",
                          headers=bearer(token))
    accepted = assert_api_answer(response, accepted=(200,))
    event(f"accepted={accepted}")
    if accepted:
        user = reload(User, susan_id)
        doc = response.get_json()
        for name, value in body.items():
            assert getattr(user, name) == value == doc[name]


@FUZZ
@given(body=h.json_body(valid(body=h.short_texts)))
def test_api_post(client, token, body):
    response = client.post("/api/posts", data=h.dump(body), content_type="application/json", headers=bearer(token))
    accepted = assert_api_answer(response, accepted=(201,))
    event(f"accepted={accepted}")
    if accepted:
        doc = response.get_json()
        assert doc["body"] == reload(Post, doc["id"]).body == body["body"]  # exactly as typed


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/users"), ("PUT", "/api/users/1"), ("POST", "/api/posts")])
@FEW
@given(body=h.raw_json_bodies, content_type=st.sampled_from(h.CONTENT_TYPES))
def test_api_raw_bodies(client, token, method, path, body, content_type):
    response = client.open(path, method=method, data=body, content_type=content_type or None,
                           headers=bearer(token))
    assert_api_answer(response)


CREDENTIALS = st.one_of(
    st.tuples(st.just("susan") | h.hostile_text, st.just("correct horse") | h.hostile_text)
    .map(lambda pair: basic(*pair)),
    # Raw header values, as a server decodes them (latin-1), CR, LF and NUL included.
    st.tuples(st.sampled_from(["", "Basic ", "Bearer ", "basic ", "Digest "]),
              st.text(st.characters(max_codepoint=255), max_size=60))
     .map(lambda parts: {"HTTP_AUTHORIZATION": parts[0] + parts[1]}),
)


@FUZZ
@given(credentials=CREDENTIALS)
def test_api_token(client, susan, credentials):
    if "Authorization" in credentials:
        response = client.post("/api/tokens", headers=credentials)
    else:
        response = client.post("/api/tokens", environ_base=credentials)
    if assert_api_answer(response):
        assert credentials == basic("susan", "correct horse")
    else:
        assert response.status_code == 401


@FUZZ
@given(path=st.sampled_from(["/api/users", "/api/users/{id}/followers", "/api/users/{id}/following", "/api/posts"]),
       page=st.none() | h.query_values, per_page=st.none() | h.query_values)
def test_api_lists(client, susan_id, token, path, page, per_page):
    query = {name: value for name, value in (("page", page), ("per_page", per_page)) if value is not None}
    response = client.get(path.format(id=susan_id), query_string=query, headers=bearer(token))
    page, per_page = ("1" if value is None else value for value in (page, per_page))
    in_range = positive_int(page, 10**9) and positive_int(per_page)
    assert assert_api_answer(response) == in_range, response.get_json()


@FUZZ
@given(path=st.sampled_from(["/api/users/", "/api/posts/", "/api/users/{}/followers"]),
       id_=st.integers().map(str) | h.hostile_text)
def test_api_ids_in_the_path(client, token, path, id_):
    url = path + quote(id_, safe="") if "{}" not in path else path.format(quote(id_, safe=""))
    assert_api_answer(client.get(url, headers=bearer(token)), accepted=(200,))


# -- Found while fuzzing, kept as examples ------------------------------------

class TestNonAsciiEmailAddresses:
    """Internationalised addresses: refused, since no email could reach them."""

    @pytest.fixture
    def app_config(self, smtp):
        return {"RATELIMIT_ENABLED": False, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}

    @pytest.mark.parametrize("email", ["jörg@example.com", "jörg@exämple.com"])
    def test_an_address_no_email_could_reach_is_refused(self, client, smtp, email):
        response = client.post("/auth/register", data={"username": "jorg", "email": email,
                                                       "password": "long enough", "password2": "long enough"})
        assert response.status_code == 200
        assert "plain ASCII characters" in response.get_data(as_text=True)
        api = client.post("/api/users", json={"username": "jorg", "email": email, "password": "long enough"})
        assert api.status_code == 400 and "email" in api.get_json()["errors"]

    def test_addresses_are_unique_in_any_letter_case(self, client, backend, request):
        for n, email in enumerate(["Ärger@example.com", "ärger@example.com"]):
            client.post("/auth/register", data={"username": f"u{n}", "email": email, "password": "long enough",
                                                "password2": "long enough"})
        db.session.remove()
        emails = db.session.scalars(sa.select(User.email)).all()
        assert len(emails) <= 1, emails
        if emails:  # and the one there is found whatever the case typed
            assert db.session.scalar(User.by_email("ÄRGER@example.com")) is not None

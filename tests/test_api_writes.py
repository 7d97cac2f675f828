"""The JSON API's writes: registering, changing your account, posting."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import db
from app.models import Post, User
from tests.conftest import make_user
from tests.test_api import assert_problem, basic, bearer, issue_token

NEW_USER = {"username": "john", "email": "john@example.com", "password": "correct horse"}


@pytest.fixture
def headers(susan: User) -> dict[str, str]:
    return bearer(issue_token(susan))


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


class TestRegister:
    def test_created(self, client):
        response = client.post("/api/users", json={**NEW_USER, "about_me": "Hi"})
        assert response.status_code == 201
        data = response.get_json()
        assert response.headers["Location"] == f"/api/users/{data['id']}" == data["_links"]["self"]
        assert (data["username"], data["about_me"], data["post_count"]) == ("john", "Hi", 0)
        assert "email" not in data and "password" not in response.get_data(as_text=True)
        user = db.session.get(User, data["id"])
        assert user.email == "john@example.com" and user.check_password("correct horse")
        # The new account can get a token straight away.
        assert client.post("/api/tokens", headers=basic("john")).status_code == 200

    @pytest.mark.parametrize(("changes", "field", "message"), [
        ({"username": None}, "username", "Must be a string."),
        ({"username": 5}, "username", "Must be a string."),
        ({"username": ["john"]}, "username", "Must be a string."),
        ({"username": ""}, "username", "This field is required."),
        ({"username": "   "}, "username", "This field is required."),
        ({"username": "x" * 65}, "username", "Field must be between 1 and 64 characters long."),
        ({"username": "bad name"}, "username", "Usernames may contain only letters, digits"),
        ({"username": "jöhn"}, "username", "Usernames may contain only letters, digits"),
        ({"username": "john\n"}, "username", "Usernames may contain only letters, digits"),
        ({"username": "jo\x00hn"}, "username", "Must not contain NUL characters."),
        ({"email": "not-an-email"}, "email", "Invalid email address."),
        ({"email": "a" * 110 + "@example.com"}, "email", "Field cannot be longer than 120 characters."),
        ({"email": True}, "email", "Must be a string."),
        ({"password": "short"}, "password", "Passwords must be 8 to 128 characters long."),
        ({"password": "x" * 129}, "password", "Passwords must be 8 to 128 characters long."),
        ({"password": 12345678}, "password", "Must be a string."),
        ({"about_me": "x" * 141}, "about_me", "Field cannot be longer than 140 characters."),
        ({"about_me": "a\x00b"}, "about_me", "Must not contain NUL characters."),
        ({"about_me": 1.5}, "about_me", "Must be a string."),
        ({"usrname": "john"}, "usrname", "Unknown field. The fields are: about_me, email, password, username."),
        ({"id": 7}, "id", "Unknown field."),
        ({"password_hash": "x"}, "password_hash", "Unknown field."),
    ])
    def test_invalid_fields_are_400_with_the_field_named(self, client, changes, field, message):
        response = client.post("/api/users", json={**NEW_USER, **changes})
        doc = assert_problem(response, 400)
        assert any(m.startswith(message) for m in doc["errors"][field]), doc
        assert user_count() == 0

    @pytest.mark.parametrize("missing", ["username", "email", "password"])
    def test_required_fields(self, client, missing):
        payload = {k: v for k, v in NEW_USER.items() if k != missing}
        doc = assert_problem(client.post("/api/users", json=payload), 400)
        assert doc["errors"] == {missing: ["This field is required."]}

    def test_every_problem_is_reported_at_once(self, client):
        doc = assert_problem(client.post("/api/users", json={"username": 5, "extra": 1}), 400)
        assert doc["errors"].keys() == {"username", "email", "password", "extra"}

    def test_lone_surrogate_is_400(self, client):
        body = '{"username": "john", "email": "john@example.com", "password": "correct horse", "about_me": "\\ud800"}'
        doc = assert_problem(client.post("/api/users", data=body, content_type="application/json"), 400)
        assert doc["errors"] == {"about_me": ["Must be valid Unicode text."]}

    def test_about_me_may_be_null(self, client):
        assert client.post("/api/users", json={**NEW_USER, "about_me": None}).status_code == 201

    @pytest.mark.parametrize(("changes", "field"), [
        ({"username": "susan"}, "username"),
        ({"username": "SUSAN"}, "username"),
        ({"username": "Susan"}, "username"),
        ({"email": "susan@example.com"}, "email"),
        ({"email": "SUSAN@Example.COM"}, "email"),
    ])
    def test_duplicates_in_any_case_are_409(self, client, susan, changes, field):
        doc = assert_problem(client.post("/api/users", json={**NEW_USER, **changes}), 409)
        assert doc["title"] == "Conflict" and list(doc["errors"]) == [field]
        assert user_count() == 1

    @pytest.mark.parametrize(("row", "field"), [
        ({"username": "JOHN", "email": "other@example.com"}, "username"),
        ({"username": "other", "email": "John@Example.com"}, "email"),
    ])
    def test_race_with_another_registration_is_409(self, client, row, field):
        """Validation passed, then another request took the name or address before our commit."""
        @sa.event.listens_for(db.session, "before_flush", once=True)
        def someone_else_registers(session, flush_context, instances) -> None:
            with db.engine.begin() as conn:
                conn.execute(sa.insert(User).values(**row))

        doc = assert_problem(client.post("/api/users", json=NEW_USER), 409)
        assert list(doc["errors"]) == [field]
        assert db.session.scalars(sa.select(User.username)).all() == [row["username"]]

    @pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
    def test_works_with_csrf_protection_on(self, client, susan, headers, app_config):
        assert client.post("/api/users", json=NEW_USER).status_code == 201
        assert client.post("/api/posts", json={"body": "hi"}, headers=headers).status_code == 201
        assert client.put(f"/api/users/{susan.id}", json={"about_me": "x"}, headers=headers).status_code == 200
        assert client.delete("/api/tokens", headers=headers).status_code == 204
        assert client.post("/api/tokens", headers=basic()).status_code == 200
        # The web forms are still protected.
        assert client.post("/auth/register", data={}).status_code == 400


def test_body_over_the_default_limit_is_413(client):
    """MAX_CONTENT_LENGTH defaults to 1 MiB."""
    data = b'{"about_me": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/api/users", data=data, content_type="application/json")
    assert_problem(response, 413)
    assert user_count() == 0


class TestUpdate:
    def test_change_your_own_account(self, client, susan, headers):
        response = client.put(f"/api/users/{susan.id}", headers=headers,
                              json={"username": "Susan2", "email": "new@example.com", "about_me": "Hello",
                                    "current_password": "correct horse"})
        assert response.status_code == 200
        data = response.get_json()
        assert (data["username"], data["email"], data["about_me"]) == ("Susan2", "new@example.com", "Hello")
        db.session.expire_all()
        user = db.session.get(User, susan.id)
        assert (user.username, user.email, user.about_me) == ("Susan2", "new@example.com", "Hello")

    @pytest.mark.parametrize("body", [{}, {"username": "SUSAN"}, {"email": "Susan@Example.com"}])
    def test_keeping_your_own_name_or_email_in_another_case(self, client, susan, headers, body):
        assert client.put(f"/api/users/{susan.id}", json=body, headers=headers).status_code == 200

    def test_about_me_null_clears_it(self, client, susan, headers):
        susan.about_me = "old"
        db.session.commit()
        data = client.put(f"/api/users/{susan.id}", json={"about_me": None}, headers=headers).get_json()
        assert data["about_me"] is None

    def test_someone_elses_account_is_403(self, client, headers):
        john = make_user("john")
        doc = assert_problem(client.put(f"/api/users/{john.id}", json={"about_me": "hacked"}, headers=headers), 403)
        assert "your own account" in doc["detail"]
        db.session.expire_all()
        assert db.session.get(User, john.id).about_me is None

    @pytest.mark.parametrize(("changes", "field", "message"), [
        ({"password": "new password"}, "password",
         "Unknown field. The fields are: about_me, current_password, email, username."),
        ({"username": ""}, "username", "This field is required."),
        ({"username": 5}, "username", "Must be a string."),
        ({"email": None}, "email", "Must be a string."),
        ({"about_me": "x" * 141}, "about_me", "Field cannot be longer than 140 characters."),
    ])
    def test_invalid_changes_are_400(self, client, susan, headers, changes, field, message):
        doc = assert_problem(client.put(f"/api/users/{susan.id}", json=changes, headers=headers), 400)
        assert doc["errors"] == {field: [message]}

    @pytest.mark.parametrize(("changes", "field"), [
        ({"username": "JOHN"}, "username"),
        ({"email": "John@example.com", "current_password": "correct horse"}, "email"),
    ])
    def test_duplicates_in_any_case_are_409(self, client, susan, headers, changes, field):
        make_user("john")
        doc = assert_problem(client.put(f"/api/users/{susan.id}", json=changes, headers=headers), 409)
        assert list(doc["errors"]) == [field]
        db.session.expire_all()
        assert db.session.get(User, susan.id).username == "susan"

    @pytest.mark.parametrize(("changes", "field"), [
        ({"username": "popular"}, "username"),
        ({"email": "popular@example.com", "current_password": "correct horse"}, "email"),
    ])
    def test_race_with_another_rename_is_409(self, client, susan, headers, changes, field):
        other = make_user("other")

        @sa.event.listens_for(db.session, "before_flush", once=True)
        def the_other_request_commits_first(session, flush_context, instances) -> None:
            with db.engine.begin() as conn:
                conn.execute(sa.update(User).where(User.id == other.id).values(
                    {field: changes[field].upper()}))

        doc = assert_problem(client.put(f"/api/users/{susan.id}", json=changes, headers=headers), 409)
        assert list(doc["errors"]) == [field]
        db.session.expire_all()
        assert (db.session.get(User, susan.id).username, db.session.get(User, susan.id).email) == (
            "susan", "susan@example.com")


class TestPosts:
    def test_created(self, client, susan, headers):
        response = client.post("/api/posts", json={"body": "Hello, API!"}, headers=headers)
        assert response.status_code == 201
        data = response.get_json()
        assert data["body"] == "Hello, API!" and data["author"] == {"id": susan.id, "username": "susan"}
        assert response.headers["Location"] == data["_links"]["self"]
        assert client.get(response.headers["Location"], headers=headers).get_json() == data
        assert db.session.scalar(sa.select(Post.body)) == "Hello, API!"
        feed = client.get("/api/posts", headers=headers).get_json()["items"]
        assert [p["id"] for p in feed] == [data["id"]]

    @pytest.mark.parametrize(("payload", "field", "message"), [
        ({}, "body", "This field is required."),
        ({"body": ""}, "body", "This field is required."),
        ({"body": "  \n\t "}, "body", "This field is required."),
        ({"body": "x" * 141}, "body", "Field must be between 1 and 140 characters long."),
        ({"body": 42}, "body", "Must be a string."),
        ({"body": None}, "body", "Must be a string."),
        ({"body": "a\x00b"}, "body", "Must not contain NUL characters."),
        ({"body": "hi", "bdy": "hi"}, "bdy", "Unknown field. The fields are: body, in_reply_to."),
    ])
    def test_invalid_posts_are_400(self, client, headers, payload, field, message):
        doc = assert_problem(client.post("/api/posts", json=payload, headers=headers), 400)
        assert doc["errors"] == {field: [message]}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0

    def test_unicode_is_stored_as_sent(self, client, headers):
        body = "<script>x</script> héllo 🌍 日本"
        assert client.post("/api/posts", json={"body": body}, headers=headers).get_json()["body"] == body
        assert db.session.scalar(sa.select(Post.body)) == body

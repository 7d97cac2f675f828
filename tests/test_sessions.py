"""Logins the server can end: logout, "log out everywhere", and every old
credential (session, remember-me cookie, API token) dying with the password."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import db
from app.models import LoginSession, User
from tests.conftest import AuthActions, IsolatedClient

COOKIES = ("session", "remember_token")


def saved_cookies(client: FlaskClient) -> dict[str, str]:
    """What a thief (or a backup of the browser profile) copies."""
    return {name: cookie.value for name in COOKIES if (cookie := client.get_cookie(name)) is not None}


def new_client(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    """Another browser: requests in contexts of their own, as a server runs them."""
    app.test_client_class = IsolatedClient
    return app.test_client()


def fresh_client(app, cookies: dict[str, str]) -> FlaskClient:  # type: ignore[no-untyped-def]
    other = new_client(app)
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def signed_in(client: FlaskClient) -> bool:
    return client.get("/index").status_code == 200


def login(app, remember: bool = False) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = new_client(app)
    extra = {"remember_me": "y"} if remember else {}
    assert AuthActions(client).login(**extra).status_code == 302
    return client


def logins_of(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user.id)) or 0


@pytest.mark.parametrize("cookie", COOKIES)
def test_a_saved_cookie_stops_working_after_logout(app, susan, cookie):
    client = login(app, remember=True)
    copy = {cookie: saved_cookies(client)[cookie]}
    assert signed_in(fresh_client(app, copy))  # the copy works while the login stands
    assert client.post("/auth/logout").status_code == 302
    assert not signed_in(fresh_client(app, copy))
    assert logins_of(susan) == 0


def test_logging_out_on_one_device_leaves_the_others(app, susan):
    laptop, phone = login(app), login(app, remember=True)
    laptop.post("/auth/logout")
    assert not signed_in(laptop)
    assert signed_in(phone)
    assert logins_of(susan) == 1


def test_log_out_everywhere_ends_every_login_and_the_api_token(app, susan):
    laptop, phone, tablet = login(app), login(app, remember=True), login(app)
    phone_copy = saved_cookies(phone)
    token = susan.get_token()
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    assert laptop.get("/api/users", headers=api).status_code == 200

    profile = laptop.get("/user/susan").get_data(as_text=True)
    assert 'action="/auth/logout_everywhere"' in profile and "Log out everywhere" in profile
    response = laptop.post("/auth/logout_everywhere", follow_redirects=True)
    assert "logged out everywhere" in response.get_data(as_text=True)
    remember_only = {"remember_token": phone_copy["remember_token"]}
    for device in (laptop, phone, tablet, fresh_client(app, phone_copy), fresh_client(app, remember_only)):
        assert not signed_in(device)
    assert laptop.get("/api/users", headers=api).status_code == 401
    assert logins_of(susan) == 0


def test_log_out_everywhere_needs_a_post_with_the_csrf_token(app, susan):
    app.config["WTF_CSRF_ENABLED"] = True
    client = login_with_csrf(app)
    assert client.get("/auth/logout_everywhere").status_code == 405
    assert client.post("/auth/logout_everywhere").status_code == 400  # CSRFProtect refuses it
    assert signed_in(client) and logins_of(susan) == 1


def login_with_csrf(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = new_client(app)
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                                "csrf_token": token})
    assert response.status_code == 302
    return client


def test_someone_elses_logins_are_untouched(app, susan, john):
    other = new_client(app)
    assert AuthActions(other).login("john").status_code == 302
    login(app).post("/auth/logout_everywhere")
    assert signed_in(other)


class TestPasswordReset:
    @pytest.fixture
    def app_config(self, smtp):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "PUBLIC_URL": "http://microblog.test"}

    def test_a_reset_ends_every_login_and_revokes_the_api_token(self, app, susan, smtp):
        devices = [login(app), login(app, remember=True)]
        copies = [saved_cookies(device) for device in devices]
        token = susan.get_token()
        db.session.commit()

        anonymous = new_client(app)
        anonymous.post("/auth/reset_password_request", data={"email": "susan@example.com"})
        text = smtp.inbox.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
        path = re.search(r"http://microblog\.test(/auth/reset_password/\S+)", text).group(1)
        response = anonymous.post(path, data={"password": "a brand new one", "password2": "a brand new one"})
        assert response.status_code == 302

        for device in [*devices, *(fresh_client(app, copy) for copy in copies)]:
            assert not signed_in(device)
        # The review's attack: the old token changing the account's email.
        changed = anonymous.put(f"/api/users/{susan.id}", json={"email": "attacker@example.com"},
                                headers={"Authorization": f"Bearer {token}"})
        assert changed.status_code == 401
        db.session.expire_all()
        assert db.session.get(User, susan.id).email == "susan@example.com"


class TestPasswordChange:
    def form(self, current: str = "correct horse", new: str = "a brand new one") -> dict[str, str]:
        return {"current_password": current, "password": new, "password2": new}

    def test_changing_the_password_logs_out_the_others_but_not_this_device(self, app, susan):
        here, elsewhere = login(app), login(app, remember=True)
        copy = saved_cookies(elsewhere)
        token = susan.get_token()
        db.session.commit()
        assert "/auth/change_password" in here.get("/edit_profile").get_data(as_text=True)

        response = here.post("/auth/change_password", data=self.form(), follow_redirects=True)
        assert "Your password has been changed" in response.get_data(as_text=True)
        assert signed_in(here)
        assert not signed_in(elsewhere) and not signed_in(fresh_client(app, copy))
        assert here.get("/api/users", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        db.session.expire_all()
        assert db.session.get(User, susan.id).check_password("a brand new one")

    @pytest.mark.parametrize(("form", "message"), [
        ({"current_password": "wrong password"}, "Your current password is incorrect."),
        ({"current_password": ""}, "This field is required."),
        ({"password": "short", "password2": "short"}, "Passwords must be 8 to 128 characters long."),
        ({"password2": "something else"}, "Passwords must match."),
    ])
    def test_bad_input_changes_nothing(self, app, susan, form, message):
        client = login(app)
        response = client.post("/auth/change_password", data={**self.form(), **form})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(User, susan.id).check_password("correct horse")

    def test_guessing_the_current_password_is_limited(self, app, susan):
        app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
        client = login(app)
        for _ in range(3):
            assert client.post("/auth/change_password", data=self.form(current="guess")).status_code == 200
        refused = client.post("/auth/change_password", data=self.form())
        assert refused.status_code == 429
        assert "at most 3 every 15 minutes" in refused.get_data(as_text=True)

    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        response = client.get("/auth/change_password")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_login_row_is_all_a_cookie_can_name(app, susan):
    """Made-up, empty or foreign keys in the session log nobody in."""
    client = login(app)
    with client.session_transaction() as session:
        genuine = session["_user_id"]
    for forged in (f"{susan.id}.", f"{susan.id}.not-a-key", str(susan.id), f"{susan.id}.{genuine.split('.')[1]}x",
                   "x.y", f"{2**40}.abc"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert not signed_in(client), forged


def test_old_logins_are_pruned_at_the_next_login(app, susan):
    from datetime import timedelta

    from app.models import utcnow

    login(app)
    db.session.execute(sa.update(LoginSession).values(created=utcnow() - timedelta(days=400)))
    db.session.commit()
    login(app)
    assert logins_of(susan) == 1

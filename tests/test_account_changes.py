"""Changing an account's email needs its current password, through the
profile form and the API alike, and the old address is told."""
from __future__ import annotations

import pytest

from app import db
from app.models import User

NEW = "new@example.com"


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


def stored_email(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).email


def assert_notice(smtp, old: str = "susan@example.com", new: str = NEW) -> None:
    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == old
    assert message["Subject"] == "[Microblog] Your email address was changed"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert old in text and new in text and "admin@example.com" in text


def profile_form(**changes: str) -> dict[str, str]:
    return {"username": "susan", "email": "susan@example.com", "about_me": "", "current_password": "", **changes}


class TestProfileForm:
    def test_the_form_shows_the_email_and_asks_for_the_password(self, client, logged_in):
        page = client.get("/edit_profile").get_data(as_text=True)
        assert 'value="susan@example.com"' in page
        assert 'name="current_password"' in page and 'autocomplete="current-password"' in page

    def test_with_the_current_password_the_email_changes_and_the_old_address_hears_of_it(
            self, client, logged_in, smtp):
        response = client.post("/edit_profile", data=profile_form(email=NEW, current_password="correct horse"))
        assert response.status_code == 302
        assert stored_email(logged_in) == NEW
        assert_notice(smtp)

    @pytest.mark.parametrize(("password", "message"), [
        ("", "Enter your current password to change your email address."),
        ("wrong password", "Your current password is incorrect."),
    ])
    def test_without_it_nothing_changes(self, client, logged_in, smtp, password, message):
        response = client.post("/edit_profile", data=profile_form(email=NEW, current_password=password,
                                                                  about_me="changed"))
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        assert stored_email(logged_in) == "susan@example.com"
        assert db.session.get(User, logged_in.id).about_me is None  # nothing half-saved

    def test_other_changes_need_no_password(self, client, logged_in, smtp):
        assert client.post("/edit_profile", data=profile_form(about_me="hello")).status_code == 302
        assert client.post("/edit_profile", data=profile_form(email="SUSAN@example.com")).status_code == 302
        assert stored_email(logged_in) == "SUSAN@example.com"  # another case is the same mailbox

    def test_an_address_taken_by_someone_else_is_refused(self, client, logged_in, john):
        response = client.post("/edit_profile", data=profile_form(email="JOHN@example.com",
                                                                  current_password="correct horse"))
        assert "This email address is already registered." in response.get_data(as_text=True)
        assert stored_email(logged_in) == "susan@example.com"

    def test_guessing_the_password_is_limited(self, app, client, logged_in):
        app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
        for _ in range(2):
            client.post("/edit_profile", data=profile_form(email=NEW, current_password="guess"))
        refused = client.post("/edit_profile", data=profile_form(email=NEW, current_password="correct horse"))
        assert refused.status_code == 429
        assert stored_email(logged_in) == "susan@example.com"


class TestAPI:
    @pytest.fixture
    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def put(self, client, susan, headers, **body):  # type: ignore[no-untyped-def]
        return client.put(f"/api/users/{susan.id}", json=body, headers=headers)

    def test_a_token_alone_cannot_change_the_email(self, client, susan, headers, smtp):
        response = self.put(client, susan, headers, email="attacker@example.com")
        assert response.status_code == 400
        assert response.get_json()["errors"] == {
            "current_password": ["Changing the email address needs your current password: send it as "
                                 "current_password."]}
        assert stored_email(susan) == "susan@example.com"

    def test_a_wrong_password_is_403(self, client, susan, headers):
        response = self.put(client, susan, headers, email="attacker@example.com", current_password="guess",
                            about_me="changed")
        assert response.status_code == 403
        assert response.get_json()["detail"] == "The current password is incorrect."
        assert stored_email(susan) == "susan@example.com"
        assert db.session.get(User, susan.id).about_me is None

    def test_with_the_password_it_changes_and_the_old_address_is_told(self, client, susan, headers, smtp):
        response = self.put(client, susan, headers, email=NEW, current_password="correct horse")
        assert response.status_code == 200 and response.get_json()["email"] == NEW
        assert stored_email(susan) == NEW
        assert_notice(smtp)

    def test_guessing_is_limited_with_the_forms_budget(self, app, client, susan, headers):
        app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
        for _ in range(2):
            assert self.put(client, susan, headers, email=NEW, current_password="guess").status_code == 403
        refused = self.put(client, susan, headers, email=NEW, current_password="correct horse")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"].isdigit()
        assert "at most 2 every 15 minutes" in refused.get_json()["detail"]
        assert stored_email(susan) == "susan@example.com"

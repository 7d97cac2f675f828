"""Links in emails come from PUBLIC_URL, never from what the client sent:
the Host, X-Forwarded-Host and X-Forwarded-Prefix spoofs of the security
review, each tried as an attacker would."""
from __future__ import annotations

import re
import time

import pytest

from app import create_app
from tests.conftest import config

RESET_LINK = re.compile(r"(\S+/auth/reset_password/)(\S+)")


def reset_links(smtp, count: int = 1) -> list[str]:
    messages = smtp.inbox.wait_for(count)
    return [RESET_LINK.search(m.get_body(preferencelist=("plain",)).get_content()).group(1) for m in messages]


def no_email_arrives(smtp) -> None:
    time.sleep(0.5)  # the sender is a background thread: give it the time to (wrongly) send
    assert smtp.inbox.messages == []


@pytest.fixture
def mail(smtp) -> dict[str, object]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


def ask_reset(client, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/auth/reset_password_request", data={"email": "susan@example.com"}, headers=headers)


class TestWithoutPublicURL:
    @pytest.fixture
    def app_config(self, mail):
        return mail

    def test_spoofed_host_gets_no_link_and_an_error_naming_the_setting(self, client, susan, smtp, caplog):
        response = ask_reset(client, Host="attacker.example")
        assert response.status_code == 302  # the same neutral answer
        no_email_arrives(smtp)
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert any("PUBLIC_URL" in message and "attacker.example" in message for message in errors), errors

    @pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000"])
    def test_a_loopback_host_builds_its_own_link_for_development(self, client, susan, smtp, host):
        assert ask_reset(client, Host=host).status_code == 302
        assert reset_links(smtp) == [f"http://{host}/auth/reset_password/"]

    @pytest.mark.parametrize("host", ["localhost.attacker.example", "127.0.0.1.attacker.example", "[::2]"])
    def test_lookalikes_of_loopback_are_not_loopback(self, client, susan, smtp, host):
        ask_reset(client, Host=host)
        no_email_arrives(smtp)


class TestWithPublicURL:
    @pytest.fixture
    def app_config(self, mail):
        return {**mail, "PUBLIC_URL": "https://microblog.example.com"}

    @pytest.mark.parametrize("headers", [
        {"Host": "attacker.example"},
        {"Host": "localhost"},
        {"X-Forwarded-Host": "attacker.example", "X-Forwarded-Prefix": "@attacker.example"},
    ])
    def test_the_link_ignores_what_the_client_sent(self, client, susan, smtp, headers):
        assert ask_reset(client, **headers).status_code == 302
        assert reset_links(smtp) == ["https://microblog.example.com/auth/reset_password/"]

    def test_the_mailed_link_works(self, client, susan, smtp):
        ask_reset(client)
        message = smtp.inbox.wait_for(1)[0]
        url = RESET_LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(0)
        assert url in message.get_body(preferencelist=("html",)).get_content()
        path = url.removeprefix("https://microblog.example.com")
        assert client.get(path).status_code == 200


class TestBehindAProxy:
    """PROXY_FIX_HOPS=1, as behind the shipped nginx."""

    @pytest.fixture
    def app_config(self, mail):
        return {**mail, "PROXY_FIX_HOPS": 1, "PUBLIC_URL": "https://microblog.example.com/"}

    def test_x_forwarded_prefix_is_not_trusted_by_default(self, client, susan, smtp):
        response = client.get("/auth/login", headers={"X-Forwarded-Prefix": "@attacker.example"})
        assert "attacker.example" not in response.get_data(as_text=True)
        ask_reset(client, **{"X-Forwarded-Prefix": "@attacker.example"})
        assert reset_links(smtp) == ["https://microblog.example.com/auth/reset_password/"]

    def test_a_trailing_slash_on_public_url_makes_no_double_slash(self, client, susan, smtp):
        ask_reset(client)
        assert reset_links(smtp) == ["https://microblog.example.com/auth/reset_password/"]


def test_x_forwarded_prefix_is_trusted_when_the_setting_says_the_proxy_sets_it(database_url):
    app = create_app(config(database_url, PROXY_FIX_HOPS=1, PROXY_FIX_PREFIX=True))
    page = app.test_client().get("/auth/login", headers={"X-Forwarded-Prefix": "/blog"}).get_data(as_text=True)
    assert 'href="/blog/auth/register"' in page


def test_prefix_without_hops_is_refused_at_start_up(database_url):
    with pytest.raises(ValueError, match="PROXY_FIX_HOPS"):
        create_app(config(database_url, PROXY_FIX_PREFIX=True))


@pytest.mark.parametrize("value", ["microblog.example.com", "ftp://microblog.example.com",
                                   "https://user@microblog.example.com", "https://microblog.example.com/?x=1",
                                   "https://"])
def test_a_public_url_that_cannot_be_a_base_is_refused_at_start_up(database_url, value):
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        create_app(config(database_url, PUBLIC_URL=value))


def test_a_public_url_with_a_path_prefixes_links(app, client, susan, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PUBLIC_URL="https://example.org/microblog")
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", smtp.port
    ask_reset(client)
    assert reset_links(smtp) == ["https://example.org/microblog/auth/reset_password/"]


class TestTrustedHosts:
    @pytest.fixture
    def app_config(self, mail):
        return {**mail, "TRUSTED_HOSTS": ["microblog.example.com"], "PROXY_FIX_HOPS": 1}

    def test_the_site_answers_its_own_name(self, client):
        assert client.get("/auth/login", headers={"Host": "microblog.example.com"}).status_code == 200

    @pytest.mark.parametrize("headers", [
        {"Host": "attacker.example"},
        {"Host": "microblog.example.com", "X-Forwarded-Host": "attacker.example"},
    ])
    def test_any_other_host_is_a_400_and_sends_nothing(self, client, susan, smtp, headers):
        page = client.get("/auth/login", headers=headers)
        assert page.status_code == 400
        assert "does not answer to that host name" in page.get_data(as_text=True)
        response = ask_reset(client, **headers)
        assert response.status_code == 400
        no_email_arrives(smtp)

    def test_the_400_is_a_problem_document_for_the_api(self, client):
        response = client.get("/api/users", headers={"Host": "attacker.example"})
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"

"""Optional integrations: Sentry (events captured in memory, no network) and
Werkzeug's profiler."""
from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from app import create_app
from tests.conftest import config


class MemoryTransport(Transport):
    """Keeps every envelope instead of sending it."""

    envelopes: list = []

    def __init__(self, options=None):
        super().__init__(options)

    def capture_envelope(self, envelope) -> None:
        MemoryTransport.envelopes.append(envelope)


@pytest.fixture
def sentry_app(tmp_path):
    MemoryTransport.envelopes = []
    app = create_app(config(f"sqlite:///{tmp_path / 's.db'}", PROPAGATE_EXCEPTIONS=False,
                            SENTRY_DSN="https://public@sentry.example.com/1", SENTRY_ENVIRONMENT="staging",
                            SENTRY_OPTIONS={"transport": MemoryTransport}))

    @app.route("/boom")
    def boom():
        raise RuntimeError("sentry sees this")

    yield app
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a disabled client for the other tests


def test_unhandled_exception_reaches_sentry_with_release_and_environment(sentry_app):
    response = sentry_app.test_client().get("/boom")
    assert response.status_code == 500  # our error page still answers
    sentry_sdk.flush()
    events = [item.payload.json for env in MemoryTransport.envelopes for item in env.items
              if item.headers.get("type") == "event"]
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["release"] == "microblog@1.0.0"
    assert event["environment"] == "staging"
    assert event["transaction"] == "boom"


def test_profiler_writes_profiles(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'p.db'}", PROFILING_ENABLED=True,
                            PROFILE_DIR=str(tmp_path / "profiles")))
    assert app.test_client().get("/auth/login").status_code == 200
    profiles = list((tmp_path / "profiles").glob("*.prof"))
    assert len(profiles) == 1
    assert profiles[0].name.startswith("GET.auth.login.")


def test_an_event_carries_no_token_hash_password_or_local_variable(tmp_path):
    """A failing password reset: the token is in the URL and the Referer, the
    new password's hash in the failed UPDATE's parameters. None of it, nor a
    frame's local variables, may reach Sentry."""
    import sqlalchemy as sa

    from app import db
    from tests.conftest import make_user

    MemoryTransport.envelopes = []
    app = create_app(config(f"sqlite:///{tmp_path / 's.db'}", PROPAGATE_EXCEPTIONS=False,
                            SENTRY_DSN="https://public@sentry.example.com/1",
                            SENTRY_OPTIONS={"transport": MemoryTransport}))
    try:
        with app.app_context():
            db.create_all()
            user = make_user("susan")
            token = user.get_reset_password_token()
            old_hash = user.password_hash
            # The write fails: a trigger refuses every change to the user table.
            db.session.execute(sa.text(
                'CREATE TRIGGER refuse BEFORE UPDATE ON "user" BEGIN SELECT RAISE(ABORT, \'refused\'); END'))
            db.session.commit()
            db.session.remove()
        path = f"/auth/reset_password/{token}"
        response = app.test_client().post(
            f"{path}?token={token}", data={"password": "the new secret", "password2": "the new secret"},
            headers={"Referer": f"http://localhost{path}", "Origin": "http://localhost"})
        assert response.status_code == 500
        sentry_sdk.flush()
        events = [item.payload.json for env in MemoryTransport.envelopes for item in env.items
                  if item.headers.get("type") == "event"]
        assert events, "no event reached Sentry"
        text = repr(events)
        for secret in (token, "the new secret", "pbkdf2:sha256", old_hash):
            assert secret not in text
        assert "[redacted]" in events[0]["request"]["url"]
        frames = events[0]["exception"]["values"][-1]["stacktrace"]["frames"]
        assert all("vars" not in frame for frame in frames)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()

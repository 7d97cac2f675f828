"""Each way the translation provider fails, against the LibreTranslate
stand-in: the reader gets a 503 "Translation is not available right now"
(never a 500), the failure is counted and logged as a WARNING, no error
email goes out, and the breaker stops calling a provider that keeps failing."""
from __future__ import annotations

import logging
import time

import pytest

from app.observability.metrics import CIRCUIT_STATE
from tests.support import libretranslate as lt
from tests.support.metrics import scrape
from tests.test_translate import API_KEY, ask, assert_unavailable, counted, foreign_post


@pytest.fixture
def stand_in():
    with lt.LibreTranslateStandIn(api_keys={API_KEY}) as server:
        yield server


@pytest.fixture
def app_config(stand_in, smtp, tmp_path):
    # Error emails on, to a real SMTP server: a provider failure must not send one.
    return {"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": stand_in.url, "LIBRETRANSLATE_API_KEY": API_KEY,
            # Generous, so a loaded machine cannot turn a slow answer into a
            # timeout (seen in CI); the failure test that waits for it sets 0.5 s.
            "TRANSLATE_TIMEOUT": 5, "TRANSLATE_BREAKER_FAILURES": 3, "TRANSLATE_BREAKER_RESET": 0.5,
            "LANGUAGES": ["en", "es"], "ERROR_EMAILS": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
            "ERROR_EMAIL_RETRY": 0.2, "MAIL_TIMEOUT": 2, "PROPAGATE_EXCEPTIONS": False}


def _down(server: lt.LibreTranslateStandIn) -> None:
    server.stop()


def _slow(server: lt.LibreTranslateStandIn) -> None:
    server.mode, server.delay = lt.SLOW, 1.5


def _trickle(server: lt.LibreTranslateStandIn) -> None:
    server.mode, server.delay = lt.TRICKLE, 0.05  # each byte in time, the whole answer not


def _mode(mode: str, html_status: int = 200):  # type: ignore[no-untyped-def]
    def switch(server: lt.LibreTranslateStandIn) -> None:
        server.mode, server.html_status = mode, html_status
    return switch


def _bad_key(server: lt.LibreTranslateStandIn) -> None:
    server.api_keys = {"the-key-was-rotated"}


FAILURES = [
    pytest.param(_down, "unavailable", id="down"),
    pytest.param(_slow, "timeout", id="slow"),
    pytest.param(_trickle, "timeout", id="trickle"),
    pytest.param(_mode(lt.RATE_LIMITED), "rate_limited", id="429"),
    pytest.param(_bad_key, "auth", id="bad-key"),
    pytest.param(_mode(lt.SERVER_ERROR), "unavailable", id="500"),
    pytest.param(_mode(lt.MALFORMED), "bad_response", id="malformed-json"),
    pytest.param(_mode(lt.WRONG_SHAPE), "bad_response", id="json-without-translatedText"),
    pytest.param(_mode(lt.HTML), "bad_response", id="html-page"),
    pytest.param(_mode(lt.HTML, 502), "unavailable", id="proxy-502"),
]


@pytest.mark.parametrize(("fail", "status"), FAILURES)
def test_a_failure_is_a_503_counted_and_logged_not_mailed(app, client, logged_in, susan, stand_in, smtp, caplog,
                                                          fail, status):
    app.config["TRANSLATE_TIMEOUT"] = 0.5  # read at each call
    post_id = foreign_post(susan)
    fail(stand_in)
    before = counted(status)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        response = ask(client, post_id)
    assert time.monotonic() - started < 1.5  # TRANSLATE_TIMEOUT is 0.5 s, for the whole answer
    assert_unavailable(response)
    assert counted(status) == before + 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"Translation failed: provider=libretranslate status={status}" in w for w in warnings), warnings
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert API_KEY not in logged and "hola a todos" not in logged  # neither the key nor the post's text
    # The email pipeline is live: a real error is mailed, and it is the only
    # email (the outbox sends in order: one for the failure would have come first).
    app.logger.error("canary: a real error")
    smtp.inbox.wait_for(1)
    assert app.extensions["error_emails"].wait_idle(10)
    (email,) = smtp.inbox.messages
    assert "canary: a real error" in email.get_body().get_content()


def test_the_breaker_opens_spares_the_provider_and_closes_again(app, client, logged_in, susan, stand_in):
    post_id = foreign_post(susan)
    breaker = app.extensions["translate_breaker"]
    stand_in.stop()
    for _ in range(3):  # TRANSLATE_BREAKER_FAILURES
        assert_unavailable(ask(client, post_id))
    assert breaker.current_state == "open"
    assert CIRCUIT_STATE.labels("translate")._value.get() == 2

    stand_in.start()  # back, but the breaker has not tried yet
    before = counted("breaker_open")
    for _ in range(3):
        assert_unavailable(ask(client, post_id))
    assert stand_in.calls == 0  # not called while open
    assert counted("breaker_open") == before + 3

    time.sleep(0.6)  # past TRANSLATE_BREAKER_RESET: one trial call goes through, succeeds, and closes it
    response = ask(client, post_id)
    assert response.status_code == 200 and response.get_json()["text"] == "[en] hola a todos"
    assert (stand_in.calls, breaker.current_state) == (1, "closed")
    assert CIRCUIT_STATE.labels("translate")._value.get() == 0


def test_a_failed_trial_opens_it_again(app, client, logged_in, susan, stand_in):
    post_id = foreign_post(susan)
    stand_in.mode = lt.SERVER_ERROR
    for _ in range(3):
        ask(client, post_id)
    time.sleep(0.6)
    assert_unavailable(ask(client, post_id))  # the trial
    assert stand_in.calls == 4
    assert_unavailable(ask(client, post_id))
    assert stand_in.calls == 4
    assert app.extensions["translate_breaker"].current_state == "open"


def test_a_refused_language_does_not_open_the_breaker(app, client, logged_in, susan, stand_in):
    """400 "pt is not supported" says the provider is up: no reason to stop calling it."""
    post_id = foreign_post(susan, "olá a todos", "pt")  # a language the stand-in has no model for
    before = counted("rejected")
    for _ in range(5):
        assert_unavailable(ask(client, post_id))
    assert counted("rejected") == before + 5
    assert (stand_in.calls, app.extensions["translate_breaker"].current_state) == (5, "closed")


def test_the_metric_and_the_logs_never_hold_the_key(app, client, logged_in, susan, stand_in, caplog):
    post_id = foreign_post(susan)
    with caplog.at_level(logging.DEBUG):
        assert ask(client, post_id).status_code == 200
        stand_in.mode = lt.SERVER_ERROR
        assert_unavailable(ask(client, foreign_post(susan, "otra cosa")))
    samples = scrape(client)
    statuses = {dict(labels)["status"] for name, labels in samples if name == "translations_total"}
    assert statuses == {"ok", "cached", "breaker_open", "timeout", "unavailable", "rate_limited", "auth",
                        "rejected", "bad_response"}
    response = client.get("/metrics").get_data(as_text=True)
    assert API_KEY not in response and "otra cosa" not in response
    assert API_KEY not in "\n".join(r.getMessage() for r in caplog.records)
    assert API_KEY not in repr(app.extensions["translator"])

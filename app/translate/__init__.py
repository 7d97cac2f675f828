"""Translating a post on request (issue 16): the provider interface
(provider.py), one module per provider, the cached and guarded call
(service.py) and ``POST /translate`` (routes.py)."""
from __future__ import annotations

from flask import Flask, current_app

from app.observability.breaker import make_breaker
from app.observability.metrics import TRANSLATIONS
from app.translate.provider import REJECTED, STATUSES, TranslationFailed
from app.translate.providers import make_translator

BREAKER = "translate_breaker"  # app.extensions keys
TRANSLATOR = "translator"


def _not_the_providers_fault(exc: BaseException) -> bool:
    """A refused request (an unsupported language) says the provider is up:
    it must not count towards opening the breaker."""
    return isinstance(exc, TranslationFailed) and exc.status == REJECTED


def init_app(app: Flask) -> None:
    translator = make_translator(app.config)  # a setting that cannot work fails here, at start-up
    app.extensions[TRANSLATOR] = translator
    app.extensions[BREAKER] = make_breaker(
        "translate", app.config["TRANSLATE_BREAKER_FAILURES"], app.config["TRANSLATE_BREAKER_RESET"],
        exclude=[_not_the_providers_fault],
    )
    if translator is not None:  # every series from 0 (app/observability/metrics.py says why)
        for status in STATUSES:
            TRANSLATIONS.labels(translator.name, status)


def enabled() -> bool:
    """Whether a provider is configured: the Translate link is shown only then."""
    return current_app.extensions.get(TRANSLATOR) is not None

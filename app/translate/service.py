"""A post translated on request: from the cache when it is there, else from
the provider, through its circuit breaker, and kept for the next reader.

The text and its language always come from the post, never from the
client. Every outcome is counted in translations_total; a provider's failure
is a WARNING (an expected, external condition: ERROR records are mailed to
the admins, and a dead provider would mail them at every click) and a 503 the
page shows as "Translation is not available right now".
"""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.errors import AppError, ConflictError, NotFoundError
from app.extensions import db
from app.i18n.gettext import gettext as _
from app.models import Post, PostTranslation, utcnow
from app.models.base import MAX_ID
from app.observability.breaker import CircuitBreakerError
from app.observability.metrics import TRANSLATIONS
from app.translate import BREAKER, TRANSLATOR
from app.translate.provider import TranslationFailed, Translator

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class Translation(NamedTuple):
    post_id: int
    source: str
    dest: str
    text: str
    cached: bool


class TranslationUnavailable(AppError):
    """503: no provider, or it failed. The message is the problem's title too."""

    status = 503

    def __init__(self) -> None:
        message = _("Translation is not available right now")
        super().__init__(message, payload={"title": message})


def translate_post(post_id: int, dest: str) -> Translation:
    """Post ``post_id`` in ``dest``: one SELECT reads the post and its cached
    translation; on a miss, one provider call and one INSERT."""
    translator: Translator | None = current_app.extensions.get(TRANSLATOR)
    if translator is None:
        raise TranslationUnavailable()
    row = _post_and_cached(post_id, dest)
    if row is None:
        raise NotFoundError(_("There is no post with id %(id)s: it may have been deleted.", id=post_id))
    body, source, cached = row
    if not source:
        raise ConflictError(_("This post's language is not known, so it cannot be translated."))
    if source == dest:
        raise ConflictError(_("This post is already in that language."))
    if cached is not None:
        TRANSLATIONS.labels(translator.name, "cached").inc()
        return Translation(post_id, source, dest, cached, cached=True)
    text = _call(translator, body, source, dest)
    _store(post_id, body, dest, text, translator.name)
    return Translation(post_id, source, dest, text, cached=False)


def _post_and_cached(post_id: int, dest: str) -> sa.Row | None:
    if post_id > MAX_ID:  # beyond the id column's range: PostgreSQL would refuse the statement
        return None
    cache = sa.and_(PostTranslation.post_id == Post.id, PostTranslation.language == dest)
    return db.session.execute(
        sa.select(Post.body, Post.language, PostTranslation.text).outerjoin(PostTranslation, cache)
        .where(Post.id == post_id)
    ).first()


def _call(translator: Translator, body: str, source: str, dest: str) -> str:
    breaker = current_app.extensions[BREAKER]
    try:
        text = breaker.call(translator.translate, body, source, dest, current_app.config["TRANSLATE_TIMEOUT"])
    except TranslationFailed as failed:
        _failed(translator.name, failed.status, failed.http_status)
        raise TranslationUnavailable() from None
    except CircuitBreakerError:
        _failed(translator.name, "breaker_open", None)
        raise TranslationUnavailable() from None
    TRANSLATIONS.labels(translator.name, "ok").inc()
    return text


def _failed(provider: str, status: str, http_status: int | None) -> None:
    TRANSLATIONS.labels(provider, status).inc()
    # The label and the provider's HTTP status only: never its error text, the post or a key.
    current_app.logger.warning("Translation failed: provider=%s status=%s http_status=%s",
                               provider, status, http_status if http_status is not None else "-")


def _store(post_id: int, body: str, dest: str, text: str, provider: str) -> None:
    """Keep the translation, only if the post still has the text that was
    translated (an edit while the provider answered drops the cache; this
    must not put an old text's translation back). Two readers translating
    the same post at once both insert: the second is ignored, not a 500."""
    still = sa.select(sa.literal(post_id), sa.literal(dest), sa.literal(text), sa.literal(provider),
                      sa.literal(utcnow(), PostTranslation.timestamp.type)
                      ).where(sa.exists().where(Post.id == post_id, Post.body == body))
    insert = _INSERTS[db.engine.dialect.name](PostTranslation).from_select(
        ["post_id", "language", "text", "provider", "timestamp"], still)
    try:
        db.session.execute(insert.on_conflict_do_nothing())
        db.session.commit()
    except IntegrityError:  # the post was deleted meanwhile: nothing to keep
        db.session.rollback()

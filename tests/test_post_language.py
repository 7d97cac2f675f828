"""A post's language (issue 16): detection on the hand-written sample, the
short and empty cases, and the language stored by a create, an edit (which
also drops the post's cached translations), ``flask posts render --all``
and ``flask seed``."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, PostTranslation, User
from app.posts import content, language, service
from bench.language_sample import LANGUAGES, NOT_LANGUAGE, SAMPLE
from tests.support.sql import count_statements


def test_detection_on_the_labelled_sample():
    """bench/detectors.py measured 100% of answered posts right, 2.8% unsure
    and no NOT_LANGUAGE post answered. The floors leave room for a model
    update, and still fail without the language restriction (14.7% unsure)
    or the threshold (21 of 24 NOT_LANGUAGE posts answered)."""
    answers = [(want, language.detect(body)) for want, body in SAMPLE]
    answered = [(want, got) for want, got in answers if got]
    assert sum(want == got for want, got in answered) / len(answered) >= 0.97
    assert 1 - len(answered) / len(answers) <= 0.06
    for code in LANGUAGES:
        mine = [got for want, got in answers if want == code]
        assert sum(got == code for got in mine) / len(mine) >= 0.9, (code, Counter(mine))
    assert sum(bool(language.detect(body)) for body in NOT_LANGUAGE) <= 1


@pytest.mark.parametrize("body", [
    "", "   ", "lol same", "ok 👍", "#tbt", "https://example.com/a/really/long/path/with-many-words-in-it",
    "@someone @another_user", "@bob https://example.com/x #yes", "12345 67890 !!!", "👍👍👍 🎉🎉",
])
def test_short_and_link_or_mention_only_posts_have_no_language(body):
    assert language.detect(body) == ""


def test_links_mentions_and_tag_markers_are_not_language():
    assert language.clean("see https://x.example/a?b=c @bob #Flask rocks www.example.org/x") == "see Flask rocks"
    assert language.detect("@thomas_müller_official #berlin https://example.de/die-bahn ist heute pünktlich") == "de"


def test_the_model_loads_once_when_threads_ask_at_once(monkeypatch):
    from py3langid.langid import LanguageIdentifier

    real, calls = LanguageIdentifier.from_model_file, []

    def slow_load(*args, **kwargs):
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to reach the lock
        return real(*args, **kwargs)

    monkeypatch.setattr(language, "_identifier", None)
    monkeypatch.setattr(LanguageIdentifier, "from_model_file", slow_load)
    results = []
    threads = [threading.Thread(target=lambda: results.append(language.detect("Hoy hace un calor insoportable")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["es"] * 8


def test_a_post_through_the_form_stores_its_language(client, logged_in):
    client.post("/index", data={"post": "Heute Abend gehen wir mit Freunden essen, endlich Wochenende!"})
    client.post("/index", data={"post": "lol same"})
    assert dict(db.session.execute(sa.select(Post.body, Post.language)).all()) == {
        "Heute Abend gehen wir mit Freunden essen, endlich Wochenende!": "de", "lol same": ""}


def test_detection_costs_a_create_no_statement(app, susan, monkeypatch):
    """language goes out in the UPDATE that carries body_html."""
    def statements(body: str) -> list[str]:
        with count_statements(db.engine) as seen:
            service.publish(susan, body)
        return seen

    with_detection = statements("Il treno è di nuovo in ritardo, è la terza volta questa settimana")
    monkeypatch.setattr(content, "detect", lambda body: "")
    without = statements("Le train a encore du retard, c'est la troisième fois cette semaine")
    assert len(with_detection) == len(without), (with_detection, without)
    assert db.session.scalars(sa.select(Post.language).order_by(Post.id)).all() == ["it", ""]


def test_an_edit_detects_again_and_drops_only_that_posts_translations(client, logged_in):
    client.post("/index", data={"post": "The train is late again, third time this week"})
    client.post("/index", data={"post": "Walking the dog in the rain again, she loves it"})
    edited, other = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
    assert edited.language == other.language == "en"
    db.session.add_all([PostTranslation(post_id=post.id, language=code, text=f"{code} text", provider="test")
                        for post in (edited, other) for code in ("es", "fr")])
    db.session.commit()
    response = client.post(f"/post/{edited.id}/edit",
                           data={"post": "El tren volvió a llegar tarde, ya es la tercera vez esta semana"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, edited.id).language == "es"
    left = db.session.execute(sa.select(PostTranslation.post_id, PostTranslation.language)
                              .order_by(PostTranslation.post_id, PostTranslation.language)).all()
    assert [tuple(row) for row in left] == [(other.id, "es"), (other.id, "fr")]


def test_flask_posts_render_all_fills_in_the_language_and_keeps_translations(app, susan):
    db.session.add_all([Post(body="Minha avó faz o melhor bolo de cenoura do mundo", author=susan),
                        Post(body="Meine Oma backt den besten Apfelkuchen der Welt", author=susan),
                        Post(body="ok", author=susan)])
    db.session.commit()
    first = db.session.scalar(sa.select(Post.id).order_by(Post.id))
    db.session.add(PostTranslation(post_id=first, language="en", text="My grandmother...", provider="test"))
    db.session.commit()
    assert set(db.session.scalars(sa.select(Post.language))) == {""}  # older than detection
    result = app.test_cli_runner().invoke(args=["posts", "render", "--all"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(Post.language).order_by(Post.id)).all() == ["pt", "de", ""]
    # The bodies did not change: their translations still hold.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostTranslation)) == 1


def test_the_seed_writes_several_languages_that_the_detector_agrees_with(runner):
    result = runner.invoke(args=["seed", "--users", "20", "--posts", "1500", "--follows", "0", "--messages", "0",
                                 "--likes", "0", "--seed", "4"])
    assert result.exit_code == 0, result.output
    posts = db.session.execute(sa.select(Post.body, Post.language)).all()
    counts = Counter(code for _, code in posts)
    assert set(counts) == {"en", "es", "de", "fr", "it", "pt"}, counts
    assert 0.25 < 1 - counts["en"] / len(posts) < 0.45
    # The seed stores the language it wrote (detecting would slow it). The
    # detector must agree: on nearly all of the other languages' posts, and
    # on the English posts it answers (many of those are half invented
    # words, which it rightly leaves unsure).
    detected = [(code, language.detect(body)) for body, code in posts]
    foreign = [(code, got) for code, got in detected if code != "en"]
    assert sum(code == got for code, got in foreign) / len(foreign) >= 0.95
    english = [got for code, got in detected if code == "en" and got]
    assert sum(got == "en" for got in english) / len(english) >= 0.95 and len(english) > counts["en"] / 3


def test_the_seed_is_still_repeatable_with_its_languages(runner):
    args = ["seed", "--users", "5", "--posts", "60", "--follows", "0", "--messages", "0", "--likes", "0", "--seed", "9"]
    assert runner.invoke(args=args).exit_code == 0
    first = db.session.execute(sa.select(Post.body, Post.language).order_by(Post.id)).all()
    db.session.execute(sa.delete(User))  # their posts go with them
    db.session.commit()
    assert runner.invoke(args=args).exit_code == 0
    again = db.session.execute(sa.select(Post.body, Post.language).order_by(Post.id)).all()
    assert [tuple(row) for row in again] == [tuple(row) for row in first]
    assert len({code for _, code in first}) >= 3


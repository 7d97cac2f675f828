"""Every string a person reads is translated (issue 16), checked by a
pseudo-locale rather than by eye.

The pseudo catalogue puts every message of the code between ⟦ and ⟧. With
it loaded as English, each page of the site is fetched in the states that
show its messages (empty lists, full lists, form errors, flashes, error
pages, emails, the scripts' words), and its visible text is read: what
remains outside the brackets may only be what users wrote (names, posts,
tags), numbers, dates and punctuation. A string left out of gettext shows
up here as a word outside the brackets, with the page it is on.

The same walk then runs in each shipped language, and no sentence of the
English catalogue may appear on a page in place of its translation.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_babel import force_locale

from app import create_app
from app.extensions import babel, db
from app.i18n import catalogs
from app.models import Message, Post, PostLike, User
from app.posts import content
from tests.conftest import config, make_user

OPEN, CLOSE = "⟦", "⟧"
USERS = ("susan", "john")
TAG = "coffee"
# Elements whose text is not ours to translate: what users wrote, the times
# Babel formats, request ids, and the language names (each in itself).
SKIPPED_CLASSES = {"post-body", "navbar-brand"}
SKIPPED_TAGS = {"time", "script", "style", "code", "option", "textarea"}
CHECKED_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
ALLOWED_WORDS = {"Microblog", "UTC", *USERS, TAG}
BRACKETED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
LETTER = re.compile(r"[^\W\d_]")


def pseudo(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


@pytest.fixture(scope="module")
def pseudo_translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code's messages, each wrapped in brackets, compiled as English."""
    catalog = Catalog(locale="en", charset="utf-8")
    for message in catalogs.extract():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalog.add(message.id, tuple(pseudo(form) for form in message.id))
        else:
            catalog.add(message.id, pseudo(message.id))
    root = tmp_path_factory.mktemp("pseudo")
    target = root / "en" / "LC_MESSAGES" / "messages.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        write_mo(out, catalog)
    return root


def forget_catalogues() -> None:
    """Flask-Babel keeps loaded catalogues per process and language, not per
    app: this test's must not leak into another's, nor another's into this.
    (In an app context: the domain is found through the app.)"""
    babel.domain_instance.cache.clear()


class VisibleText(HTMLParser):
    """The text a reader sees, in order, with user content and times cut out
    (each as a space), and the attributes a screen reader or tooltip shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.attributes: list[str] = []
        self._skipping: list[str] = []  # the tags of open skipped elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.append(tag)
            return
        classes = set((values.get("class") or "").split())
        if tag in SKIPPED_TAGS or classes & SKIPPED_CLASSES:
            if tag not in {"img", "input", "br", "meta", "link"}:
                self._skipping.append(tag)
            self.parts.append(" ")
            return
        for name in CHECKED_ATTRIBUTES:
            if values.get(name):
                self.attributes.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.attributes.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def untranslated(text: str) -> list[str]:
    """The words of ``text`` outside every bracketed (translated) message."""
    previous = None
    while previous != text:  # innermost first: a message may hold another
        previous, text = text, BRACKETED.sub(" ", text)
    words = re.findall(r"[^\s]+", text)
    return [word for word in words if LETTER.search(word) and not word.startswith("#")  # a tag: users' words
            and word.strip("@.,:;!?()“”\"'-") not in ALLOWED_WORDS]


def page_problems(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = untranslated(" ".join(parser.parts))
    for value in parser.attributes:
        found += untranslated(value)
    return found


@pytest.fixture
def site(tmp_path: Path, pseudo_translations: Path) -> Iterator[Flask]:
    app = create_app(config(f"sqlite:///{tmp_path / 'pseudo.db'}", BABEL_TRANSLATION_DIRECTORIES=str(
        pseudo_translations), LANGUAGES=["en", "es", "de"]))
    with app.app_context():
        forget_catalogues()
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
        forget_catalogues()


def populate() -> dict[str, Any]:
    """Two users who follow each other, posts with a tag, a mention, a reply
    and a like, and a private message: every list has rows."""
    susan, john = (make_user(name) for name in USERS)
    susan.follow(john)
    john.follow(susan)
    posts = []
    for author, body in [(john, f"I love #{TAG}"), (john, "hello @susan"), (susan, "my own post")]:
        post = Post(body=body, author=author)
        db.session.add(post)
        db.session.flush()
        content.apply(post, author)
        posts.append(post)
    reply = Post(body="a reply", author=susan, in_reply_to_id=posts[0].id, reply_to_user_id=john.id)
    db.session.add(reply)
    db.session.flush()
    content.apply(reply, susan)
    db.session.add(PostLike(user_id=susan.id, post_id=posts[0].id))
    posts[0].like_count = 1
    db.session.add(Message(sender=john, recipient=susan, body="a private word"))
    db.session.commit()
    return {"theirs": posts[0].id, "mine": posts[2].id, "reply": reply.id}


def log_in(client: FlaskClient, username: str = "susan") -> None:
    response = client.post("/auth/login", data={"username": username, "password": "correct horse"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def visit(client: FlaskClient, ids: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(what, html) for every page and state the walk covers."""
    def get(path: str, **kwargs: Any) -> tuple[str, str]:
        response = client.get(path, follow_redirects=True, **kwargs)
        assert response.status_code < 500, path
        return f"GET {path}", response.get_data(as_text=True)

    def post(path: str, data: dict[str, str]) -> tuple[str, str]:
        response = client.post(path, data=data, follow_redirects=True)
        assert response.status_code < 500, path
        return f"POST {path} {sorted(data)}", response.get_data(as_text=True)

    # A visitor.
    for path in ("/auth/login", "/auth/register", "/auth/reset_password_request", "/auth/logout",
                 "/auth/reset_password/not-a-token", "/explore", "/no-such-page"):
        yield get(path)
    yield post("/auth/register", {"username": "", "email": "x", "password": "short", "password2": "other"})
    yield post("/auth/register", {"username": "susan", "email": "susan@example.com", "password": "long enough",
                                  "password2": "long enough"})
    yield post("/auth/login", {"username": "susan", "password": "wrong password"})
    yield post("/auth/login", {"username": "", "password": ""})
    yield post("/language", {"language": "klingon"})
    yield get("/language")  # 405: werkzeug's own words replaced by ours
    # Susan, logged in.
    log_in(client)
    theirs, mine, reply = ids["theirs"], ids["mine"], ids["reply"]
    for path in ("/index", "/explore", "/user/john", "/user/susan", "/user/john/popup", "/edit_profile",
                 "/messages", "/send_message/john", f"/post/{theirs}", f"/post/{reply}", f"/post/{theirs}/likes",
                 f"/post/{mine}/likes", f"/post/{mine}/edit", f"/post/{mine}/delete", "/search",
                 "/search?q=love", "/search?q=zzzzqqq", "/search?q=%22%22", f"/tag/{TAG}", "/tag/nothing",
                 "/mentions", "/auth/change_password", "/auth/logout", "/user/nobody", "/post/999999"):
        yield get(path)
    yield post("/index", {"post": ""})
    yield post("/index", {"post": "x" * 141})
    yield post("/index", {"post": "a new post"})
    yield post(f"/post/{theirs}/reply", {"post": ""})
    yield post(f"/post/{mine}/edit", {"post": ""})
    yield post("/send_message/john", {"message": ""})
    yield post("/send_message/john", {"message": "hi"})
    yield post("/edit_profile", {"username": "john", "email": "not an address", "about_me": "x" * 141,
                                 "language": "tlh", "current_password": ""})
    yield post("/edit_profile", {"username": "susan", "email": "other@example.com", "about_me": "",
                                 "current_password": "wrong"})
    yield post("/auth/change_password", {"current_password": "wrong", "password": "new password",
                                         "password2": "different"})
    yield post("/unfollow/john", {})
    yield post("/follow/john", {})
    yield post("/follow/susan", {})
    yield post(f"/post/{mine}/delete", {})


def emails() -> Iterator[tuple[str, str]]:
    context = {"username": "susan", "reset_url": "https://example.com/r", "old_email": "a@example.com",
               "new_email": "b@example.com", "contact": "admin@example.com", "link": "https://example.com/x",
               "attached": True, "hours": 24}
    for name in ("reset_password", "email_changed", "export_posts"):
        for variant in ({}, {"contact": None, "link": None, "attached": False, "hours": 1}):
            values = context | variant
            html = render_template(f"email/{name}.html", **values)
            yield f"email {name}.html {variant}", html.replace("https://example.com/r", "")
            text = render_template(f"email/{name}.txt", **values)
            yield f"email {name}.txt {variant}", f"<pre>{text}</pre>".replace("https://example.com/r", "")


def test_every_page_state_and_email_has_only_translated_words(site: Flask):
    ids = populate()
    client = site.test_client()
    problems = {}
    seen = 0
    for what, html in visit(client, ids):
        seen += 1
        if found := page_problems(html):
            problems[what] = found
    with site.test_request_context("/"):
        for what, html in emails():
            seen += 1
            if found := page_problems(html.replace("https://example.com/x", "").replace("@example.com", "")):
                problems[what] = found
    assert seen > 60
    assert not problems, "\n".join(f"{what}: {words}" for what, words in problems.items())


def test_the_scripts_words_are_translated(site: Flask):
    """The JSON base.html gives static/js (app/i18n/client.py)."""
    populate()
    client = site.test_client()
    log_in(client)
    page = client.get("/index").get_data(as_text=True)
    block = unescape(page.split('<div id="microblog-text" data-texts="', 1)[1].split('"', 1)[0])

    def leaves(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        else:
            yield str(value)

    texts = json.loads(block)
    assert len(texts) > 15
    assert [text for text in leaves(texts) if not (text.startswith(OPEN) and text.endswith(CLOSE))] == []


def test_the_check_finds_a_string_left_out_of_gettext():
    """The checker itself: an unwrapped word next to wrapped ones is found,
    and user content, times and numbers are not."""
    html = (f'<p>{pseudo("Hello")} <b>world</b></p><div class="post-body">anything at all</div>'
            f'<time>May 3</time><p>12, 3.</p><input type="submit" value="Send"><span title="{pseudo("Tip")}">'
            f'{pseudo("<a>john</a> said it")}</span>')
    assert page_problems(html) == ["world", "Send"]


@pytest.mark.parametrize("language", ["es", "de"])
def test_no_english_sentence_shows_in_a_shipped_language(tmp_path: Path, language: str):
    """The catalogue diff: in each shipped language, no message of the
    English catalogue (of two words or more) appears on a page unless its
    translation is the same text."""
    shipped = catalogs.read(catalogs.catalog_path(language), language)
    english = set()
    for message in shipped:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            if "%(" in text or "<" in text or len(text.split()) < 2 or text in strings:
                continue
            english.add(text)
    app = create_app(config(f"sqlite:///{tmp_path / 'lang.db'}", LANGUAGES=["en", "es", "de"]))
    with app.app_context():
        forget_catalogues()
        db.create_all()
        ids = populate()
        User.query.filter_by(username="susan").one().language = language
        db.session.commit()
        client = app.test_client()
        client.set_cookie("language", language)
        found = {}
        for what, html in visit(client, ids):
            parser = VisibleText()
            parser.feed(html)
            visible = " ".join(" ".join(parser.parts).split())
            if leaked := sorted(text for text in english if text in visible):
                found[what] = leaked
        with app.test_request_context("/"), force_locale(language):
            for what, html in emails():
                if leaked := sorted(text for text in english if text in html):
                    found[what] = leaked
        db.session.remove()
        db.engine.dispose()
        forget_catalogues()
    assert not found, "\n".join(f"{what}: {texts}" for what, texts in found.items())

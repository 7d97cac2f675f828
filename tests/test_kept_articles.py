"""Listed posts' articles are kept across requests (app/lists/post_html.py's
``article()``). No viewer may ever see another's view in them: their likes,
their Edit and Delete, their session's token, their language, their site
root; and a post that changes shows its change at once."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from app import db
from app.models import Post, User
from tests.conftest import make_user

ARTICLE = re.compile(r'<article .*?</article>', re.S)
PAGE_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
FORM_TOKENS = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def _client_of(client: FlaskClient, username: str) -> FlaskClient:
    other = client.application.test_client()
    assert other.post("/auth/login", data={"username": username, "password": "correct horse"}).status_code == 302
    return other


def _article(client: FlaskClient, path: str = "/explore", **kwargs: object) -> str:
    articles = ARTICLE.findall(client.get(path, **kwargs).get_data(as_text=True))
    assert len(articles) == 1
    return articles[0]


def _post(author: User, body: str = "a post to view twice") -> Post:
    post = Post(body=body, author=author)
    db.session.add(post)
    db.session.commit()
    return post


def test_each_viewer_sees_their_own_like_and_their_own_actions(client: FlaskClient, susan: User) -> None:
    make_user("john")
    post = _post(susan)
    john = _client_of(client, "john")
    assert john.post(f"/post/{post.id}/like").status_code == 302
    viewers = {"susan": _client_of(client, "susan"), "john": john}
    for order in (("susan", "john"), ("john", "susan")):  # whoever fills the kept article first
        seen = {name: _article(viewers[name]) for name in order}
        mine, johns = seen["susan"], seen["john"]
        assert 'aria-pressed="false">Like<' in mine
        assert 'class="edit-action"' in mine and 'class="delete-action"' in mine
        assert 'aria-pressed="true">Unlike<' in johns
        assert "edit-action" not in johns and "delete-action" not in johns
        assert ">1 like<" in mine and ">1 like<" in johns


def test_each_page_carries_its_own_sessions_token(client: FlaskClient, susan: User) -> None:
    make_user("john")
    _post(susan)
    for viewer in (_client_of(client, "susan"), _client_of(client, "john"), _client_of(client, "susan")):
        html = viewer.get("/explore").get_data(as_text=True)
        page_token = PAGE_TOKEN.search(html)[1]
        assert FORM_TOKENS.findall(ARTICLE.search(html)[0]) == [page_token]


def test_a_post_shows_its_edits_likes_and_its_authors_new_name(client: FlaskClient, susan: User) -> None:
    post = _post(susan, "the first words")
    viewer = _client_of(client, "susan")
    assert "the first words" in _article(viewer)
    assert viewer.post(f"/post/{post.id}/edit", data={"post": "the second words"}).status_code == 302
    edited = _article(viewer)
    assert "the second words" in edited and "the first words" not in edited and "post-edited" in edited
    assert viewer.post(f"/post/{post.id}/like").status_code == 302
    assert 'aria-pressed="true">Unlike<' in _article(viewer) and ">1 like<" in _article(viewer)
    susan.username = "susanna"
    db.session.commit()
    renamed = _article(viewer)
    assert 'href="/user/susanna">susanna</a>' in renamed and "/user/susan\"" not in renamed


def test_each_language_and_site_root_gets_its_own_article(client: FlaskClient, susan: User) -> None:
    _post(susan)
    viewer = _client_of(client, "susan")
    english = _article(viewer, headers={"Accept-Language": "en"})
    spanish = _article(viewer, headers={"Accept-Language": "es"})
    assert "susan</a></span> said" in english and ">Like<" in english
    assert "said" not in spanish and ">Like<" not in spanish and "Me gusta" in spanish
    under_blog = _article(viewer, base_url="http://localhost/blog")
    at_root = _article(viewer)
    assert 'href="/blog/post/' in under_blog and 'href="/blog/user/susan"' in under_blog
    assert 'href="/blog/' not in at_root and 'href="/post/' in at_root

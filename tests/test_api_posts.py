"""The JSON API's post endpoints: one post and its replies, replying, editing,
deleting and liking, with their statement budgets and concurrent likes.

Reading the feed and plain posting are in test_api.py and test_api_writes.py.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import db
from app.models import Notification, Post, PostLike, User, utcnow
from app.posts.service import REPLY_TARGET_GONE
from tests.conftest import make_user
from tests.support.sql import count_statements
from tests.test_api import assert_problem, bearer, issue_token

REPLY_TARGET_GONE = str(REPLY_TARGET_GONE)  # translatable: its English

Headers = dict[str, str]


@pytest.fixture
def headers(token: str) -> Headers:
    return bearer(token)


def add_post(author: User, body: str = "hello", reply_to: Post | None = None, **columns: Any) -> Post:
    if reply_to is not None:  # read before the new post exists: reading may autoflush
        columns.update(in_reply_to_id=reply_to.id, reply_to_user_id=reply_to.user_id)
    post = Post(body=body, author=author, **columns)
    db.session.add(post)
    db.session.commit()
    return post


def rows(model: type, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def stored(post_id: int) -> tuple[str, datetime | None] | None:
    """The post's body and edited time as the database holds them now."""
    row = db.session.execute(sa.select(Post.body, Post.edited).where(Post.id == post_id)).first()
    return None if row is None else (row.body, row.edited)


def search_ids(client: FlaskClient, headers: Headers, word: str) -> list[int]:
    data = client.get(f"/api/search?q={word}", headers=headers).get_json()
    return [item["id"] for item in data["posts"]["items"]]


class TestRead:
    def test_a_post_carries_its_rendered_body(self, client, susan, john, headers):
        response = client.post("/api/posts", json={"body": "<b>hi</b> @JOHN #Tea https://x.example/a."},
                               headers=headers)
        assert response.status_code == 201
        assert response.get_json()["body_html"] == (
            '&lt;b&gt;hi&lt;/b&gt; <a class="mention user-popup" href="/user/john">@JOHN</a> '
            '<a class="hashtag" href="/tag/tea">#Tea</a> '
            '<a href="https://x.example/a" rel="nofollow ugc noopener">https://x.example/a</a>.')
        # A post written before rendering existed: its text, escaped.
        old = add_post(john, "<i>old</i> @susan")
        assert client.get(f"/api/posts/{old.id}", headers=headers).get_json()["body_html"] == \
            "&lt;i&gt;old&lt;/i&gt; @susan"

    def test_a_reply_links_to_what_it_answers(self, client, susan, john, headers):
        parent = add_post(john, "the question")
        response = client.post("/api/posts", json={"body": "the answer", "in_reply_to": parent.id}, headers=headers)
        assert response.status_code == 201
        reply = response.get_json()
        data = client.get(f"/api/posts/{reply['id']}", headers=headers).get_json()
        assert data == reply
        assert data.keys() == {"id", "body", "body_html", "timestamp", "edited", "author", "in_reply_to", "reply_to",
                               "likes", "liked_by_me", "_links"}
        assert (data["body"], data["author"], data["edited"]) == ("the answer", {"id": susan.id, "username": "susan"},
                                                                  None)
        assert data["in_reply_to"] == parent.id and data["reply_to"] == {"id": john.id, "username": "john"}
        assert (data["likes"], data["liked_by_me"]) == (0, False)
        assert abs(datetime.fromisoformat(data["timestamp"]) - utcnow()) < timedelta(minutes=1)
        rid = data["id"]
        assert data["_links"] == {"self": f"/api/posts/{rid}", "author": f"/api/users/{susan.id}",
                                  "in_reply_to": f"/api/posts/{parent.id}", "replies": f"/api/posts/{rid}/replies",
                                  "like": f"/api/posts/{rid}/like"}

    def test_replies_are_the_direct_ones_oldest_first_page_by_page(self, client, susan, john, headers):
        parent = add_post(susan, "root")
        now = utcnow()
        late = add_post(john, "late", parent, timestamp=now - timedelta(minutes=1))
        early = add_post(susan, "early", parent, timestamp=now - timedelta(minutes=3))
        middle = add_post(john, "middle", parent, timestamp=now - timedelta(minutes=2))
        add_post(susan, "grandchild", early)
        add_post(john, "unrelated")
        first = client.get(f"/api/posts/{parent.id}/replies?per_page=2", headers=headers).get_json()
        assert [p["id"] for p in first["items"]] == [early.id, middle.id]
        assert first["_meta"] == {"page": 1, "per_page": 2, "total_pages": 2, "total_items": 3}
        assert first["_links"]["next"] == f"/api/posts/{parent.id}/replies?page=2&per_page=2"
        second = client.get(first["_links"]["next"], headers=headers).get_json()
        assert [p["id"] for p in second["items"]] == [late.id] and second["_links"]["next"] is None
        assert all(p["in_reply_to"] == parent.id for p in first["items"] + second["items"])
        none = client.get(f"/api/posts/{late.id}/replies", headers=headers).get_json()
        assert none["items"] == [] and none["_meta"]["total_items"] == 0

    @pytest.mark.parametrize(("method", "path", "body"), [
        ("GET", "/api/posts/999", None),
        ("GET", "/api/posts/999/replies", None),
        ("GET", "/api/posts/2147483648/replies", None),
        ("PATCH", "/api/posts/999", {"body": "x"}),
        ("PATCH", "/api/posts/2147483648", {"body": "x"}),
        ("DELETE", "/api/posts/999", None),
        ("POST", "/api/posts/999/like", None),
        ("POST", "/api/posts/2147483648/like", None),
        ("DELETE", "/api/posts/999/like", None),
    ])
    def test_unknown_post_is_404(self, client, susan, headers, method, path, body):
        post = add_post(susan)
        assert_problem(client.open(path, method=method, json=body, headers=headers), 404)
        assert rows(PostLike) == 0 and stored(post.id) == ("hello", None)


class TestReply:
    def test_the_answered_author_is_notified(self, client, susan, john, headers):
        parent = add_post(john, "question")
        reply = client.post("/api/posts", json={"body": "answer", "in_reply_to": parent.id}, headers=headers).get_json()
        note = db.session.scalar(sa.select(Notification).where(Notification.user_id == john.id))
        assert note is not None and note.name == "new_reply"
        # Ids, not a URL: app/posts/service.py notifies outside requests too.
        assert note.get_data() == {"post_id": reply["id"], "in_reply_to": parent.id, "from": "susan"}
        assert rows(Notification, Notification.user_id == susan.id) == 0

    def test_answering_yourself_notifies_nobody(self, client, susan, headers):
        parent = add_post(susan, "thinking aloud")
        response = client.post("/api/posts", json={"body": "more", "in_reply_to": parent.id}, headers=headers)
        assert response.status_code == 201 and response.get_json()["reply_to"]["id"] == susan.id
        assert rows(Notification) == 0

    @pytest.mark.parametrize(("value", "message"), [
        (True, "Must be an integer id."),
        (False, "Must be an integer id."),
        ("1", "Must be an integer id."),
        (1.0, "Must be an integer id."),
        (1.5, "Must be an integer id."),
        (None, "Must be an integer id."),
        ([1], "Must be an integer id."),
        ({"id": 1}, "Must be an integer id."),
        (0, "Must be an id from 1 to 2147483647."),
        (-1, "Must be an id from 1 to 2147483647."),
        (2**31, "Must be an id from 1 to 2147483647."),
        (10**30, "Must be an id from 1 to 2147483647."),
    ])
    def test_invalid_in_reply_to_is_400(self, client, susan, headers, value, message):
        add_post(susan)
        doc = assert_problem(client.post("/api/posts", json={"body": "hi", "in_reply_to": value}, headers=headers), 400)
        assert doc["errors"] == {"in_reply_to": [message]}
        assert rows(Post) == 1

    @pytest.mark.parametrize("target", ["missing", "deleted"])
    def test_a_reply_to_a_post_that_is_not_there_is_refused(self, client, susan, john, headers, target):
        parent = add_post(john, "soon gone")
        target_id = parent.id if target == "deleted" else parent.id + 1000
        if target == "deleted":
            assert client.delete(f"/api/posts/{parent.id}", headers=bearer(issue_token(john))).status_code == 204
        doc = assert_problem(client.post("/api/posts", json={"body": "too late", "in_reply_to": target_id},
                                         headers=headers), 400)
        assert doc["errors"] == {"in_reply_to": [REPLY_TARGET_GONE]}
        assert rows(Post, Post.user_id == susan.id) == 0 and rows(Notification) == 0


class TestEdit:
    def test_within_the_window(self, client, susan, headers):
        post = add_post(susan, "first draft")
        response = client.patch(f"/api/posts/{post.id}", json={"body": "final text"}, headers=headers)
        assert response.status_code == 200
        data = response.get_json()
        assert data["body"] == "final text" and data["id"] == post.id
        edited = datetime.fromisoformat(data["edited"])
        assert datetime.fromisoformat(data["timestamp"]) <= edited <= utcnow()
        assert client.get(f"/api/posts/{post.id}", headers=headers).get_json() == data
        assert stored(post.id) == ("final text", edited)

    def test_someone_elses_post_is_403(self, client, john, headers):
        post = add_post(john, "mine")
        doc = assert_problem(client.patch(f"/api/posts/{post.id}", json={"body": "hacked"}, headers=headers), 403)
        assert "your own posts" in doc["detail"]
        assert stored(post.id) == ("mine", None)

    def test_past_the_window_is_403(self, client, susan, headers):
        post = add_post(susan, "old", timestamp=utcnow() - timedelta(minutes=15, seconds=5))
        doc = assert_problem(client.patch(f"/api/posts/{post.id}", json={"body": "new"}, headers=headers), 403)
        assert "15 minutes" in doc["detail"]
        assert stored(post.id) == ("old", None)

    @pytest.mark.parametrize("app_config", [{"POST_EDIT_MINUTES": 0}])
    def test_zero_minutes_turns_editing_off(self, client, susan, headers, app_config):
        post = add_post(susan, "fixed")
        assert_problem(client.patch(f"/api/posts/{post.id}", json={"body": "new"}, headers=headers), 403)
        assert stored(post.id) == ("fixed", None)

    @pytest.mark.parametrize(("request_args", "status", "errors"), [
        ({"json": {"body": ""}}, 400, {"body": ["This field is required."]}),
        ({"json": {"body": " \n "}}, 400, {"body": ["This field is required."]}),
        ({"json": {"body": "x" * 141}}, 400, {"body": ["Field must be between 1 and 140 characters long."]}),
        ({"json": {"body": 7}}, 400, {"body": ["Must be a string."]}),
        ({"json": {}}, 400, {"body": ["This field is required."]}),
        ({"json": {"body": "x", "in_reply_to": 1}}, 400, {"in_reply_to": ["Unknown field. The fields are: body."]}),
        ({"json": ["body"]}, 400, None),
        ({"data": "{not json", "content_type": "application/json"}, 400, None),
        ({"data": "body=new"}, 415, None),
    ])
    def test_bad_bodies_are_refused(self, client, susan, headers, request_args, status, errors):
        post = add_post(susan, "unchanged")
        doc = assert_problem(client.patch(f"/api/posts/{post.id}", headers=headers, **request_args), status)
        assert doc.get("errors") == errors
        assert stored(post.id) == ("unchanged", None)

    def test_search_finds_the_new_words_not_the_old(self, client, susan, headers):
        post = add_post(susan, "I love pineapple")
        assert search_ids(client, headers, "pineapple") == [post.id]
        assert client.patch(f"/api/posts/{post.id}", json={"body": "I love mango"}, headers=headers).status_code == 200
        assert search_ids(client, headers, "pineapple") == []
        assert search_ids(client, headers, "mango") == [post.id]


class TestDelete:
    def test_gone_everywhere_but_its_replies_stay(self, client, susan, john, headers):
        post = add_post(susan, "regrettable walrus")
        reply = add_post(john, "indeed", post)
        susan.follow(john)
        db.session.commit()
        assert client.post(f"/api/posts/{post.id}/like", headers=bearer(issue_token(john))).status_code == 200
        response = client.delete(f"/api/posts/{post.id}", headers=headers)
        assert response.status_code == 204
        assert response.data == b"" and "Content-Type" not in response.headers
        assert_problem(client.get(f"/api/posts/{post.id}", headers=headers), 404)
        assert_problem(client.get(f"/api/posts/{post.id}/replies", headers=headers), 404)
        feed = client.get("/api/posts", headers=headers).get_json()["items"]
        assert [p["id"] for p in feed] == [reply.id]
        assert search_ids(client, headers, "walrus") == []
        assert rows(PostLike, PostLike.post_id == post.id) == 0
        data = client.get(f"/api/posts/{reply.id}", headers=headers).get_json()
        assert (data["body"], data["in_reply_to"], data["_links"]["in_reply_to"]) == ("indeed", None, None)
        assert data["reply_to"] == {"id": susan.id, "username": "susan"}
        assert_problem(client.delete(f"/api/posts/{post.id}", headers=headers), 404)

    def test_someone_elses_post_is_403_and_stays(self, client, john, headers):
        post = add_post(john, "keep me")
        doc = assert_problem(client.delete(f"/api/posts/{post.id}", headers=headers), 403)
        assert "your own posts" in doc["detail"]
        assert stored(post.id) == ("keep me", None)
        assert client.get(f"/api/posts/{post.id}", headers=headers).status_code == 200


class TestLikes:
    def test_like_unlike_and_whose_like_it_is(self, client, susan, john, headers):
        post = add_post(john, "likeable")
        johns = bearer(issue_token(john))
        path = f"/api/posts/{post.id}/like"

        def state(response: TestResponse) -> tuple[int, int, bool]:
            data = response.get_json()
            assert data["id"] == post.id and data["body"] == "likeable"
            return response.status_code, data["likes"], data["liked_by_me"]

        assert state(client.post(path, headers=headers)) == (200, 1, True)
        assert state(client.post(path, headers=headers)) == (200, 1, True)  # twice counts once
        assert state(client.post(path, headers=johns)) == (200, 2, True)
        assert state(client.get(f"/api/posts/{post.id}", headers=headers)) == (200, 2, True)
        assert state(client.delete(path, headers=headers)) == (200, 1, False)
        assert state(client.delete(path, headers=headers)) == (200, 1, False)  # not liked: nothing changes
        assert state(client.get(f"/api/posts/{post.id}", headers=johns)) == (200, 1, True)
        assert rows(PostLike, PostLike.post_id == post.id, PostLike.user_id == john.id) == 1
        assert rows(PostLike) == 1 and db.session.scalar(sa.select(Post.like_count)) == 1


@pytest.mark.parametrize(("path", "budget"), [
    ("/api/posts?per_page=100", 3),  # token, count, page
    ("/api/posts/{reply}", 2),  # token, the post
    ("/api/posts/{root}/replies?per_page=100", 4),  # token, the post (or a 404), count, page
])
def test_sql_statements_do_not_grow_with_likes_and_replies(client, susan, headers, path, budget):
    """Likes, the answered author and the caller's likes load with the posts, not one query each."""
    root = add_post(susan, "root")
    for i in range(25):
        other = make_user(f"user{i}")
        susan.follow(other)
        post = add_post(other, f"post {i}", root)
        db.session.add_all([PostLike(user_id=susan.id, post_id=post.id), PostLike(user_id=other.id, post_id=post.id)])
        post.like_count = 2
        add_post(susan, f"reply {i}", post)
    url = path.format(root=root.id, reply=db.session.scalar(sa.select(Post.id).where(Post.body == "post 0")))
    with count_statements(db.engine) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    posts = data.get("items", [data])
    assert len(posts) in (1, 25, 51) and any(p["likes"] == 2 and p["liked_by_me"] for p in posts)
    assert all(p["reply_to"] is not None for p in posts if p["body"] != "root")
    assert len(statements) <= budget, statements


def run_at_once(app: Flask, requests: list[tuple[str, str, Headers]]) -> list[tuple[int, dict[str, Any]]]:
    """Send each (method, path, headers) from its own thread and client, all released together."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, dict[str, Any]]] = []

    def send(method: str, path: str, headers: Headers) -> None:
        each = app.test_client()  # an IsolatedClient: the `client` fixture set the class
        barrier.wait()
        response = each.open(path, method=method, headers=headers)
        answers.append((response.status_code, response.get_json(silent=True) or {}))

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    db.session.rollback()  # the test's session reads what the requests committed
    return answers


def test_twenty_users_liking_at_once_make_twenty_likes(app, client, susan, headers):
    post = add_post(susan, "popular")
    likers = [bearer(issue_token(make_user(f"fan{i}"))) for i in range(20)]
    answers = run_at_once(app, [("POST", f"/api/posts/{post.id}/like", h) for h in likers])
    assert [status for status, _ in answers] == [200] * 20, answers
    assert all(data["liked_by_me"] for _, data in answers)
    assert sorted(data["likes"] for _, data in answers)[-1] == 20
    assert rows(PostLike, PostLike.post_id == post.id) == 20
    data = client.get(f"/api/posts/{post.id}", headers=headers).get_json()
    assert (data["likes"], data["liked_by_me"]) == (20, False)


def test_one_user_racing_likes_and_unlikes_keeps_the_count_true(app, client, susan, john, headers):
    post = add_post(john, "clicky")
    requests = [("POST" if i % 2 else "DELETE", f"/api/posts/{post.id}/like", headers) for i in range(20)]
    answers = run_at_once(app, requests)
    assert [status for status, _ in answers] == [200] * 20, answers
    likes = rows(PostLike, PostLike.post_id == post.id)
    assert likes in (0, 1)
    assert db.session.scalar(sa.select(Post.like_count).where(Post.id == post.id)) == likes
    data = client.get(f"/api/posts/{post.id}", headers=headers).get_json()
    assert (data["likes"], data["liked_by_me"]) == (likes, bool(likes))

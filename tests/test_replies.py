"""Replies and threads through the pages: answering, the thread page, the
"replying to" line, replies to deleted posts, and the answered author's
notification, on both databases."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Post
from app.posts import publish, queries, service
from tests.conftest import make_user
from tests.test_posts import stored, write


def post_ids(page: str, section: str) -> list[int]:
    """The ids of the posts inside ``<section ... id="section">``, in page order."""
    block = re.search(rf'<section[^>]*id="{section}".*?</section>', page, re.S)
    return [int(n) for n in re.findall(r'<article [^>]*id="post-(\d+)"', block.group(0))] if block else []


def ancestors(page: str) -> list[int]:
    block = re.search(r'<section class="thread-ancestors".*?</section>', page, re.S)
    return [int(n) for n in re.findall(r'<article [^>]*id="post-(\d+)"', block.group(0))] if block else []


class TestAnswering:
    def test_a_reply_from_the_form_answers_the_post(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "what do you think?")
        response = client.post(f"/post/{parent.id}/reply", data={"post": "I agree"})
        reply = db.session.scalar(sa.select(Post).where(Post.body == "I agree"))
        assert response.status_code == 302 and response.headers["Location"] == f"/post/{reply.id}"
        assert (reply.in_reply_to_id, reply.reply_to_user_id, reply.user_id) == (parent.id, john.id, logged_in.id)
        page = client.get(f"/post/{reply.id}").get_data(as_text=True)
        assert "Your reply is now live!" in page
        assert f'<a href="/post/{parent.id}">replying to @john</a>' in page

    def test_replies_appear_in_feeds_with_their_line(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "root")
        write(logged_in, "answer", reply_to=parent)
        for path in ("/index", "/explore", "/user/susan"):
            assert "replying to @john" in client.get(path).get_data(as_text=True), path

    def test_the_reply_action_opens_the_form_on_the_post_page(self, client, logged_in):
        post = write(logged_in, "x")
        page = client.get("/explore").get_data(as_text=True)
        assert f'<a class="reply-action" href="/post/{post.id}#reply">Reply</a>' in page
        assert 'id="reply"' in client.get(f"/post/{post.id}").get_data(as_text=True)

    @pytest.mark.parametrize(("body", "message"), [
        ("", "This field is required."),
        ("x" * 141, "Field must be between 1 and 140 characters long."),
    ])
    def test_a_bad_reply_shows_the_form_again(self, client, logged_in, body, message):
        parent = write(logged_in, "root")
        response = client.post(f"/post/{parent.id}/reply", data={"post": body})
        assert response.status_code == 200 and message in response.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1

    def test_a_page_shown_again_after_a_bad_reply_sends_likes_back_somewhere_fetchable(self, client, logged_in):
        parent = write(logged_in, "root")
        page = client.post(f"/post/{parent.id}/reply", data={"post": ""}).get_data(as_text=True)
        assert f'name="next" value="/post/{parent.id}/reply"' not in page
        response = client.post(f"/post/{parent.id}/like", data={"next": ""})
        assert response.headers["Location"] == f"/post/{parent.id}"
        assert client.get(response.headers["Location"]).status_code == 200

    def test_a_reply_to_a_just_deleted_post_is_refused_and_the_text_kept(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "soon gone")
        parent_id = parent.id
        service.delete(parent, john)
        response = client.post(f"/post/{parent_id}/reply", data={"post": "my careful answer"})
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert str(service.REPLY_TARGET_GONE) in page
        assert "my careful answer" in page and 'action="/index"' in page  # one click posts it anyway
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0

    def test_the_foreign_key_refuses_a_reply_to_a_post_deleted_after_the_check(self, app, susan):
        """The race the lookup cannot see: the post goes between the lookup and the insert."""
        parent = write(make_user("john"), "racing")
        parent_id = parent.id
        real_find = service.find

        def find_then_delete(post_id: int) -> Post | None:
            found = real_find(post_id)
            with db.engine.begin() as other:  # another request deletes it, and commits
                other.execute(sa.delete(Post).where(Post.id == post_id))
            return found

        service.find = find_then_delete
        try:
            with pytest.raises(service.ReplyTargetGone):
                publish(susan, "too late", in_reply_to=parent_id)
        finally:
            service.find = real_find
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


class TestThreadPage:
    def test_it_shows_the_chain_up_to_the_root_and_the_direct_replies(self, client, logged_in):
        john = make_user("john")
        root = write(john, "root", minutes_ago=10)
        middle = write(logged_in, "middle", minutes_ago=9, reply_to=root)
        post = write(john, "the post", minutes_ago=8, reply_to=middle)
        first = write(logged_in, "first answer", minutes_ago=7, reply_to=post)
        second = write(john, "second answer", minutes_ago=6, reply_to=post)
        write(logged_in, "answer to an answer", minutes_ago=5, reply_to=first)  # not direct: not listed
        write(logged_in, "elsewhere", minutes_ago=4, reply_to=root)
        page = client.get(f"/post/{post.id}").get_data(as_text=True)
        assert ancestors(page) == [root.id, middle.id]
        assert post_ids(page, "thread-post") == [post.id]
        assert post_ids(page, "replies") == [first.id, second.id]

    def test_a_root_post_has_no_chain(self, client, logged_in):
        root = write(logged_in, "alone")
        page = client.get(f"/post/{root.id}").get_data(as_text=True)
        assert ancestors(page) == [] and "No replies yet." in page

    def test_replies_are_paginated_oldest_first(self, app, client, logged_in):
        app.config["POSTS_PER_PAGE"] = 3
        root = write(logged_in, "root", minutes_ago=100)
        replies = [write(logged_in, f"r{i}", minutes_ago=90 - i, reply_to=root).id for i in range(7)]
        pages = [client.get(f"/post/{root.id}?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
        assert [post_ids(page, "replies") for page in pages] == [replies[0:3], replies[3:6], replies[6:]]
        assert "Later replies" in pages[0] and f"/post/{root.id}?page=2" in pages[0]
        assert client.get(f"/post/{root.id}?page=abc").status_code == 404

    def test_a_long_chain_is_cut_with_a_link_to_the_rest(self, client, logged_in):
        previous = write(logged_in, "start", minutes_ago=500)
        chain = [previous.id]
        for i in range(queries.MAX_ANCESTORS + 5):
            previous = write(logged_in, f"step {i}", minutes_ago=499 - i, reply_to=previous)
            chain.append(previous.id)
        page = client.get(f"/post/{previous.id}").get_data(as_text=True)
        shown = ancestors(page)
        assert shown == chain[-queries.MAX_ANCESTORS - 1:-1]
        earlier = db.session.get(Post, shown[0]).in_reply_to_id
        assert f'<a href="/post/{earlier}" id="earlier-posts">' in page

    def test_a_reply_whose_post_was_deleted_says_so(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "gone soon")
        reply = write(logged_in, "still here", reply_to=parent)
        service.delete(parent, john)
        for path in (f"/post/{reply.id}", "/user/susan"):
            page = client.get(path).get_data(as_text=True)
            assert "replying to a deleted post" in page and "replying to @john" not in page, path
        assert ancestors(client.get(f"/post/{reply.id}").get_data(as_text=True)) == []


class TestTheAuthorHearsOfIt:
    def test_the_answered_author_is_notified(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "hello?")
        client.post(f"/post/{parent.id}/reply", data={"post": "hi john"})
        reply = db.session.scalar(sa.select(Post).where(Post.body == "hi john"))
        note = db.session.scalar(sa.select(Notification).where(Notification.user_id == john.id))
        assert note.name == service.REPLY
        assert note.get_data() == {"post_id": reply.id, "in_reply_to": parent.id, "from": "susan"}

    def test_answering_yourself_notifies_nobody(self, client, logged_in):
        parent = write(logged_in, "thinking aloud")
        client.post(f"/post/{parent.id}/reply", data={"post": "and more"})
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

    def test_the_poll_delivers_it(self, client, auth, susan):
        john = make_user("john")
        parent = write(susan, "anyone?")
        publish(john, "me!", in_reply_to=parent.id)
        auth.login()
        items = client.get("/notifications?since=0").get_json()
        assert [item["name"] for item in items] == [service.REPLY]
        assert items[0]["data"]["from"] == "john"

    def test_a_refused_reply_notifies_nobody(self, client, logged_in):
        john = make_user("john")
        parent = write(john, "x")
        parent_id = parent.id
        service.delete(parent, john)
        client.post(f"/post/{parent_id}/reply", data={"post": "late"})
        assert stored(parent_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

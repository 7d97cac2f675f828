"""Migration 0007 on a database with posts: nothing lost, the search index
still in step, and (on SQLite) ids that are never given out twice."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app, db
from app.models import Post, User
from app.posts import publish, service
from app.search.engine import search_posts
from app.search.highlight import unmarked
from app.search.query import parse
from tests.conftest import config


def found(word: str) -> list[str]:
    return [unmarked(hit.marked) for hit in search_posts(parse(word), 1).items]


def test_upgrade_keeps_posts_and_their_index_then_downgrade_keeps_them_too(empty_url):
    app = create_app(config(empty_url))
    with app.app_context(), app.test_request_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO \"user\" (username, email, unread_message_count)"
                                 " VALUES ('old', 'old@example.com', 0)"))
            conn.execute(sa.text("INSERT INTO post (body, timestamp, user_id) VALUES"
                                 " ('first pelican', CURRENT_TIMESTAMP, 1), ('second heron', CURRENT_TIMESTAMP, 1)"))
        upgrade()
        assert found("pelican") == ["first pelican"]
        old = db.session.get(User, 1)
        newest = db.session.scalar(sa.select(Post).where(Post.body == "second heron"))
        assert (newest.like_count, newest.in_reply_to_id, newest.edited) == (0, None, None)
        # The triggers came back with the rebuilt table: writes reach the index.
        reply = publish(old, "a stork answers", in_reply_to=newest.id)
        assert found("stork") == ["a stork answers"]
        # The highest id, deleted, is not handed to the next post.
        deleted_id = reply.id
        service.delete(reply, old)
        assert found("stork") == []
        assert publish(old, "later").id > deleted_id
        db.session.remove()
        downgrade(revision="0006")
        with db.engine.connect() as conn:
            bodies = conn.execute(sa.text("SELECT body FROM post ORDER BY id")).scalars().all()
            assert bodies == ["first pelican", "second heron", "later"]
            assert "post_like" not in sa.inspect(conn).get_table_names()
        db.engine.dispose()

"""Writing posts, the one way every client does it (web form or API), so
every post is counted alike."""
from __future__ import annotations

from app.extensions import db
from app.models import Post, User
from app.observability.metrics import POSTS_CREATED


def publish(author: User, body: str) -> Post:
    """Save a post (validated by the caller) and count it."""
    post = Post(body=body, author=author)
    db.session.add(post)
    db.session.commit()
    POSTS_CREATED.inc()
    return post

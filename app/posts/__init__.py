"""Posts: writing, editing, deleting, replies and likes (app/posts/service.py
and likes.py, for the pages and the API alike), and the pages under
/post/<id>."""
from app.posts.service import publish

__all__ = ["publish"]

"""Atom feeds of a user's posts and of a tag (issue 15, in progress)."""
from app.feeds.routes import bp

__all__ = ["bp"]

"""Hashtags: /tag/<tag>, the posts carrying a tag (issue 15, in progress)."""
from app.tags.routes import bp

__all__ = ["bp"]

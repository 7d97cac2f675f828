"""Exporting your posts: the button's POST and the download of the result."""
from app.exports.routes import bp

__all__ = ["bp"]

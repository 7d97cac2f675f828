"""Reading search hits in tests."""
from __future__ import annotations

from app.search.highlight import CLOSE, OPEN


def unmarked(marked: str) -> str:
    """A hit's highlighted text without its marks: the post's body as the
    engine read it."""
    return marked.replace(OPEN, "").replace(CLOSE, "")

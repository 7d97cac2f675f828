"""Turning the engine's highlighted text into safe markup.

The engines insert a marker before and after each matched word. The markers
are control characters that an escaped body cannot contain in any other
role, so the body is escaped first and only then do the markers become
``<mark>`` tags: the marks are the only markup that can come out.
"""
from __future__ import annotations

import html
import re
from typing import TypeGuard

from markupsafe import Markup, escape

from app.posts.render import rooted

OPEN = "\x02"
CLOSE = "\x03"


def unmarked(marked: str) -> str:
    """The engine's highlighted text without its marks."""
    return marked.replace(OPEN, "").replace(CLOSE, "")


def _marks_fit(marked: str | None, body: str) -> TypeGuard[str]:
    """Whether ``marked`` is ``body`` with marks and nothing else. A body that
    itself contains a marker character would make the marks ambiguous, and
    the highlight of other text (a post edited since) must never be shown."""
    return marked is not None and OPEN not in body and CLOSE not in body and unmarked(marked) == body


def marked_body(body: str, marked: str | None) -> Markup:
    """``body`` escaped, with the matched words in ``<mark>``; without
    highlighting where the marks do not fit it (``_marks_fit``)."""
    if not _marks_fit(marked, body):
        return escape(body)
    html = str(escape(marked)).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
    return Markup(html)


_MARKED = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]+){CLOSE}")
# Not inside a tag: the next angle bracket after the word is not a ">". The
# renderer's attributes never hold "<" or ">" (a URL ends before them, and
# mention and tag paths are percent-quoted), so this is exact. One sub over
# the whole body cost less than splitting it at its tags first.
_OUTSIDE_TAGS = r"(?![^<>]*>)"


def marked_html(body: str, body_html: str | None, marked: str | None, root: str = "") -> Markup:
    """A rendered post (its links, mentions and tags) with the words the
    engine matched in ``<mark>``: only in the text between tags, never in an
    attribute, and only a whole word the engine marked somewhere in
    ``body``. A post not rendered yet gets ``marked_body``. ``root``: the
    site's path prefix (see ``rooted``)."""
    if body_html is None:
        return marked_body(body, marked)
    body_html = rooted(body_html, root)
    if not _marks_fit(marked, body):
        return Markup(body_html)
    # The rendered text is html5ever's: &, < and > escaped, quotes not.
    words = sorted({html.escape(word, quote=False) for word in _MARKED.findall(marked)}, key=len, reverse=True)
    if not words:
        return Markup(body_html)
    word = re.compile(r"(?<![\w&])(" + "|".join(map(re.escape, words)) + r")(?!\w)" + _OUTSIDE_TAGS)
    return Markup(word.sub(r"<mark>\1</mark>", body_html))

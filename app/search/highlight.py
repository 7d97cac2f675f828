"""Turning the engine's highlighted text into safe markup.

The engines insert a marker before and after each matched word. The markers
are control characters that an escaped body cannot contain in any other
role, so the body is escaped first and only then do the markers become
``<mark>`` tags: the marks are the only markup that can come out.
"""
from __future__ import annotations

from markupsafe import Markup, escape

OPEN = "\x02"
CLOSE = "\x03"


def marked_body(body: str, marked: str | None) -> Markup:
    """``body`` escaped, with the matched words in ``<mark>``.

    A body that itself contains a marker character would make the marks
    ambiguous: it is shown escaped, without highlighting.
    """
    if marked is None or OPEN in body or CLOSE in body:
        return escape(body)
    if marked.replace(OPEN, "").replace(CLOSE, "") != body:
        return escape(body)  # never show text other than the post's own
    html = str(escape(marked)).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
    return Markup(html)

"""Turning a post's text into the HTML every page shows: the one way it is
done (issue 15). Written at save time, stored beside the body.

1. The text is cut into plain text, URLs, @mentions and #tags by one
   regular expression, and each piece is escaped or made a link here.
2. The result then passes through nh3 (the ammonia sanitiser) with an
   allow-list of one tag, ``<a>``, and its ``href``, ``class`` and ``rel``:
   if step 1 ever let markup through, the sanitiser still removes it.

Only http and https URLs become links (rel="nofollow ugc noopener"); a
mention becomes a link only for a user that exists (``known`` maps lower-cased
names to their spelling); a tag always becomes a link to its page.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import quote

import nh3
from markupsafe import Markup, escape

EXTERNAL_REL = "nofollow ugc noopener"
# A URL runs to the next space or character that cannot appear unescaped in
# one; a mention is a username (the sign-up form's characters) not preceded
# by a word character (an email address is not a mention); a tag is Unicode
# letters, digits and underscores.
_PIECES = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"'`]+)"
    r"|(?<![\w@#/])@(?P<mention>[A-Za-z0-9_.-]{1,64})"
    r"|(?<![\w#&/])#(?P<tag>\w{1,100})",
    re.IGNORECASE,
)
# A host name (IDN letters too) and an optional port: anything else the
# sanitiser would refuse as a URL, leaving a link without an address.
_HOST = re.compile(r"[\w-]+(\.[\w-]+)*(:[0-9]{1,5})?")
# Punctuation that ends a sentence, not the URL or name before it.
_TRAILING = ".,;:!?'\""
_CLEANER = nh3.Cleaner(tags={"a"}, attributes={"a": {"href", "class", "rel"}}, url_schemes={"http", "https"},
                       link_rel=None, strip_comments=True)


class Rendered(NamedTuple):
    html: str
    mentions: list[str]  # the existing users mentioned, as spelled in ``known``, in order, once each
    tags: list[str]  # lower-cased, in order, once each


def _trim_url(url: str) -> tuple[str, str]:
    """Split trailing punctuation off ``url``; a closing bracket stays only
    when the URL opened one (Wikipedia's ``..._(disambiguation)``)."""
    tail = ""
    while url:
        last = url[-1]
        if last in _TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url, tail = url[:-1], last + tail
        else:
            break
    return url, tail


def render(body: str, known: Mapping[str, str]) -> Rendered:
    """``body`` as safe HTML, and the mentions and tags found in it. Links
    to this site's pages start at "/" (see ``rooted``)."""
    out: list[str] = []
    mentions: list[str] = []
    tags: list[str] = []
    position = 0
    for match in _PIECES.finditer(body):
        out.append(str(escape(body[position:match.start()])))
        position = match.end()
        if match.group("url"):
            url, tail = _trim_url(match.group("url"))
            # "https://." or "https://a)b:c" is no address. (Not urlsplit():
            # it raises on "https://[", and a post must never be a 500.)
            if not _HOST.fullmatch(re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0]):
                out.append(str(escape(match.group(0))))
                continue
            out.append(f'<a href="{escape(url)}" rel="{EXTERNAL_REL}">{escape(url)}</a>{escape(tail)}')
        elif match.group("mention"):
            name = match.group("mention").rstrip(".-")
            tail = match.group("mention")[len(name):]
            spelled = known.get(name.lower()) if name else None
            if spelled is None:
                out.append(str(escape(match.group(0))))
                continue
            if spelled not in mentions:
                mentions.append(spelled)
            href = f"/user/{quote(spelled)}"
            # user-popup: js/popups.js opens the user's popup over a mention too.
            out.append(f'<a class="mention user-popup" href="{escape(href)}">@{escape(name)}</a>{escape(tail)}')
        else:
            tag = match.group("tag")
            if tag.lower() not in tags:
                tags.append(tag.lower())
            href = f"/tag/{quote(tag.lower())}"
            out.append(f'<a class="hashtag" href="{escape(href)}">#{escape(tag)}</a>')
    out.append(str(escape(body[position:])))
    return Rendered(_CLEANER.clean("".join(out)), mentions, tags)


# The start of a link render() made to a page of this site: "<" is always
# escaped in a post's text, so only these links can match.
_OURS = re.compile(r'(<a class="(?:mention user-popup|hashtag)" href=")/')


def rooted(body_html: str, root: str) -> str:
    """``body_html`` with its site links under ``root`` (the site's path
    prefix, or an absolute base for a feed). Bodies are stored with links
    from "/", so a site moved under a prefix, or a feed read elsewhere, needs
    no re-rendering."""
    if not root:
        return body_html
    return _OURS.sub(lambda match: f"{match.group(1)}{escape(root)}/", body_html)


def body_markup(body: str, body_html: str | None, root: str = "") -> Markup:
    """What a page shows of a post: its rendered HTML, or its escaped text if
    it was written before posts were rendered (``flask posts render`` fills
    those in)."""
    return Markup(rooted(body_html, root)) if body_html is not None else escape(body)


def mentioned_names(body: str) -> set[str]:
    """The lower-cased names ``body`` might mention, for one lookup of which exist."""
    return {m.group("mention").rstrip(".-").lower() for m in _PIECES.finditer(body) if m.group("mention")}

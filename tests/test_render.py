"""The post body renderer (app/posts/render.py): what becomes a link, and
that nothing else survives as markup, whatever the text."""
from __future__ import annotations

import html.parser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.posts.render import EXTERNAL_REL, mentioned_names, render

KNOWN = {"bob": "Bob", "mary.jane": "mary.jane", "x_1": "x_1"}
EXT = f'rel="{EXTERNAL_REL}"'


@pytest.mark.parametrize(("body", "html"), [
    ("plain text", "plain text"),
    ("hi @bob", 'hi <a class="mention user-popup" href="/user/Bob">@bob</a>'),
    ("hi @BOB!", 'hi <a class="mention user-popup" href="/user/Bob">@BOB</a>!'),
    ("@mary.jane.", '<a class="mention user-popup" href="/user/mary.jane">@mary.jane</a>.'),
    ("@nobody here", "@nobody here"),
    ("mail bob@bob.example", "mail bob@bob.example"),
    ("#Topic and #tópico", '<a class="hashtag" href="/tag/topic">#Topic</a> and '
                           '<a class="hashtag" href="/tag/t%C3%B3pico">#tópico</a>'),
    ("a#b is not a tag", "a#b is not a tag"),
    ("&#35;x", "&amp;#35;x"),
    ("see https://example.com/path.", f'see <a href="https://example.com/path" {EXT}>https://example.com/path</a>.'),
    ("(https://example.com/a)", f'(<a href="https://example.com/a" {EXT}>https://example.com/a</a>)'),
    ("https://en.wikipedia.org/wiki/Mercury_(planet)!",
     f'<a href="https://en.wikipedia.org/wiki/Mercury_(planet)" {EXT}>'
     "https://en.wikipedia.org/wiki/Mercury_(planet)</a>!"),
    ("http://a.example/#tag?x=@bob", f'<a href="http://a.example/#tag?x=@bob" {EXT}>http://a.example/#tag?x=@bob</a>'),
    ("ftp://a.example/ and javascript:alert(1)", "ftp://a.example/ and javascript:alert(1)"),
    ("https://. and https://[::1 and https://a)b:c", "https://. and https://[::1 and https://a)b:c"),
    ("http://a.example/?a=1&b=2", f'<a href="http://a.example/?a=1&amp;b=2" {EXT}>http://a.example/?a=1&amp;b=2</a>'),
])
def test_what_becomes_a_link(body, html):
    assert render(body, KNOWN).html == html


def test_mentions_and_tags_are_reported_once_each_in_order():
    result = render("@bob #One @x_1 @BOB #one #two @ghost", KNOWN)
    assert (result.mentions, result.tags) == (["Bob", "x_1"], ["one", "two"])
    assert mentioned_names("@bob @Ghost. mail a@b.c") == {"bob", "ghost"}


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "https://x.example/\"onmouseover=\"alert(1)",
    "https://x.example/'onmouseover='alert(1)",
    "https://x.example/<script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href=\"javascript:alert(1)\">x</a>",
    "@bob<script>",
    "#tag\"><img src=x>",
    "<!-- comment --> <style>*{}</style>",
    "<iframe src=https://x.example></iframe>",
    "https://x.example/`onerror=alert(1)`",
    "<a href=https://x.example onclick=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "\u202e<b>rtl</b>",
]


class Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def tags_in(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(markup)
    return parser.found


def assert_only_our_links(markup: str) -> None:
    for tag, attrs in tags_in(markup):
        assert tag == "a", markup
        assert set(attrs) <= {"href", "class", "rel"}, markup
        href = attrs["href"] or ""
        assert href.startswith(("http://", "https://", "/user/", "/tag/")), markup


@pytest.mark.parametrize("body", XSS)
def test_no_markup_but_our_links_survives(body):
    assert_only_our_links(render(body, KNOWN).html)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"<>\"'&=/:#@ .()!`abcxyz%[]\\é", "https://", "http://", "@bob", "#t", "\x00"]),
                max_size=40)
       .map("".join))
def test_any_text_renders_to_our_links_only(body):
    assert_only_our_links(render(body, KNOWN).html)

"""No text typed in a search box reaches either engine as syntax: the
catalogue of operators and oddities, then arbitrary text from Hypothesis,
on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Post
from app.search.engine import search_posts
from app.search.query import MAX_QUERY_CHARS, Term, clean, fts5, parse, tsquery

CATALOGUE = [
    # FTS5 syntax
    "NEAR(", "NEAR(a b)", "a AND", "OR b", "NOT", "AND OR NOT", "^start", "body:word", "col : x", "-x", "- -",
    '"', '"""', 'a "b', '"unclosed phrase', "*", "**", "a**", "*a", '"*"', "{body}: x", "a + b",
    # tsquery syntax
    "&", "|", "!", "a & b", "a | b", "!a", "a <-> b", "<->", "<2>", "a:*", "a:A", "'", "''", "\\", "a\\'b",
    # the rest of the catalogue
    "(", ")", "((a))", "a) OR (b", "x\x00y", "\x00", "é" * 5, "🙂 emoji 🙂", "\u202e\u202d", "\ufeff", "a\u0301",
    "x" * 10_000, "word " * 2_000, "%", "_", "%_%", "null", "NULL", "' OR 1=1 --", "; DROP TABLE post; --",
]


@pytest.fixture
def corpus(app, susan):
    db.session.add_all([Post(body=b, author=susan) for b in (
        "a and b", "near the start", "body word", "fire & ice", "x y", "a b c", "café", "emoji 🙂 here",
        "word " * 20, "null and void")])
    db.session.commit()


@pytest.mark.parametrize("q", CATALOGUE)
def test_the_page_answers_every_catalogue_entry(client, logged_in, corpus, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("q", CATALOGUE)
def test_the_api_answers_every_catalogue_entry(client, token, corpus, q):
    response = client.get("/api/search", query_string={"q": q}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()


def test_invalid_utf8_in_the_url_is_answered(client, logged_in, corpus):
    assert client.get("/search?q=%ff%fe%c3%28word").status_code == 200
    assert client.get("/search?q=%C0%80").status_code == 200


def test_a_long_query_is_cut_to_the_documented_maximum(client, logged_in):
    page = client.get("/search", query_string={"q": "y" * 5000}).get_data(as_text=True)
    assert 'value="' + "y" * MAX_QUERY_CHARS + '"' in page
    assert "y" * (MAX_QUERY_CHARS + 1) not in page
    assert len(clean("word " * 1000)) <= MAX_QUERY_CHARS


class TestParsing:
    def test_words_phrases_and_prefixes(self):
        assert parse('Run "Quick  Brown" micro* -x y*') == [
            Term(("run",)), Term(("quick", "brown")), Term(("micro",), prefix=True), Term(("x",)), Term(("y",))]

    def test_operators_are_separators(self):
        assert parse("a&b|c!d<->e(f)g:h^i") == [Term((w,)) for w in "abcdefghi"]

    def test_a_lone_quote_is_text_and_an_empty_phrase_nothing(self):
        assert parse('"a b') == [Term(("a",)), Term(("b",))]
        assert parse('"" x') == [Term(("x",))]

    def test_repeats_collapse_and_terms_are_capped(self):
        assert parse("a a A") == [Term(("a",))]
        assert len(parse(" ".join(f"w{i}" for i in range(50)))) == 12

    def test_control_characters_separate_words(self):
        assert parse("x\x00y\x1bz") == [Term(("x",)), Term(("y",)), Term(("z",))]

    def test_each_engine_gets_only_quoted_words(self):
        terms = parse('and "or not" near*')
        assert fts5(terms) == '"and" AND "or not" AND "near"*'
        assert tsquery(terms) == "('and') & ('or' <-> 'not') & 'near':*"


# Every character class, including quotes, operators, controls and surrogates
# that the URL could not carry but a form could.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
SEARCHES = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SEARCHES
@given(text=ANY_TEXT)
def test_any_text_searches_without_error(app, corpus, text):
    terms = parse(text)
    page = search_posts(terms, 1) if terms else None
    assert page is None or len(page.items) <= app.config["POSTS_PER_PAGE"]
    db.session.rollback()  # a failed statement would poison the next example


@settings(SEARCHES, max_examples=40)
@given(text=ANY_TEXT)
def test_any_text_gets_a_page(client, logged_in, corpus, text):
    assert client.get("/search", query_string={"q": text}).status_code == 200

"""Hostile input: payload catalogues, and Hypothesis strategies for fuzzing
the forms and the JSON API."""
from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import strategies as st

# Login's ?next=: each must land on a page of this site. The encoded ones are
# sent as they are, so the app sees them decoded once.
OPEN_REDIRECTS = [
    "//evil.com", "///evil.com", "/\\evil.com", "https://evil.com", "javascript:alert(1)",
    "%2F%2Fevil.com", "/%2F/evil.com", "%5C%5Cevil.com", "/%5Cevil.com", "/%09/evil.com", "https:evil.com",
    "//evil%2Ecom", "\\/\\/evil.com", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "/\t/evil.com", "/\n/evil.com", " //evil.com", "http:/evil.com", "//evil.com@localhost",
    "/%0d%0aSet-Cookie:%20x=1", "https://localhost@evil.com", "\u3002/evil.com", "//evil。com",
]

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=//evil.com></iframe>",
    "{{ 7*7 }}{% raw %}",
    "&lt;b&gt; already &amp; escaped",
]

SQL_INJECTION = [
    "' OR '1'='1",
    "' OR '1'='1' --",
    "'; DROP TABLE user; --",
    '"; DROP TABLE "user"; --',
    '" OR 1=1 --',
    "1 UNION SELECT username, password_hash FROM user --",
    "1; UPDATE user SET password_hash = NULL; --",
    "admin'/*",
    "') OR ('a'='a",
    "1' AND SLEEP(5) AND '1'='1",
    "'||(SELECT pg_sleep(5))||'",
    "%' OR 1=1 --",
]

# X-Request-ID values that must be replaced by a generated id, never echoed.
BAD_REQUEST_IDS = [
    "abc\r\nX-Injected: 1",
    "abc\nSet-Cookie: session=evil",
    "abc\r",
    "a" * 65,
    "a" * 10_000,
    "ünïcödé-ïd",
    "雪".encode().decode("latin-1"),  # what a server makes of UTF-8 bytes in a header
    "has space",
    "",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    '{"json": "injection"}',
    "tab\there",
]

# Odd text that is neither random nor obviously hostile.
ODD_TEXT = [
    "", " ", "\t\n", "\r\n", "\u202e\u202d", "\ufeff", "\u200b", "💩" * 50, "a\u0301", "İ", "ß", "\x7f", "\x1b[31m",
    "%00", "%s%n%x", "${7*7}", "../../etc/passwd", "null", "None", "true", "0", "-1", "1e309", "NaN",
    "\\", "\\x00", "\\u0000",
]

LONE_SURROGATES = ["\ud800", "a\udfffb", "\udc80\udc80"]

# -- strategies ---------------------------------------------------------------

# What a browser can send: any Unicode text but lone surrogates (not encodable).
any_text = st.text(max_size=200)
overlong = st.integers(65, 20_000).map(lambda n: "x" * n) | st.text(min_size=141, max_size=400)
with_nul = st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=10), st.text(max_size=10))
catalogued = st.sampled_from(XSS + SQL_INJECTION + ODD_TEXT)
hostile_text = st.one_of(any_text, overlong, with_nul, catalogued)

usernames = st.from_regex(r"\A[A-Za-z0-9_.-]{1,64}\Z")
emails = st.emails()
passwords = st.text(min_size=8, max_size=128)
short_texts = st.text(min_size=1, max_size=140)


def _form_value(text: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    # A string, or the key repeated (WTForms reads the first) or sent with no value.
    return st.one_of(text, st.lists(text, max_size=3))


STRAY_FORM_KEYS = st.text(max_size=12) | st.sampled_from(["csrf_token", "submit", "id", "user_id", "next"])


def variants(valid: st.SearchStrategy[dict[str, Any]], bad: st.SearchStrategy[Any],
             stray_keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies; the same with one field broken, left out, or a stray one
    added; and bodies of bad values only. Valid ones reach the code that
    stores them, broken ones each rule that rejects."""

    def break_one(data: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        if not data:
            return st.dictionaries(stray_keys, bad, max_size=2)
        names = st.sampled_from(sorted(data))
        return st.one_of(
            st.tuples(names, bad).map(lambda pair: {**data, pair[0]: pair[1]}),
            names.map(lambda name: {k: v for k, v in data.items() if k != name}),
            st.tuples(stray_keys, bad).map(lambda pair: {pair[0]: pair[1], **data}),
        )

    def all_bad(data: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        keys = st.sampled_from(sorted(data)) | stray_keys if data else stray_keys
        return st.dictionaries(keys, bad, max_size=len(data) + 1)

    return st.one_of(valid, valid.flatmap(break_one), valid.flatmap(break_one).flatmap(break_one),
                     valid.flatmap(all_bad))


def form_data(valid: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy[dict[str, object]]:
    """Form bodies around ``valid`` ones: hostile text, repeated keys, missing and stray fields."""
    return variants(valid, _form_value(hostile_text), STRAY_FORM_KEYS)


def sent(data: dict[str, object], name: str) -> str | None:
    """The text a form field received from ``data``: WTForms reads the first value."""
    value = data.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value if isinstance(value, str) else None


def file_upload(content: bytes = b"not text") -> tuple[io.BytesIO, str]:
    """A file part sent where a form expects text."""
    return (io.BytesIO(content), "payload.txt")


# JSON: every type, huge numbers, NaN and infinities, lone surrogates, nesting.
json_text = st.one_of(hostile_text, st.sampled_from(LONE_SURROGATES))
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400), st.floats(),
    json_text,
)
json_values = st.recursive(
    json_leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                       max_size=4),
    max_leaves=12,
)
STRAY_JSON_KEYS = st.sampled_from(["usrname", "", "id", "password_hash", "token", "__proto__", "a\x00b", "BODY"])


def json_body(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects around ``valid`` ones: any JSON value in place of a field, missing and stray fields."""
    return variants(valid, json_values, STRAY_JSON_KEYS)


def dump(value: object) -> str:
    """JSON as a lax client would send it: NaN and Infinity included, surrogates escaped."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


# Bodies that are not what json.dumps makes: broken, deep, huge, odd encodings.
RAW_JSON_BODIES = [
    b"", b"{", b"null", b"[]", b'"body"', b"NaN", b"-Infinity", b'{"body": NaN}',
    b"[" * 100_000 + b"]" * 100_000, b'{"body":' * 50_000 + b"1" + b"}" * 50_000,
    b"9" * 5_000, b'{"body": ' + b"9" * 5_000 + b"}", b'{"body": 1e999999}', b'{"body": -0.0e-999}',
    b'\xef\xbb\xbf{"body": "bom"}', b'{"body": "\\ud800"}', b'{"body": "a\\u0000b"}', b'{"body": "\xff\xfe"}',
    '{"body": "utf-16"}'.encode("utf-16"), b'{"body": "x", "body": "y"}', b'{"body": "x"} trailing',
    b"\x00" * 64,
]
raw_json_bodies = st.one_of(st.sampled_from(RAW_JSON_BODIES), st.binary(max_size=300))
CONTENT_TYPES = [
    "application/json", "application/json; charset=latin-1", "application/json; charset=utf-16",
    "application/problem+json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
    "multipart/form-data; boundary=xyz", "application/json; charset=nonsense", "",
]

query_values = st.one_of(
    st.text(max_size=30), st.integers(-(10**30), 10**30).map(str), st.sampled_from(
        ["0", "-1", "1.5", "1e3", "0x10", " 1", "1 ", "+1", "٣", "¹", "00001", "1" * 400, "", "\x00", "NaN"],
    ),
)

"""What a search box's text means, parsed in Python so that none of it ever
reaches the engine as query syntax.

Words are runs of letters and digits. ``"two words"`` is a phrase, and a
word of two or more characters ending in ``*`` is a prefix. Everything else (FTS5's ``NEAR(`` and
``^``, tsquery's ``&``, ``|``, ``!`` and ``<->``, parentheses, a lone quote, a
NUL byte) only separates words. Every term must match: terms are ANDed.
The parsed terms are then written out in each engine's syntax with every
word quoted, so an ``AND`` typed by a user is only ever the word "and".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Longer text is cut to this many characters before parsing: a search box is
# not a document, and each term costs the engine a doclist.
MAX_QUERY_CHARS = 200
# Terms past this many are ignored, for the same reason.
MAX_TERMS = 12
# A shorter prefix ("a*") would read the doclist of every word with that
# letter: it is searched as the word itself.
MIN_PREFIX_CHARS = 2

_WORD = re.compile(r"[^\W_]+")
# A phrase in double quotes, or a word with an optional prefix star.
_TOKEN = re.compile(r'"([^"]*)"|([^\W_]+)(\*?)')


@dataclass(frozen=True)
class Term:
    """One word, or the words of a phrase; ``prefix`` marks a trailing ``*``."""

    words: tuple[str, ...]
    prefix: bool = False


def clean(text: str) -> str:
    """The query as the page echoes it: composed, without control
    characters, trimmed and cut to ``MAX_QUERY_CHARS``."""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_CHARS * 2])
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def parse(text: str) -> list[Term]:
    """The terms of a cleaned query; an empty list means there is nothing to
    search for."""
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _TOKEN.finditer(clean(text)):
        phrase, word, star = match.groups()
        if phrase is not None:
            words = tuple(w.lower() for w in _WORD.findall(phrase))
            term = Term(words) if words else None
        else:
            term = Term((word.lower(),), prefix=bool(star) and len(word) >= MIN_PREFIX_CHARS)
        if term is not None and term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def fts5(terms: list[Term]) -> str:
    """The terms as an FTS5 MATCH expression: each word inside double quotes
    (a string, never an operator), prefixes as ``"word"*``."""
    parts = []
    for term in terms:
        quoted = '"' + " ".join(w.replace('"', '""') for w in term.words) + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(parts)


def tsquery(terms: list[Term]) -> str:
    """The terms as a ``to_tsquery`` text: every word a quoted lexeme, phrase
    words joined by ``<->``, prefixes marked ``:*``."""

    def lexeme(word: str) -> str:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

    parts = []
    for term in terms:
        joined = " <-> ".join(lexeme(w) for w in term.words)
        parts.append(f"{joined}:*" if term.prefix else f"({joined})")
    return " & ".join(parts)


def people_text(text: str) -> str:
    """What names are matched against: the query without its quotes and stars."""
    return " ".join(text.replace('"', " ").replace("*", " ").split())

"""Newer/older pagination without a COUNT over the whole result.

Counting every post in a feed costs more as the site grows; fetching one row
past the page is enough to know whether an older page exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa
from flask import abort, current_app, request

from app.extensions import db

T = TypeVar("T")

# Far beyond any real page, and small enough that the OFFSET stays a 64-bit int.
MAX_PAGE = 10**9


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None


def page_number() -> int:
    """The ``page`` query argument; anything but a sane positive integer is a 404."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def paginate(query: sa.Select, page: int, per_page: int | None = None) -> Page:
    per_page = per_page or current_app.config["POSTS_PER_PAGE"]
    query = query.limit(per_page + 1).offset((page - 1) * per_page)
    return _cut(list(db.session.scalars(query).unique()), page, per_page)


# The bound parameters of a statement that page_of() runs.
PAGE_LIMIT, PAGE_OFFSET = "page_limit", "page_offset"


def paged(query: sa.Select) -> sa.Select:
    """``query`` limited to one page by bound parameters, for page_of():
    built once at import, not per request."""
    return query.limit(sa.bindparam(PAGE_LIMIT)).offset(sa.bindparam(PAGE_OFFSET))


def page_of(statement: sa.Select, page: int, **params: object) -> Page:
    """What paginate() gives, from a statement made by paged()."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    rows = db.session.scalars(statement, {PAGE_LIMIT: per_page + 1, PAGE_OFFSET: (page - 1) * per_page, **params})
    return _cut(list(rows.unique()), page, per_page)


def _cut(rows: list, page: int, per_page: int) -> Page:
    """A page of ``rows``, fetched one past it: that row says whether another page exists."""
    return Page(items=rows[:per_page], page=page, has_next=len(rows) > per_page)

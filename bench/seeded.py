"""One phase of ``make bench``: a fresh database seeded at some scale, served
by gunicorn, and a page measured on it: req/s by wrk over HTTP, SQL
statements by the same app in a process of its own."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from bench.client import get_etag, get_status, log_in, wrk_headers
from bench.common import ROOT, Server, gunicorn, measure, status_lua
from bench.database import PASSWORD, app_env, seed_database
from bench.report import PageResult
from tests.support.postgres import PostgresCluster, find_bindir

# Every logged-in page is measured as this user: the first one `flask seed`
# creates, who also gets the extra messages of a Scale's ``inbox``.
USER = "user1"
MAX_SQL = 5


@dataclass(frozen=True)
class Scale:
    users: int
    posts: int
    follows: int
    messages: int
    inbox: int = 0  # messages more for USER, on top of their share of ``messages``

    def describe(self) -> str:
        text = (f"{self.users:,} users, {self.posts:,} posts, {self.follows} follows each, "
                f"{self.messages:,} messages")
        return text + (f", {self.inbox:,} more to {USER}" if self.inbox else "")


@dataclass(frozen=True)
class Page:
    path: str
    logged_in: bool
    min_pct_of_hello: float
    max_sql: int = MAX_SQL
    # Requested with the ETag of its last answer, as a feed reader polls:
    # answered 304. Its row is named "<path> 304".
    revalidate: bool = False
    # Asked for in this language (Accept-Language), for a row beside the
    # English one: what gettext costs a page. Its row is "<path> (<language>)".
    language: str = ""


@dataclass(frozen=True)
class Site:
    """A seeded database being served: its environment, the server, and
    USER's session cookie."""

    env: dict[str, str]
    server: Server
    session: str
    thread: int  # the post whose page is measured: see busiest_thread()
    tag: str  # the most used tag: see busiest_tag()

    def path(self, page: Page) -> str:
        return page.path.format(thread=self.thread, tag=self.tag)

    def name(self, page: Page) -> str:
        """The page's row: its path, and "304" for a revalidated one, or its language."""
        return self.path(page) + (" 304" if page.revalidate else "") + (f" ({page.language})" if page.language else "")


@contextmanager
def database_url(database: str, directory: Path) -> Iterator[str | None]:
    """None for the default SQLite file in ``directory``; for PostgreSQL, a
    database on a throwaway cluster of its own, removed afterwards."""
    if database == "sqlite":
        yield None
        return
    cluster = PostgresCluster(find_bindir() or Path("/usr/lib/postgresql/15/bin"))
    try:
        cluster.start()
        yield cluster.create_database("microblog_bench")
    finally:
        cluster.cleanup()


def vacuum_analyze(url: str) -> None:
    """What an operator runs after a bulk load: without it the planner has no
    statistics for the new rows, and autovacuum does this work in the middle
    of the measured runs (seen as 1.5 cores of "other" load at 10x)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


# A reply with the most direct replies: its page shows the longest list and
# a chain above it, the heaviest /post/<id> there is in the seeded data.
_BUSIEST = sa.text(
    "SELECT p.id FROM post p JOIN post r ON r.in_reply_to_id = p.id WHERE p.in_reply_to_id IS NOT NULL"
    " GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1")


# The tag on the most posts: the longest /tag/<tag> and its feed.
_TOP_TAG = sa.text("SELECT t.name FROM tag t JOIN post_tag pt ON pt.tag_id = t.id GROUP BY t.name"
                   " ORDER BY count(*) DESC, t.name LIMIT 1")


def _first(url: str, query: sa.TextClause) -> object:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    engine.dispose()
    return found


def busiest_thread(url: str) -> int:
    found = _first(url, _BUSIEST)
    if found is None:
        raise RuntimeError("the seeded database has no reply with replies: is `flask seed --reply-share` 0?")
    return int(found)  # type: ignore[call-overload]


def busiest_tag(url: str) -> str:
    found = _first(url, _TOP_TAG)
    if found is None:
        raise RuntimeError("the seeded database has no tagged post (app/cli/seed_content.py)")
    return str(found)


@contextmanager
def seeded_env(scale: Scale, label: str, what: str, log: IO[str], database: str = "sqlite") -> Iterator[dict[str, str]]:
    """A fresh database seeded at ``scale``, and the app's environment for it,
    until the block ends (the files and any PostgreSQL cluster are removed)."""
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp, database_url(database, Path(tmp)) as url:
        env = app_env(Path(tmp), url)
        seconds = seed_database(env, scale.users, scale.posts, scale.follows, log,
                                messages=scale.messages, inbox=scale.inbox)
        if url is not None:
            vacuum_analyze(url)
        print(f"[{label}] seeded {scale.describe()} in {seconds:.0f}s; measuring {what}", flush=True)
        yield env


@contextmanager
def seeded_server(scale: Scale, label: str, what: str, log: IO[str], database: str = "sqlite") -> Iterator[Site]:
    """A fresh database seeded at ``scale``, served by gunicorn until the block ends."""
    with seeded_env(scale, label, what, log, database) as env, \
            gunicorn("microblog:app", env, log, ready_path="/auth/login") as server:
        yield Site(env, server, log_in(server.url, USER, PASSWORD), busiest_thread(env["DATABASE_URL"]),
                   busiest_tag(env["DATABASE_URL"]))


def count_sql(site: Site, pages: Sequence[Page], log: IO[str]) -> dict[str, dict]:
    """Statements per page, counted in a separate process that builds the app
    from the same environment as gunicorn's workers (see bench/sqlcount.py:
    the second of two requests, so a page that writes once, such as the inbox
    marking itself read, is counted as every later view costs)."""
    command = [sys.executable, "-m", "bench.sqlcount", "--session", site.session]
    for page in pages:
        kind = "--revalidated-page" if page.revalidate else "--page" if page.logged_in else "--anonymous-page"
        if page.language:
            command += ["--localized-page", f"{page.language}:{site.path(page)}"]
            continue
        command += [kind, site.path(page)]
    log.write("\n=== python -m bench.sqlcount\n")
    log.flush()
    done = subprocess.run(command, cwd=ROOT, env=site.env, stdout=subprocess.PIPE, stderr=log, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_page(server: Server, path: str, session: str | None, args: argparse.Namespace, log: IO[str],
                 revalidate: bool = False, language: str = "") -> PageResult:
    """wrk on one page, as a logged-in user when ``session`` is given; with
    ``revalidate``, anonymous and with the ETag of a first GET (a 304); with
    ``language``, asking for it by Accept-Language."""
    extra, expected = [], 200
    if revalidate:
        extra, expected = [f"If-None-Match: {get_etag(server.url, path)}"], 304
    if language:
        extra = [f"Accept-Language: {language}"]
    status = get_status(server.url, path, session, extra)
    if status != expected:
        print(f"  warning: GET {path} answered {status}, not {expected}", file=sys.stderr)
    run = measure(server, path, wrk_headers(session) + extra, args.duration, args.warmup, log, status_lua(expected))
    name = path + (" 304" if revalidate else "") + (f" ({language})" if language else "")
    return PageResult(path=name, wrk=run.wrk, cpu_ms=run.cpu_ms_per_request,
                      other_load=run.other_load, status=status, expected_status=expected)


def measure_listed(site: Site, page: Page, counted: dict, args: argparse.Namespace, log: IO[str]) -> PageResult:
    """One page's req/s, with its SQL statements as ``count_sql`` counted them."""
    path = site.path(page)
    result = measure_page(site.server, path, site.session if page.logged_in else None, args, log,
                          page.revalidate, page.language)
    if counted["status"] != result.expected_status:
        print(f"  warning: in-process GET {path} answered {counted['status']}", file=sys.stderr)
    result.sql_statements = counted["statements"]
    return result


def measure_pages(site: Site, pages: Sequence[Page], args: argparse.Namespace, log: IO[str]) -> list[PageResult]:
    """Each page's SQL statements, then its req/s, without a target yet."""
    sql = count_sql(site, pages, log)
    return [measure_listed(site, page, sql[site.name(page)], args, log) for page in pages]


def judge(result: PageResult, baseline: PageResult, baseline_name: str, min_pct: float, max_sql: int,
          pct: float | None = None) -> None:
    """Set ``result``'s % of ``baseline``'s req/s (or ``pct``, worked out by
    the caller), its targets, and what it missed."""
    result.pct = 100 * result.wrk.requests_per_sec / baseline.wrk.requests_per_sec if pct is None else pct
    result.baseline = baseline_name
    result.min_pct, result.max_sql = min_pct, max_sql
    if result.pct < min_pct:
        result.misses.append("req/s")
    if result.sql is not None and result.sql > max_sql:
        result.misses.append("SQL")

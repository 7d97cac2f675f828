"""``make bench-search``: what keeping the search index costs the people who
write. POST /index (the real form, CSRF token and all) creating posts as fast
as two gunicorn workers can, with the index against the same database
without it, loaded side by side in rounds (bench.abrounds), on SQLite and on
PostgreSQL. Target: the index costs 10% of the post-creation rate or less.

"Without it" is the same seeded database with the search objects dropped
(app/search/schema.py's own statements), so only the index differs.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from app.cli.vocabulary import VOCABULARY
from app.search.schema import drop_index
from bench.abrounds import cost_pct, cpu_cost_pct, paired_costs, side_by_side, spread
from bench.appenv import bench_env, flask, load_average
from bench.client import USER_AGENT, log_in, wrk_headers
from bench.common import Server, gunicorn
from bench.database import PASSWORD
from bench.targets import Figure, check, describe_code, info, log_path, print_table, save, stamp, summary
from tests.support.postgres import PostgresCluster, find_bindir

MAX_COST_PCT = 10.0
USER = "user1"
SEED = ("seed", "--users", "1000", "--posts", "20000", "--messages", "0", "--seed", "1", "--password", PASSWORD)
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')

# Each request writes a new post of 3 to 12 words of the seed's vocabulary;
# a 302 (to the feed) is a post written, anything else is counted as wrong.
POST_LUA = """
local threads = {}
local words = {%(words)s}
local token = "%(token)s"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  -- wrk.format() takes the headers it is given instead of wrk.headers (the
  -- -H cookie): pass a copy of those with the form's type added.
  headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local parts = {}
  for i = 1, math.random(3, 12) do parts[i] = words[math.random(#words)] end
  local body = "csrf_token=" .. token .. "&post=" .. table.concat(parts, "+")
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 302 then non_2xx = non_2xx + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non_2xx") end
  io.write(string.format("BENCH_NON_2XX %%d\\n", total))
end
"""


def post_lua(token: str) -> str:
    words = ", ".join(f'"{urllib.parse.quote(word)}"' for word in VOCABULARY[:1000])
    return POST_LUA % {"words": words, "token": urllib.parse.quote(token)}


def csrf_token(url: str, session: str) -> tuple[str, str]:
    """The feed's form token, and the session cookie that goes with it (the
    login starts a fresh session: the first form page adds the token's secret)."""
    request = urllib.request.Request(url + "/index", headers={"User-Agent": USER_AGENT,
                                                              "Cookie": f"session={session}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        found = _CSRF.search(response.read().decode())
        cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    if found is None:
        raise RuntimeError("GET /index showed no csrf_token")
    for cookie in cookies:
        if cookie.startswith("session="):
            session = cookie.split(";", 1)[0].removeprefix("session=")
    return found[1], session


def drop_search_index(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        drop_index(conn)
    engine.dispose()


@contextmanager
def databases(database: str, root: Path, log: IO[str]) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Two environments on the same seeded data, the second without the index."""
    with ExitStack() as stack:
        envs = []
        urls = []
        if database == "postgresql":
            cluster = PostgresCluster(find_bindir() or Path("/usr/lib/postgresql/15/bin"))
            stack.callback(cluster.cleanup)
            cluster.start()
            urls = [cluster.create_database("with_index"), cluster.url("without_index")]
        for number in range(2):
            directory = root / f"side{number}"
            directory.mkdir()
            settings = {"DATABASE_URL": urls[number]} if urls else {}
            envs.append(bench_env(directory, multiprocess=False, SECURE_COOKIES="0", **settings))
        flask(envs[0], log, "db", "upgrade")
        flask(envs[0], log, *SEED)
        yield envs[0], envs[1]  # the caller logs in on the first, then calls copy_database()


def copy_database(database: str, with_env: dict[str, str], without_env: dict[str, str]) -> None:
    """The second database: a copy of the first (its login row included),
    then without the index."""
    if database == "sqlite":
        source = Path(with_env["DATABASE_URL"].removeprefix("sqlite:///"))
        target = Path(without_env["DATABASE_URL"].removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            if source.with_name(source.name + suffix).exists():
                shutil.copy(source.with_name(source.name + suffix), target.with_name(target.name + suffix))
    else:
        admin = sa.create_engine(with_env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE without_index TEMPLATE with_index')
        admin.dispose()
    drop_search_index(without_env["DATABASE_URL"])


def run(database: str, rounds: int, duration: int, warmup: int, log: IO[str]) -> tuple[list[Figure], dict]:
    print(f"[{database}] seeding 1,000 users and 20,000 posts", flush=True)
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp, \
            databases(database, Path(tmp), log) as (with_env, without_env):
        with gunicorn("microblog:app", with_env, log, ready_path="/auth/login") as server:
            session = log_in(server.url, USER, PASSWORD)
            token, session = csrf_token(server.url, session)
        copy_database(database, with_env, without_env)

        def starter(env: dict[str, str]) -> Callable[[ExitStack], Server]:
            return lambda stack: stack.enter_context(gunicorn("microblog:app", env, log, ready_path="/auth/login"))

        print(f"[{database}] POST /index with and without the index, {rounds} rounds side by side", flush=True)
        sides = side_by_side({"with index": starter(with_env), "without": starter(without_env)}, "/index",
                             rounds, duration, warmup, log, headers=wrk_headers(session), lua=post_lua(token))
    on, off = sides["with index"], sides["without"]
    cost, cpu_cost = cost_pct(on, off), cpu_cost_pct(on, off)
    figures = [
        check(f"{database}: index cost to POST /index (median req/s)", cost,
              f"{cost:.1f}% ({on.rps:,.0f} vs {off.rps:,.0f} posts/s)", f"<= {MAX_COST_PCT:g}%",
              lambda v: v <= MAX_COST_PCT),
        info(f"{database}: extra server CPU per post", f"{cpu_cost:+.1f}% ({on.cpu_ms:.2f} vs {off.cpu_ms:.2f} ms)"),
        info(f"{database}: req/s cost in single rounds", f"{spread(paired_costs(on, off))} over {rounds} rounds"),
        info(f"{database}: wrong answers (not 302)", f"{sum(r.wrk.non_2xx for s in (on, off) for r in s.runs)}"),
        info(f"{database}: other processes during the rounds", f"up to {max(on.other_load, off.other_load):.2f} cores"),
    ]
    return figures, {label: side.as_json() for label, side in sides.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What the search index costs POST /index.")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per database (even: each side each place)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each round")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    when = stamp()
    if load_average() > 0.5:
        print(f"warning: load average is {load_average():.2f}; other work will lower the figures", file=sys.stderr)
    chosen = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    figures: list[Figure] = []
    details: dict[str, object] = {}
    path = log_path("search-writes", when)
    print(f"Logging to {path}")
    with path.open("w") as log:
        for database in chosen:
            found, details[database] = run(database, args.rounds, args.duration, args.warmup, log)
            figures += found
    print_table(f"What the search index costs writers ({describe_code()})", figures)
    print(summary(figures))
    out = save("search-writes", when, figures, {"settings": vars(args), **details})
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

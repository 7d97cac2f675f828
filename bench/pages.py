"""``make bench``: how fast microblog serves its main pages, against a bare
Flask app on the same machine, and how the feed holds up with 10x the data.

Every figure is a real HTTP run: gunicorn (2 sync workers) driven by wrk. The
table goes to the terminal and, as JSON, to bench/results/; the seeding,
gunicorn and wrk output goes to a log file next to it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from bench.client import get_status, log_in, wrk_headers
from bench.common import ROOT, Server, gunicorn, measure
from bench.database import PASSWORD, app_env, seed_database
from bench.report import PageResult, print_report

RESULTS = Path(__file__).resolve().parent / "results"
USER = "user1"
MAX_SQL = 5
MIN_SCALE_PCT = 80.0


@dataclass(frozen=True)
class Scale:
    users: int
    posts: int
    follows: int

    def describe(self) -> str:
        return f"{self.users:,} users, {self.posts:,} posts, {self.follows} follows each"


BASE_SCALE = Scale(users=1000, posts=20_000, follows=20)
BIG_SCALE = Scale(users=10_000, posts=200_000, follows=20)


@dataclass(frozen=True)
class Page:
    path: str
    logged_in: bool
    min_pct_of_hello: float


PAGES = (
    Page("/auth/login", logged_in=False, min_pct_of_hello=20.0),
    Page("/index", logged_in=True, min_pct_of_hello=8.0),
    Page("/explore", logged_in=True, min_pct_of_hello=8.0),
    Page("/user/user2", logged_in=True, min_pct_of_hello=8.0),
)
FEED = PAGES[1]


def count_sql(env: dict[str, str], session: str, log: IO[str]) -> dict[str, dict]:
    """Statements per page, counted in a separate process that builds the app
    from the same environment as gunicorn's workers."""
    command = [sys.executable, "-m", "bench.sqlcount", "--session", session]
    for page in PAGES:
        command += ["--page" if page.logged_in else "--anonymous-page", page.path]
    log.write("\n=== python -m bench.sqlcount\n")
    log.flush()
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_page(server: Server, path: str, session: str | None, args: argparse.Namespace, log: IO[str]) -> PageResult:
    """wrk on one page, as a logged-in user when ``session`` is given."""
    status = get_status(server.url, path, session)
    if status != 200:
        print(f"  warning: GET {path} answered {status}, not 200", file=sys.stderr)
    run = measure(server, path, wrk_headers(session), args.duration, args.warmup, log)
    return PageResult(path=path, wrk=run.wrk, cpu_ms=run.cpu_ms_per_request, other_load=run.other_load, status=status)


def run_hello(args: argparse.Namespace, log: IO[str]) -> PageResult:
    print("[hello] bare Flask app under the same gunicorn settings", flush=True)
    with gunicorn("bench.hello:app", os.environ, log) as server:
        return measure_page(server, "/", None, args, log)


@contextmanager
def seeded_server(scale: Scale, label: str, what: str, log: IO[str]) -> Iterator[tuple[dict[str, str], Server, str]]:
    """A fresh database seeded at ``scale``, served by gunicorn: its
    environment, the server, and USER's session cookie."""
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp:
        env = app_env(Path(tmp))
        seconds = seed_database(env, scale.users, scale.posts, scale.follows, log)
        print(f"[{label}] seeded {scale.describe()} in {seconds:.0f}s; measuring {what}", flush=True)
        with gunicorn("microblog:app", env, log, ready_path="/auth/login") as server:
            yield env, server, log_in(server.url, USER, PASSWORD)


def run_base(hello: PageResult, args: argparse.Namespace, log: IO[str]) -> list[PageResult]:
    with seeded_server(BASE_SCALE, "1x", f"{len(PAGES)} pages", log) as (env, server, session):
        sql = count_sql(env, session, log)
        results = []
        for page in PAGES:
            result = measure_page(server, page.path, session if page.logged_in else None, args, log)
            counted = sql[page.path]
            if counted["status"] != 200:
                print(f"  warning: in-process GET {page.path} answered {counted['status']}", file=sys.stderr)
            result.sql_statements = counted["statements"]
            result.pct = 100 * result.wrk.requests_per_sec / hello.wrk.requests_per_sec
            result.min_pct = page.min_pct_of_hello
            if result.pct < page.min_pct_of_hello:
                result.misses.append("req/s")
            if len(result.sql_statements) > MAX_SQL:
                result.misses.append("SQL")
            results.append(result)
    return results


def run_scaled(feed: PageResult, args: argparse.Namespace, log: IO[str]) -> PageResult:
    with seeded_server(BIG_SCALE, "10x", FEED.path, log) as (_env, server, session):
        result = measure_page(server, FEED.path, session, args, log)
    result.pct = 100 * result.wrk.requests_per_sec / feed.wrk.requests_per_sec
    result.min_pct = MIN_SCALE_PCT
    if result.pct < MIN_SCALE_PCT:
        result.misses.append("req/s")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark microblog's pages against a bare Flask app.")
    parser.add_argument("--quick", action="store_true", help="skip the 10x-data phase")
    parser.add_argument("--duration", type=int, default=15, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the warm-up run before each")
    args = parser.parse_args(argv)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    # The figures are only comparable on an otherwise idle machine: the
    # benchmark itself uses every core.
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average is {load:.2f} before starting; other work will lower the figures",
              file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    log_path = RESULTS / f"pages-{stamp}.log"
    print(f"Logging seed, gunicorn and wrk output to {log_path.relative_to(ROOT)}")
    with log_path.open("w") as log:
        try:
            hello = run_hello(args, log)
            pages = run_base(hello, args, log)
            scaled = None if args.quick else run_scaled(pages[PAGES.index(FEED)], args, log)
        except KeyboardInterrupt:
            print("\nInterrupted; every server started has been stopped.", file=sys.stderr)
            return 130

    settings = {
        "wrk": f"-t2 -c16 -d{args.duration}s --latency, {args.warmup}s warm-up",
        "gunicorn": "-w 2 (sync workers), 127.0.0.1",
        "base_scale": BASE_SCALE.describe(),
        "big_scale": None if args.quick else BIG_SCALE.describe(),
        "user": USER,
        "max_sql": MAX_SQL,
        "min_scale_pct": MIN_SCALE_PCT,
        "cpus": os.cpu_count(),
        "load_average_before": round(load, 2),
    }
    met = print_report(settings, hello, pages, scaled)
    out = RESULTS / f"pages-{stamp}.json"
    report = {
        "timestamp": stamp,
        "settings": settings,
        "hello": _as_json(hello),
        "pages": [_as_json(p) for p in pages],
        "scaled_feed": None if scaled is None else _as_json(scaled),
        "all_targets_met": met,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)}")
    return 0


def _as_json(result: PageResult) -> dict:
    return {**asdict(result), "sql": result.sql}


if __name__ == "__main__":
    sys.exit(main())

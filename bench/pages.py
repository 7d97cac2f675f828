"""``make bench``: how fast microblog serves its main pages and searches,
against a bare Flask app on the same machine; how the feed and the searches
hold up with 10x the data, and the inbox with 10,000 messages in it.

``--database postgresql`` runs it all on a throwaway PostgreSQL cluster
instead of SQLite.

Every figure is a real HTTP run: gunicorn (2 sync workers) driven by wrk, in
``--rounds`` rounds of hello world and then every page, each page against
its own round's hello world, the median round shown (``measure_rounds``).
The table goes to the terminal and, as JSON, to bench/results/; the seeding,
gunicorn and wrk output goes to a log file next to it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO

from bench.appenv import warn_if_busy
from bench.common import ROOT, Server, gunicorn
from bench.report import PageResult, Phase, print_report
from bench.seeded import MAX_SQL, USER, Page, Scale, Site, count_sql, judge, measure_listed, measure_page, seeded_server

RESULTS = Path(__file__).resolve().parent / "results"
MIN_SCALE_PCT = 80.0

BASE_SCALE = Scale(users=1000, posts=20_000, follows=20, messages=20_000)

# Searches on `flask seed`'s Zipf-like vocabulary (app/cli/vocabulary.py):
# "coffee" (rank 10) is in about 10% of the English posts (6.5% of all, about
# 1,300 of 20,000: a third are in other languages), more than SEARCH_RANK_WINDOW;
# "universe" (rank 1000) in 0.15%; the phrase joins ranks 6 and 0; "wor*"
# is a prefix of several words.
# Issue 17's targets, as % of hello world: the main logged-in pages on
# SQLite, and the same pages on PostgreSQL (the production database, whose
# server shares the machine's cores with the app's workers and wrk).
PAGE_PCT = 12.0
PG_PAGE_PCT = 10.0
# Pages the issue sets no new target for keep the earlier one.
OTHER_PCT = 8.0

SEARCHES = (
    Page("/search?q=coffee", logged_in=True, min_pct_of_hello=PAGE_PCT),
    Page("/search?q=universe", logged_in=True, min_pct_of_hello=OTHER_PCT),
    Page("/search?q=%22good+time%22", logged_in=True, min_pct_of_hello=OTHER_PCT),
    Page("/search?q=wor*", logged_in=True, min_pct_of_hello=OTHER_PCT),
)

PAGES = (
    Page("/auth/login", logged_in=False, min_pct_of_hello=25.0),
    Page("/index", logged_in=True, min_pct_of_hello=PAGE_PCT),
    Page("/explore", logged_in=True, min_pct_of_hello=PAGE_PCT),
    Page("/user/user2", logged_in=True, min_pct_of_hello=PAGE_PCT),
    # Marks the inbox read: the first view writes, every later one (the
    # steady state, which is what is measured and counted) does not.
    Page("/messages", logged_in=True, min_pct_of_hello=PAGE_PCT),
    # The poll: the user's row and one indexed query, nothing written.
    Page("/notifications?since=0", logged_in=True, min_pct_of_hello=40.0, max_sql=2),
    # A post's page: the busiest thread of the seeded data (bench/seeded.py).
    Page("/post/{thread}", logged_in=True, min_pct_of_hello=PAGE_PCT),
    *SEARCHES,
    # The most used tag of the seeded data, and the posts that mention USER.
    Page("/tag/{tag}", logged_in=True, min_pct_of_hello=PAGE_PCT),
    Page("/mentions", logged_in=True, min_pct_of_hello=OTHER_PCT),
    # Feeds, as a reader fetches them: the whole feed, and a poll with its ETag.
    Page("/user/user2/feed.atom", logged_in=False, min_pct_of_hello=OTHER_PCT),
    Page("/user/user2/feed.atom", logged_in=False, min_pct_of_hello=40.0, revalidate=True),
    Page("/tag/{tag}/feed.atom", logged_in=False, min_pct_of_hello=OTHER_PCT),
    Page("/tag/{tag}/feed.atom", logged_in=False, min_pct_of_hello=40.0, revalidate=True),
    # The feed and a post again, in Spanish: beside the English rows, what
    # translating a page costs.
    Page("/index", logged_in=True, min_pct_of_hello=PAGE_PCT, language="es"),
    Page("/post/{thread}", logged_in=True, min_pct_of_hello=OTHER_PCT, language="es"),
)
TAG_PAGE = PAGES[11]
FEED = PAGES[1]
INBOX = PAGES[4]
THREAD = PAGES[6]


@dataclass(frozen=True)
class BigPhase:
    """Pages again on a bigger database, each against its req/s at 1x."""

    label: str
    title: str
    scale: Scale
    pages: tuple[Page, ...]
    baseline: str


PHASES = (
    BigPhase("10x", "Feed, a thread and searches at 10x data", Scale(users=10_000, posts=200_000, follows=20,
                                                          messages=200_000),
             (FEED, THREAD, *SEARCHES, TAG_PAGE), "of the same page at 1x"),
    # 1x data, and 10,000 messages more in USER's inbox: only the inbox grows.
    BigPhase("inbox", "Inbox of 10,000 messages", replace(BASE_SCALE, inbox=10_000),
             (INBOX,), f"of the 1x {INBOX.path}"),
)
# At 10x, a search keeps this share of its 1x req/s (the target);
# the feed keeps MIN_SCALE_PCT.
MIN_SEARCH_SCALE_PCT = 70.0


def run_hello(args: argparse.Namespace, log: IO[str]) -> PageResult:
    print("[hello] bare Flask app under the same gunicorn settings", flush=True)
    with gunicorn("bench.hello:app", os.environ, log) as server:
        return measure_page(server, "/", None, args, log)


def _target(page: Page, database: str) -> float:
    """The page's % of hello world: on PostgreSQL, the issue asks PG_PAGE_PCT
    of the pages it asks PAGE_PCT of on SQLite."""
    if database == "postgresql" and page.min_pct_of_hello == PAGE_PCT:
        return PG_PAGE_PCT
    return page.min_pct_of_hello


def median_round(runs: Sequence[PageResult], pcts: Sequence[float]) -> tuple[PageResult, float]:
    """The run whose % is the median of ``pcts`` (the lower middle of an even
    count), and that %: req/s, CPU ms and % of one row come from one run."""
    middle = sorted(range(len(pcts)), key=pcts.__getitem__)[(len(pcts) - 1) // 2]
    return runs[middle], pcts[middle]


def measure_rounds(site: Site, pages: Sequence[Page], hello: Server, args: argparse.Namespace,
                   log: IO[str]) -> tuple[list[PageResult], list[list[PageResult]]]:
    """``args.rounds`` rounds of hello world and then every page: hello
    world's run of each round, and each page's runs.

    The machines this runs on are shared, and their speed moves by 20-40%
    within minutes, with no process of ours to show for it (the same page
    twice in one run: 2.33 and 3.38 CPU ms). A page measured once against
    a hello world measured once, minutes earlier, carries that drift into
    its %; in rounds, each page is compared with the hello world of its own
    round, a few minutes apart at most, and the median round is shown."""
    sql = count_sql(site, pages, log)
    hellos: list[PageResult] = []
    runs: list[list[PageResult]] = [[] for _ in pages]
    for _ in range(args.rounds):
        hellos.append(measure_page(hello, "/", None, args, log))
        for index, page in enumerate(pages):
            runs[index].append(measure_listed(site, page, sql[site.name(page)], args, log))
    return hellos, runs


def _share(run: PageResult, hello: PageResult) -> float:
    return 100 * run.wrk.requests_per_sec / hello.wrk.requests_per_sec


def run_base(hello_server: Server, args: argparse.Namespace, log: IO[str]) -> tuple[PageResult, list[PageResult]]:
    with seeded_server(BASE_SCALE, "1x", f"{len(PAGES)} pages", log, args.database) as site:
        hellos, runs = measure_rounds(site, PAGES, hello_server, args, log)
    rates = [h.wrk.requests_per_sec for h in hellos]
    hello, _ = median_round(hellos, rates)
    results = []
    for page, page_runs in zip(PAGES, runs, strict=True):
        pcts = [_share(run, h) for run, h in zip(page_runs, hellos, strict=True)]
        result, pct = median_round(page_runs, pcts)
        result.round_pcts = pcts
        judge(result, hello, "hello", _target(page, args.database), page.max_sql, pct)
        results.append(result)
    return hello, results


def run_phase(phase: BigPhase, at_1x: list[PageResult], hello_server: Server, args: argparse.Namespace,
              log: IO[str]) -> list[Phase]:
    """Each page's share of hello world in its round, against its share at 1x."""
    what = ", ".join(page.path for page in phase.pages)
    with seeded_server(phase.scale, phase.label, what, log, args.database) as site:
        hellos, runs = measure_rounds(site, phase.pages, hello_server, args, log)
    title = f"{phase.title}: {phase.scale.describe()}; % = req/s as a percentage {phase.baseline}"
    phases = []
    for page, page_runs, base in zip(phase.pages, runs, at_1x, strict=True):
        assert base.pct is not None
        pcts = [100 * _share(run, h) / base.pct for run, h in zip(page_runs, hellos, strict=True)]
        result, pct = median_round(page_runs, pcts)
        result.round_pcts = pcts
        min_pct = MIN_SEARCH_SCALE_PCT if page in SEARCHES else MIN_SCALE_PCT
        judge(result, base, phase.baseline, min_pct, page.max_sql, pct)
        phases.append(Phase(title if not phases else "", result))
    return phases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark microblog's pages against a bare Flask app.")
    parser.add_argument("--quick", action="store_true", help="skip the 10x-data and 10,000-message inbox phases")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of hello world and every page; each row is its median round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the warm-up run before each (0: none)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the database every phase runs on (postgresql: a throwaway local cluster)")
    args = parser.parse_args(argv)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    # The figures are only comparable on an otherwise idle machine: the
    # benchmark itself uses every core.
    load = warn_if_busy("other work will lower the figures")
    RESULTS.mkdir(exist_ok=True)
    log_path = RESULTS / f"pages-{args.database}-{stamp}.log"
    print(f"Logging seed, gunicorn and wrk output to {log_path.relative_to(ROOT)}")
    with log_path.open("w") as log:
        try:
            print("[hello] bare Flask app under the same gunicorn settings, measured in every round", flush=True)
            with gunicorn("bench.hello:app", os.environ, log) as hello_server:
                hello, pages = run_base(hello_server, args, log)
                phases = [] if args.quick else [
                    phase for p in PHASES
                    for phase in run_phase(p, [pages[PAGES.index(page)] for page in p.pages], hello_server, args, log)]
        except KeyboardInterrupt:
            print("\nInterrupted; every server started has been stopped.", file=sys.stderr)
            return 130

    settings = {
        "wrk": f"-t2 -c16 -d{args.duration}s --latency, {args.warmup}s warm-up",
        "rounds": args.rounds,
        "gunicorn": "-w 2 (sync workers), 127.0.0.1",
        "database": args.database,
        "base_scale": BASE_SCALE.describe(),
        "phases": {} if args.quick else {p.label: p.scale.describe() for p in PHASES},
        "user": USER,
        "max_sql": MAX_SQL,
        "min_scale_pct": MIN_SCALE_PCT,
        "cpus": os.cpu_count(),
        "load_average_before": round(load, 2),
    }
    met = print_report(settings, hello, pages, phases)
    out = RESULTS / f"pages-{args.database}-{stamp}.json"
    report = {
        "timestamp": stamp,
        "settings": settings,
        "hello": _as_json(hello),
        "pages": [_as_json(p) for p in pages],
        "phases": [{"title": phase.title, **_as_json(phase.result)} for phase in phases],
        "all_targets_met": met,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)}")
    return 0


def _as_json(result: PageResult) -> dict:
    return {**asdict(result), "sql": result.sql}


if __name__ == "__main__":
    sys.exit(main())

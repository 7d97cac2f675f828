"""Two checkouts' pages side by side over HTTP: ``python -m bench.ab_trees
--old ../old-checkout /index /explore ...``.

Runs of ``make bench`` one after the other differed by 20-45% on the shared
machines this was written on, more than most changes save, and a page's
row in one run can be 15% off its neighbour's. Here both checkouts serve the
same seeded database (make bench's 1x data, seeded by this checkout), each
under its own gunicorn (2 sync workers), loaded at the same time by its own
wrk in rounds that swap their order (bench/abrounds.py), so what else the
machine does lands on both alike. The figure per page is the median over
rounds of each round's own pair: CPU ms per request and req/s, new against
old. The schema must be the same in both checkouts.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from bench.abrounds import Side, cpu_ratio_pct, ratio_pct, side_by_side
from bench.client import log_in, wrk_headers
from bench.common import ROOT, Server, gunicorn, status_lua
from bench.database import PASSWORD
from bench.pages import BASE_SCALE
from bench.seeded import USER, busiest_tag, busiest_thread, seeded_env
from bench.targets import RESULTS, stamp

DEFAULT_PAGES = ("/index", "/explore", "/user/user2", "/messages", "/post/{thread}", "/search?q=coffee",
                 "/tag/{tag}", "/index@es", "/notifications?since=0", "/auth/login")


def _server(tree: Path, env: dict[str, str], log: object) -> Callable[[ExitStack], Server]:
    return lambda stack: stack.enter_context(gunicorn("microblog:app", env, log, ready_path="/auth/login",
                                                      cwd=tree))  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the other checkout (the 'before')")
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES,
                        help="paths; {thread} and {tag} as in make bench; PATH@LANG asks in LANG")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the database both serve (postgresql: a throwaway local cluster)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    log_file = RESULTS / f"ab-trees-{stamp()}.log"
    print(f"Logging seed, gunicorn and wrk output to {log_file.relative_to(ROOT)}")
    with log_file.open("w") as log, seeded_env(BASE_SCALE, "1x", f"{len(args.pages)} pages, two trees", log,
                                   args.database) as env:
        thread, tag = busiest_thread(env["DATABASE_URL"]), busiest_tag(env["DATABASE_URL"])
        with ExitStack() as stack:  # one login, its cookie good on both (same key, same database)
            session = log_in(_server(ROOT, env, log)(stack).url, USER, PASSWORD)
        servers = {"old": _server(args.old.resolve(), env, log), "new": _server(ROOT, env, log)}
        rows = []
        for spec in args.pages:
            path, _, language = spec.format(thread=thread, tag=tag).partition("@")
            headers = wrk_headers(None if path == "/auth/login" else session)
            headers += [f"Accept-Language: {language}"] if language else []
            print(f"[{spec}]", flush=True)
            sides = side_by_side(servers, path, args.rounds, args.duration, args.warmup, log, headers,
                                 status_lua(200))
            rows.append((path + (f" ({language})" if language else ""), sides["old"], sides["new"]))
    _report(rows)
    return 0


def _report(rows: list[tuple[str, Side, Side]]) -> None:
    print(f"\n{'page':28s} {'old req/s':>9s} {'new req/s':>9s} {'new/old':>8s} {'old CPU ms':>10s} "
          f"{'new CPU ms':>10s} {'new/old':>8s} {'other':>6s}")
    for name, old, new in rows:
        print(f"{name:28s} {old.rps:9.1f} {new.rps:9.1f} {ratio_pct(new, old) / 100:8.3f} {old.cpu_ms:10.2f} "
              f"{new.cpu_ms:10.2f} {cpu_ratio_pct(old, new) / 100:8.3f} {max(old.other_load, new.other_load):6.2f}")
    print("\nnew/old: the median over rounds of each round's pair; other: the most cores other processes used in a"
          " round")


if __name__ == "__main__":
    sys.exit(main())

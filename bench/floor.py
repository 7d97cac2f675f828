"""``make bench-floor``: what a page would reach if some of its stages cost nothing.

Five servers share make bench's 1x database: hello world (bench/hello.py)
and the app in the four steps of bench/floor_app.py, from ``full`` (as
shipped) to ``view`` (the view's answer reused: only the per-request
machinery left). Each page is measured on each server alone, as make bench
measures (wrk, 2 threads, 16 connections), in rounds that take the servers
in a new order each time; a step's % of hello world is the median over
rounds of its req/s against hello world's in the same round. (Loaded side by
side instead, ten workers on two cores made hello world itself twice as
costly per request, and every percentage too high.) The last step is the
floor: the most a logged-in page can reach in this stack, however cheap its
own queries and HTML become.

    python -m bench.floor [--database postgresql] [--rounds N] [/index ...]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO

from bench.abrounds import Side, ratio_pct
from bench.appenv import warn_if_busy
from bench.client import log_in, wrk_headers
from bench.common import ROOT, Server, gunicorn, measure, status_lua
from bench.database import PASSWORD
from bench.floor_app import STEPS
from bench.pages import BASE_SCALE, PAGES
from bench.seeded import USER, busiest_tag, busiest_thread, seeded_env
from bench.targets import RESULTS, describe_code, stamp

# Paths make bench measures logged out (the login page, the feeds) are
# measured logged out here too: logged in, /auth/login only redirects.
LOGGED_OUT = frozenset(page.path for page in PAGES if not page.logged_in)
DEFAULT_PAGES = ("/index", "/explore", "/user/user2", "/post/{thread}", "/messages", "/search?q=coffee")
HELLO = "hello"


def headers_for(spec: str, logged_in: list[str]) -> list[str]:
    """wrk's headers for the page ``spec``: the logged-in ones, or the
    same agent with no cookie for a page make bench measures logged out."""
    return wrk_headers(None) if spec in LOGGED_OUT else logged_in


def _servers(env: dict[str, str], log: IO[str], stack: ExitStack) -> dict[str, Server]:
    """Hello world and each step, started once for the whole run."""
    servers = {HELLO: stack.enter_context(gunicorn("bench.hello:app", env, log))}
    for step in STEPS:
        servers[step] = stack.enter_context(gunicorn("bench.floor_app:application", {**env, "BENCH_FLOOR": step},
                                                     log, ready_path="/auth/login"))
    return servers


def _rounds(servers: dict[str, Server], path: str, headers: list[str], args: argparse.Namespace,
            log: IO[str]) -> dict[str, Side]:
    sides = {label: Side(label) for label in servers}
    labels = list(servers)
    for number in range(args.rounds):
        shift = number % len(labels)  # each server first in turn: no place is always after a busy one
        for label in labels[shift:] + labels[:shift]:
            run = measure(servers[label], "/" if label == HELLO else path, headers, args.duration, args.warmup,
                          log, status_lua(200))
            sides[label].runs.append(run)
            print(f"    round {number + 1}/{args.rounds} {label}: {run.wrk.requests_per_sec:,.0f} req/s, "
                  f"{run.cpu_ms_per_request:.2f} CPU ms/request, other load {run.other_load:.2f}", flush=True)
            if run.wrk.non_2xx or run.wrk.socket_errors:
                # An error page is cheap or dear in its own way: its req/s says nothing of the page.
                print(f"    warning: {run.wrk.non_2xx:,} answers were not 200 and {run.wrk.socket_errors:,} requests "
                      f"failed; see {log.name}", file=sys.stderr, flush=True)
    return sides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES, help="paths; {thread} and {tag} as in make bench")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=6, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    warn_if_busy("the floor's figures would be low")
    RESULTS.mkdir(exist_ok=True)
    run = stamp()
    log_file = RESULTS / f"floor-{args.database}-{run}.log"
    print(f"{describe_code()}; logging seed, gunicorn and wrk output to {log_file.relative_to(ROOT)}")
    table: list[tuple[str, dict[str, Side]]] = []
    with log_file.open("w") as log, \
            seeded_env(BASE_SCALE, "1x", f"{len(args.pages)} pages on 5 servers", log, args.database) as env:
        thread, tag = busiest_thread(env["DATABASE_URL"]), busiest_tag(env["DATABASE_URL"])
        with ExitStack() as stack:
            servers = _servers(env, log, stack)
            headers = wrk_headers(log_in(servers["full"].url, USER, PASSWORD))
            for spec in args.pages:
                path = spec.format(thread=thread, tag=tag)
                print(f"[{path}]", flush=True)
                table.append((path, _rounds(servers, path, headers_for(spec, headers), args, log)))
    _report(table)
    out = RESULTS / f"floor-{args.database}-{run}.json"
    out.write_text(json.dumps({"database": args.database, "code": describe_code(), "pages": [
        {"path": path, "sides": {label: side.as_json() for label, side in sides.items()},
         "pct_of_hello": {label: ratio_pct(side, sides[HELLO]) for label, side in sides.items() if label != HELLO}}
        for path, sides in table]}, indent=2))
    print(f"\nJSON: {out.relative_to(ROOT)}")
    return 0


def _report(table: list[tuple[str, dict[str, Side]]]) -> None:
    print("\n% of hello world (req/s, same round), and server CPU ms per request; steps as in bench/floor_app.py")
    print(f"{'page':22s} {'hello CPU':>9s}" + "".join(f" {step:>18s}" for step in STEPS))
    for path, sides in table:
        hello = sides[HELLO]
        cells = "".join(f" {ratio_pct(sides[step], hello):7.1f}%{'!' if sides[step].suspect else ' '}"
                        f"{sides[step].cpu_ms:6.2f} ms" for step in STEPS)
        print(f"{path:22s} {hello.cpu_ms:6.2f} ms{cells}")
    other = max(side.other_load for _, sides in table for side in sides.values())
    print(f"other load: at most {other:.2f} cores in a round")
    if any(side.suspect for _, sides in table for side in sides.values()):
        print("!: some answers were not 200 (or requests failed) in that cell's rounds: not the page's figure")


if __name__ == "__main__":
    sys.exit(main())

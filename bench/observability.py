"""``make bench-observability``: what logs, metrics, health probes and error
emails cost, each against its target.

a. failing requests while the mail server is silent (and healthy);
b. the JSON request log on /auth/login (LOG_REQUESTS=1 vs 0);
c. metrics + request log together (on vs off, deploy/gunicorn.conf.py);
d. /health/live against a bare Flask app;
e. /metrics scrape latency with 100 endpoints x 5 statuses.

Every figure is measured over real HTTP against gunicorn on 127.0.0.1. The
table goes to the terminal and, as JSON, to bench/results/; server and wrk
output goes to a log file next to it.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench import failing, overhead, scrape
from bench.appenv import warn_if_busy
from bench.common import ROOT
from bench.targets import Figure, describe_code, log_path, print_table, save, stamp, summary

PARTS = "abcde"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark what microblog's observability costs.")
    parser.add_argument("--parts", default=PARTS, help=f"which parts to run, a subset of {PARTS!r}")
    parser.add_argument("--requests", type=int, default=300, help="a: failing requests per mail server")
    parser.add_argument("--mail-timeout", type=float, default=10, help="a: MAIL_TIMEOUT in seconds")
    parser.add_argument("--rounds", type=int, default=6,
                        help="b-d: rounds, each with new server processes loaded side by side (even: each "
                             "side takes each place equally often)")
    parser.add_argument("--duration", type=int, default=10, help="b-d: seconds of each wrk round")
    parser.add_argument("--warmup", type=int, default=3, help="b-d: seconds of warm-up per server and round")
    parser.add_argument("--scrapes", type=int, default=200, help="e: sequential /metrics scrapes")
    parser.add_argument("--repeats", type=int, default=3, help="e: requests per endpoint and status")
    args = parser.parse_args(argv)
    if not set(args.parts) <= set(PARTS):
        parser.error(f"--parts takes letters from {PARTS!r}")

    when = stamp()
    load = warn_if_busy("A/B ratios hold up better than req/s")
    path = log_path("observability", when)
    print(f"Logging server and wrk output to {path.relative_to(ROOT)}")
    print(f"Measuring {describe_code()}")
    figures: list[Figure] = []
    details: dict[str, object] = {"settings": vars(args), "load_average_before": round(load, 2)}
    steps = {
        "a": lambda log: failing.run(args.requests, args.mail_timeout, log),
        "b": lambda log: overhead.request_log(args.rounds, args.duration, args.warmup, log),
        "c": lambda log: overhead.instrumentation(args.rounds, args.duration, args.warmup, log),
        "d": lambda log: overhead.liveness(args.rounds, args.duration, args.warmup, log),
        "e": lambda log: scrape.run(args.scrapes, args.repeats, log),
    }
    with path.open("w") as log:
        try:
            for part in PARTS:
                if part in args.parts:
                    part_figures, part_details = steps[part](log)
                    figures += part_figures
                    details[part] = part_details
        except KeyboardInterrupt:
            print("\nInterrupted; every server started has been stopped.", file=sys.stderr)
            return 130

    print_table(f"Observability costs (gunicorn, 2 workers, 127.0.0.1; b-d: both servers at once, wrk -t1 -c8 "
                f"-d{args.duration}s each, {args.rounds} rounds; costs are medians of each round's pair)", figures)
    print(f"\n{summary(figures)}")
    print(f"Saved {save('observability', when, figures, details)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

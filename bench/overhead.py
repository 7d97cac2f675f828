"""What observability costs a cheap page (``make bench-observability``,
parts b, c and d): the request log, the whole instrumentation, and the
liveness probe against a bare Flask app. Each is two servers loaded side by
side, in rounds (bench.abrounds)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from bench.abrounds import (
    Side,
    cost_pct,
    cpu_cost_pct,
    cpu_ratio_pct,
    paired_costs,
    ratio_pct,
    side_by_side,
    spread,
)
from bench.appenv import bench_env, flask
from bench.common import DEPLOY_CONFIG, Server, gunicorn
from bench.targets import Figure, check, info

LOGIN = "/auth/login"
MAX_COST_PCT = 5.0
MIN_LIVE_PCT = 60.0
BUSY_CORES = 0.25  # other processes' load above which req/s says more about them than about us


Starter = Callable[[ExitStack], Server]


def _microblog(stack: ExitStack, log: IO[str], config: Path | None, ready_path: str = LOGIN,
               **settings: str) -> Starter:
    """How to start one microblog under gunicorn (2 sync workers), with an
    empty, migrated SQLite database in a temporary folder that lasts until
    ``stack`` closes; each server started stops when its own stack closes."""
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="microblog-bench-")))
    env = bench_env(directory, multiprocess=config is not None, **settings)
    flask(env, log, "db", "upgrade")
    return lambda round_stack: round_stack.enter_context(
        gunicorn("microblog:app", env, log, ready_path=ready_path, config=config))


def _sides_json(sides: dict[str, Side]) -> dict:
    return {label: side.as_json() for label, side in sides.items()}


def _cost_figures(part: str, what: str, on: Side, off: Side) -> list[Figure]:
    """The cost by req/s (what the target is written for) and by the server's
    CPU time per request, which other work on a busy machine barely moves:
    when the two disagree, the CPU figure is the one to believe."""
    cost, cpu_cost = cost_pct(on, off), cpu_cost_pct(on, off)
    busy = max(on.other_load, off.other_load)
    rounds = paired_costs(on, off)
    return [
        check(f"{part}. {what} cost (median req/s)", cost,
              f"{cost:.1f}% (medians {on.rps:,.0f} vs {off.rps:,.0f} req/s)", f"<= {MAX_COST_PCT:g}%",
              lambda v: v <= MAX_COST_PCT),
        check(f"{part}. {what} cost (median CPU ms/request)", cpu_cost,
              f"{cpu_cost:+.1f}% (medians {on.cpu_ms:.3f} vs {off.cpu_ms:.3f} ms)", f"<= {MAX_COST_PCT:g}%",
              lambda v: v <= MAX_COST_PCT),
        info(f"{part}. req/s cost in single rounds", f"{spread(rounds)} over {len(rounds)} rounds"),
        info(f"{part}. other processes during the rounds", f"up to {busy:.2f} cores"
             + (" (busy: trust the CPU row over req/s)" if busy > BUSY_CORES else "")),
    ]


def request_log(rounds: int, duration: int, warmup: int, log: IO[str]) -> tuple[list[Figure], dict]:
    """b: LOG_REQUESTS=1 against 0, files on, gunicorn as under ``make bench``."""
    print(f"[b] request log on {LOGIN}: LOG_REQUESTS=1 vs 0, {rounds} rounds side by side", flush=True)
    with ExitStack() as stack:
        servers = {
            "LOG_REQUESTS=1": _microblog(stack, log, None, LOG_TO_FILE="1", LOG_REQUESTS="1"),
            "LOG_REQUESTS=0": _microblog(stack, log, None, LOG_TO_FILE="1", LOG_REQUESTS="0"),
        }
        sides = side_by_side(servers, LOGIN, rounds, duration, warmup, log)
    on, off = sides["LOG_REQUESTS=1"], sides["LOG_REQUESTS=0"]
    return _cost_figures("b", "request log", on, off), _sides_json(sides)


def instrumentation(rounds: int, duration: int, warmup: int, log: IO[str]) -> tuple[list[Figure], dict]:
    """c: metrics and request log on against both off, with deploy/gunicorn.conf.py."""
    print(f"[c] instrumentation on {LOGIN}: metrics + request log on vs off, {rounds} rounds side by side",
          flush=True)
    # Worker recycling off on both sides: at ~1,000 req/s the default
    # max_requests restarts a worker every few seconds, and each restart (the
    # app imported again) would be measured too, differently in each round.
    common = {"LOG_TO_FILE": "1", "GUNICORN_MAX_REQUESTS": "0"}
    with ExitStack() as stack:
        servers = {
            "on": _microblog(stack, log, DEPLOY_CONFIG, METRICS_ENABLED="1", LOG_REQUESTS="1", **common),
            "off": _microblog(stack, log, DEPLOY_CONFIG, METRICS_ENABLED="0", LOG_REQUESTS="0", **common),
        }
        sides = side_by_side(servers, LOGIN, rounds, duration, warmup, log)
    return _cost_figures("c", "metrics + request log", sides["on"], sides["off"]), _sides_json(sides)


def liveness(rounds: int, duration: int, warmup: int, log: IO[str]) -> tuple[list[Figure], dict]:
    """d: /health/live against bench/hello.py's "/", the same gunicorn settings."""
    print(f"[d] /health/live vs a bare Flask app, {rounds} rounds side by side", flush=True)
    with ExitStack() as stack:
        servers = {
            "microblog /health/live": _microblog(stack, log, None, ready_path="/health/live"),
            # As under `make bench`: the bare app needs no settings.
            "hello world /": lambda round_stack: round_stack.enter_context(
                gunicorn("bench.hello:app", os.environ, log)),
        }
        paths = {"microblog /health/live": "/health/live", "hello world /": "/"}
        sides = side_by_side(servers, paths, rounds, duration, warmup, log)
    live_side, hello_side = sides["microblog /health/live"], sides["hello world /"]
    pct = ratio_pct(live_side, hello_side)
    cpu_pct = cpu_ratio_pct(live_side, hello_side)
    busy = max(live_side.other_load, hello_side.other_load)
    figures = [
        check("d. /health/live req/s, % of hello world", pct,
              f"{pct:.1f}% ({live_side.rps:,.0f} vs {hello_side.rps:,.0f} req/s)", f">= {MIN_LIVE_PCT:g}%",
              lambda v: v >= MIN_LIVE_PCT),
        check("d. /health/live by CPU ms/request, % of hello world", cpu_pct,
              f"{cpu_pct:.1f}% ({live_side.cpu_ms:.3f} vs {hello_side.cpu_ms:.3f} ms)", f">= {MIN_LIVE_PCT:g}%",
              lambda v: v >= MIN_LIVE_PCT),
        info("d. other processes during the rounds", f"up to {busy:.2f} cores"),
    ]
    return figures, _sides_json(sides)


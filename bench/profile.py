"""``make bench-profile``: where a page's CPU time goes, stage by stage.

The 1x database of ``make bench`` (bench/pages.py's BASE_SCALE) is seeded
once and served by gunicorn as there (2 sync workers). For each page, wrk
drives it (logged in as bench's USER, where the page needs it) while py-spy
samples both workers; every sample is put into one stage by bench/stages.py,
and each stage's share times the server's CPU ms per request over the same
run (Server.cpu_seconds) gives its ms per request.

The table goes to the terminal; JSON, and each page's collapsed stacks
(``.folded``, for flamegraph.pl, speedscope or inferno, the stage as their
root frame), to bench/results/; the seeding, gunicorn, wrk and py-spy output
to a log file next to them.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench import pyspy
from bench.appenv import warn_if_busy
from bench.client import get_status, wrk_headers
from bench.common import ROOT, WrkResult, measure, run_wrk, status_lua
from bench.pages import BASE_SCALE, PAGES
from bench.seeded import USER, Page, Site, seeded_server
from bench.stages import EXCLUDED, IDLE, SOCKET_WAIT, STAGES, Sample, classify, folded_line, parse_raw
from bench.targets import RESULTS, code_version, describe_code, log_path, stamp


def _page(path: str, language: str = "") -> Page:
    """bench/pages.py's page of that path (and language): measured the same way."""
    return next(p for p in PAGES if p.path == path and p.language == language and not p.revalidate)


# By the short name --pages takes.
PROFILED: dict[str, Page] = {
    "index": _page("/index"),
    "explore": _page("/explore"),
    "user": _page("/user/user2"),
    "thread": _page("/post/{thread}"),
    "search": _page("/search?q=coffee"),
    "search-rare": _page("/search?q=universe"),
    "search-phrase": _page("/search?q=%22good+time%22"),
    "search-prefix": _page("/search?q=wor*"),
    "messages": _page("/messages"),
    "login": _page("/auth/login"),
    "notifications": _page("/notifications?since=0"),
    "index-es": _page("/index", language="es"),
}
# py-spy keeps sampling a little past wrk's run: it starts before wrk, and
# whatever it sees once wrk is done is idle workers, left out anyway.
SPY_MARGIN_S = 2


@dataclass
class PageProfile:
    key: str
    name: str  # the row: its path, "(es)" for a language
    wrk: WrkResult
    cpu_ms: float  # gunicorn's CPU time per request, over the sampled run
    other_load: float  # cores busy with other processes (py-spy left out)
    spy_load: float  # cores py-spy itself used
    status: int
    samples: Counter[str] = field(default_factory=Counter)  # the workers' samples by stage, EXCLUDED too
    master_samples: int = 0
    partial_samples: int = 0  # the workers' stacks py-spy read only part of (THREAD_ROOTS)
    spy_errors: int | None = None
    spy_behind: int = 0
    folded: str = ""

    @property
    def counted(self) -> int:
        """The samples the shares are of: the workers', waits left out."""
        return sum(n for stage, n in self.samples.items() if stage not in EXCLUDED)

    @property
    def waits(self) -> int:
        return sum(self.samples[stage] for stage in EXCLUDED)

    def share(self, stage: str) -> float:
        return 100 * self.samples[stage] / max(self.counted, 1)

    def ms(self, stage: str) -> float:
        return self.share(stage) * self.cpu_ms / 100

    def as_json(self) -> dict:
        return {
            "key": self.key, "page": self.name, "status": self.status, "requests": self.wrk.requests,
            "requests_per_sec": self.wrk.requests_per_sec, "non_2xx": self.wrk.non_2xx,
            "socket_errors": self.wrk.socket_errors, "cpu_ms_per_request": round(self.cpu_ms, 3),
            "other_load": round(self.other_load, 2), "py_spy_load": round(self.spy_load, 2),
            "samples_counted": self.counted, "samples_idle": self.samples[IDLE],
            "samples_socket_wait": self.samples[SOCKET_WAIT], "samples_master": self.master_samples,
            "samples_partial_stack": self.partial_samples,
            "py_spy_errors": self.spy_errors, "py_spy_behind_warnings": self.spy_behind,
            "stages": {stage: {"samples": self.samples[stage], "share_pct": round(self.share(stage), 2),
                               "ms_per_request": round(self.ms(stage), 3)} for stage in STAGES},
            "folded": self.folded,
        }


# The outermost frame of a complete worker stack: gunicorn's script for the
# main thread, threading's for the log flusher. py-spy, reading a running
# worker, sometimes stops short (often at a generator: a template's root);
# such a stack is still classified by the frames it has.
THREAD_ROOTS = ("<module>", "Thread._bootstrap")


def tally(samples: Iterable[Sample], folded: IO[str]) -> tuple[Counter[str], int, int]:
    """The workers' samples by stage (each also written to ``folded``), the
    master's samples, and how many of the workers' stacks were partial."""
    stages: Counter[str] = Counter()
    master = partial = 0
    for sample in samples:
        # The master only watches its workers: its samples are not the
        # page's. A worker's stack starts with its master's process frame.
        if len(sample.pids) < 2:
            master += sample.count
            continue
        stage = classify(sample.frames)
        stages[stage] += sample.count
        partial += sample.count if not sample.frames or sample.frames[0].function not in THREAD_ROOTS else 0
        folded.write(folded_line(stage, sample) + "\n")
    return stages, master, partial


def profile_page(site: Site, key: str, page: Page, args: argparse.Namespace, folded: Path, scratch: Path,
                 log: IO[str]) -> PageProfile:
    """Warm up, then one wrk run under py-spy: its figures and its samples by stage."""
    path = site.path(page)
    extra = [f"Accept-Language: {page.language}"] if page.language else []
    session = site.session if page.logged_in else None
    headers = wrk_headers(session) + extra
    status = get_status(site.server.url, path, session, extra)
    if status != 200:
        print(f"  warning: GET {path} answered {status}, not 200", file=sys.stderr)
    if args.warmup > 0:
        run_wrk(site.server.url + path, headers, duration_s=args.warmup, lua=status_lua(200))
    raw = scratch / f"{key}.raw"
    with pyspy.record(site.server.pid, raw, args.rate, args.duration + SPY_MARGIN_S, log) as spy:
        spy_before, started = pyspy.process_cpu_seconds(spy.pid), time.monotonic()
        run = measure(site.server, path, headers, args.duration, 0, log, status_lua(200))
        spy_load = (pyspy.process_cpu_seconds(spy.pid) - spy_before) / (time.monotonic() - started)
    result = PageProfile(key, site.name(page), run.wrk, run.cpu_ms_per_request,
                         max(0.0, run.other_load - spy_load), spy_load, status,
                         spy_errors=spy.errors, spy_behind=spy.behind, folded=str(folded.relative_to(ROOT)))
    with raw.open() as lines, folded.open("w") as out:
        result.samples, result.master_samples, result.partial_samples = tally(parse_raw(lines), out)
    return result


Column = tuple[str, Callable[[PageProfile], str]]


def _table(title: str, results: Sequence[PageProfile], columns: Sequence[Column]) -> None:
    """One row per page, a column per (heading, cell of a row)."""
    width = max(14, *(len(r.name) + 2 for r in results))
    widths = [max(len(heading), 6) + 2 for heading, _ in columns]
    print(f"\n{title}\n")
    print(f"{'page':<{width}}" + "".join(f"{heading:>{w}}" for (heading, _), w in zip(columns, widths, strict=True)))
    for r in results:
        print(f"{r.name:<{width}}" + "".join(f"{cell(r):>{w}}" for (_, cell), w in zip(columns, widths, strict=True)))


def _stage_columns(value: Callable[[PageProfile, str], float], spec: str) -> list[Column]:
    # A default argument binds each column to its own stage.
    return [(short, lambda r, stage=stage: format(value(r, stage), spec)) for stage, short in STAGES.items()]


def print_report(settings: dict, results: Sequence[PageProfile]) -> None:
    print(f"\nPage cost by stage at 1x data ({settings['base_scale']}), logged in as {settings['user']}")
    print(f"wrk {settings['wrk']}; gunicorn {settings['gunicorn']}; py-spy {settings['py_spy']}")
    print("Stages: " + "; ".join(f"{short} = {stage}" for stage, short in STAGES.items()))
    _table("Share of the workers' CPU samples (%; each row sums to 100)", results, [
        ("req/s", lambda r: f"{r.wrk.requests_per_sec:.1f}"), ("samples", lambda r: str(r.counted)),
        ("waits", lambda r: str(r.waits)), *_stage_columns(PageProfile.share, ".1f")])
    _table("ms per request (share x CPU ms)", results, [
        ("CPU ms", lambda r: f"{r.cpu_ms:.2f}"), *_stage_columns(PageProfile.ms, ".2f")])
    print("\nCPU ms = gunicorn's CPU time per request over the sampled run; samples = the workers' samples the"
          " shares are of;\nwaits = their samples left out: idle (waiting for a connection, the log flusher"
          " asleep) or inside a socket call.")
    if settings["database"] == "postgresql":
        print("PostgreSQL runs statements in its own processes: their CPU time is not in CPU ms, and the workers'"
              " wait for it is among the waits.")
    busiest = max(r.other_load for r in results)
    if busiest > 0.25:
        print(f"Other processes kept up to {busiest:.2f} cores busy during a run (py-spy itself left out): the "
              "shares hold up, CPU ms less so; run again on an idle machine to compare CPU ms.")
    partial = max(100 * r.partial_samples / max(r.counted + r.waits, 1) for r in results)
    print(f"Up to {partial:.1f}% of a page's samples had a stack py-spy read only part of (classified by the frames"
          " it read).")
    if any(r.spy_behind for r in results):
        print("py-spy could not always keep up with its rate (see the log): try --rate 100.")
    if any(r.status != 200 or r.wrk.non_2xx or r.wrk.socket_errors for r in results):
        print("Some runs got responses other than 200, or socket errors: their rows may not measure the page.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Break microblog's pages down into stages with py-spy.")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each sampled wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the unsampled warm-up run before each")
    # At 1000 a second py-spy kept over a core of a 2-core machine busy, and
    # /index's shares came out the same as at 250 within run-to-run noise.
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples a second")
    parser.add_argument("--pages", default=",".join(PROFILED),
                        help=f"comma-separated, a subset of: {', '.join(PROFILED)}")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the database served (postgresql: a throwaway local cluster)")
    args = parser.parse_args(argv)
    keys = [key.strip() for key in args.pages.split(",") if key.strip()]
    if unknown := [key for key in keys if key not in PROFILED]:
        parser.error(f"unknown page(s) {', '.join(unknown)}; choose from {', '.join(PROFILED)}")
    if not pyspy.PY_SPY.exists():
        parser.error(f"{pyspy.PY_SPY} is missing: pip install -r requirements-dev.txt")

    when = stamp()
    load = warn_if_busy("CPU ms will be noisier than the shares")
    name = f"profile-{args.database}-{when}"
    path = log_path(f"profile-{args.database}", when)
    print(f"Logging seed, gunicorn, wrk and py-spy output to {path.relative_to(ROOT)}")
    print(f"Measuring {describe_code()}")
    results = []
    with path.open("w") as log, tempfile.TemporaryDirectory(prefix="microblog-profile-") as scratch:
        try:
            with seeded_server(BASE_SCALE, "1x", f"{len(keys)} pages under py-spy", log, args.database) as site:
                for key in keys:
                    folded = RESULTS / f"{name}-{key}.folded"
                    results.append(profile_page(site, key, PROFILED[key], args, folded, Path(scratch), log))
                    print(f"  {results[-1].name}: {results[-1].counted} samples", flush=True)
        except KeyboardInterrupt:
            print("\nInterrupted; every server and py-spy started has been stopped.", file=sys.stderr)
            return 130

    settings = {
        "wrk": f"-t2 -c16 -d{args.duration}s --latency, {args.warmup}s warm-up",
        "gunicorn": "-w 2 (sync workers), 127.0.0.1",
        "py_spy": f"record --subprocesses --nonblocking --rate {args.rate}",
        "database": args.database,
        "base_scale": BASE_SCALE.describe(),
        "user": USER,
        "load_average_before": round(load, 2),
    }
    print_report(settings, results)
    out = RESULTS / f"{name}.json"
    report = {"timestamp": when, "code": code_version(), "settings": settings, "stages": list(STAGES),
              "pages": [r.as_json() for r in results]}
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)} and one .folded file of stacks per page beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make bench-jobs``: what the background export costs.

a. Export throughput (posts per second) and the worker's memory, at 10,000
   and 100,000 posts: a fresh SQLite database (the default queue store, a
   file in the instance folder), one ``flask worker`` process, the export
   started by the real button's POST under gunicorn, and the result mailed
   to a real SMTP inbox. Memory is the worker's VmHWM (the kernel's peak
   RSS) against its RSS when idle before the job, with VmRSS also sampled
   every 10 ms during the job. Target: growth < 50 MB.
b. The p99 latency of that POST /export_posts, under gunicorn (2 sync
   workers), from many logged-in users each pressing once (the job is
   queued), then each pressing again ("already exporting"). No worker runs:
   the request only queues, and that is what is measured.
c. /index with the task-progress alert's markup on the page and no task
   running, against the ``make bench`` rule (<= 5 SQL, >= 8% of hello world).

The table goes to the terminal and, as JSON, to bench/results/; seeding,
gunicorn, worker and wrk output goes to a log file next to it.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.appenv import bench_env, flask, load_average
from bench.client import USER_AGENT, wrk_headers
from bench.common import BIN, ROOT, gunicorn, rss_kib
from bench.database import PASSWORD
from bench.pages import BASE_SCALE, FEED, run_hello
from bench.seeded import measure_pages, seeded_server
from bench.smtp import MailInbox
from bench.targets import Figure, check, describe_code, info, log_path, percentile, print_table, save, stamp, summary
from tests.support.http import Session
from tests.support.ports import free_port

PARTS = "abc"
MAX_GROWTH_MB = 50.0
# Settings a developer's shell may carry that would change the queue or the jobs measured.
_OURS = ("QUEUE_URL", "REDIS_URL", "JOB_", "EXPORT_", "MAIL_")
_EXECUTED = r"\.{name}: {id}[^\n]* executed in ([\d.]+)s"  # Huey adds "N retries" to some


def job_env(directory: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in bench_env(directory, multiprocess=False).items() if not k.startswith(_OURS)}
    env.update(SECURE_COOKIES="0", **settings)
    return env


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


@contextmanager
def worker(env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen]:
    """``flask worker`` (one thread), once it says it is running; stopped with Ctrl-C's signal."""
    with log_file.open("w") as out:
        proc = subprocess.Popen([str(BIN / "flask"), "worker", "--workers", "1", "-v"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait(lambda: "Worker: 1 thread(s)" in log_file.read_text(), 60, "the worker to start", proc, log_file)
        yield proc
    finally:
        proc.send_signal(2)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait(condition, timeout: float, what: str, proc: subprocess.Popen | None = None,  # type: ignore[no-untyped-def]
         log_file: Path | None = None, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the worker exited ({proc.returncode}) waiting for {what}; see {log_file}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}" + (f"; see {log_file}" if log_file else ""))
        time.sleep(interval)
    return result


def idle_kib(pid: int) -> int:
    """RSS once start-up is over: the highest of ten samples over a second,
    a second after the worker said it runs."""
    time.sleep(1.0)
    samples = []
    for _ in range(10):
        samples.append(rss_kib(pid) or 0)
        time.sleep(0.1)
    return max(samples)


class PeakSampler:
    """VmRSS of one process every 10 ms, keeping the highest."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kib = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak_kib = max(self.peak_kib, rss_kib(self.pid) or 0)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class ExportRun:
    posts: int
    job_s: float
    post_ms: float  # the POST that queued it, one request
    idle_kib: int
    hwm_kib: int
    sampled_kib: int
    size_bytes: int

    @property
    def growth_mb(self) -> float:
        return (max(self.hwm_kib, self.sampled_kib) - self.idle_kib) / 1024


def press_export(session: Session, username: str) -> float:
    """The profile's button, the way a browser submits it; the POST's seconds."""
    token = session.token(f"/user/{username}")
    answer = session.request("POST", "/export_posts", {"csrf_token": token}, headers={"User-Agent": USER_AGENT})
    if answer.status != 302:
        raise RuntimeError(f"POST /export_posts answered {answer.status}")
    return answer.seconds


def export_once(posts: int, log: IO[str], results: Path) -> ExportRun:
    inbox = MailInbox(free_port()).start()
    try:
        return _export_once(posts, log, results, inbox)
    finally:
        inbox.stop()


def _export_once(posts: int, log: IO[str], results: Path, inbox: MailInbox) -> ExportRun:
    with tempfile.TemporaryDirectory(prefix="microblog-bench-jobs-") as tmp:
        env = job_env(Path(tmp), MAIL_SERVER="127.0.0.1", MAIL_PORT=str(inbox.port))
        flask(env, log, "db", "upgrade")
        flask(env, log, "seed", "--users", "1", "--posts", str(posts), "--follows", "0", "--messages", "0",
              "--seed", "1", "--password", PASSWORD)
        database = Path(tmp) / "bench.db"
        worker_log = results / f"{Path(log.name).stem}-worker-{posts}.log"
        with gunicorn("microblog:app", env, log, ready_path="/auth/login") as server, \
                worker(env, worker_log) as proc:
            started = re.search(r"^Worker: .*$", worker_log.read_text(), re.MULTILINE)
            print(f"[a] {posts:,} posts; {started[0] if started else 'worker started'}", flush=True)
            session = Session(server.url)
            session.login("user1", PASSWORD)
            idle = idle_kib(proc.pid)
            with PeakSampler(proc.pid) as sampler:
                post_s = press_export(session, "user1")
                task_id, size = wait(lambda: _finished(database), 600, "the export", proc, worker_log)
                mail = re.compile(_EXECUTED.format(name="mail_export", id=r"[0-9a-f-]+"))
                wait(lambda: mail.search(worker_log.read_text()), 120, "the export's email", proc, worker_log)
                hwm = status_kib(proc.pid, "VmHWM")
        job = re.search(_EXECUTED.format(name="export_posts", id=task_id), worker_log.read_text())
        if job is None:
            raise RuntimeError(f"no 'executed in' line for the export in {worker_log}")
        _check_export(database, task_id, posts, inbox)
        return ExportRun(posts, float(job[1]), post_s * 1000, idle, hwm, sampler.peak_kib, size)


def _one(database: Path, query: str) -> tuple | None:
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        return conn.execute(query).fetchone()


def _finished(database: Path) -> tuple[str, int] | None:
    row = _one(database, "SELECT id, state, result_size FROM task ORDER BY created DESC LIMIT 1")
    if row is not None and row[1] == "failed":
        raise RuntimeError("the export failed: see the worker's log")
    return (row[0], row[2]) if row is not None and row[1] == "complete" else None


def _check_export(database: Path, task_id: str, posts: int, inbox: MailInbox) -> None:
    """The run measured a real export: every post in the file, and the email sent."""
    with closing(sqlite3.connect(database)) as conn:
        data = b"".join(r[0] for r in conn.execute("SELECT data FROM export_chunk WHERE task_id = ? ORDER BY seq",
                                                   (task_id,)))
    document = json.loads(data)
    if document["post_count"] != posts or len(document["posts"]) != posts:
        raise RuntimeError(f"the export holds {len(document['posts'])} posts, not {posts}")
    if inbox.count("Your posts") != 1:
        raise RuntimeError("the export's email did not arrive")


def part_a(sizes: Sequence[int], log: IO[str]) -> tuple[list[Figure], list[dict]]:
    figures, runs = [], []
    for posts in sizes:
        run = export_once(posts, log, Path(log.name).parent)
        runs.append(vars(run) | {"growth_mb": run.growth_mb})
        figures += [
            info(f"a. export {posts:,} posts: throughput", f"{posts / run.job_s:,.0f} posts/s "
                 f"({run.job_s:.2f} s, {run.size_bytes / 2**20:.1f} MiB)", posts / run.job_s),
            info(f"a. export {posts:,} posts: the POST that queued it", f"{run.post_ms:.1f} ms", run.post_ms),
            check(f"a. export {posts:,} posts: worker peak RSS growth", run.growth_mb,
                  f"{run.growth_mb:.1f} MB (idle {run.idle_kib / 1024:.0f}, VmHWM {run.hwm_kib / 1024:.0f}, "
                  f"sampled {run.sampled_kib / 1024:.0f})", f"< {MAX_GROWTH_MB:g} MB",
                  lambda v: v < MAX_GROWTH_MB),
        ]
    return figures, runs


def part_b(users: int, concurrency: int, log: IO[str]) -> tuple[list[Figure], dict]:
    with tempfile.TemporaryDirectory(prefix="microblog-bench-jobs-") as tmp:
        # Fast hashes and no login limit: setting up hundreds of logins from
        # one address, not what is measured.
        env = job_env(Path(tmp), RATELIMIT_ENABLED="0", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
        flask(env, log, "db", "upgrade")
        flask(env, log, "seed", "--users", str(users), "--posts", str(users * 20), "--follows", "10",
              "--messages", "0", "--seed", "1", "--password", PASSWORD)
        with gunicorn("microblog:app", env, log, ready_path="/auth/login") as server, \
                ThreadPoolExecutor(concurrency) as pool:
            sessions = list(pool.map(lambda n: _logged_in(server.url, f"user{n}"), range(1, users + 1)))
            print(f"[b] {users} users logged in; each presses Export, twice", flush=True)
            rounds = {name: list(pool.map(lambda pair: press_export(*pair), zip(sessions, names, strict=True)))
                      for name, names in [("first", _names(users)), ("again", _names(users))]}
        queued = _one(Path(tmp) / "bench.db",
                      "SELECT count(DISTINCT user_id), count(*) FROM task WHERE state = 'queued'")
    if queued != (users, users):
        raise RuntimeError(f"expected one queued export per user, found {queued}: the second press was not refused")
    figures = []
    for name, label in (("first", "each user's first press (queues the job)"),
                        ("again", "the second press (already exporting)")):
        ms = [s * 1000 for s in rounds[name]]
        figures.append(info(f"b. POST /export_posts, {label}: p99",
                            f"{percentile(ms, 99):.1f} ms (p50 {percentile(ms, 50):.1f}, max {max(ms):.1f}; "
                            f"{len(ms)} requests, {concurrency} at a time)", percentile(ms, 99)))
    return figures, {name: [round(s * 1000, 3) for s in values] for name, values in rounds.items()}


def _names(users: int) -> list[str]:
    return [f"user{n}" for n in range(1, users + 1)]


def _logged_in(url: str, username: str) -> Session:
    session = Session(url)
    session.login(username, PASSWORD)
    return session


def part_c(args: argparse.Namespace, log: IO[str]) -> list[Figure]:
    hello = run_hello(args, log)
    with seeded_server(BASE_SCALE, "c", FEED.path, log) as site:
        request = urllib.request.Request(site.server.url + FEED.path, headers=dict(
            h.split(": ", 1) for h in wrk_headers(site.session)))
        with urllib.request.urlopen(request, timeout=30) as response:
            page = response.read().decode()
        if 'id="task-alerts"' not in page or "js/tasks.js" not in page:
            raise RuntimeError(f"{FEED.path} has no task-progress alert markup: not the page to measure")
        if _one(Path(site.env["DATABASE_URL"].removeprefix("sqlite:///")),
                "SELECT count(*) FROM task WHERE state IN ('queued', 'running')") != (0,):
            raise RuntimeError("a task is active: the page would not be measured with none running")
        [result] = measure_pages(site, [FEED], args, log)
    pct = 100 * result.wrk.requests_per_sec / hello.wrk.requests_per_sec
    return [
        check(f"c. {FEED.path}, alert markup, no task: SQL per request", result.sql or 0, str(result.sql),
              f"<= {FEED.max_sql}", lambda v: v <= FEED.max_sql),
        check(f"c. {FEED.path}, alert markup, no task: req/s", pct,
              f"{result.wrk.requests_per_sec:.0f} req/s = {pct:.1f}% of hello world "
              f"({hello.wrk.requests_per_sec:.0f})", f">= {FEED.min_pct_of_hello:g}% of hello world",
              lambda v: v >= FEED.min_pct_of_hello),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the background export.")
    parser.add_argument("--parts", default=PARTS, help=f"which parts to run, a subset of {PARTS!r}")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="a: posts to export")
    parser.add_argument("--users", type=int, default=300, help="b: users who each press Export twice")
    parser.add_argument("--concurrency", type=int, default=4, help="b: requests in flight at once")
    parser.add_argument("--duration", type=int, default=15, help="c: seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="c: seconds of warm-up before each (0: none)")
    args = parser.parse_args(argv)
    if not set(args.parts) <= set(PARTS):
        parser.error(f"--parts takes letters from {PARTS!r}")

    when, load = stamp(), load_average()
    if load > 0.5:
        print(f"warning: load average is {load:.2f} before starting; other work will change the figures",
              file=sys.stderr)
    path = log_path("jobs", when)
    print(f"Logging seed, gunicorn, worker and wrk output to {path.relative_to(ROOT)}")
    print(f"Measuring {describe_code()}")
    figures: list[Figure] = []
    details: dict[str, object] = {"settings": vars(args), "load_average_before": round(load, 2)}
    with path.open("w") as log:
        try:
            if "a" in args.parts:
                found, details["exports"] = part_a(args.sizes, log)
                figures += found
            if "b" in args.parts:
                found, details["post_latencies_ms"] = part_b(args.users, args.concurrency, log)
                figures += found
            if "c" in args.parts:
                figures += part_c(args, log)
        except KeyboardInterrupt:
            print("\nInterrupted; every server and worker started has been stopped.", file=sys.stderr)
            return 130
    print_table("Background jobs: exports (SQLite queue, 1 worker thread; gunicorn -w 2 sync)", figures)
    print(f"\n{summary(figures)}")
    print(f"Saved {save('jobs', when, figures, details)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

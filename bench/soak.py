"""``make soak``: minutes of mixed, logged-in traffic against microblog on
PostgreSQL under gunicorn (4 workers, deploy/gunicorn.conf.py), then the
checks a soak is for: no errors but the intended 404s, worker memory flat
after warm-up, and /metrics agreeing with the clients' own counts.

The login rate limit is off (RATELIMIT_ENABLED=0): every client comes from
127.0.0.1, so the per-address limit would turn most logins into 429s, which
would measure the limiter instead of the app.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from bench.appenv import bench_env, flask, load_average
from bench.common import DEPLOY_CONFIG, ROOT, gunicorn
from bench.database import PASSWORD
from bench.loadgen import KINDS, Tally, run_load
from bench.memory import RssSampler, WorkerMemory
from bench.targets import check, describe_code, info, log_path, percentile, print_table, save, stamp, summary
from tests.support.http import Session
from tests.support.postgres import PostgresCluster, find_bindir

MAX_RSS_GROWTH_PCT = 10.0
Labels = tuple[str, str, str]


def metric_counts(body: str) -> Counter[Labels]:
    """http_requests_total by (method, endpoint, status), every worker added up."""
    counts: Counter[Labels] = Counter()
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == "http_requests_total":
                counts[s.labels["method"], s.labels["endpoint"], s.labels["status"]] += int(s.value)
    return counts


def stored_posts(database_url: str) -> set[str]:
    with psycopg.connect(database_url.replace("+psycopg", ""), connect_timeout=10) as conn:
        return {row[0] for row in conn.execute("SELECT body FROM post WHERE body LIKE 'soak %'")}


def print_requests(tally: Tally, seconds: float) -> None:
    total = sum(tally.counts.values())
    print(f"\nRequests by kind and status (client side): {total:,} in {seconds:.0f}s = {total / seconds:,.1f} req/s\n")
    print(f"{'kind':<18} {'method endpoint':<26} {'status':>6} {'count':>8} {'p50 ms':>8} {'p99 ms':>8}  expected")
    for kind in KINDS:
        latencies = tally.latencies.get(kind, [])
        for (k, status), count in sorted(tally.counts.items(), key=lambda item: item[0][1]):
            if k is kind:
                p50, p99 = 1000 * percentile(latencies, 50), 1000 * percentile(latencies, 99)
                print(f"{kind.name:<18} {kind.method + ' ' + kind.endpoint:<26} {status:>6} {count:>8,} "
                      f"{p50:>8.1f} {p99:>8.1f}  {'yes' if status == kind.expected else 'NO'}")


def print_memory(workers: list[WorkerMemory], warm_at: float, end: dict[int, int]) -> None:
    print(f"\nWorker RSS (VmRSS, the lowest of 5 samples 2 s apart) {warm_at:.0f}s into the run (or into a "
          "replacement's life) and at the end (or before being recycled); peak = highest sample\n")
    print(f"{'pid':>8} {'warm at':>8} {'warm MiB':>9} {'last MiB':>9} {'growth':>8} {'peak MiB':>9}  last sample")
    for w in workers:
        note = "at the end" if w.alive_at_end else f"at {w.last_seen_s:.0f}s (then recycled by max_requests)"
        print(f"{w.pid:>8} {w.warm_s:>7.0f}s {w.warm_kib / 1024:>9.1f} {w.last_kib / 1024:>9.1f} "
              f"{w.growth_pct:>+7.1f}% {w.peak_kib / 1024:>9.1f}  {note}")
    for pid in sorted(set(end) - {w.pid for w in workers}):
        print(f"{pid:>8} {'-':>8} {'-':>9} {end[pid] / 1024:>9.1f} {'-':>8} {'-':>9}  too young to judge")


def print_comparison(client: Counter[Labels], server: Counter[Labels]) -> list[Labels]:
    """Print client vs /metrics for every label set; return those that differ."""
    print("\nhttp_requests_total (summed over workers, scraped after the load) vs the clients' counts\n")
    print(f"{'method':<6} {'endpoint':<16} {'status':>6} {'client':>8} {'/metrics':>9}  equal")
    differ = []
    for labels in sorted(set(client) | set(server)):
        ours = labels in client
        if not ours and labels[1].startswith("health."):
            note = "(not from the load: gunicorn's readiness probe)"
        else:
            note = "yes" if client[labels] == server[labels] else "NO"
            if note == "NO":
                differ.append(labels)
        print(f"{labels[0]:<6} {labels[1]:<16} {labels[2]:>6} {client[labels]:>8,} {server[labels]:>9,}  {note}")
    return differ


def soak(args: argparse.Namespace, log_file: Path, when: str) -> int:
    warm_at = min(30.0, args.duration / 5)
    cluster = PostgresCluster(find_bindir() or Path("/usr/lib/postgresql/15/bin"))
    with log_file.open("w") as log:
        try:
            cluster.start()
            url = cluster.create_database("soak")
            with tempfile.TemporaryDirectory(prefix="microblog-soak-") as tmp:
                env = bench_env(Path(tmp), DATABASE_URL=url, SECURE_COOKIES="0", RATELIMIT_ENABLED="0",
                                GUNICORN_WORKERS=str(args.workers), LOG_TO_FILE="1")
                flask(env, log, "db", "upgrade")
                flask(env, log, "seed", "--users", str(args.users), "--posts", str(args.posts), "--follows",
                      str(args.follows), "--seed", "1", "--password", PASSWORD)
                with gunicorn("microblog:app", env, log, ready_path="/health/live", workers=args.workers,
                              config=DEPLOY_CONFIG) as server:
                    print(f"Seeded; {args.connections} clients for {args.duration}s against {server.url} "
                          f"({args.workers} workers)", flush=True)
                    started = time.monotonic()
                    with RssSampler(server) as memory:
                        tally = run_load(server.url, args.connections, args.duration, args.users, PASSWORD)
                    elapsed = time.monotonic() - started
                    # Each worker adds its last requests to the metrics files
                    # within a second (app/observability/tally.py).
                    time.sleep(2)
                    scraped = metric_counts(Session(server.url).get("/metrics").body)
                error_log = Path(tmp) / "logs" / "error.log"  # created at the first error
                error_lines = error_log.read_text(errors="replace").count(" ERROR ") if error_log.exists() else 0
            stored = stored_posts(url)
        except KeyboardInterrupt:
            print("\nInterrupted; every server started has been stopped.", file=sys.stderr)
            return 130
        finally:
            cluster.cleanup()
    output = log_file.read_text(errors="replace")
    recycled = output.count("Autorestarting worker")
    timeouts = output.count("WORKER TIMEOUT")

    print_requests(tally, elapsed)
    workers = memory.workers(warm_at)
    print_memory(workers, warm_at, memory.samples[-1][1])
    client = tally.by_label()
    differ = print_comparison(client, scraped)
    errors = sum(tally.errors.values())
    if tally.errors:
        print("\nErrors (unexpected statuses or no answer):")
        for what, count in tally.errors.most_common(15):
            print(f"  {count:>6}  {what}")
    saved = set(tally.saved_posts)
    growth = max(w.growth_pct for w in workers)
    missing_404 = sum(c for (k, s), c in tally.counts.items() if s == 404 and s == k.expected)
    total = sum(tally.counts.values())
    figures = [
        info("requests", f"{total:,} in {elapsed:.0f}s ({total / elapsed:,.1f} req/s)"),
        info("intended 404s", f"{missing_404:,}"),
        check("errors other than the intended 404s", errors, f"{errors}", "0", lambda v: v == 0),
        check("worker RSS growth after warm-up (max per worker)", growth,
              f"{growth:+.1f}% ({', '.join(f'{w.growth_pct:+.1f}%' for w in workers)})",
              f"< {MAX_RSS_GROWTH_PCT:g}%", lambda v: v < MAX_RSS_GROWTH_PCT),
        check("/metrics http_requests_total = client counts", len(differ),
              f"{len(client) - len(differ)} of {len(client)} label sets equal "
              f"({sum(client.values()):,} requests)", "all equal", lambda v: v == 0),
        info("worker recycles (max_requests) / timeouts", f"{recycled} / {timeouts}"),
        info("ERROR lines in error.log", f"{error_lines}"),
        check("posts the clients were told were saved, found in the database", len(saved - stored),
              f"{len(saved & stored):,} of {len(saved):,}", "all", lambda v: v == 0),
    ]
    print_table(f"Soak: {args.duration}s, {args.connections} connections, gunicorn {args.workers} workers, "
                f"PostgreSQL, {args.users:,} users / {args.posts:,} posts", figures)
    print(f"\n{summary(figures)}")
    details = {
        "settings": vars(args),
        "requests": [{"kind": k.name, "method": k.method, "endpoint": k.endpoint, "status": s, "count": c}
                     for (k, s), c in tally.counts.items()],
        "errors": dict(tally.errors),
        "rss_samples": memory.samples,
        "metrics_vs_client": [{"labels": list(lab), "client": client[lab], "metrics": scraped[lab]}
                              for lab in sorted(set(client) | set(scraped))],
    }
    print(f"Saved {save('soak', when, figures, details)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak microblog with mixed traffic on PostgreSQL.")
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--follows", type=int, default=20)
    args = parser.parse_args(argv)
    when = stamp()
    load = load_average()
    if load > 0.5:
        print(f"warning: load average is {load:.2f} before starting", file=sys.stderr)
    path = log_path("soak", when)
    print(f"Logging PostgreSQL setup, seeding and gunicorn output to {path.relative_to(ROOT)}")
    print(f"Measuring {describe_code()}")
    return soak(args, path, when)


if __name__ == "__main__":
    sys.exit(main())

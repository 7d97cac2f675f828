"""How long a Prometheus scrape of /metrics takes once the app has seen 100
endpoints x 5 statuses (``make bench-observability``, part e).

bench.metrics_app serves them under gunicorn (2 workers,
deploy/gunicorn.conf.py, so each worker writes its own multiprocess files);
every endpoint/status pair is requested a few times over HTTP from several
threads, so both workers hold most series; then /metrics is read
sequentially and timed from the client.
"""
from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from prometheus_client.parser import text_string_to_metric_families

from bench.appenv import bench_env, flask
from bench.common import DEPLOY_CONFIG, cpu_use, gunicorn
from bench.targets import Figure, check, info, percentile
from tests.support.http import Session

MAX_P99_MS = 20.0
# What bench.metrics_app serves (kept here so that importing this module does
# not build an app).
ENDPOINTS = 100
STATUSES = (200, 201, 400, 404, 503)


def _drive(base_url: str, repeats: int) -> dict[int, int]:
    paths = [f"/bench/endpoint{n}/{status}" for n in range(ENDPOINTS) for status in STATUSES] * repeats

    def get(path: str) -> int:
        return Session(base_url).get(path).status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(get, paths))
    return {status: statuses.count(status) for status in sorted(set(statuses))}


def _series(body: str) -> tuple[int, int, float]:
    """Every sample in the scrape, the http_requests_total ones, and the sum
    of those for the bench endpoints."""
    samples = requests = 0
    bench_total = 0.0
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples += 1
            if sample.name == "http_requests_total":
                requests += 1
                if sample.labels["endpoint"].startswith("bench_endpoint"):
                    bench_total += sample.value
    return samples, requests, bench_total


def run(scrapes: int, repeats: int, log: IO[str]) -> tuple[list[Figure], dict]:
    pairs = ENDPOINTS * len(STATUSES)
    print(f"[e] /metrics with {ENDPOINTS} endpoints x {len(STATUSES)} statuses; {scrapes} sequential scrapes",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="microblog-bench-") as tmp:
        env = bench_env(Path(tmp))
        flask(env, log, "db", "upgrade")
        with gunicorn("bench.metrics_app:app", env, log, ready_path="/health/live", config=DEPLOY_CONFIG) as server:
            driven = _drive(server.url, repeats)
            session = Session(server.url)
            latencies, sizes = [], []
            with cpu_use(server) as cpu:
                for _ in range(scrapes):
                    started = time.perf_counter()
                    answer = session.get("/metrics")
                    latencies.append(time.perf_counter() - started)
                    sizes.append(len(answer.body))
                    if answer.status != 200:
                        raise RuntimeError(f"/metrics answered {answer.status}")
            samples, request_series, bench_total = _series(answer.body)
            files = sorted(p.name for p in Path(env["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"))

    p50, p99 = 1000 * percentile(latencies, 50), 1000 * percentile(latencies, 99)
    figures = [
        check("e. /metrics scrape p99", p99, f"{p99:.1f} ms", f"< {MAX_P99_MS:g} ms", lambda v: v < MAX_P99_MS),
        info("e. /metrics scrape p50 / max", f"{p50:.1f} / {1000 * max(latencies):.1f} ms"),
        info("e. server CPU per scrape (mean)", f"{1000 * cpu.server_s / scrapes:.1f} ms"),
        info("e. other processes during the scrapes", f"{cpu.other_load:.2f} cores"),
        info("e. series in a scrape (samples)", f"{samples:,} ({request_series} http_requests_total), "
             f"{sizes[-1] / 1024:.0f} KiB", samples),
        info("e. bench requests counted / sent", f"{bench_total:,.0f} / {pairs * repeats:,} {driven}"),
        info("e. multiprocess files read", f"{len(files)}"),
    ]
    details = {"scrape_ms": [round(1000 * s, 3) for s in latencies], "samples": samples,
               "http_requests_total_series": request_series, "bytes": sizes[-1], "files": files,
               "driven_statuses": driven,
               "server_cpu_ms_per_scrape": 1000 * cpu.server_s / scrapes, "other_load": cpu.other_load}
    return figures, details

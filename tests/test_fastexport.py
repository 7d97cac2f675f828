"""The fast multiprocess exporter says exactly what prometheus-client says."""
from __future__ import annotations

import os
import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from app.observability.fastexport import generate
from config import BASE_DIR

# Three "workers" (processes) writing the kinds of metrics the app has, with
# label values that need escaping.
WORKER = r"""
import sys
from prometheus_client import Counter, Gauge, Histogram
n = int(sys.argv[1])
c = Counter("req", "Requests\\with \"quotes\"\nand lines.", ["method", "endpoint", "status"])
h = Histogram("dur_seconds", "Duration.", ["endpoint"], buckets=(0.01, 0.1, 1.0))
g = Gauge("busy", "Busy.", multiprocess_mode="livesum")
m = Gauge("state", "State.", ["name"], multiprocess_mode="livemax")
a = Gauge("each", "Per process.", multiprocess_mode="all")
for i in range(30 * n):
    c.labels("GET", f"ep{i % 7}", str(200 + i % 3)).inc()
    c.labels("POST", 'we"ird\\ep\n', "500").inc(0.5)
    h.labels(f"ep{i % 4}").observe((i % 13) / 10)
g.inc(n)
m.labels("smtp").set(n % 3)
a.set(n * 10)
"""


def samples(text: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def test_same_samples_as_prometheus_client(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (1, 2, 3):
        subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, cwd=BASE_DIR, check=True)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
    expected = samples(generate_latest(registry).decode())
    ours = samples(generate(str(tmp_path)).decode())
    assert ours == expected
    assert ours[("busy", frozenset())] == 6  # livesum over the three
    assert ours[("state", frozenset({("name", "smtp")}))] == 2  # livemax
    assert len([k for k in ours if k[0] == "each"]) == 3  # one per pid


def test_help_and_type_lines_match(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", WORKER, "1"], env=env, cwd=BASE_DIR, check=True)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))

    def headers(text: str) -> set[str]:
        return {line for line in text.splitlines() if line.startswith("#")}

    assert headers(generate(str(tmp_path)).decode()) == headers(generate_latest(registry).decode())

"""An A/B of two checkouts' CPU cost per request, in process: ``python -m
bench.ab_inprocess OLD_TREE NEW_TREE /index /explore ...``.

Cross-process runs of ``make bench`` differed by 20-45% on the shared
machines this was written on, more than most single changes save. Here each
tree gets one long-lived process (bench/ab_worker.py) on the same seeded
database (DATABASE_URL), logged in as user1; the two serve alternating
batches of requests through Flask's test client, and each batch is timed
with the process's own CPU clock (time.process_time), which other work on
the machine changes far less than wall time. The figure is the median of the
per-round ratios, new/old.

The test client skips gunicorn and HTTP, so the ms are the app's own cost;
``make bench`` measures the whole request.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "ab_worker.py"


def _start(tree: str, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(WORKER)], cwd=tree, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the worker in {tree} did not start (is DATABASE_URL seeded?)")
    return proc


def _batch(proc: subprocess.Popen, path: str, count: int, language: str) -> float:
    """CPU ms per request of ``count`` requests of ``path``."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{path} {count} {language or '-'}\n")
    proc.stdin.flush()
    ns, status = proc.stdout.readline().split()
    if status != "200":
        raise RuntimeError(f"{path} answered {status}")
    return int(ns) / count / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("paths", nargs="+", help="a path, or PATH@LANG for an Accept-Language")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    procs = {"old": _start(args.old, env), "new": _start(args.new, env)}
    print(f"{'page':28s} {'old ms':>8s} {'new ms':>8s} {'new/old':>8s}")
    try:
        for spec in args.paths:
            path, _, language = spec.partition("@")
            for proc in procs.values():  # warm both: templates compiled, caches filled
                _batch(proc, path, args.batch, language)
            ms: dict[str, list[float]] = {"old": [], "new": []}
            for i in range(args.rounds):
                for side in ("old", "new") if i % 2 == 0 else ("new", "old"):
                    ms[side].append(_batch(procs[side], path, args.batch, language))
            ratio = statistics.median(n / o for o, n in zip(ms["old"], ms["new"], strict=True))
            print(f"{spec:28s} {statistics.median(ms['old']):8.3f} {statistics.median(ms['new']):8.3f} {ratio:8.3f}",
                  flush=True)
    finally:
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

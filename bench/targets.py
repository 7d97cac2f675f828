"""A benchmark's verdict: one row per figure, its target, met or missed; and
the JSON file every benchmark leaves in bench/results/."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from bench.common import ROOT

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    name: str
    measured: str
    target: str = "-"
    # None: a figure shown for context, without a target.
    met: bool | None = None
    value: float | None = None

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("met" if self.met else "MISSED")


def check(name: str, value: float, shown: str, target: str, ok: Callable[[float], bool]) -> Figure:
    return Figure(name, shown, target, ok(value), value)


def info(name: str, shown: str, value: float | None = None) -> Figure:
    return Figure(name, shown, value=value)


def print_table(title: str, figures: Sequence[Figure]) -> None:
    widths = [max(len(h), *(len(str(getattr(f, a))) for f in figures))
              for h, a in (("figure", "name"), ("measured", "measured"), ("target", "target"))]
    print(f"\n{title}\n")
    header = f"{'figure':<{widths[0]}}  {'measured':<{widths[1]}}  {'target':<{widths[2]}}  result"
    print(header)
    print("-" * len(header))
    for f in figures:
        print(f"{f.name:<{widths[0]}}  {f.measured:<{widths[1]}}  {f.target:<{widths[2]}}  {f.verdict}")


def summary(figures: Sequence[Figure]) -> str:
    judged = [f for f in figures if f.met is not None]
    missed = [f.name for f in judged if not f.met]
    line = f"Targets met: {len(judged) - len(missed)} of {len(judged)}."
    return line + (f" Missed: {'; '.join(missed)}." if missed else "")


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def log_path(name: str, when: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS / f"{name}-{when}.log"


def code_version() -> dict[str, object]:
    """The commit measured, and app files changed since it (others edit app/
    while benchmarks run)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {"head": git("rev-parse", "--short", "HEAD"),
            "changed": [line[3:] for line in git("status", "--porcelain", "app", "config.py").splitlines()]}


def describe_code() -> str:
    version = code_version()
    changed = version["changed"]
    return f"commit {version['head']}" + (f" + {len(changed)} uncommitted app file(s)" if changed else "")


def save(name: str, when: str, figures: Sequence[Figure], details: dict) -> Path:
    """Write bench/results/<name>-<when>.json; return its path from the project root."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{when}.json"
    report = {
        "timestamp": when,
        "code": code_version(),
        "cpus": os.cpu_count(),
        "figures": [asdict(f) | {"verdict": f.verdict} for f in figures],
        "all_targets_met": all(f.met for f in figures if f.met is not None),
        **details,
    }
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return out.relative_to(ROOT)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p100 is the maximum)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)

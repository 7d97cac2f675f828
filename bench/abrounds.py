"""A/B comparisons on a shared, noisy machine.

Both servers are loaded at the same time, each by its own wrk, so whatever
else the machine does in those seconds lands on both alike; each gets about
half the machine, and the cost of a feature shows as fewer requests in the
same time and more server CPU per request. Run one after the other instead,
single rounds of the same code differed by up to 10% and whole runs by up
to 5%.

Every round starts both servers afresh (same files, new processes), and the
two swap places each round (which starts first, which wrk starts first): a
process keeps its own small advantage for life (where its memory landed, its
hash seed), and identical servers still showed one of the two places about
1.5% faster. A cost is the median over rounds of each round's own pair; an
even number of rounds gives each side each place equally often.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO

from bench.common import (
    NON_2XX_LUA,
    Measurement,
    Server,
    WrkResult,
    machine_busy_seconds,
    reaped_children_seconds,
    run_wrk,
)
from bench.targets import median


@dataclass
class Side:
    label: str
    runs: list[Measurement] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median([r.wrk.requests_per_sec for r in self.runs])

    @property
    def cpu_ms(self) -> float:
        return median([r.cpu_ms_per_request for r in self.runs])

    @property
    def p99_ms(self) -> float:
        return median([r.wrk.p99_ms for r in self.runs])

    @property
    def other_load(self) -> float:
        return max(r.other_load for r in self.runs)

    @property
    def suspect(self) -> bool:
        return any(r.wrk.non_2xx or r.wrk.socket_errors for r in self.runs)

    def as_json(self) -> dict:
        return {
            "label": self.label, "median_rps": self.rps, "median_cpu_ms": self.cpu_ms, "median_p99_ms": self.p99_ms,
            "rounds": [{"rps": r.wrk.requests_per_sec, "cpu_ms": round(r.cpu_ms_per_request, 4),
                        "p50_ms": r.wrk.p50_ms, "p99_ms": r.wrk.p99_ms, "requests": r.wrk.requests,
                        "non_2xx": r.wrk.non_2xx, "socket_errors": r.wrk.socket_errors,
                        "other_load": round(r.other_load, 2)} for r in self.runs],
        }


def side_by_side(
    servers: Mapping[str, Callable[[ExitStack], Server]], path: str | Mapping[str, str], rounds: int,
    duration_s: int, warmup_s: int, log: IO[str], headers: Sequence[str] = (), lua: str = NON_2XX_LUA,
) -> dict[str, Side]:
    """``rounds`` rounds of wrk on every server at once, each server started
    afresh (``servers`` start one, stopped when the stack closes) and warmed
    up, the order reversed every round."""
    paths = {label: path if isinstance(path, str) else path[label] for label in servers}
    sides = {label: Side(label) for label in servers}
    labels = list(servers)
    for number in range(rounds):
        order = labels if number % 2 == 0 else labels[::-1]
        with ExitStack() as stack:
            started = {label: servers[label](stack) for label in order}
            targets = {label: started[label].url + paths[label] for label in order}
            if warmup_s > 0:
                _together(targets, headers, warmup_s, None, lua)
            runs = _measure_together(started, targets, headers, duration_s, log, lua)
        for label in labels:
            sides[label].runs.append(runs[label])
            run = runs[label]
            print(f"    round {number + 1}/{rounds} {label}: {run.wrk.requests_per_sec:,.0f} req/s, "
                  f"{run.cpu_ms_per_request:.2f} CPU ms/request, other load {run.other_load:.2f}", flush=True)
    return sides


def _together(targets: Mapping[str, str], headers: Sequence[str], duration_s: int,
              log: IO[str] | None, lua: str = NON_2XX_LUA) -> dict[str, WrkResult]:
    """One wrk per target (1 thread, 8 connections: 2 threads and 16 in all),
    all started at once, in the targets' order."""
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = {label: pool.submit(run_wrk, url, headers, duration_s, 1, 8, log, lua)
                   for label, url in targets.items()}
        return {label: future.result() for label, future in futures.items()}


def _measure_together(servers: Mapping[str, Server], targets: Mapping[str, str], headers: Sequence[str],
                      duration_s: int, log: IO[str], lua: str = NON_2XX_LUA) -> dict[str, Measurement]:
    cpu_before = {label: server.cpu_seconds() for label, server in servers.items()}
    busy_before, wrk_before, started = machine_busy_seconds(), reaped_children_seconds(), time.monotonic()
    results = _together(targets, headers, duration_s, log, lua)
    elapsed = time.monotonic() - started
    server_cpu = {label: server.cpu_seconds() - cpu_before[label] for label, server in servers.items()}
    other = machine_busy_seconds() - busy_before - sum(server_cpu.values()) - (reaped_children_seconds() - wrk_before)
    return {
        label: Measurement(wrk=result, cpu_ms_per_request=1000 * server_cpu[label] / max(result.requests, 1),
                           other_load=max(0.0, other / elapsed))
        for label, result in results.items()
    }


def spread(values: Sequence[float]) -> str:
    """The range of per-round figures, to show how far one round can be off."""
    return f"{min(values):+.1f}% to {max(values):+.1f}%"


def round_ratios(a: Side, b: Side) -> list[float]:
    """a's req/s in % of b's, round by round (each run against the one beside it)."""
    return [100 * x.wrk.requests_per_sec / y.wrk.requests_per_sec
            for x, y in zip(a.runs, b.runs, strict=True)]


def paired_costs(on: Side, off: Side) -> list[float]:
    """Each round's req/s cost in %."""
    return [100 - ratio for ratio in round_ratios(on, off)]


def ratio_pct(a: Side, b: Side) -> float:
    """a's req/s in % of b's: the median of the rounds' ratios."""
    return median(round_ratios(a, b))


def cpu_ratio_pct(a: Side, b: Side) -> float:
    """b's CPU time per request in % of a's (above 100: a is cheaper), paired by round."""
    return median([100 * y.cpu_ms_per_request / x.cpu_ms_per_request for x, y in zip(a.runs, b.runs, strict=True)])


def cost_pct(on: Side, off: Side) -> float:
    """Throughput lost by turning the feature on, in % of the 'off' req/s."""
    return 100 - ratio_pct(on, off)


def cpu_cost_pct(on: Side, off: Side) -> float:
    """Extra server CPU per request with the feature on, in %."""
    return cpu_ratio_pct(off, on) - 100

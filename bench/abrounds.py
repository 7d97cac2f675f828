"""A/B comparisons on a shared, noisy machine: both servers run side by
side, and wrk measures them in alternating rounds (A B, B A, A B, ...), so
a burst of other work on the machine lands on both sides alike. Figures are
medians over the rounds.

A cost is the median of each round's own comparison (A against the B run
right next to it), not one median against the other: a round's two runs
share the machine's state of the moment, so the drift between rounds (which
here is larger than the costs being measured) cancels out.

Every round starts both servers afresh (same files, new processes). Two
identical servers, each kept for a whole run, differed by 0.6% to 5.1% in
four A/A runs: each process keeps its own luck (where its memory landed, its
hash seed) for as long as it lives, and no number of rounds averages that
out. New processes each round turn it into round-to-round noise, which the
median does average out.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO

from bench.common import Measurement, Server, measure, run_wrk
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


def interleave(
    servers: Mapping[str, Callable[[ExitStack], Server]], path: str | Mapping[str, str], rounds: int,
    duration_s: int, warmup_s: int, log: IO[str], headers: Sequence[str] = (),
) -> dict[str, Side]:
    """``rounds`` wrk runs of ``path`` (one for all, or one per label) on each
    server, alternating the order every round. ``servers`` start a server
    (stopped when the stack closes); each round starts and warms up its own."""
    paths = {label: path if isinstance(path, str) else path[label] for label in servers}
    sides = {label: Side(label) for label in servers}
    labels = list(servers)
    for number in range(rounds):
        with ExitStack() as stack:
            started = {label: start(stack) for label, start in servers.items()}
            for label, server in started.items():
                if warmup_s > 0:
                    run_wrk(server.url + paths[label], headers, duration_s=warmup_s)
            for label in labels if number % 2 == 0 else reversed(labels):
                run = measure(started[label], paths[label], headers, duration_s, warmup_s=0, log=log)
                sides[label].runs.append(run)
                print(f"    round {number + 1}/{rounds} {label}: {run.wrk.requests_per_sec:,.0f} req/s, "
                      f"{run.cpu_ms_per_request:.2f} CPU ms/request, other load {run.other_load:.2f}", flush=True)
    return sides


def spread(values: Sequence[float]) -> str:
    """The range of per-round figures, to show how far one round can be off."""
    return f"{min(values):+.1f}% to {max(values):+.1f}%"


def paired_costs(on: Side, off: Side) -> list[float]:
    """Each round's req/s cost in %."""
    return [100 * (1 - a.wrk.requests_per_sec / b.wrk.requests_per_sec) for a, b in _pairs(on, off)]


def _pairs(a: Side, b: Side) -> list[tuple[Measurement, Measurement]]:
    """Each round's run of a with its run of b."""
    return list(zip(a.runs, b.runs, strict=True))


def ratio_pct(a: Side, b: Side) -> float:
    """a's req/s in % of b's: the median over rounds of each round's pair."""
    return median([100 * x.wrk.requests_per_sec / y.wrk.requests_per_sec for x, y in _pairs(a, b)])


def cpu_ratio_pct(a: Side, b: Side) -> float:
    """b's CPU time per request in % of a's (above 100: a is cheaper), paired by round."""
    return median([100 * y.cpu_ms_per_request / x.cpu_ms_per_request for x, y in _pairs(a, b)])


def cost_pct(on: Side, off: Side) -> float:
    """Throughput lost by turning the feature on, in % of the 'off' req/s:
    the median over rounds of each round's pair."""
    return median(paired_costs(on, off))


def cpu_cost_pct(on: Side, off: Side) -> float:
    """Extra server CPU per request with the feature on, in %: the median over
    rounds of each round's pair."""
    return cpu_ratio_pct(off, on) - 100

"""One page's measured figures, and the table ``make bench`` prints."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.common import WrkResult


@dataclass
class PageResult:
    path: str
    wrk: WrkResult
    cpu_ms: float  # gunicorn's CPU time per request
    other_load: float  # cores used by other processes during the run
    # Status of one plain GET before the run: anything but 200 makes the
    # figures meaningless (a redirect to the login page is fast).
    status: int
    sql_statements: list[str] | None = None
    pct: float | None = None  # of ``baseline``'s req/s
    baseline: str | None = None  # "hello"; for a bigger database, the same page at 1x
    min_pct: float | None = None
    max_sql: int | None = None
    misses: list[str] = field(default_factory=list)
    expected_status: int = 200  # 304 for a feed revalidated with its ETag
    # Every round's % (make bench --rounds): the row shows the median round.
    round_pcts: list[float] = field(default_factory=list)

    @property
    def sql(self) -> int | None:
        return None if self.sql_statements is None else len(self.sql_statements)

    @property
    def suspect(self) -> bool:
        """Some responses were not the page: the figures measure something else."""
        return self.status != self.expected_status or self.wrk.non_2xx > 0 or self.wrk.socket_errors > 0

    @property
    def target(self) -> str:
        return f">= {self.min_pct:g}% {self.baseline}, <= {self.max_sql} SQL"


@dataclass(frozen=True)
class Phase:
    """A page measured again on a bigger database, against its 1x figure."""

    title: str  # what the database holds, and what % compares with
    result: PageResult


# Above this many cores used by other processes, a run's req/s is understated.
BUSY_CORES = 0.25


class _Table:
    """Rows whose first and target columns are as wide as the longest there."""

    def __init__(self, results: Sequence[PageResult]) -> None:
        self.name_width = max([14, *(len(r.path) + 2 for r in results)])
        self.target_width = max([25, *(len(r.target) + 2 for r in results)])

    def header(self) -> str:
        return (
            f"{'page':<{self.name_width}}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'SQL/req':>9}"
            f"{'%':>8}{'CPU ms':>8}{'other':>7}  {'target':<{self.target_width}}result"
        )

    def row(self, name: str, result: PageResult, sql: str, pct: str, target: str, verdict: str) -> str:
        wrk = result.wrk
        return (
            f"{name:<{self.name_width}}{wrk.requests_per_sec:>9.1f}{wrk.p50_ms:>9.2f}{wrk.p99_ms:>9.2f}"
            f"{wrk.non_2xx:>9}{sql:>9}{pct:>8}{result.cpu_ms:>8.2f}{result.other_load:>7.2f}  "
            f"{target:<{self.target_width}}{verdict}".rstrip()
        )

    def judged(self, result: PageResult) -> str:
        verdict = _verdict(result)
        if len(result.round_pcts) > 1:  # how far apart the rounds were
            verdict += f"  [rounds {min(result.round_pcts):.1f}-{max(result.round_pcts):.1f}%]"
        return self.row(result.path, result, str(result.sql), f"{result.pct:.1f}%", result.target, verdict)


def _verdict(result: PageResult) -> str:
    verdict = "met" if not result.misses else f"MISSED ({', '.join(result.misses)})"
    if result.suspect:
        verdict += f"  [suspect: status {result.status}, socket errors {result.wrk.socket_errors}]"
    return verdict


def print_report(
    settings: Mapping[str, object], hello: PageResult, pages: Sequence[PageResult], phases: Sequence[Phase]
) -> bool:
    """Print the table; return whether every target was met."""
    table = _Table([*pages, *(phase.result for phase in phases)])
    print(f"\nPages at 1x data: {settings['base_scale']}, logged in as {settings['user']}")
    print(f"wrk {settings['wrk']}; gunicorn {settings['gunicorn']}")
    print("% = req/s as a percentage of hello world in the same round; each row is the page's median round,")
    print("[rounds] the lowest and highest round; CPU ms = gunicorn's CPU time per request;")
    print("other = cores busy with other processes during the run (req/s is only comparable near 0)\n")
    print(table.header())
    print(table.row("hello world", hello, "-", "100.0%", "(this machine's ceiling)", ""))
    for page in pages:
        print(table.judged(page))

    for phase in phases:
        if phase.title:  # a phase's later pages share its first one's title and header
            print(f"\n{phase.title}\n")
            print(table.header())
        print(table.judged(phase.result))

    judged = [*pages, *(phase.result for phase in phases)]
    targets = 2 * len(judged)  # req/s and SQL, on every row
    misses = sum(len(r.misses) for r in judged)
    print(f"\nTargets met: {targets - misses} of {targets}.")
    runs = [hello, *judged]
    busiest = max(r.other_load for r in runs)
    if busiest > BUSY_CORES:
        print(f"The machine was busy (up to {busiest:.2f} cores used by other processes during a run): "
              "req/s and % are understated there; compare CPU ms, or run again when it is idle.")
    if any(r.suspect for r in runs):
        print("Some runs got responses other than 200, or socket errors: their figures may not measure the page"
              " (see the log).")
    return misses == 0

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
    pct: float | None = None  # of hello world; for the 10x feed, of the 1x feed
    min_pct: float | None = None
    misses: list[str] = field(default_factory=list)

    @property
    def sql(self) -> int | None:
        return None if self.sql_statements is None else len(self.sql_statements)

    @property
    def suspect(self) -> bool:
        """Some responses were not the page: the figures measure something else."""
        return self.status != 200 or self.wrk.non_2xx > 0 or self.wrk.socket_errors > 0


# Above this many cores used by other processes, a run's req/s is understated.
BUSY_CORES = 0.25

_HEADER = (
    f"{'page':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'SQL/req':>9}{'%':>8}"
    f"{'CPU ms':>8}{'other':>7}  {'target':<25}result"
)


def _row(name: str, result: PageResult, sql: str, pct: str, target: str, verdict: str) -> str:
    wrk = result.wrk
    return (
        f"{name:<14}{wrk.requests_per_sec:>9.1f}{wrk.p50_ms:>9.2f}{wrk.p99_ms:>9.2f}{wrk.non_2xx:>9}"
        f"{sql:>9}{pct:>8}{result.cpu_ms:>8.2f}{result.other_load:>7.2f}  {target:<25}{verdict}".rstrip()
    )


def _verdict(result: PageResult) -> str:
    verdict = "met" if not result.misses else f"MISSED ({', '.join(result.misses)})"
    if result.suspect:
        verdict += f"  [suspect: status {result.status}, socket errors {result.wrk.socket_errors}]"
    return verdict


def print_report(
    settings: Mapping[str, object], hello: PageResult, pages: Sequence[PageResult], scaled: PageResult | None
) -> bool:
    """Print the table; return whether every target was met."""
    max_sql = settings["max_sql"]
    print(f"\nPages at 1x data: {settings['base_scale']}, logged in as {settings['user']}")
    print(f"wrk {settings['wrk']}; gunicorn {settings['gunicorn']}")
    print("% = req/s as a percentage of hello world; CPU ms = gunicorn's CPU time per request;")
    print("other = cores busy with other processes during the run (req/s is only comparable near 0)\n")
    print(_HEADER)
    print(_row("hello world", hello, "-", "100.0%", "(this machine's ceiling)", ""))
    targets = misses = 0
    for page in pages:
        target = f">= {page.min_pct:g}% hello, <= {max_sql} SQL"
        print(_row(page.path, page, str(page.sql), f"{page.pct:.1f}%", target, _verdict(page)))
        targets += 2
        misses += len(page.misses)

    if scaled is not None:
        print(f"\nFeed at 10x data: {settings['big_scale']}; % = req/s as a percentage of the 1x feed\n")
        print(_HEADER)
        target = f">= {scaled.min_pct:g}% of the 1x feed"
        print(_row(scaled.path, scaled, "-", f"{scaled.pct:.1f}%", target, _verdict(scaled)))
        targets += 1
        misses += len(scaled.misses)

    print(f"\nTargets met: {targets - misses} of {targets}.")
    runs = [hello, *pages, *([scaled] if scaled else [])]
    busiest = max(r.other_load for r in runs)
    if busiest > BUSY_CORES:
        print(f"The machine was busy (up to {busiest:.2f} cores used by other processes during a run): "
              "req/s and % are understated there; compare CPU ms, or run again when it is idle.")
    if any(r.suspect for r in runs):
        print("Some runs got responses other than 200, or socket errors: their figures may not measure the page"
              " (see the log).")
    return misses == 0

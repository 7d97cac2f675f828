"""The mail server goes silent during a burst of distinct errors, then
comes back (``make faults``, part ii; tests/test_proof_faults.py is the
short form). Failing requests must not slow down, and every mail must
arrive once the server is back.

The burst runs twice against one server (2 workers, deploy/gunicorn.conf.py):
first with a healthy aiosmtpd inbox, then with a socket on the same port
that accepts and never answers; then the inbox takes the port back.
"""
from __future__ import annotations

import re
import time
from typing import IO

from bench.common import Server, free_port
from bench.failing import error_email_counts, failing_burst, faulty_server
from bench.smtp import MailInbox, SilentSMTP
from bench.targets import Figure, check, info, median

_KIND = re.compile(r"ProofError(\d+)\b")
SILENT_BASE = 10_000  # kinds of the silent burst: 10000, 10001, ...


def _kinds(inbox: MailInbox) -> list[int]:
    return [int(m[1]) for msg in list(inbox.inbox.messages) if (m := _KIND.search(msg["Subject"] or ""))]


def _wait_for_kinds(inbox: MailInbox, wanted: set[int], timeout: float) -> float | None:
    started = time.monotonic()
    while not wanted <= set(_kinds(inbox)):
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.2)
    return time.monotonic() - started


def _wait_settled(server: Server, inbox: MailInbox, wanted: set[int], before: dict[str, int],
                  timeout: float) -> tuple[float, bool]:
    """Wait until every mail of ``wanted`` arrived, or the app counts each
    one as sent or dropped, or ``timeout``. Returns the seconds until the
    last arrival and whether it settled (False: timed out with mail still pending)."""
    started = last_arrival = time.monotonic()
    arrived = 0
    while True:
        now_arrived = len(wanted & set(_kinds(inbox)))
        if now_arrived != arrived:
            arrived, last_arrival = now_arrived, time.monotonic()
        if arrived == len(wanted):
            return last_arrival - started, True
        counts = error_email_counts(server)
        done = sum(counts.get(r, 0) - before.get(r, 0) for r in ("sent", "dropped"))
        if done >= len(wanted):
            return last_arrival - started, True
        if time.monotonic() - started > timeout:
            return last_arrival - started, False
        time.sleep(0.5)


def run(burst: int, settings: dict[str, str], wait_s: float, log: IO[str]) -> tuple[list[Figure], dict]:
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    print(f"[ii] mail outage during a burst of {burst} distinct errors ({shown})", flush=True)
    inbox = MailInbox(free_port()).start()
    try:
        with faulty_server(inbox.port, log, **settings) as server:
            healthy = failing_burst(server.url, range(burst))
            healthy_kinds = set(range(burst))
            healthy_delivery = _wait_for_kinds(inbox, healthy_kinds, wait_s)

            inbox.stop()
            with SilentSMTP(inbox.port) as silent:
                quiet = failing_burst(server.url, range(SILENT_BASE, SILENT_BASE + burst))
                held = len(silent.accepted)
                during = error_email_counts(server)
            inbox.start()  # back, on the same port; the silent socket's connections were dropped
            wanted = set(range(SILENT_BASE, SILENT_BASE + burst))
            last_arrival, settled = _wait_settled(server, inbox, wanted, during, wait_s)
            after = error_email_counts(server)
    finally:
        inbox.stop()

    received = _kinds(inbox)
    arrived = wanted & set(received)
    duplicates = len(received) - len(set(received))
    ratio = median(quiet.latencies) / median(healthy.latencies)
    figures = [
        info("ii. failing request p50 / p99 / max, healthy SMTP",
             f"{healthy.ms(50):.1f} / {healthy.ms(99):.1f} / {healthy.ms(100):.1f} ms"),
        info("ii. failing request p50 / p99 / max, silent SMTP",
             f"{quiet.ms(50):.1f} / {quiet.ms(99):.1f} / {quiet.ms(100):.1f} ms"),
        check("ii. p50 silent / p50 healthy", ratio, f"{ratio:.2f}x", "< 3x (unchanged within noise)",
              lambda v: v < 3),
        check("ii. failing request p99, silent SMTP", quiet.ms(99), f"{quiet.ms(99):.1f} ms", "< 50 ms",
              lambda v: v < 50),
        info("ii. healthy burst: mails delivered",
             f"{len(healthy_kinds & set(received))} of {burst}"
             + (f", all within {healthy_delivery:.1f} s" if healthy_delivery is not None else "")),
        info("ii. error_emails_total (cumulative) after the silent burst",
             ", ".join(f"{k} {v}" for k, v in sorted(during.items())) + f" ({held} connections held)"),
        check("ii. mails of the silent burst delivered after the server is back", burst - len(arrived),
              f"{len(arrived)} of {burst}" + ("" if settled else f" (still pending after {wait_s:g} s)"),
              "all", lambda v: v == 0),
        info("ii. time from the server's return to the last arrival", f"{last_arrival:.1f} s"),
        info("ii. error_emails_total (cumulative) at the end", ", ".join(f"{k} {v}" for k, v in sorted(after.items()))),
        info("ii. duplicate mails", f"{duplicates}"),
    ]
    details = {
        "healthy_ms": [round(1000 * s, 3) for s in healthy.latencies],
        "silent_ms": [round(1000 * s, 3) for s in quiet.latencies],
        "last_arrival_s": last_arrival, "settled": settled, "error_emails_during": during, "error_emails_after": after,
        "missing_kinds": sorted(wanted - arrived),
    }
    return figures, details

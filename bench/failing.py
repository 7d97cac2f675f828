"""Failing requests while error emails go out: does a slow or silent mail
server slow down the requests that fail? (``make bench-observability``, part
a, and ``make faults``, the mail outage.)

``tests.support.faulty_app`` raises a distinct exception type per
``/test/boom/<kind>``, so every request is a first occurrence the app must
mail.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from prometheus_client.parser import text_string_to_metric_families

from bench.appenv import bench_env, flask
from bench.common import DEPLOY_CONFIG, Server, free_port, gunicorn
from bench.smtp import MailInbox, SilentSMTP
from bench.targets import Figure, check, info, median, percentile
from tests.support.http import Session

FAULTY_APP = "tests.support.faulty_app:app"
ADMIN = "a@example.com"


@dataclass
class Burst:
    latencies: list[float]
    statuses: dict[int, int]

    def ms(self, pct: float) -> float:
        return 1000 * percentile(self.latencies, pct)


def failing_burst(base_url: str, kinds: Iterable[int]) -> Burst:
    """One GET /test/boom/<kind> after the other, each on a new connection."""
    session = Session(base_url, timeout=60)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for kind in kinds:
        answer = session.get(f"/test/boom/{kind}")
        latencies.append(answer.seconds)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    return Burst(latencies, statuses)


def warm_up(base_url: str) -> None:
    """Templates compiled and routes matched once in each worker, so the first
    measured requests do not pay for it."""
    session = Session(base_url)
    for i in range(20):
        session.get("/auth/login")
        session.get(f"/no/such/page/{i}")


def error_email_counts(server: Server) -> dict[str, int]:
    """``error_emails_total`` by result, from /metrics."""
    body = Session(server.url).get("/metrics").body
    return {s.labels["result"]: int(s.value) for family in text_string_to_metric_families(body)
            for s in family.samples if s.name == "error_emails_total"}


def mail_env(directory: Path, port: int, **settings: str) -> dict[str, str]:
    return bench_env(directory, ERROR_EMAILS="1", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), ADMINS=ADMIN,
                     **settings)


@contextmanager
def faulty_server(port: int, log: IO[str], **settings: str) -> Iterator[Server]:
    """The faulty app under gunicorn (2 workers, deploy/gunicorn.conf.py),
    mailing its errors to 127.0.0.1:``port``."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="microblog-bench-")))
        env = mail_env(directory, port, **settings)
        flask(env, log, "db", "upgrade")
        server = stack.enter_context(gunicorn(FAULTY_APP, env, log, ready_path="/health/live", config=DEPLOY_CONFIG))
        warm_up(server.url)
        yield server


def wait_for_mail(inbox: MailInbox, count: int, subject_part: str, timeout: float) -> float | None:
    """Seconds until ``count`` mails whose subject holds ``subject_part`` are in; None on timeout."""
    started = time.monotonic()
    while inbox.count(subject_part) < count:
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.1)
    return time.monotonic() - started


def run(requests: int, mail_timeout: float, log: IO[str]) -> tuple[list[Figure], dict]:
    """Part a: ``requests`` failing requests with a silent mail server, then
    with a healthy one (each on a fresh server)."""
    settings = {"MAIL_TIMEOUT": f"{mail_timeout:g}"}
    print(f"[a] {requests} failing requests, silent mail server (MAIL_TIMEOUT={mail_timeout:g})", flush=True)
    with SilentSMTP() as silent, faulty_server(silent.port, log, **settings) as server:
        quiet = failing_burst(server.url, range(requests))
        quiet_mails = error_email_counts(server)
        held = len(silent.accepted)
    print(f"[a] {requests} failing requests, healthy mail server (aiosmtpd)", flush=True)
    inbox = MailInbox(free_port()).start()
    try:
        with faulty_server(inbox.port, log, **settings) as server:
            healthy = failing_burst(server.url, range(requests))
            delivered_in = wait_for_mail(inbox, requests, "ProofError", timeout=120)
            delivered = inbox.count("ProofError")
    finally:
        inbox.stop()

    figures = [
        check("a. failing request p99, silent SMTP", quiet.ms(99), f"{quiet.ms(99):.1f} ms", "< 50 ms",
              lambda v: v < 50),
        info("a. failing request p50 / max, silent SMTP", f"{quiet.ms(50):.1f} / {quiet.ms(100):.1f} ms"),
        info("a. failing request p50 / p99 / max, healthy SMTP",
             f"{healthy.ms(50):.1f} / {healthy.ms(99):.1f} / {healthy.ms(100):.1f} ms"),
        info("a. p50 silent / p50 healthy", f"{median(quiet.latencies) / median(healthy.latencies):.2f}x"),
        info("a. statuses (silent; healthy)", f"{quiet.statuses}; {healthy.statuses}"),
        info("a. mails delivered, healthy SMTP",
             f"{delivered} of {requests}" + (f" in {delivered_in:.1f}s" if delivered_in is not None else "")),
        info("a. error_emails_total after the burst, silent SMTP",
             ", ".join(f"{k} {v}" for k, v in sorted(quiet_mails.items())) + f" ({held} connections held open)"),
    ]
    details = {
        "silent_ms": [round(1000 * s, 3) for s in quiet.latencies],
        "healthy_ms": [round(1000 * s, 3) for s in healthy.latencies],
        "silent_error_emails_total": quiet_mails,
        "healthy_delivered": delivered,
        "healthy_delivery_seconds": delivered_in,
    }
    return figures, details

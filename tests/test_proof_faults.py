"""Proofs 3 and 4 under gunicorn: a mail server that goes silent during a
burst of errors does not slow requests, and mail resumes afterwards; a log
disk that fills up does not fail requests, and the failure is counted and
shown in /health."""
from __future__ import annotations

import errno
import json
import socket
import statistics
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gunicorn import gunicorn
from tests.support.http import Session
from tests.support.requirements import missing
from tests.support.smtp import Inbox
from tests.support.waiting import wait_for

BURST = 30


def failing_burst(session: Session, start: int) -> list[float]:
    latencies = []
    for kind in range(start, start + BURST):
        answer = session.get(f"/test/boom/{kind}")
        assert answer.status == 500
        latencies.append(answer.seconds)
    return latencies


def test_mail_outage_does_not_slow_requests_and_mail_resumes(tmp_path):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {"ERROR_EMAILS": "1", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "ADMINS": "a@example.com",
           "MAIL_TIMEOUT": "1", "SMTP_BREAKER_FAILURES": "3", "SMTP_BREAKER_RESET": "2",
           "ERROR_EMAIL_RETRY": "0.5", "ERROR_EMAIL_WINDOW": "600"}
    try:
        with gunicorn(tmp_path, workers=2, env=env, app_module="tests.support.faulty_app:app") as server:
            session = Session(server.url)
            healthy = failing_burst(session, 0)
            inbox.wait_for(BURST, timeout=30)

            controller.stop()  # the mail server goes silent: it accepts, never answers
            silent = socket.socket()
            silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            silent.bind(("127.0.0.1", port))
            silent.listen(100)
            try:
                during = failing_burst(session, 1000)
            finally:
                silent.close()

            controller = Controller(inbox, hostname="127.0.0.1", port=port)  # back again
            controller.start()
            wait_for(lambda: len([m for m in inbox.messages if "ProofError1" in m["Subject"]]) >= BURST, 30,
                     lambda: f"mail did not resume: {len(inbox.messages)} emails")
    finally:
        controller.stop()
    p50_healthy, p50_silent = statistics.median(healthy), statistics.median(during)
    print(f"\nfailing request p50: {p50_healthy * 1000:.1f} ms with mail up, {p50_silent * 1000:.1f} ms with it "
          f"silent (max {max(during) * 1000:.1f} ms); {len(inbox.messages)} emails in all after it came back")
    assert p50_silent < 3 * p50_healthy + 0.02  # unchanged, within noise (a blocking send would add 1 s)


def metric_sum(body: str, name: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(body) for s in f.samples if s.name == name)


@pytest.fixture
def tiny_log_disk(tmp_path):
    mount_point = tmp_path / "logs"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        missing(f"cannot mount a tmpfs for the log directory (needs root): {result.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> None:
    with open(directory / "filler", "wb", buffering=0) as f:  # unbuffered: nothing left to fail on close
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_full_log_disk_does_not_fail_requests(tmp_path, tiny_log_disk):
    env = {"LOG_DIR": str(tiny_log_disk), "HEALTH_DISK_MIN_MB": "1", "HEALTH_CACHE_SECONDS": "0"}
    with gunicorn(tmp_path / "app", workers=2, env=env, app_module="tests.support.faulty_app:app") as server:
        session = Session(server.url)
        assert session.get("/auth/login").status == 200
        fill(tiny_log_disk)
        statuses = []
        for i in range(100):
            statuses.append(session.get("/auth/login").status)
            statuses.append(session.get(f"/no/such/page/{i}").status)
            if i % 10 == 0:
                statuses.append(session.get(f"/test/boom/{i}").status)  # ERROR records, tracebacks
        assert statuses.count(200) == 100 and statuses.count(404) == 100 and statuses.count(500) == 10

        failures = metric_sum(session.get("/metrics").body, "log_write_failures_total")
        health = session.get("/health")
        checks = {name: entries[0] for name, entries in json.loads(health.body)["checks"].items()}
        output = server.output()
    print(f"\nlog disk full: 210 requests answered as usual; log_write_failures_total = {failures:.0f}; "
          f"/health {health.status} with logs:writeFailures={checks['logs:writeFailures']['status']}, "
          f"logs:diskFree={checks['logs:diskFree']['status']}")
    assert failures > 0
    assert health.status == 200
    assert checks["logs:writeFailures"]["status"] == "warn"
    assert checks["logs:diskFree"]["status"] == "warn"
    # Reported once per file and worker, not once per lost line.
    assert 1 <= output.count("cannot write") <= 6

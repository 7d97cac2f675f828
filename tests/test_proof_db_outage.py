"""Proof 2 (short form): PostgreSQL stops under a steady load of page
requests, then comes back. During the outage pages answer 503 at once,
readiness fails within its timeout and liveness stays up, and the errors
are grouped into at most 2 emails. Afterwards everything recovers within 5
seconds without a restart, and no post a client was told was saved is lost.
`make faults` runs the long form (10 s outage)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from tests.support.gunicorn import ROOT, environment, gunicorn
from tests.support.http import Sample, Session
from tests.support.smtp import SMTPServer

OUTAGE_SECONDS = 4.0
BEFORE_SECONDS = 2.0
AFTER_SECONDS = 6.0
CLIENTS = 4




def test_database_outage_and_recovery(own_cluster, tmp_path):
    url = own_cluster.create_database("outage")
    with SMTPServer() as smtp:
        env = {"DATABASE_URL": url, "SECURE_COOKIES": "0", "RATELIMIT_ENABLED": "0",
               "ERROR_EMAILS": "1", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port),
               "ADMINS": "admin@example.com", "ERROR_EMAIL_WINDOW": str(OUTAGE_SECONDS + 6),
               "HEALTH_CHECK_TIMEOUT": "1", "HEALTH_CACHE_SECONDS": "0", "DB_CONNECT_TIMEOUT": "2",
               "GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "4"}
        with gunicorn(tmp_path, workers=2, env=env) as server:
            subprocess.run([sys.executable, "-m", "flask", "seed", "--users", str(CLIENTS), "--posts", "20",
                            "--follows", "2", "--password", "outage-password"], cwd=ROOT,
                           env=environment(tmp_path, env), check=True, capture_output=True)
            samples: list[Sample] = []
            lock = threading.Lock()
            stop = threading.Event()
            t0 = time.monotonic()

            def client(number: int) -> None:
                session = Session(server.url, timeout=15)
                session.login(f"user{number}", "outage-password")
                token = session.token("/index")
                i = 0
                while not stop.is_set():
                    i += 1
                    if i % 3 == 0:
                        body = f"post {number}-{i}"
                        answer = session.request("POST", "/index", {"post": body, "csrf_token": token})
                        sample = Sample(time.monotonic() - t0, "POST /index", answer.status, answer.seconds, body)
                    else:
                        path = "/index" if i % 3 == 1 else "/explore"
                        answer = session.get(path)
                        sample = Sample(time.monotonic() - t0, path, answer.status, answer.seconds)
                    with lock:
                        samples.append(sample)
                    time.sleep(0.02)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(1, CLIENTS + 1)]
            for thread in threads:
                thread.start()
            time.sleep(BEFORE_SECONDS)

            stopping_at = time.monotonic() - t0
            own_cluster.stop()
            down_at = time.monotonic() - t0
            time.sleep(1)
            probe = Session(server.url, timeout=10)
            ready = probe.get("/health/ready")
            live = probe.get("/health/live")
            time.sleep(OUTAGE_SECONDS - 1)
            restart_at = time.monotonic() - t0
            own_cluster.launch()
            up_at = time.monotonic() - t0
            time.sleep(AFTER_SECONDS)
            stop.set()
            for thread in threads:
                thread.join(30)

            error_log = (tmp_path / "logs" / "error.log").read_text()
            time.sleep(OUTAGE_SECONDS + 6.5)  # let the grouping window close and the digest go out
            emails = list(smtp.inbox.messages)

    during = [s for s in samples if down_at + 0.5 < s.started and s.started + s.seconds < restart_at]
    before = [s for s in samples if s.started + s.seconds < stopping_at]  # finished before the stop began
    after_ok = [s for s in samples if s.started > up_at and s.status in (200, 302)]
    first_ok = min(s.started for s in after_ok) - up_at if after_ok else None
    late = [s for s in samples if s.started > up_at + 5]

    print(f"\noutage {down_at:.1f}s-{up_at:.1f}s: {len(samples)} requests, {len(during)} during the outage "
          f"(statuses {sorted({s.status for s in during})}, slowest {max(s.seconds for s in during):.2f}s); "
          f"ready {ready.status} in {ready.seconds:.2f}s, live {live.status}; first success {first_ok:.2f}s "
          f"after restart; {len(emails)} email(s)")
    for email in emails:
        print("  email:", email["Subject"].strip())

    assert before and all(s.status in (200, 302) for s in before), \
        [(round(s.started - down_at, 3), round(s.seconds, 3), s.path, s.status) for s in before
         if s.status not in (200, 302)][:10]
    assert during and {s.status for s in during} == {503}
    assert max(s.seconds for s in during) < 3  # answered at once, not hanging
    assert ready.status == 503 and ready.seconds < 3
    assert live.status == 200
    assert "OperationalError" in error_log
    assert 1 <= len(emails) <= 2
    assert first_ok is not None and first_ok < 5
    assert late and all(s.status in (200, 302) for s in late), \
        [(round(s.started - up_at, 2), s.path, s.status) for s in late if s.status not in (200, 302)][:10]

    saved = {s.body for s in samples if s.path == "POST /index" and s.status == 302}
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.scalars(sa.text("SELECT body FROM post WHERE body LIKE 'post %'")))
    engine.dispose()
    assert saved and saved <= stored, saved - stored

"""PostgreSQL stops under steady load for 10 s, then comes back (``make
faults``, part i; tests/test_proof_db_outage.py is the short form).

Clients keep reading pages and writing posts throughout; a prober asks
/health/ready and /health/live every second. Afterwards: what the clients
got during the outage and how fast, how long recovery took, how many error
emails went out, and whether every post a client was told was saved is in
the database.
"""
from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from bench.appenv import bench_env, flask
from bench.common import DEPLOY_CONFIG, free_port, gunicorn
from bench.smtp import MailInbox
from bench.targets import Figure, check, info
from tests.support.http import Sample, Session
from tests.support.postgres import PostgresCluster, find_bindir

PASSWORD = "outage-password"
OK = (200, 302)




class Load:
    """``clients`` logged-in users: /index, /explore and a post, in turn."""

    def __init__(self, base_url: str, clients: int, t0: float) -> None:
        self.base_url = base_url
        self.t0 = t0
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(1, clients + 1)]

    def _client(self, number: int) -> None:
        session = Session(self.base_url, timeout=15)
        session.login(f"user{number}", PASSWORD)
        token = session.token("/index")
        i = 0
        while not self.stop.is_set():
            i += 1
            started = time.monotonic() - self.t0
            try:
                if i % 3 == 0:
                    body = f"outage post {number}-{i}"
                    answer = session.request("POST", "/index", {"post": body, "csrf_token": token})
                    sample = Sample(started, "POST /index", answer.status, answer.seconds, body)
                else:
                    path = "/index" if i % 3 == 1 else "/explore"
                    answer = session.get(path)
                    sample = Sample(started, path, answer.status, answer.seconds)
            except OSError:  # no answer at all (timeout, reset): recorded as status 0
                sample = Sample(started, "?", 0, time.monotonic() - self.t0 - started)
            with self.lock:
                self.samples.append(sample)
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def _repeats(subject: str) -> str:
    """"(933 more)" from a digest's subject."""
    return subject.rsplit("(", 1)[-1].rstrip(")").strip()


def _probe(session: Session, path: str) -> tuple[int, float]:
    answer = session.get(path)
    return answer.status, answer.seconds


def run(outage_s: float, clients: int, log: IO[str]) -> tuple[list[Figure], dict]:
    before_s, after_s, window = 5.0, 15.0, outage_s + 6
    print(f"[i] PostgreSQL outage of {outage_s:g}s under {clients} clients (gunicorn 2 gthread workers x 4)",
          flush=True)
    cluster = PostgresCluster(find_bindir() or Path("/usr/lib/postgresql/15/bin"))
    inbox = MailInbox(free_port())
    try:
        cluster.start()
        url = cluster.create_database("outage")
        inbox.start()
        with tempfile.TemporaryDirectory(prefix="microblog-faults-") as tmp:
            env = bench_env(Path(tmp), DATABASE_URL=url, SECURE_COOKIES="0", RATELIMIT_ENABLED="0", LOG_TO_FILE="1",
                            ERROR_EMAILS="1", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(inbox.port),
                            ADMINS="admin@example.com", ERROR_EMAIL_WINDOW=f"{window:g}",
                            GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="4")
            flask(env, log, "db", "upgrade")
            flask(env, log, "seed", "--users", str(clients), "--posts", "200", "--follows", "2", "--seed", "1",
                  "--password", PASSWORD)
            with gunicorn("microblog:app", env, log, ready_path="/health/live", config=DEPLOY_CONFIG) as server:
                workers_before = server.worker_pids()
                probe = Session(server.url, timeout=15)
                t0 = time.monotonic()
                with Load(server.url, clients, t0) as load:
                    time.sleep(before_s)
                    stopping_at = time.monotonic() - t0
                    cluster.stop()
                    down_at = time.monotonic() - t0
                    ready, live = [], []
                    while time.monotonic() - t0 < down_at + outage_s:
                        ready.append(_probe(probe, "/health/ready"))
                        live.append(_probe(probe, "/health/live"))
                        time.sleep(max(0.0, 1 - ready[-1][1] - live[-1][1]))
                    restart_at = time.monotonic() - t0
                    cluster.launch()
                    up_at = time.monotonic() - t0
                    while _probe(probe, "/health/ready")[0] != 200 and time.monotonic() - t0 < up_at + after_s:
                        time.sleep(0.1)
                    ready_again = time.monotonic() - t0 - restart_at
                    time.sleep(max(0.0, up_at + after_s - (time.monotonic() - t0)))
                # Let the grouping window close, and the digest go out.
                time.sleep(max(0.0, down_at + window + 3 - (time.monotonic() - t0)))
                emails = [m["Subject"] for m in list(inbox.inbox.messages)]
                workers_after = server.worker_pids()
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            stored = set(conn.scalars(sa.text("SELECT body FROM post WHERE body LIKE 'outage post %'")))
        engine.dispose()
    finally:
        inbox.stop()
        cluster.cleanup()

    samples = load.samples
    during = [s for s in samples if down_at + 0.5 < s.started and s.ended < restart_at]
    before = [s for s in samples if s.ended < stopping_at]
    after = [s for s in samples if s.started >= restart_at]
    after_ok = [s for s in after if s.status in OK]
    # From the moment PostgreSQL is told to start (pg_ctl returns a moment
    # after it accepts connections, so "after it is up" could be negative).
    first_ok = min(s.ended for s in after_ok) - restart_at if after_ok else None
    failed_after = [s for s in samples if s.ended > restart_at and s.status not in OK]
    full = max([first_ok or 0.0] + [s.ended - restart_at for s in failed_after])
    saved = {s.body for s in samples if s.path == "POST /index" and s.status == 302}
    statuses = Counter(s.status for s in during)
    ready_statuses, live_statuses = Counter(s for s, _ in ready), Counter(s for s, _ in live)
    max_during = max(s.seconds for s in during) if during else float("nan")
    digests = sum("digest" in e for e in emails)

    figures = [
        info("i. requests before / during / after the outage",
             f"{len(before)} {dict(Counter(s.status for s in before))} / {len(during)} / {len(after)}"),
        check("i. statuses during the outage", float(set(statuses) == {503}), str(dict(statuses)), "503 only",
              lambda v: v == 1),
        check("i. slowest answer during the outage", max_during, f"{1000 * max_during:.0f} ms", "< 3000 ms",
              lambda v: v < 3),
        check("i. /health/ready during the outage", float(set(ready_statuses) == {503}),
              f"{dict(ready_statuses)}, max {1000 * max(t for _, t in ready):.0f} ms", "503, < 3000 ms",
              lambda v: v == 1 and max(t for _, t in ready) < 3),
        check("i. /health/live during the outage", float(set(live_statuses) == {200}),
              f"{dict(live_statuses)}, max {1000 * max(t for _, t in live):.0f} ms", "200", lambda v: v == 1),
        info("i. PostgreSQL start (pg_ctl start -w)", f"{up_at - restart_at:.2f} s"),
        check("i. first success after the start", first_ok if first_ok is not None else float("inf"),
              f"{first_ok:.2f} s" if first_ok is not None else "never", "< 5 s", lambda v: v < 5),
        check("i. full recovery (end of the last failure) after the start", full, f"{full:.2f} s "
              f"({len(failed_after)} failures ended after the start)", "< 5 s", lambda v: v < 5),
        info("i. /health/ready 200 again after the start", f"{ready_again:.2f} s"),
        info("i. gunicorn workers restarted", "no" if workers_before == workers_after else
             f"yes: {workers_before} -> {workers_after}"),
        check("i. error emails", len(emails), f"{len(emails)} ({digests} of them a digest: "
              f"{', '.join(_repeats(e) for e in emails if 'digest' in e) or '-'})", "1 to 2",
              lambda v: 1 <= v <= 2),
        check("i. posts told saved, found in the database", len(saved - stored),
              f"{len(saved & stored)} of {len(saved)}", "all", lambda v: v == 0),
    ]
    details = {
        "times": {"stopping_at": stopping_at, "down_at": down_at, "restart_at": restart_at, "up_at": up_at},
        "ready_probes": ready, "live_probes": live, "emails": emails,
        "samples": [vars(s) | {"body": None} for s in samples],
    }
    return figures, details

"""Proof 1: 20 clients rename 20 accounts to one new name at the same instant,
on PostgreSQL under gunicorn. Exactly one wins; the others see the form
error; nothing answers 500. Ten rounds."""
from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter

import sqlalchemy as sa

from tests.support.gunicorn import ROOT, environment, gunicorn
from tests.support.http import Session

CLIENTS = 20
ROUNDS = 10
TAKEN = "This username is already taken."


def test_concurrent_rename_race_on_postgres(pg_cluster, tmp_path):
    url = pg_cluster.create_database("rename_race")
    env = {"DATABASE_URL": url, "GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "5",
           "RATELIMIT_ENABLED": "0", "SECURE_COOKIES": "0"}
    with gunicorn(tmp_path, workers=4, env=env) as server:
        subprocess.run([sys.executable, "-m", "flask", "seed", "--users", str(CLIENTS), "--posts", "0",
                        "--follows", "0", "--password", "race-password"], cwd=ROOT,
                       env=environment(tmp_path, env), check=True, capture_output=True)
        sessions = [Session(server.url) for _ in range(CLIENTS)]
        for number, session in enumerate(sessions, start=1):
            session.login(f"user{number}", "race-password")

        engine = sa.create_engine(url)
        tally: Counter[str] = Counter()
        for round_number in range(ROUNDS):
            target = f"Popular{round_number}"
            tokens = [s.token("/edit_profile") for s in sessions]
            barrier = threading.Barrier(CLIENTS)
            answers = [None] * CLIENTS

            def rename(i: int, target: str, barrier: threading.Barrier, answers: list, tokens: list) -> None:
                barrier.wait()
                # Each client types the name in its own letter case.
                name = target.upper() if i % 2 else target.lower()
                answers[i] = sessions[i].request("POST", "/edit_profile", {
                    "username": name, "about_me": f"client {i}", "csrf_token": tokens[i]})

            threads = [threading.Thread(target=rename, args=(i, target, barrier, answers, tokens))
                       for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)

            won = [a for a in answers if a.status == 302]
            refused = [a for a in answers if a.status == 200 and TAKEN in a.body]
            errors = [a for a in answers if a.status >= 500]
            with engine.connect() as conn:
                holders = conn.scalar(sa.text("SELECT count(*) FROM \"user\" WHERE lower(username) = :n"),
                                      {"n": target.lower()})
            tally.update(won=len(won), refused=len(refused), errors=len(errors), holders=holders)
            assert (len(won), len(refused), len(errors), holders) == (1, CLIENTS - 1, 0, 1), \
                (round_number, [a.status for a in answers])
        engine.dispose()
    print(f"\nrename race: {ROUNDS} rounds x {CLIENTS} clients: {tally['won']} won, "
          f"{tally['refused']} saw the form error, {tally['errors']} answered 5xx; one holder per name")
    pg_cluster.drop_database("rename_race")

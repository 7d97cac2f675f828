"""A fresh, seeded microblog database for a benchmark, and the environment
that points the app (flask CLI, gunicorn, in-process) at it."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import IO

from bench.common import BIN, ROOT

# Fixed so that every process of one run (gunicorn's workers, the in-process
# app counting SQL) accepts the same session cookie. Only ever signs cookies
# for a throwaway database.
SECRET_KEY = "microblog-bench-secret-not-for-production"
PASSWORD = "microblog"


def app_env(directory: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment for an app whose logs (and SQLite database, unless
    ``database_url`` names another) live in ``directory``."""
    env = dict(os.environ)
    # Debug mode would measure the debugger; a mail server would get error
    # emails from a benchmark.
    for name in ("FLASK_DEBUG", "MAIL_SERVER"):
        env.pop(name, None)
    env.update(
        FLASK_APP="microblog.py",
        DATABASE_URL=database_url or f"sqlite:///{directory / 'bench.db'}",
        SECRET_KEY=SECRET_KEY,
        LOG_DIR=str(directory / "logs"),
        # The server speaks plain http on 127.0.0.1, as under `make run`: a
        # Secure session cookie would never be sent back to it. The flag only
        # changes the Set-Cookie line, not what a request costs the server.
        SECURE_COOKIES="0",
    )
    (directory / "logs").mkdir(exist_ok=True)
    return env


def seed_database(env: dict[str, str], users: int, posts: int, follows: int, log: IO[str], *,
                  messages: int, inbox: int = 0) -> float:
    """Create the schema and seed it (users user1..userN, password ``microblog``;
    ``inbox`` messages more for user1); output goes to ``log``. Returns the
    seconds it took."""
    started = time.monotonic()
    commands = [
        [str(BIN / "flask"), "db", "upgrade"],
        [
            str(BIN / "flask"), "seed",
            "--users", str(users), "--posts", str(posts), "--follows", str(follows),
            "--messages", str(messages), "--inbox", str(inbox),
            "--seed", "1", "--password", PASSWORD,
        ],
    ]
    for command in commands:
        log.write(f"\n=== {' '.join(command)}\n")
        log.flush()
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[1:3])} failed ({done.returncode}); see {log.name}")
    return time.monotonic() - started

"""Mixed, logged-in traffic from many threads (``make soak``): reads,
posts, follows, logins and 404s on purpose, each request counted by kind
and status the way the server's metrics count it (method, endpoint, status).

Forms are submitted the way a browser does, with the CSRF token of the
session (read from the last page), which wrk cannot do. Each request opens
a new connection (urllib): gunicorn's sync workers close it anyway.
"""
from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.error
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.support.http import Answer, Session

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Kind:
    name: str
    method: str
    endpoint: str  # the server's label: request.endpoint, or <unmatched>
    expected: int


READ_INDEX = Kind("read feed", "GET", "main.index", 200)
READ_EXPLORE = Kind("read explore", "GET", "main.explore", 200)
READ_USER = Kind("read profile", "GET", "main.user", 200)
POST = Kind("post", "POST", "main.index", 302)
FOLLOW = Kind("follow", "POST", "main.follow", 302)
UNFOLLOW = Kind("unfollow", "POST", "main.unfollow", 302)
LOGOUT = Kind("logout", "POST", "auth.logout", 302)
LOGIN_FORM = Kind("login form", "GET", "auth.login", 200)
LOGIN = Kind("login", "POST", "auth.login", 302)
MISSING_PAGE = Kind("404 unknown path", "GET", "<unmatched>", 404)
MISSING_USER = Kind("404 unknown user", "GET", "main.user", 404)
KINDS = (READ_INDEX, READ_EXPLORE, READ_USER, POST, FOLLOW, UNFOLLOW, LOGOUT, LOGIN_FORM, LOGIN, MISSING_PAGE,
         MISSING_USER)


@dataclass
class Tally:
    """Everything the clients saw, shared by every thread."""

    counts: Counter[tuple[Kind, int]] = field(default_factory=Counter)
    latencies: dict[Kind, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    saved_posts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: Kind, status: int, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.counts[kind, status] += 1
            self.latencies[kind].append(seconds)
            if status != kind.expected:
                self.errors[error or f"{kind.name}: {status}"] += 1

    def by_label(self) -> Counter[tuple[str, str, str]]:
        """Requests by (method, endpoint, status), as http_requests_total counts them."""
        labels: Counter[tuple[str, str, str]] = Counter()
        for (kind, status), count in self.counts.items():
            if status:  # 0: no answer at all, so nothing the server could count
                labels[kind.method, kind.endpoint, str(status)] += count
        return labels


class Client:
    """One logged-in user, clicking around until ``deadline``."""

    ACTIONS = ("read_index", "read_explore", "read_user", "post", "follow", "unfollow", "relogin",
               "missing_page", "missing_user")
    WEIGHTS = (30, 20, 20, 8, 6, 6, 2, 5, 3)

    def __init__(self, base_url: str, number: int, users: int, password: str, tally: Tally, seed: int) -> None:
        self.session = Session(base_url, timeout=60)
        self.number = number
        self.users = users
        self.username = f"user{number % users + 1}"
        self.password = password
        self.tally = tally
        self.rng = random.Random(seed * 1000 + number)
        self.token = ""
        self.sent = 0

    def _request(self, kind: Kind, path: str, data: dict[str, str] | None = None) -> Answer | None:
        if data is not None:
            data = {**data, "csrf_token": self.token}
        started = time.perf_counter()
        try:
            answer = self.session.request(kind.method, path, data)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:  # timeouts, resets: no answer at all
            self.tally.record(kind, 0, time.perf_counter() - started, f"{kind.name}: {exc!r}")
            return None
        self.tally.record(kind, answer.status, answer.seconds)
        if answer.status == 200 and (match := _CSRF.search(answer.body)):
            self.token = match[1]
        return answer

    def _someone(self) -> str:
        return f"user{self.rng.randrange(1, self.users + 1)}"

    def log_in(self) -> None:
        self._request(LOGIN_FORM, "/auth/login")
        self._request(LOGIN, "/auth/login", {"username": self.username, "password": self.password})
        # Logging in starts a new session: its CSRF token comes with the next page.
        self.read_index()

    def read_index(self) -> None:
        self._request(READ_INDEX, "/index")

    def read_explore(self) -> None:
        self._request(READ_EXPLORE, f"/explore?page={self.rng.randrange(1, 5)}")

    def read_user(self) -> None:
        self._request(READ_USER, f"/user/{self._someone()}")

    def post(self) -> None:
        self.sent += 1
        body = f"soak {self.number}-{self.sent} {self.rng.getrandbits(32):08x}"
        answer = self._request(POST, "/index", {"post": body})
        if answer is not None and answer.status == 302:
            with self.tally.lock:
                self.tally.saved_posts.append(body)

    def follow(self) -> None:
        self._request(FOLLOW, f"/follow/{self._someone()}", {})

    def unfollow(self) -> None:
        self._request(UNFOLLOW, f"/unfollow/{self._someone()}", {})

    def relogin(self) -> None:
        self._request(LOGOUT, "/auth/logout", {})
        self.log_in()

    def missing_page(self) -> None:
        self._request(MISSING_PAGE, f"/no/such/page/{self.rng.getrandbits(24)}")

    def missing_user(self) -> None:
        self._request(MISSING_USER, f"/user/nobody{self.rng.getrandbits(24)}")

    def run(self, deadline: float) -> None:
        try:
            self.log_in()
            while time.monotonic() < deadline:
                getattr(self, self.rng.choices(self.ACTIONS, self.WEIGHTS)[0])()
        except Exception as exc:  # a bug here must show in the report, not end a thread unseen
            with self.tally.lock:
                self.tally.errors[f"client {self.number} stopped: {exc!r}"] += 1


def run_load(base_url: str, connections: int, seconds: float, users: int, password: str, seed: int = 1) -> Tally:
    """``connections`` clients for ``seconds``; returns once every one has stopped."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    clients = [Client(base_url, n, users, password, tally, seed) for n in range(connections)]
    threads = [threading.Thread(target=c.run, args=(deadline,), name=f"soak-{c.number}", daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # 64 scrypt logins at the same instant would only measure the ramp
    for thread in threads:
        # A request started just before the deadline may take up to its timeout.
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 90)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("some load threads did not stop within 90 s of the deadline")
    return tally

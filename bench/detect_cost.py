"""What language detection adds to ``POST /index`` (issue 16 allows 5%):
one process, the Flask test client, a migrated SQLite database, posts from
bench/language_sample.py; pairs of posts, one with detection on and one
with it off (app.posts.content.detect replaced by one that answers ""),
which goes first swapping each pair, so that drift (a growing table, the
machine's other work: rounds of 40 posts a side differed by up to 40% on a
shared machine) lands on both alike.

    .venv/bin/python -m bench.detect_cost [--pairs 1000] [--same]

With ``--same`` both sides detect (an A/A run): what the figures show then
is the noise of the machine, the floor under which a difference means
nothing.

Prints the median µs per POST of each side, their ratio, the median of the
pairs' differences, and what detect() alone takes on the same bodies, in the
same process: the cost the difference of medians measures with noise. The
model is loaded first: a process pays that (about half a second) once, at
its first post.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import User
from app.posts import content, language
from bench.language_sample import SAMPLE
from config import TestConfig

ROOT = Path(__file__).resolve().parent.parent


def _app(directory: Path) -> Flask:
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.db'}", "RATELIMIT_ENABLED": False}
    app = create_app(type("BenchConfig", (TestConfig,), settings))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))  # the search triggers too, as in production
        user = User(username="bench", email="bench@example.com")
        user.set_password("correct horse")
        db.session.add(user)
        db.session.commit()
    return app


def _post_times(client: FlaskClient, bodies: Iterator[str], count: int) -> list[int]:
    times = []
    for _ in range(count):
        body = next(bodies)
        start = time.perf_counter_ns()
        response = client.post("/index", data={"post": body})
        times.append(time.perf_counter_ns() - start)
        assert response.status_code == 302, response.status_code  # saved, redirected to the feed
    return times


def _off(body: str) -> str:
    return ""


def _detect_us(bodies: Sequence[str], repeat: int = 20) -> float:
    """Median µs of detect() on ``bodies``, each ``repeat`` times."""
    times = []
    for _ in range(repeat):
        for body in bodies:
            start = time.perf_counter_ns()
            language.detect(body)
            times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--same", action="store_true", help="detect on both sides: the noise floor")
    args = parser.parse_args(argv)
    bodies = itertools.cycle(body for _, body in SAMPLE)
    real: Callable[[str], str] = content.detect
    times: dict[str, list[int]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as directory:
        app = _app(Path(directory))
        client = app.test_client()
        assert client.post("/auth/login", data={"username": "bench", "password": "correct horse"}).status_code == 302
        language.detect("load the model before measuring")
        _post_times(client, bodies, 20)  # warm caches, templates and connections on both paths
        try:
            for pair in range(args.pairs):
                body = next(bodies)
                for side in ("on", "off") if pair % 2 == 0 else ("off", "on"):
                    content.detect = real if side == "on" or args.same else _off  # type: ignore[assignment]
                    times[side].extend(_post_times(client, iter([body]), 1))
        finally:
            content.detect = real  # type: ignore[assignment]
    on, off = (statistics.median(times[side]) / 1000 for side in ("on", "off"))
    paired = statistics.median(a - b for a, b in zip(times["on"], times["off"], strict=True)) / 1000
    alone = _detect_us([body for _, body in SAMPLE])
    print(f"| POST /index | median µs | posts |\n|---|---:|---:|\n| detection on | {on:,.0f} | {len(times['on'])} |\n"
          f"| detection off | {off:,.0f} | {len(times['off'])} |\n\n"
          f"on/off: {on / off:.3f} ({on - off:+,.0f} µs); median of the pairs' differences: {paired:+,.0f} µs; "
          f"detect() alone: {alone:,.0f} µs, {100 * alone / off:.1f}% of a POST without it")


if __name__ == "__main__":
    main()

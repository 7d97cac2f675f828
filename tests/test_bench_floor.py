"""make bench-floor's steps (bench/floor_app.py): each serves the page ``full``
serves, and each takes away the work it names. Run in subprocesses: the steps
patch Flask and the app for the life of their process."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.abrounds import Side
from bench.client import wrk_headers
from bench.common import Measurement, WrkResult
from bench.floor import HELLO, _report, headers_for
from bench.floor_app import STEPS

ROOT = Path(__file__).resolve().parent.parent

# Builds a step's app on a fresh SQLite file, gives susan a feed of three
# posts (one of john's, whom she follows), and views /index twice. Prints the
# second view, and the statements each view ran.
SCRIPT = """
import json, sys
from datetime import datetime, timezone
import sqlalchemy as sa
from app import db
from app.models import Post, User
from app.lists.rows import post_rows as original_post_rows
from bench.floor_app import application as app
import app.main.routes as feed_views

app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
with app.app_context():
    db.create_all()
    susan, john = User(username="susan", email="susan@example.com"), User(username="john", email="john@example.com")
    susan.set_password("correct horse"); john.set_password("correct horse")
    db.session.add_all([susan, john]); db.session.flush()
    susan.follow(john)
    at = lambda hour: datetime(2026, 5, 3, hour, 7, tzinfo=timezone.utc)  # the same in every process
    db.session.add_all([Post(body="mine #one", author=susan, timestamp=at(1)),
                        Post(body="again, <b>mine</b>", author=susan, timestamp=at(2)),
                        Post(body="from john @susan", author=john, timestamp=at(3))])
    db.session.commit()
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
client = app.test_client()
assert client.post("/auth/login", data={"username": "susan", "password": "correct horse"}).status_code == 302
views = []
for _ in range(2):
    statements.clear()
    page = client.get("/index")
    views.append({"status": page.status_code, "body": page.get_data(as_text=True), "statements": len(statements)})
rows_reused = feed_views.post_rows is not original_post_rows
print(json.dumps({"views": views, "rows_reused": rows_reused}))
"""


def _views(step: str, tmp_path: Path) -> dict:
    env = {**os.environ, "BENCH_FLOOR": step, "DATABASE_URL": f"sqlite:///{tmp_path / (step + '.db')}",
           "SECRET_KEY": "floor-test", "LOG_DIR": str(tmp_path / f"logs-{step}")}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _unsigned(body: str) -> str:
    # What differs between two processes' pages: the session's CSRF token, and the clock.
    body = re.sub(r'(name="csrf[-_]token"(?: type="hidden")? (?:value|content)=")[^"]*', r"\1-", body)
    return re.sub(r'data-server-time="[^"]*"', 'data-server-time=""', body)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("floor")
    return {step: _views(step, tmp) for step in STEPS}


@pytest.fixture(scope="module")
def views(runs: dict[str, dict]) -> dict[str, list[dict]]:
    return {step: run["views"] for step, run in runs.items()}


def test_every_step_sends_the_page_full_sends(views: dict[str, list[dict]]) -> None:
    full = views["full"][1]
    assert full["status"] == 200 and "from john @susan" in full["body"] and "again, &lt;b&gt;mine" in full["body"]
    for step in STEPS:
        assert [view["status"] for view in views[step]] == [200, 200]
        assert _unsigned(views[step][1]["body"]) == _unsigned(full["body"]), step


def test_the_view_step_leaves_only_what_every_page_pays(views: dict[str, list[dict]]) -> None:
    # The first view runs the page's queries in every step; reused answers
    # leave the login's own statement, which every logged-in page runs.
    assert views["view"][0]["statements"] == views["full"][0]["statements"]
    assert views["full"][1]["statements"] > 1
    assert views["view"][1]["statements"] == 1
    # Reusing HTML does not remove queries.
    assert views["templates"][1]["statements"] == views["full"][1]["statements"]


def test_an_unknown_step_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "BENCH_FLOOR": "everything", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "SECRET_KEY": "floor-test", "LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run([sys.executable, "-c", "import bench.floor_app"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "BENCH_FLOOR must be one of full, post-html, templates, view; got 'everything'" in done.stderr


def test_the_feed_view_gets_the_reused_post_rows_from_post_html_on(runs: dict[str, dict]) -> None:
    assert {step: run["rows_reused"] for step, run in runs.items()} == {
        "full": False, "post-html": True, "templates": True, "view": True}


def test_the_report_marks_a_cell_whose_answers_were_errors(capsys: pytest.CaptureFixture[str]) -> None:
    # The floor run that met templates edited under it served 500s at full speed for a while.
    def side(label: str, rps: float, non_2xx: int = 0) -> Side:
        sample = Side(label)
        sample.runs.append(Measurement(WrkResult(rps, 1.0, 2.0, int(rps * 5), non_2xx, 0), 2.0, 0.0))
        return sample
    sides = {HELLO: side(HELLO, 4000.0), **{step: side(step, 400.0) for step in STEPS}}
    _report([("/index", sides)])
    assert "!" not in capsys.readouterr().out
    sides["view"] = side("view", 1300.0, non_2xx=6500)
    _report([("/user/user2", sides)])
    out = capsys.readouterr().out
    assert "32.5%!" in out and "10.0% " in out and "not 200" in out


def test_pages_make_bench_measures_logged_out_are_measured_logged_out() -> None:
    # Logged in, /auth/login answers a redirect: every answer was non-200 and
    # the row said nothing about the login page.
    logged_in = wrk_headers("a-session")
    assert headers_for("/auth/login", logged_in) == wrk_headers(None)
    assert headers_for("/tag/{tag}/feed.atom", logged_in) == wrk_headers(None)
    assert not any(h.startswith("Cookie:") for h in headers_for("/auth/login", logged_in))
    assert headers_for("/index", logged_in) is logged_in
    assert headers_for("/post/{thread}", logged_in) is logged_in

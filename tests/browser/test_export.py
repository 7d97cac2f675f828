"""Export your posts, in Chromium, with a real ``flask worker`` process on an
SQLite queue beside the live server: the profile's button queues the job,
the alert at the top of the page follows it through the notification poll
without a reload (waiting for a worker, its progress, done), and its
"Download the file" link downloads the JSON of every post. A worker killed
mid-job turns the alert into a failure with "Try again", and trying again
exports.

The worker is paused (SIGSTOP) or killed (SIGKILL) once the database says
its job is part-way, so what the page must show is known exactly, with no
sleep and no race on how fast the export runs.
"""
from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Task
from app.models.tasks import COMPLETE, FAILED, QUEUED, RUNNING
from tests.browser.actions import add_posts, add_user, latest_task, log_in
from tests.browser.harness import BrowserLog, LiveServer
from tests.support.waiting import wait_for
from tests.support.worker import Worker, Workers

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

POLL_SECONDS = 1
# Enough batches (1,000 posts each) that the job is part-way for a while.
POSTS = 50_000
START = datetime(2026, 1, 1, tzinfo=UTC)
# A worker starting and running a whole export on a machine that is busy with other tests.
WORKER_MS = 60_000
Screenshot = Callable[[Page, str], Path]

# Every value the progress bar took, in order, from the moment it is installed.
WATCH_PROGRESS = """() => {
  window.__exportPage = true;
  window.__progressSeen = [];
  const box = document.getElementById("task-alerts");
  const note = () => {
    const bar = box.querySelector("[role=progressbar]");
    const seen = window.__progressSeen;
    if (bar && seen[seen.length - 1] !== bar.getAttribute("aria-valuenow")) {
      seen.push(bar.getAttribute("aria-valuenow"));
    }
  };
  note();
  new MutationObserver(note).observe(box, {childList: true, subtree: true, attributes: true});
}"""


@pytest.fixture
def live_config(tmp_path: Path) -> dict[str, object]:
    # The queue in a file that the live server and the worker process share.
    return {"NOTIFICATION_POLL_SECONDS": POLL_SECONDS, "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}"}


@pytest.fixture
def workers(live_server: LiveServer, tmp_path: Path) -> Iterator[Workers]:
    assert live_server.app is not None
    pool = Workers(live_server.app, tmp_path / "workers")
    yield pool
    for worker in pool.started:  # a paused one cannot stop itself
        if worker.proc.poll() is None:
            os.kill(worker.pid, signal.SIGCONT)
    pool.stop_all()


@pytest.fixture
def alice(live_server: LiveServer) -> list[str]:
    """alice, with POSTS posts; their bodies, oldest first."""
    add_user(live_server, "alice")
    return add_posts(live_server, "alice", POSTS, start=START)


def part_way(server: LiveServer, worker: Worker) -> Task:
    """alice's task once its job has reported some progress and not finished."""
    def running() -> Task | None:
        task = latest_task(server, "alice")
        if task is not None and task.state in (COMPLETE, FAILED):
            pytest.fail(f"the export ended ({task.state}) before the test caught it part-way; "
                        f"export more posts than {POSTS}:\n{worker.output()}")
        return task if task is not None and task.state == RUNNING and 0 < task.progress < 99 else None

    return wait_for(running, timeout=WORKER_MS / 1000, explain=worker.output, proc=worker.proc, interval=0.005)


def press_export(page: Page) -> Locator:
    """The profile's button; the task's alert, once it shows."""
    page.goto("/user/alice")
    page.get_by_role("button", name="Export your posts").click()
    expect(page.get_by_role("alert").filter(has_text="Your posts are being exported")).to_be_visible()
    page.evaluate(WATCH_PROGRESS)
    alert = page.locator("#task-alerts .task-alert")
    expect(alert).to_have_count(1)
    return alert


def check_download(page: Page, alert: Locator, bodies: list[str]) -> None:
    with page.expect_download() as info:
        alert.get_by_role("link", name="Download the file").click()
    download = info.value
    assert re.fullmatch(r"microblog-posts-alice-\d{8}\.json", download.suggested_filename)
    data = json.loads(Path(download.path()).read_text())
    assert (data["user"], data["post_count"]) == ("alice", len(bodies))
    assert [post["body"] for post in data["posts"]] == bodies
    assert datetime.fromisoformat(data["posts"][0]["timestamp"]) == START
    assert len({post["id"] for post in data["posts"]}) == len(bodies)


def test_export_shows_its_progress_and_downloads(new_page: Callable[..., Page], live_server: LiveServer,
                                                  workers: Workers, alice: list[str], browser_log: BrowserLog,
                                                  screenshot: Screenshot) -> None:
    page = new_page()
    log_in(page, "alice")
    alert = press_export(page)

    # No worker yet: queued, and the alert says so.
    expect(alert).to_contain_text("Exporting your posts: waiting for a worker")
    expect(alert.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    assert latest_task(live_server, "alice").state == QUEUED
    screenshot(page, "queued")

    # A worker takes the job; held part-way, the bar shows what it reported.
    worker = workers.start()
    task = part_way(live_server, worker)
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        progress = latest_task(live_server, "alice").progress  # what it had committed when it stopped
        bar = alert.get_by_role("progressbar")
        expect(bar).to_have_attribute("aria-valuenow", str(progress))
        expect(bar).to_have_text(f"{progress}%")
        expect(alert).to_contain_text("Exporting your posts…")
        screenshot(page, "running")
    finally:
        os.kill(worker.pid, signal.SIGCONT)

    # It finishes, and the page follows, still without a reload.
    expect(alert).to_contain_text("Exported your posts: done.", timeout=WORKER_MS)
    expect(alert).to_have_class(re.compile(r"\balert-success\b"))
    screenshot(page, "done")
    assert page.evaluate("window.__exportPage") is True, "the page was reloaded"
    seen = [int(value) for value in page.evaluate("window.__progressSeen")]
    assert seen[0] == 0 and progress in seen and seen == sorted(seen), seen
    assert latest_task(live_server, "alice").id == task.id

    check_download(page, alert, alice)
    browser_log.assert_clean()


class TestAWorkerKilledMidJob:
    STUCK_SECONDS = 3

    @pytest.fixture
    def live_config(self, tmp_path: Path) -> dict[str, object]:
        # JOB_STUCK_SECONDS short, so the page gives up on a silent job soon;
        # the worker gets the same setting.
        return {"NOTIFICATION_POLL_SECONDS": POLL_SECONDS, "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
                "JOB_STUCK_SECONDS": self.STUCK_SECONDS}

    def test_the_alert_fails_and_trying_again_exports(self, new_page: Callable[..., Page], live_server: LiveServer,
                                                      workers: Workers, alice: list[str], browser_log: BrowserLog,
                                                      screenshot: Screenshot) -> None:
        page = new_page()
        log_in(page, "alice")
        alert = press_export(page)
        worker = workers.start()
        killed = part_way(live_server, worker)
        worker.kill()

        # No more news from the job: once it has been silent for
        # JOB_STUCK_SECONDS, the open page says it failed, with no reload and
        # no worker left to sweep it.
        expect(alert).to_contain_text("The task failed: The worker stopped while running this task.",
                                      timeout=(self.STUCK_SECONDS + 10) * 1000)
        expect(alert).to_have_class(re.compile(r"\balert-danger\b"))
        assert page.evaluate("window.__exportPage") is True, "the page was reloaded"
        screenshot(page, "failed")

        # "Try again" is the real form (the page's CSRF token): the stopped
        # task is failed for good, and a new one is queued.
        alert.get_by_role("button", name="Try again").click()
        expect(page.get_by_role("alert").filter(has_text="Your posts are being exported")).to_be_visible()
        alert = page.locator("#task-alerts .task-alert")
        expect(alert).to_contain_text("Exporting your posts: waiting for a worker")
        again = latest_task(live_server, "alice")
        assert again.id != killed.id and again.state == QUEUED
        assert live_server.app is not None
        with live_server.app.app_context():
            assert db.session.get(Task, killed.id).state == FAILED

        workers.start()
        expect(alert).to_contain_text("Exported your posts: done.", timeout=WORKER_MS)
        screenshot(page, "done")
        check_download(page, alert, alice)
        browser_log.assert_clean()

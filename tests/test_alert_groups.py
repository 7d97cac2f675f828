"""Error groups shared between processes: a file on one host, Redis across
hosts. Each store is driven the way the outbox drives it."""
from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

from app.observability.alerts.groups import FileGroupStore, GroupStore, RedisGroupStore, make_store
from app.observability.alerts.report import ErrorReport
from tests.support.redis import RedisServer
from tests.support.requirements import missing


def report(fingerprint: str = "abc123") -> ErrorReport:
    return ErrorReport(fingerprint=fingerprint, subject="Microblog Failure: KeyError in x", body="body",
                       exc_type="KeyError", endpoint="x", when=datetime.now(UTC))


@pytest.fixture(params=["memory", "file", "redis"])
def store(request, tmp_path):
    if request.param == "memory":
        yield GroupStore()
    elif request.param == "file":
        yield FileGroupStore(str(tmp_path / "groups.json"))
    else:
        try:
            server = RedisServer()
        except FileNotFoundError:
            missing("redis-server not found: install redis-server")
        yield RedisGroupStore(server.url)
        server.stop()


def test_first_then_repeats_then_digest(store):
    assert store.record(report(), now=100.0, window=10) is True
    assert store.record(report(), now=101.0, window=10) is False
    assert store.record(report(), now=102.0, window=10) is False
    assert store.record(report("other"), now=102.0, window=10) is True
    assert store.take_due(now=105.0) == []  # the window is still open
    (digest,) = store.take_due(now=110.5)
    assert (digest.first.fingerprint, digest.repeats) == ("abc123", 2)
    assert digest.first.subject == "Microblog Failure: KeyError in x"
    assert digest.first_repeat <= digest.last_repeat
    assert store.take_due(now=200.0) == []  # "other" had no repeats: closed without a digest
    assert store.record(report(), now=201.0, window=10) is True  # a new group, mailed again


def _hammer(path: str, count: int, results) -> None:  # type: ignore[no-untyped-def]
    store = FileGroupStore(path)
    results.put(sum(store.record(report(), now=1000.0, window=60) for _ in range(count)))


def test_processes_sharing_a_file_mail_the_first_occurrence_once(tmp_path):
    path = str(tmp_path / "groups.json")
    results = multiprocessing.get_context("fork").Queue()
    procs = [multiprocessing.get_context("fork").Process(target=_hammer, args=(path, 200, results))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    firsts = sum(results.get(timeout=10) for _ in procs)
    assert firsts == 1  # one email for 800 occurrences in 4 processes
    (digest,) = FileGroupStore(path).take_due(now=2000.0)
    assert digest.repeats == 799


def test_unusable_shared_store_falls_back_to_this_process(tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    store = FileGroupStore(str(blocker / "groups.json"))
    assert store.record(report(), now=1.0, window=10) is True
    assert store.record(report(), now=2.0, window=10) is False
    assert "grouping per process" in capsys.readouterr().err


def test_make_store_choices(tmp_path):
    assert type(make_store("memory", None, "x")) is GroupStore
    assert isinstance(make_store(None, None, str(tmp_path / "a.json")), FileGroupStore)
    assert isinstance(make_store(str(tmp_path / "b.json"), None, "x"), FileGroupStore)
    assert isinstance(make_store(None, "redis://127.0.0.1:1/0", "x"), RedisGroupStore)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        make_store("redis", None, "x")

"""Which background job is running in this thread, for its log lines and
error reports (as a request id is for a request's)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple


class JobRef(NamedTuple):
    name: str
    id: str


_current: ContextVar[JobRef | None] = ContextVar("microblog_job", default=None)


def current_job() -> JobRef | None:
    return _current.get()


@contextmanager
def job_scope(name: str, job_id: str) -> Iterator[JobRef]:
    ref = JobRef(name, job_id)
    token = _current.set(ref)
    try:
        yield ref
    finally:
        _current.reset(token)

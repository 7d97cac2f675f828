"""Polling until something asynchronous has happened (a background thread, a
server starting, a dependency coming back), failing the test with why not."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, explain: Callable[[], str] = lambda: "",
             proc: subprocess.Popen | None = None, interval: float = 0.2) -> T:
    """``condition()``'s first truthy result, polled every ``interval`` seconds;
    the test fails after ``timeout`` seconds, or at once if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"exited with status {proc.returncode}:\n{explain()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout}s: {explain()}")
        time.sleep(interval)

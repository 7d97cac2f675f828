"""py-spy sampling a running gunicorn, master and workers, for one block."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench.common import BIN

PY_SPY = BIN / "py-spy"
# py-spy writes this once it is attached and sampling.
_READY = "Sampling process"
_SUMMARY = re.compile(r"Samples: (\d+) Errors: (\d+)")


@dataclass
class Recording:
    """One py-spy run; ``samples``, ``errors`` and ``behind`` are read from
    its output once it has ended."""

    pid: int
    raw: Path
    samples: int | None = None
    errors: int | None = None  # stacks it could not read (a race with the running worker)
    behind: int = 0  # how often it said it could not keep up with the rate
    output: list[str] = field(default_factory=list)


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (py-spy's own cost, taken around a
    run: other_load would count it as someone else's work)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def record(master: int, raw: Path, rate: int, seconds: int, log: IO[str]) -> Iterator[Recording]:
    """Sample gunicorn's ``master`` and its workers (``--subprocesses``) into
    ``raw`` for ``seconds``; the block starts once py-spy is sampling and
    ends once it has written ``raw``.

    ``--nonblocking`` reads the workers' memory without stopping them, so
    the server's CPU time per request is not changed by the pauses; the
    price is a share of unreadable stacks (``errors``). Idle threads are
    left out by py-spy itself (no ``--idle``).
    """
    command = [str(PY_SPY), "record", "--pid", str(master), "--subprocesses", "--format", "raw",
               "--rate", str(rate), "--duration", str(seconds), "--nonblocking", "--full-filenames",
               "-o", str(raw)]
    log.write(f"\n=== {shlex.join(command)}\n")
    log.flush()
    output = raw.with_suffix(".out")
    with output.open("w") as out:
        # A session of its own: Ctrl-C reaches us, and we stop py-spy in order.
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    recording = Recording(proc.pid, raw)
    try:
        deadline = time.monotonic() + 20
        while _READY not in output.read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"py-spy exited with status {proc.returncode}: {output.read_text().strip()}"
                                   " (it needs root, or CAP_SYS_PTRACE, to read another process)")
            if time.monotonic() > deadline:
                raise RuntimeError("py-spy did not start sampling within 20s")
            time.sleep(0.05)
        yield recording
        proc.wait(timeout=seconds * 3 + 30)
    finally:
        if proc.poll() is None:
            # SIGINT is py-spy's Ctrl-C: it stops and writes what it has.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        recording.output = [line for line in output.read_text().splitlines() if line.strip()]
        log.write("\n".join(recording.output) + "\n")
        log.flush()
        output.unlink(missing_ok=True)
    for line in recording.output:
        if summary := _SUMMARY.search(line):
            recording.samples, recording.errors = int(summary[1]), int(summary[2])
        recording.behind += "behind in sampling" in line
    if proc.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed ({proc.returncode}); see {log.name}")

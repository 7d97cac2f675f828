"""What every benchmark needs: a free port, an app under gunicorn, and wrk."""
from __future__ import annotations

import os
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
# The production settings (timeouts, worker recycling, the metrics hooks).
DEPLOY_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# The venv's bin folder, whichever path the venv's python was started by.
BIN = Path(sys.prefix) / "bin"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# wrk's own "Non-2xx or 3xx responses" line leaves out redirects, and a
# session that stopped working shows up as a 302 to the login page. So count
# everything outside 2xx here. Each wrk thread runs its own Lua state: setup()
# keeps a handle on every thread so that done() can add up their counters.
NON_2XX_LUA = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("non_2xx")
  end
  io.write(string.format("BENCH_NON_2XX %d\\n", total))
end
"""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    # SIGTERM is gunicorn's graceful shutdown: the master stops its workers.
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # A stuck master: kill its process group, which start_new_session
        # made for gunicorn alone, so the workers go too.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may hold spaces):
    [0] is field 3 (state), [1] the parent pid, [11] utime and [12] stime,
    [13] cutime and [14] cstime (children waited for)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def rss_kib(pid: int) -> int | None:
    """Resident memory of one process (VmRSS), or None once it has ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and its workers, live or
        already reaped (recycled by max_requests: the master's cutime/cstime).

        Taken around a run, it gives the server's CPU cost per request, which
        other work on the machine changes far less than it changes req/s.
        """
        ticks = 0
        if master := _stat(self.pid):
            ticks += sum(int(n) for n in master[11:15])
        for pid in self.worker_pids():
            if fields := _stat(pid):
                ticks += int(fields[11]) + int(fields[12])
        return ticks / _CLOCK_TICKS

    def worker_pids(self) -> list[int]:
        """gunicorn's live workers: the master's children, zombies left out."""
        pids = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (fields := _stat(int(entry.name))):
                if int(fields[1]) == self.pid and fields[0] != "Z":
                    pids.append(int(entry.name))
        return sorted(pids)

    def worker_rss_kib(self) -> dict[int, int]:
        """VmRSS of every live worker, by pid."""
        return {pid: rss for pid in self.worker_pids() if (rss := rss_kib(pid)) is not None}


@contextmanager
def gunicorn(
    app_spec: str, env: Mapping[str, str], log: IO[str], ready_path: str = "/", workers: int = 2,
    config: Path | None = None, ready_timeout: float = 30, cwd: Path = ROOT,
) -> Iterator[Server]:
    """Serve ``app_spec`` with sync workers on a free port.

    ``config`` is a gunicorn config file (``DEPLOY_CONFIG`` for the
    production settings); the port and ``workers`` given here win over it.
    ``cwd`` is the checkout whose app is served (another one's, for an A/B).
    gunicorn is stopped on the way out, whatever ends the block (Ctrl-C too).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # gunicorn 27 opens a control socket at one fixed path per user by
    # default; a benchmark's server must not take it over from (or remove it
    # under) another gunicorn running on this machine.
    command = [str(BIN / "gunicorn"), *(["-c", str(config)] if config is not None else [])]
    command += ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--no-control-socket", app_spec]
    log.write(f"\n=== {shlex.join(command)}\n")
    log.flush()
    # A session of its own keeps Ctrl-C away from gunicorn: we stop it
    # ourselves, in order, instead of racing its own shutdown.
    proc = subprocess.Popen(
        command, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + ready_timeout
        while not _answers(base_url + ready_path):
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer {ready_path} within {ready_timeout:g}s; see {log.name}")
            time.sleep(0.2)
        yield Server(base_url, proc.pid)
    finally:
        _stop(proc)


@dataclass(frozen=True)
class WrkResult:
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    # Connect, read, write and timeout errors, added up.
    socket_errors: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency_ms(output: str, percentile: int) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {percentile}% latency in wrk's output:\n{output}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """Read the figures out of ``wrk --latency`` output run with NON_2XX_LUA."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    requests = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    non_2xx = re.search(r"^BENCH_NON_2XX (\d+)", output, re.MULTILINE)
    if rps is None or requests is None or non_2xx is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_sec=float(rps[1]),
        p50_ms=_latency_ms(output, 50),
        p99_ms=_latency_ms(output, 99),
        requests=int(requests[1]),
        non_2xx=int(non_2xx[1]),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(
    url: str,
    headers: Sequence[str] = (),
    duration_s: int = 15,
    threads: int = 2,
    connections: int = 16,
    log: IO[str] | None = None,
    lua: str = NON_2XX_LUA,
) -> WrkResult:
    """One wrk run; ``headers`` are ``"Name: value"`` strings. ``lua`` must
    print the ``BENCH_NON_2XX`` line as NON_2XX_LUA does."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(lua)
        script.flush()
        command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency", "-s", script.name]
        for header in headers:
            command += ["-H", header]
        command.append(url)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if log is not None:
        # The cookie is a live credential for a throwaway database only, but
        # keep it out of the log all the same.
        shown = [re.sub(r"^(Cookie: \w+=).*", r"\1...", part) for part in command]
        log.write(f"\n=== {shlex.join(shown)}\n{done.stdout}{done.stderr}")
        log.flush()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (all cores),
    counting time stolen by the hypervisor: that is contention too. Interrupt
    time is left out: most of it is our own loopback traffic, which no
    process is charged for."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = fields
    return (user + nice + system + steal) / _CLOCK_TICKS


def reaped_children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuUse:
    server_s: float = 0.0  # gunicorn's CPU seconds (master and workers)
    other_load: float = 0.0  # cores busy with anything but gunicorn and this process


@contextmanager
def cpu_use(server: Server) -> Iterator[CpuUse]:
    """What the server and everything else on the machine used during the
    block (filled in when it ends), for clients that run in this process."""
    use = CpuUse()
    server_before, busy_before = server.cpu_seconds(), machine_busy_seconds()
    own_before, started = time.process_time(), time.monotonic()
    try:
        yield use
    finally:
        elapsed = max(time.monotonic() - started, 1e-9)
        use.server_s = server.cpu_seconds() - server_before
        own = time.process_time() - own_before
        use.other_load = max(0.0, (machine_busy_seconds() - busy_before - use.server_s - own) / elapsed)


@dataclass(frozen=True)
class Measurement:
    wrk: WrkResult
    # The server's CPU time per request (master and workers), in ms.
    cpu_ms_per_request: float
    # Cores kept busy by anything but gunicorn and wrk during the run (other
    # people's tests, the hypervisor). Much above zero, and req/s drops with
    # no change to the app: compare such a run by CPU ms instead.
    other_load: float


def status_lua(expected: int) -> str:
    """NON_2XX_LUA counting every answer but ``expected`` (a 304 for a feed
    revalidated with its ETag)."""
    return NON_2XX_LUA.replace("status < 200 or status > 299", f"status ~= {int(expected)}")


def measure(
    server: Server, path: str, headers: Sequence[str] = (), duration_s: int = 15, warmup_s: int = 3,
    log: IO[str] | None = None, lua: str = NON_2XX_LUA,
) -> Measurement:
    """A short warm-up run whose figures are thrown away (workers still
    importing, caches cold), then the run that counts."""
    url = server.url + path
    if warmup_s > 0:
        run_wrk(url, headers, duration_s=warmup_s, lua=lua)
    server_before, wrk_before = server.cpu_seconds(), reaped_children_seconds()
    busy_before, started = machine_busy_seconds(), time.monotonic()
    wrk = run_wrk(url, headers, duration_s=duration_s, log=log, lua=lua)
    elapsed = time.monotonic() - started
    busy = machine_busy_seconds() - busy_before
    server_cpu = server.cpu_seconds() - server_before
    wrk_cpu = reaped_children_seconds() - wrk_before
    return Measurement(
        wrk=wrk,
        cpu_ms_per_request=1000 * server_cpu / max(wrk.requests, 1),
        other_load=max(0.0, (busy - server_cpu - wrk_cpu) / elapsed),
    )

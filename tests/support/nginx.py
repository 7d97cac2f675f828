"""Debian's nginx running the shipped site config (deploy/nginx-microblog.conf)
on free loopback ports, with a throwaway certificate, and a raw HTTP/1.1
client that can send any Host and any TLS server name.

The site file is used as shipped; only what an operator edits anyway is
substituted (ports, certificate paths, the upstream, the code folder), and
each substitution must match, so the test cannot drift from the file.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port
from tests.support.requirements import missing
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-microblog.conf"
SERVER_NAME = "microblog.example.com"

# The http context of Debian's /etc/nginx/nginx.conf, with every path moved
# into the test's own folder.
MAIN_CONFIG = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    sendfile on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {prefix}/site.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        missing("nginx not found: apt-get install nginx-light")
    return found


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for SERVER_NAME: (certificate, key)."""
    if shutil.which("openssl") is None:
        missing("openssl not found: apt-get install openssl")
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={SERVER_NAME}",
                    "-addext", f"subjectAltName=DNS:{SERVER_NAME}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _substitute(text: str, pattern: str, replacement: str, at_least: int = 1) -> str:
    text, count = re.subn(pattern, replacement, text)
    assert count >= at_least, f"{SITE.name} no longer has {pattern!r} ({count} found): update tests/support/nginx.py"
    return text


def site_config(*, http_port: int, https_port: int, upstream: str, cert: Path, key: Path,
                code_root: Path, access_log: Path) -> str:
    text = SITE.read_text()
    text = _substitute(text, r"listen 80\b", f"listen 127.0.0.1:{http_port}", at_least=2)
    text = _substitute(text, r"listen 443\b", f"listen 127.0.0.1:{https_port}", at_least=2)
    text = _substitute(text, rf"/etc/letsencrypt/live/{re.escape(SERVER_NAME)}/fullchain\.pem", str(cert))
    text = _substitute(text, rf"/etc/letsencrypt/live/{re.escape(SERVER_NAME)}/privkey\.pem", str(key))
    text = _substitute(text, r"server 127\.0\.0\.1:8000\b", f"server {upstream}")
    text = _substitute(text, r"/var/log/nginx/microblog\.access\.log", str(access_log), at_least=2)
    return _substitute(text, r"/srv/microblog\b", str(code_root))


@dataclass
class Nginx:
    prefix: Path
    upstream: str
    code_root: Path
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.binary = nginx_binary()
        (self.prefix / "temp").mkdir(parents=True, exist_ok=True)
        cert, key = make_certificate(self.prefix)
        self.cert = cert
        (self.prefix / "site.conf").write_text(site_config(
            http_port=self.http_port, https_port=self.https_port, upstream=self.upstream, cert=cert, key=key,
            code_root=self.code_root, access_log=self.access_log))
        (self.prefix / "nginx.conf").write_text(MAIN_CONFIG.format(prefix=self.prefix))

    def command(self, *args: str) -> list[str]:
        # -e: nginx opens its error log before it reads the config; not /var/log.
        return [self.binary, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                "-e", str(self.prefix / "error.log"), *args]

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t``: the configuration parses and every file it names loads."""
        return subprocess.run(self.command("-t"), capture_output=True, text=True)

    @property
    def access_log(self) -> Path:
        """The site's own access log (deploy's /var/log/nginx/microblog.access.log)."""
        return self.prefix / "microblog.access.log"

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tls_context(self) -> ssl.SSLContext:
        """Trusts only the throwaway certificate, and checks the name on it."""
        return ssl.create_default_context(cafile=str(self.cert))


@contextmanager
def running(server: Nginx) -> Iterator[Nginx]:
    check = server.check()
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(server.command("-g", "daemon off;"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _accepts(server.http_port) and _accepts(server.https_port), 10,
                 server.error_log, proc=proc, interval=0.05)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)  # fast shutdown: workers and master exit
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


class Refused(Exception):
    """The server closed the connection without an answer (nginx's 444)."""


def request(port: int, path: str, host: str, *, tls: ssl.SSLContext | None = None,
            server_name: str | None = SERVER_NAME, method: str = "GET",
            headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
    """One HTTP/1.1 request on a new connection, with exactly the Host header
    and TLS server name (SNI) given: a browser can send neither apart, an
    attacker can."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        conn = tls.wrap_socket(plain, server_hostname=server_name) if tls else plain
        conn.sendall(raw)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (ssl.SSLEOFError, ConnectionResetError):
            if received:
                raise
    if not received:
        raise Refused(f"{method} {path} with Host {host!r}: connection closed without an answer")
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = [(name.strip(), value.strip()) for name, _, value in (h.partition(":") for h in header_lines)]
    answer = Answer(int(status_line.split()[1]), parsed, rest)
    if "chunked" in ",".join(answer.header_values("Transfer-Encoding")).lower():
        answer.body = _dechunk(rest)
    return answer


def _dechunk(data: bytes) -> bytes:
    body = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        body, data = body + data[:size], data[size + 2:]

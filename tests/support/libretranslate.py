"""A stand-in for a LibreTranslate server, over real HTTP on loopback.

The real server needs language models downloaded at start, which cannot
happen here. This one speaks the same documented API
(https://docs.libretranslate.com, "API usage"): ``POST /translate`` with a
JSON or form body (``q``, ``source``, ``target``, ``format``, ``api_key``)
answers ``{"translatedText": ...}`` (a list for a list of ``q``);
``GET /languages`` lists ``{code, name, targets}``; errors are
``{"error": "..."}`` with 400 (a missing parameter, an unsupported
language), 403 (a wrong API key when keys are required), 429 and 500.

Its "translation" is a marked copy, ``"[es] " + text``, so a test knows what
to expect. ``mode`` switches on a misbehaviour; ``calls`` counts the
translate requests that reached it.
"""
from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

LANGUAGES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French"}

OK = "ok"
SLOW = "slow"  # answers correctly after ``delay`` seconds
TRICKLE = "trickle"  # sends the answer one byte every ``delay`` seconds
RATE_LIMITED = "rate_limited"  # 429, as LibreTranslate past its --req-limit
SERVER_ERROR = "server_error"  # 500 {"error": ...}: a failed translation
MALFORMED = "malformed"  # 200 with a body that is not JSON at all
WRONG_SHAPE = "wrong_shape"  # 200 JSON without translatedText
HTML = "html"  # an HTML page (``html_status``), as a proxy or captive portal sends


def translated(text: str, target: str) -> str:
    return f"[{target}] {text}"


class LibreTranslateStandIn:
    def __init__(self, api_keys: set[str] | None = None) -> None:
        """``api_keys``: when given, a request needs one of them (403 otherwise)."""
        self.api_keys = api_keys
        self.mode = OK
        self.delay = 0.0
        self.html_status = 200
        self.requests: list[dict[str, Any]] = []  # every /translate request's parameters, in order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> LibreTranslateStandIn:
        """Listen (again, on the same port after ``stop()``)."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        server.daemon_threads = True
        server.block_on_close = False  # a slow answer in progress must not hold up stop()
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="libretranslate-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port: connections are refused, as with a server that is down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> LibreTranslateStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, params: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(params)


def _params(handler: BaseHTTPRequestHandler) -> dict[str, Any] | None:
    """The request's parameters from a JSON or form body; None if unreadable."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    kind = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
    try:
        if kind == "application/json":
            data = json.loads(raw or b"{}")
            return data if isinstance(data, dict) else None
        return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
    except (ValueError, UnicodeDecodeError):
        return None


def _handler(stand_in: LibreTranslateStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet: pytest shows stderr)
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if stand_in.mode == TRICKLE:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(stand_in.delay)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting, as it should
                self.close_connection = True

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode())

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": message})

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/languages":
                return self._error(404, "Not Found")
            self._json(200, [{"code": code, "name": name, "targets": [c for c in LANGUAGES if c != code]}
                             for code, name in LANGUAGES.items()])

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/translate":
                return self._error(404, "Not Found")
            params = _params(self)
            stand_in.record(params if params is not None else {})
            mode = stand_in.mode
            if mode == SLOW:
                time.sleep(stand_in.delay)
            if mode == RATE_LIMITED:
                return self._error(429, "Too many request limits violations")
            if mode == SERVER_ERROR:
                return self._error(500, "Cannot translate text: the model failed")
            if mode == MALFORMED:
                return self._send(200, b'{"translatedText": "[es] unterminated')
            if mode == WRONG_SHAPE:
                return self._json(200, {"translation": "not the documented field"})
            if mode == HTML:
                page = b"<html><body><h1>Bad Gateway</h1></body></html>"
                return self._send(stand_in.html_status, page, "text/html")
            self._translate(params)

        def _translate(self, params: dict[str, Any] | None) -> None:
            if params is None:
                return self._error(400, "Invalid request: the body is not JSON or form data")
            for name in ("q", "source", "target"):
                if not params.get(name):
                    return self._error(400, f"Invalid request: missing {name} parameter")
            if stand_in.api_keys is not None and params.get("api_key") not in stand_in.api_keys:
                return self._error(403, "Invalid API key")
            source, target = params["source"], params["target"]
            if source != "auto" and source not in LANGUAGES:
                return self._error(400, f"{source} is not supported")
            if target not in LANGUAGES or target == source:
                return self._error(400, f"{target} is not supported")
            q = params["q"]
            if params.get("format", "text") not in ("text", "html"):
                return self._error(400, "Invalid request: format must be text or html")
            text: str | list[str] = [translated(t, target) for t in q] if isinstance(q, list) else translated(q, target)
            self._json(HTTPStatus.OK, {"translatedText": text})

    return Handler

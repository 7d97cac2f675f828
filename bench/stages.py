"""Reading py-spy's raw output and putting each sample into one stage of a
request (``make bench-profile``, bench/profile.py).

py-spy's ``--format raw`` is the collapsed-stack format flamegraph tools
read: one line per distinct stack, frames root first and separated by ";",
then a space and how many samples had that stack. With ``--subprocesses``
each stack starts with ``process PID:"command line"`` frames (gunicorn's
master, then the worker); a Python frame reads ``function (file:line)``.

A sample's stage is found by walking its stack from the leaf toward the root
and taking the first frame a rule below claims: SQL run from a template is
then query time, not Jinja, and a CSRF token made while building the post
rows is CSRF time. Some rules are catch-alls, used only when no frame of the
stack matched a stage of its own ("routing and other Flask", "view code").
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SESSION = "session and user load"
CSRF = "CSRF token"
QUERY = "query and ORM rows"
BODY = "body rendering"
JINJA = "Jinja"
HOOKS = "metrics and log hooks"
RESPONSE = "response"
FLASK = "routing and other Flask"
VIEW = "view code (app)"
OTHER = "other"
# Not CPU time, so left out of the shares and counted apart: a thread
# waiting for work (a connection, its next flush), and a worker inside a
# socket call to the client or to PostgreSQL (see the rules).
IDLE = "idle"
SOCKET_WAIT = "socket wait"
EXCLUDED = (IDLE, SOCKET_WAIT)

# In the order the table shows them, each with its column heading.
STAGES = {SESSION: "session", CSRF: "CSRF", QUERY: "query", BODY: "body", JINJA: "Jinja", HOOKS: "hooks",
          RESPONSE: "response", FLASK: "Flask", VIEW: "view", OTHER: "other"}


@dataclass(frozen=True)
class Rule:
    """Frames of a file matching ``path`` (and of a function matching one of
    ``functions``; both fnmatch patterns) belong to ``stage``. A ``stage`` of
    None lets the walk go on to the caller: a wrapper around everything."""

    stage: str | None
    path: str
    functions: tuple[str, ...] = ("*",)
    leaf_only: bool = False  # only the innermost frame: where the thread is right now
    catch_all: bool = False  # only when no frame of the stack matched a stage rule

    def matches(self, frame: Frame, leaf: bool) -> bool:
        return ((leaf or not self.leaf_only) and fnmatchcase(frame.path, self.path)
                and any(fnmatchcase(frame.function, f) for f in self.functions))


# Paths are as module_path() gives them: "flask/app.py" for an installed
# package, "app/lists/rows.py" for ours, "threading.py" for the standard
# library. Within a frame the first matching rule wins, so order matters.
# A module with no rule (markupsafe, itsdangerous, werkzeug/local.py,
# hashlib, babel, app/i18n/*, app/avatars.py) takes its caller's stage: the
# same escape() is body rendering under post_html.py and Jinja under a
# template, and itsdangerous signs both the session cookie and the CSRF token.
RULES: tuple[Rule, ...] = (
    # py-spy leaves out threads the OS reports asleep; these are the waits it
    # catches as a thread goes to sleep or wakes: a sync worker's select()
    # between requests, the log flusher's Event.wait between flushes.
    Rule(IDLE, "gunicorn/workers/sync.py", ("SyncWorker.wait",), leaf_only=True),
    Rule(IDLE, "threading.py", ("*.wait", "*.join", "*._wait_for_tstate_lock"), leaf_only=True),
    Rule(IDLE, "selectors.py", leaf_only=True),
    # A worker inside sendall(), recv() or close(): py-spy counts a thread
    # that is runnable as busy, and on loopback each send wakes wrk, which
    # takes the core, and recv() waits for wrk's next bytes or its FIN. These
    # leaves were 10-15% of /index's samples while the workers' system time
    # (every syscall together) was 0.2 of 8.5 ms a request: waiting, not work.
    Rule(SOCKET_WAIT, "gunicorn/util.py", ("write", "write_chunk", "close_graceful"), leaf_only=True),
    Rule(SOCKET_WAIT, "gunicorn/http/unreader.py", ("SocketUnreader.chunk",), leaf_only=True),
    Rule(SOCKET_WAIT, "socket.py", ("socket.accept", "socket._real_close", "socket.close"), leaf_only=True),
    # The same with PostgreSQL: psycopg sending a statement (libpq's write
    # wakes the server's backend) and waiting for its answer. The backend's
    # own CPU time is another process's, not in gunicorn's CPU ms at all.
    # A prepared statement (psycopg prepares one run 5 times) is sent by
    # _send_prepare and _send_query_prepared instead: left out, they were
    # 55% of PostgreSQL /search's query stage.
    Rule(SOCKET_WAIT, "psycopg/_cursor_base.py",
         ("BaseCursor._execute_send", "BaseCursor._send_prepare", "BaseCursor._send_query_prepared"), leaf_only=True),
    Rule(SOCKET_WAIT, "psycopg/_connection_base.py", ("BaseConnection._exec_command",), leaf_only=True),
    Rule(SOCKET_WAIT, "psycopg/connection.py", ("Connection.wait",), leaf_only=True),
    Rule(SOCKET_WAIT, "psycopg/waiting.py", leaf_only=True),

    # Wrappers on every stack of a page: their own lines are tiny, and the
    # stage is whatever they wrap. login_required runs the whole view.
    Rule(None, "flask_login/utils.py", ("login_required.<locals>.decorated_view",)),
    # The health probe shortcut wraps the app; only as the leaf is it itself.
    Rule(HOOKS, "app/observability/liveness.py", leaf_only=True),
    Rule(None, "app/observability/liveness.py", ("LivenessMiddleware.__call__",)),

    # Opening and saving the signed session cookie, Flask-Login finding the
    # user (session protection's hash too), and the app's user_loader. The
    # loader's statement is matched first, as query time.
    Rule(SESSION, "flask/sessions.py"),
    Rule(SESSION, "flask/json/tag.py"),  # the session cookie's tagged JSON
    Rule(SESSION, "flask_login/*"),
    Rule(SESSION, "app/models/viewer.py", ("load_user",)),
    Rule(SESSION, "app/models/sessions.py"),  # the login row's key digest

    # Making (and on a POST checking) the token: flask_wtf signs it with
    # itsdangerous, which has no rule, so it lands here.
    Rule(CSRF, "flask_wtf/csrf.py"),
    Rule(CSRF, "wtforms/csrf/*"),

    # Building statements, running them, and turning rows into objects or
    # the lists' plain rows.
    Rule(QUERY, "sqlalchemy/*"),
    Rule(QUERY, "flask_sqlalchemy/*"),
    Rule(QUERY, "sqlite3/*"),
    Rule(QUERY, "psycopg/*"),
    Rule(QUERY, "psycopg_pool/*"),
    Rule(QUERY, "app/models/base.py"),  # UTCDateTime, run by SQLAlchemy on every timestamp read
    Rule(QUERY, "app/lists/posts.py"),  # the lists' statement and its rows as Listed tuples
    Rule(QUERY, "app/lists/pagination.py"),
    Rule(QUERY, "app/posts/queries.py"),
    Rule(QUERY, "app/messages/service.py", ("inbox",)),
    Rule(QUERY, "app/search/engine.py"),  # the search statement and its hits
    Rule(QUERY, "app/search/query.py"),  # user text to an FTS5 / tsquery expression

    # A post or message as HTML, built in Python rather than in a template:
    # the rows (avatars, dates), the article markup, the stored body's links.
    Rule(BODY, "app/lists/rows.py"),
    Rule(BODY, "app/lists/post_html.py"),
    Rule(BODY, "app/posts/render.py"),
    Rule(BODY, "app/search/highlight.py"),  # search results' bodies with the terms marked

    # Templates: Jinja's runtime, the compiled templates themselves (their
    # frames carry the template's file name), and Flask's render_template.
    Rule(JINJA, "jinja2/*"),
    Rule(JINJA, "*.html"),
    Rule(JINJA, "app/templates/*"),
    Rule(JINJA, "flask/templating.py"),

    # Request metrics and the JSON request log, in the request (before and
    # after hooks, SQL timing events) and in the worker's flusher thread.
    Rule(HOOKS, "app/observability/*"),
    Rule(HOOKS, "app/request_id.py"),
    Rule(HOOKS, "prometheus_client/*"),
    Rule(HOOKS, "logging/*"),
    Rule(HOOKS, "pythonjsonlogger/*"),
    Rule(HOOKS, "concurrent_log_handler/*"),

    # The response: Flask making it from the view's return and running its
    # after-request chain, the security headers, werkzeug's Response, and
    # gunicorn's Python around the write and the close (sync workers close
    # after every response); the socket calls themselves are SOCKET_WAIT.
    Rule(RESPONSE, "flask/app.py", ("Flask.make_response", "Flask.process_response", "Flask.finalize_request")),
    Rule(RESPONSE, "flask/wrappers.py", ("Response.*",)),
    Rule(RESPONSE, "app/security.py", ("*add_security_headers",)),
    Rule(RESPONSE, "werkzeug/wrappers/response.py"),
    Rule(RESPONSE, "werkzeug/sansio/response.py"),
    # Not all of werkzeug/wsgi.py: get_input_stream() is the request's.
    Rule(RESPONSE, "werkzeug/wsgi.py", ("ClosingIterator.*", "FileWrapper.*", "_RangeWrapper.*", "wrap_file",
                                        "responder")),
    Rule(RESPONSE, "gunicorn/http/wsgi.py", ("Response.*",)),
    # Not close_on_exec(): that is accepting the connection.
    Rule(RESPONSE, "gunicorn/util.py", ("write", "write_chunk", "close", "close_graceful", "to_bytestring",
                                        "http_date")),

    # Catch-alls. Flask's request plumbing: routing (werkzeug compiles the URL
    # map into "<werkzeug routing>" code), contexts, the request object,
    # dispatching hooks, and the extensions' before-request hooks.
    Rule(FLASK, "flask/*", catch_all=True),
    Rule(FLASK, "werkzeug/*", catch_all=True),
    Rule(FLASK, "<werkzeug routing>", catch_all=True),
    Rule(FLASK, "flask_limiter/*", catch_all=True),
    Rule(FLASK, "flask_babel/*", catch_all=True),
    Rule(VIEW, "app/*", catch_all=True),
    # gunicorn accepting the connection and parsing the request: before Flask.
    Rule(OTHER, "gunicorn/*", catch_all=True),
)


@dataclass(frozen=True)
class Frame:
    function: str
    path: str  # as module_path() gives it
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.function} ({self.path}{'' if self.line is None else f':{self.line}'})"


@dataclass(frozen=True)
class Sample:
    """One distinct stack and how many samples had it."""

    pids: tuple[int, ...]  # the process frames, outermost first: (master, worker)
    frames: tuple[Frame, ...]  # root first
    count: int


_SITE = re.compile(r"/(?:site|dist)-packages/(.+)$")
_STDLIB = re.compile(r"/lib/python3\.\d+/(.+)$")
_PROCESS = re.compile(r'process (\d+):".*"$')


def module_path(filename: str, root: Path = ROOT) -> str:
    """A frame's file as the rules name it: inside site-packages, from the
    package's folder; ours, from the repository root; the standard library's,
    from its lib folder. Anything else ("<string>") as it is."""
    if match := _SITE.search(filename):
        return match[1]
    if filename.startswith(f"{root}/"):
        return filename[len(str(root)) + 1:]
    if match := _STDLIB.search(filename):
        return match[1]
    return filename


def parse_frame(text: str, root: Path = ROOT) -> Frame:
    """``function (file:line)``, the line optional (``--nolineno``)."""
    function, sep, rest = text.rpartition(" (")
    if not sep or not rest.endswith(")"):
        return Frame(text, "")
    location = rest[:-1]
    filename, colon, line = location.rpartition(":")
    if colon and line.isdigit():
        return Frame(function, module_path(filename, root), int(line))
    return Frame(function, module_path(location, root))


def parse_raw(lines: Iterable[str], root: Path = ROOT) -> Iterator[Sample]:
    """The samples of py-spy's ``--format raw`` output."""
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        pids: list[int] = []
        frames: list[Frame] = []
        for text in stack.split(";"):
            if match := _PROCESS.match(text):
                pids.append(int(match[1]))
            elif text:
                frames.append(parse_frame(text, root))
        yield Sample(tuple(pids), tuple(frames), int(count))


def classify(frames: tuple[Frame, ...] | list[Frame], rules: tuple[Rule, ...] = RULES) -> str:
    """The stage of a stack (root first): the leaf-most frame claimed by a
    stage rule, else the leaf-most claimed by a catch-all, else OTHER."""
    fallback = None
    for depth, frame in enumerate(reversed(frames)):
        rule = next((r for r in rules if r.matches(frame, leaf=depth == 0)), None)
        if rule is None or rule.stage is None:
            continue
        if not rule.catch_all:
            return rule.stage
        fallback = fallback or rule.stage
    return fallback or OTHER


def folded_line(stage: str, sample: Sample) -> str:
    """A collapsed-stack line for flamegraph tools, the stage as its root
    frame (so a flame graph groups by stage; ``cut -d';' -f2-`` drops it)."""
    return ";".join([f"[{stage}]", *map(str, sample.frames)]) + f" {sample.count}"

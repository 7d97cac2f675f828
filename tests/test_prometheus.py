"""Prometheus against the real app: promtool's checks of /metrics, of the
alert rules and of the shipped config; a real Prometheus server scraping
gunicorn; counts that survive worker restarts; the Grafana dashboard's queries."""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.jobs import enqueue
from tests.conftest import config
from tests.support.gunicorn import ROOT, Server, environment, gunicorn, stop
from tests.support.ports import free_port
from tests.support.requirements import missing
from tests.support.waiting import wait_for
from tests.support.worker import Worker

DEPLOY = ROOT / "deploy"
Samples = dict[tuple[str, frozenset], float]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found: install Debian's prometheus package")
    return path


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def parse(body: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(samples: Samples, name: str, /, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, /, **labels: str) -> float:
    """Sum of ``name`` over every series carrying at least ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # what /metrics exports does not depend on the database


@pytest.fixture
def app_config() -> dict[str, object]:
    # The 500 must go through the real error handler, not into the test.
    return {"PROPAGATE_EXCEPTIONS": False, "METRICS_CACHE_SECONDS": 0}


@pytest.fixture
def exercised(app, client, auth, susan) -> tuple[Samples, str]:
    """/metrics before, and its text after, a known mix of requests:
    pages, a 404, two 500s, a failed and a good login, a post."""
    @app.route("/test/boom")
    def boom():
        raise RuntimeError("boom")

    before = parse(client.get("/metrics").get_data(as_text=True))
    for _ in range(3):
        assert client.get("/auth/login").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    for _ in range(2):
        assert client.get("/test/boom").status_code == 500
    assert auth.login(password="wrong").status_code == 200
    assert auth.login().status_code == 302
    assert client.post("/index", data={"post": "counted"}).status_code == 302
    response = client.get("/metrics")
    assert response.status_code == 200
    return before, response.get_data(as_text=True)


def test_metrics_pass_promtool_and_count_every_request(exercised):
    before, body = exercised
    check = promtool("check", "metrics", stdin=body)
    assert check.returncode == 0, check.stdout + check.stderr
    after = parse(body)

    def delta(name: str, /, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("http_requests_total", method="GET", endpoint="auth.login", status="200") == 3
    assert delta("http_requests_total", method="GET", endpoint="<unmatched>", status="404") == 1
    assert delta("http_requests_total", method="GET", endpoint="boom", status="500") == 2
    assert delta("http_requests_total", method="POST", endpoint="auth.login", status="200") == 1
    assert delta("http_requests_total", method="POST", endpoint="auth.login", status="302") == 1
    assert delta("http_requests_total", method="POST", endpoint="main.index", status="302") == 1
    # Those 9, and not the two scrapes of /metrics.
    assert total(after, "http_requests_total") - total(before, "http_requests_total") == 9
    assert delta("http_request_duration_seconds_count", method="GET", endpoint="auth.login") == 3
    assert delta("http_request_duration_seconds_bucket", method="GET", endpoint="boom", le="+Inf") == 2
    assert delta("http_exceptions_total", exception="RuntimeError", endpoint="boom") == 2
    assert delta("logins_total", result="failure") == 1
    assert delta("logins_total", result="success") == 1
    assert delta("posts_created_total") == 1
    assert delta("registrations_total") == 0
    assert value(after, "http_requests_in_progress") == 0
    assert value(after, "circuit_breaker_state", name="smtp") == 0
    assert value(after, "users_registered") == 1


@pytest.mark.parametrize("command", [
    ("check", "rules", "deploy/alert_rules.yml"),
    ("test", "rules", "deploy/alert_rules_test.yml"),
    ("check", "config", "deploy/prometheus.yml"),  # resolves rule_files from the config's folder
], ids=" ".join)
def test_promtool_accepts_the_shipped_files(command):
    result = promtool(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def series(client) -> dict[str, set[frozenset]]:  # type: ignore[no-untyped-def]
    found: dict[str, set[frozenset]] = {}
    for name, labels in parse(client.get("/metrics").get_data(as_text=True)):
        found.setdefault(name, set()).add(labels)
    return found


def new_series(before: dict[str, set[frozenset]], after: dict[str, set[frozenset]]) -> dict[str, int]:
    grown = {name: len(labels - before.get(name, set())) for name, labels in after.items()}
    return {name: n for name, n in grown.items() if n}


def test_random_urls_add_no_series(client):
    """Bots probing random URLs must not grow /metrics: once one unmatched
    URL has been counted, a thousand more share its series in every metric."""
    client.get("/warm/up")
    series(client)  # the first scrape's own query (user counts) adds db_statements series
    before = series(client)
    for i in range(1000):
        client.get(f"/wp-admin/{i}/x{i * 7919 % 1000}.php?id={i}")
    assert new_series(before, series(client)) == {}


def test_invented_http_methods_add_no_series(client):
    client.open("/auth/login", method="BREW")
    series(client)
    before = series(client)
    for i in range(20):
        client.open("/auth/login", method=f"X{i:03d}")
    assert new_series(before, series(client)) == {}


# The Grafana dashboard ----------------------------------------------------

DASHBOARD = DEPLOY / "grafana-dashboard.json"
PROMETHEUS_GENERATED = {"up", "ALERTS", "ALERTS_FOR_STATE"}  # not exported by the app
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}
GRAFANA_VARIABLES = {"$job": "microblog", "$instance": ".*", "$__rate_interval": "1m", "$__interval": "1m",
                     "$__range": "1h"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, keywords,
    label matchers, ranges and grouping clauses taken out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = re.findall(r"(?<![\w.$])([A-Za-z_:][\w:]*)\b(?!\s*\()", expr)
    return {n for n in names if n.lower() not in PROMQL_WORDS}


def exported_names(body: str) -> set[str]:
    """Every name /metrics exports, with the _total, _bucket, _sum and _count
    suffixes, including metrics that have no samples yet."""
    names = set()
    for family in text_string_to_metric_families(body):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def dashboard_queries(dashboard: dict) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and template variable."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for variable in dashboard["templating"]["list"]:
        query = variable["query"]["query"]
        inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
        yield f"variable {variable['name']}", inner.group(1) if inner else query


def test_dashboard_is_importable_grafana_json():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] == 39
    assert dashboard["uid"] and dashboard["title"] and dashboard["id"] is None
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels), "panel ids must be unique"
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not area & cells, f"{panel['title']!r} overlaps another panel"
        cells |= area
        if panel["type"] in {"row", "alertlist"}:
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        targets = panel["targets"]
        assert targets and all(t["expr"].strip() for t in targets), f"{panel['title']!r} has no query"
        assert all(t["datasource"]["uid"] == "${DS_PROMETHEUS}" for t in targets), panel["title"]
        assert len({t["refId"] for t in targets}) == len(targets), panel["title"]
    assert any(p["type"] == "alertlist" for p in panels)


def test_dashboard_queries_read_metrics_the_app_exports(exercised):
    _, body = exercised
    exported = exported_names(body) | PROMETHEUS_GENERATED
    dashboard = json.loads(DASHBOARD.read_text())
    used: set[str] = set()
    for where, expr in dashboard_queries(dashboard):
        names = metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        assert names <= exported, f"{where}: {sorted(names - exported)} not in /metrics"
        used |= names
    wanted = {"http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_progress",
              "http_exceptions_total", "db_statements_total", "db_statement_duration_seconds_bucket",
              "logins_total", "registrations_total", "posts_created_total", "error_emails_total",
              "log_write_failures_total", "circuit_breaker_state", "jobs_total", "job_duration_seconds_bucket",
              "jobs_queued", "jobs_oldest_queued_age_seconds", "jobs_worker_heartbeat_age_seconds"}
    assert wanted <= used, f"no panel shows {sorted(wanted - used)}"


def test_dashboard_queries_are_valid_promql(tmp_path):
    """promtool parses every query, as a recording rule, with Grafana's
    variables filled in."""
    dashboard = json.loads(DASHBOARD.read_text())
    rules = []
    for i, (where, expr) in enumerate(dashboard_queries(dashboard)):
        for variable, example in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
            expr = expr.replace(variable, example)
        assert "$" not in expr, f"{where}: unknown variable in {expr!r}"
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))  # JSON is YAML
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


# Real servers -------------------------------------------------------------

class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, path: str, **params: str) -> object:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as response:
            doc = json.load(response)
        assert doc["status"] == "success", doc
        return doc["data"]

    def query(self, promql: str) -> dict[frozenset, float]:
        return {frozenset(r["metric"].items()): float(r["value"][1])
                for r in self.api("query", query=promql)["result"]}  # type: ignore[index]

    def scalar(self, promql: str) -> float | None:
        result = self.query(promql)
        assert len(result) <= 1, result
        return next(iter(result.values()), None)


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator:
    """Start a Prometheus on loopback scraping gunicorn (job microblog) and,
    when given, a worker (job microblog-worker) every second, with the shipped
    alert rules loaded; stopped on the way out."""
    binary = tool("prometheus")
    started: list[subprocess.Popen] = []

    def start(target: str, worker: str | None = None) -> Prometheus:
        port = free_port()
        config = tmp_path / "prometheus.yml"
        jobs = {"microblog": target, **({"microblog-worker": worker} if worker else {})}
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(DEPLOY / "alert_rules.yml")],
            "scrape_configs": [{"job_name": job, "metrics_path": "/metrics", "static_configs": [{"targets": [where]}]}
                               for job, where in jobs.items()],
        }))
        log = open(tmp_path / "prometheus.log", "w")
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        started.append(proc)
        prom = Prometheus(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(prom.url + "/-/ready"), 30, lambda: (tmp_path / "prometheus.log").read_text(),
                 proc)
        return prom

    try:
        yield start
    finally:
        for proc in started:
            stop(proc)


ALERTS = 13  # in deploy/alert_rules.yml


def alert_states(prometheus: Prometheus) -> dict[str, str]:
    """Every alerting rule that is not inactive, and its state."""
    groups = prometheus.api("rules")["groups"]  # type: ignore[index]
    return {rule["name"]: rule["state"] for group in groups for rule in group["rules"]
            if rule["type"] == "alerting" and rule["state"] != "inactive"}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def hammer(server: Server, path: str, count: int, threads: int = 4) -> list[int]:
    """GET ``path`` ``count`` times from ``threads`` threads, each on a new
    connection, so gunicorn's sync workers all get a share."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: server.get(path)[0], range(count)))


def per_worker(server: Server, endpoint: str) -> dict[str, float]:
    """http_requests_total for ``endpoint`` in each process's own file."""
    counts: dict[str, float] = {}
    for path in server.metrics_dir.glob("counter_*.db"):
        for key, count, _, _ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if name == "http_requests_total" and labels.get("endpoint") == endpoint:
                owner = path.stem.split("_", 1)[1]
                counts[owner] = counts.get(owner, 0.0) + count
    return counts


@pytest.mark.timeout(90)
def test_prometheus_scrapes_every_worker(tmp_path, prometheus_for):
    requests = 200
    with gunicorn(tmp_path / "app", workers=2) as server:
        prometheus = prometheus_for(server.url.removeprefix("http://"))
        assert hammer(server, "/auth/login", requests) == [200] * requests
        # Each worker adds its requests to its file within a second (tally.py).
        wait_for(lambda: sum(per_worker(server, "auth.login").values()) == requests, 5,
                 lambda: f"files hold {per_worker(server, 'auth.login')}, not {requests} in all")
        shares = per_worker(server, "auth.login")
        assert len([n for n in shares.values() if n]) == 2 and sum(shares.values()) == requests, shares

        login = 'sum(http_requests_total{job="microblog", endpoint="auth.login"})'
        wait_for(lambda: prometheus.scalar(login) == requests, 30,
                 lambda: f"{login} = {prometheus.scalar(login)}, not {requests}")
        # A few scrapes later, still only our requests: the scrapes count nothing.
        wait_for(lambda: (prometheus.scalar('count_over_time(up{job="microblog"}[1m])') or 0) >= 3, 15)
        assert prometheus.scalar('count(http_requests_total{endpoint="metrics.metrics"})') is None
        assert prometheus.scalar('sum(http_requests_total{endpoint!="health.live"})') == requests
        assert prometheus.scalar(f'resets({login.removeprefix("sum(").removesuffix(")")}[1m])') == 0
        assert prometheus.scalar('up{job="microblog"}') == 1
        assert prometheus.scalar('sum(http_requests_in_progress{job="microblog"})') == 0

        def rules_evaluated() -> list[dict] | None:
            groups = prometheus.api("rules")["groups"]  # type: ignore[index]
            rules = [rule for group in groups for rule in group["rules"]]
            return rules if rules and all(rule["health"] == "ok" for rule in rules) else None

        rules = wait_for(rules_evaluated, 15, lambda: json.dumps(prometheus.api("rules"))[:2000])
        assert len([r for r in rules if r["type"] == "alerting"]) == ALERTS
        # Nothing fires, but no worker has ever run on this queue: its
        # heartbeat age is +Inf, and "no worker" is on its way.
        wait_for(lambda: alert_states(prometheus) == {"MicroblogNoWorker": "pending"}, 15,
                 lambda: str(alert_states(prometheus)))
        wait_for(lambda: prometheus.scalar('job:http_requests:rate5m{job="microblog"}') is not None, 15)

        # The multiprocess exposition passes promtool too.
        status, body = server.get("/metrics")
        check = promtool("check", "metrics", stdin=body)
        assert status == 200 and check.returncode == 0, check.stdout + check.stderr


@pytest.mark.timeout(90)
def test_counts_survive_worker_restarts(tmp_path):
    """With a restart every 20 requests, dead workers' counts are folded into
    the archive: totals stay exact, never go down between scrapes, and the
    metrics folder does not grow with every restart."""
    requests = 300
    env = {"GUNICORN_MAX_REQUESTS": "20", "GUNICORN_MAX_REQUESTS_JITTER": "0"}
    with gunicorn(tmp_path / "app", workers=2, env=env) as server:
        seen: list[float | str] = []  # what each scrape counted, or why it failed
        done = threading.Event()

        def scrape_while_restarting() -> None:
            while not done.is_set():
                try:
                    status, body = server.get("/metrics")
                except OSError as error:
                    seen.append(repr(error))
                    continue
                seen.append(total(parse(body), "http_requests_total", endpoint="auth.login") if status == 200
                            else f"status {status}")

        scraper = threading.Thread(target=scrape_while_restarting)
        scraper.start()
        try:
            statuses = hammer(server, "/auth/login", requests)
        finally:
            done.set()
            scraper.join()
        assert statuses == [200] * requests
        restarts = server.output().count("Booting worker") - 2
        assert restarts >= requests // 20 - 2, server.output()
        assert seen and not [count for count in seen if isinstance(count, str)], seen
        assert seen == sorted(seen), f"a scrape counted less than the one before it: {seen}"

        # A live worker writes its last second of counts within a second (tally.py).
        def counts(samples: Samples) -> tuple[float, float, float]:
            return (total(samples, "http_requests_total", endpoint="auth.login"),
                    total(samples, "http_request_duration_seconds_count", endpoint="auth.login"),
                    value(samples, "http_requests_in_progress"))

        def settled() -> Samples | None:
            samples = parse(server.get("/metrics")[1])
            return samples if counts(samples) == (requests, requests, 0) else None

        samples = wait_for(settled, 5, lambda: f"(requests, observations, in progress) = "
                           f"{counts(parse(server.get('/metrics')[1]))}, not ({requests}, {requests}, 0)")
        assert value(samples, "circuit_breaker_state", name="smtp") == 0

        def only_live_workers_have_files() -> bool:
            owners = {path.stem.rsplit("_", 1)[1] for path in server.metrics_dir.glob("*.db")}
            return owners - {"archive"} <= {str(pid) for pid in server.worker_pids()}

        wait_for(only_live_workers_have_files, 10, lambda: str(sorted(p.name for p in server.metrics_dir.iterdir())))
        files = sorted(path.name for path in server.metrics_dir.glob("*.db"))
        assert "counter_archive.db" in files and "histogram_archive.db" in files
        assert len(files) <= 12, files


@pytest.mark.timeout(120)
def test_prometheus_scrapes_a_worker_beside_gunicorn(tmp_path, prometheus_for):
    """gunicorn and a real `flask worker` on the same SQLite queue, scraped as
    the shipped config's two jobs: the worker's counts arrive under its own
    job (the metric's job label as exported_job, which the rules use), the
    web's gauges see its heartbeat, and no alert is pending."""
    root = tmp_path / "app"
    with gunicorn(root, workers=1) as server:
        metrics_port = free_port()
        env = environment(root, {"WORKER_METRICS_PORT": str(metrics_port)})
        del env["PROMETHEUS_MULTIPROC_DIR"]  # gunicorn's, never a worker's
        log = tmp_path / "worker.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "1"], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        worker = Worker(proc, log)
        try:
            def worker_seen() -> bool:
                status, body = server.get("/health")
                return status == 200 and json.loads(body)["checks"]["queue:worker"][0]["status"] == "pass"

            wait_for(worker_seen, 30, worker.output, proc=proc)
            prometheus = prometheus_for(server.url.removeprefix("http://"), f"127.0.0.1:{metrics_port}")
            wait_for(lambda: prometheus.scalar('up{job="microblog-worker"}') == 1, 30, worker.output, proc=proc)

            app = create_app(config(f"sqlite:///{root / 'db.sqlite'}",
                                    QUEUE_URL=f"sqlite:///{root / 'instance' / 'queue.db'}"))
            with app.app_context():
                enqueue("expire_exports")
            done = 'jobs_total{job="microblog-worker", exported_job="expire_exports", status="complete"}'
            wait_for(lambda: prometheus.scalar(done) == 1, 30, lambda: f"{done} = {prometheus.scalar(done)}",
                     proc=proc)
            assert prometheus.scalar('sum(jobs_total{job="microblog-worker", status="failed"})') == 0
            assert prometheus.scalar(
                'job_duration_seconds_count{job="microblog-worker", exported_job="expire_exports"}') == 1
            assert (prometheus.scalar('process_resident_memory_bytes{job="microblog-worker"}') or 0) > 0
            # The web's job is scraped on its own schedule: on a busy machine
            # its first scrape can come after the worker's counts.
            store = 'jobs_queue_store_up{job="microblog"}'
            wait_for(lambda: prometheus.scalar(store) == 1, 30, lambda: f"{store} = {prometheus.scalar(store)}")
            age = 'jobs_worker_heartbeat_age_seconds{job="microblog"}'
            wait_for(lambda: (prometheus.scalar(age) or math.inf) < 30, 15, lambda: f"{age} = {prometheus.scalar(age)}")
            wait_for(lambda: alert_states(prometheus) == {}, 15, lambda: str(alert_states(prometheus)))
        finally:
            worker.stop()
        assert proc.returncode == 0, worker.output()

"""What every /metrics endpoint shares, the app's (exporter.py) and a
worker's (workermetrics.py): who may scrape it, and app_info."""
from __future__ import annotations

import hmac
import platform
from collections.abc import Mapping
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from app.observability.networks import address_allowed
from app.version import __version__

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape_allowed(config: Mapping[str, Any], authorization: str | None, remote_addr: str | None) -> bool:
    """METRICS_TOKEN (a bearer token) and METRICS_ALLOWED_NETWORKS: with
    both set, a scrape needs both."""
    token = config.get("METRICS_TOKEN")
    if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        return False
    return address_allowed(remote_addr, config.get("METRICS_ALLOWED_NETWORKS") or ())


def app_info() -> GaugeMetricFamily:
    """Always 1: which version, on which Python, the process runs."""
    info = GaugeMetricFamily("app_info", "Application version.", labels=["version", "python_version"])
    info.add_metric([__version__, platform.python_version()], 1)
    return info

"""microblog with 100 extra endpoints, each answering any of 5 statuses
(``bench.metrics_app:app``): enough distinct label values to give /metrics
the size of a large real app's (``make bench-observability``, part e)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort

from app import create_app
from bench.scrape import ENDPOINTS, STATUSES

app = create_app()


def _view(number: int) -> Callable[[int], Response]:
    def view(status: int) -> Response:
        if status not in STATUSES:
            abort(404)
        return Response(f"endpoint {number}: {status}\n", status=status, mimetype="text/plain")

    return view


for _number in range(ENDPOINTS):
    app.add_url_rule(f"/bench/endpoint{_number}/<int:status>", endpoint=f"bench_endpoint{_number}",
                     view_func=_view(_number))

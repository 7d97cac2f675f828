from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def scrape(client, **kwargs) -> dict[tuple[str, frozenset], float]:  # type: ignore[no-untyped-def]
    """GET /metrics and index every sample by (name, labels)."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)

"""Benchmarks run against a real server: ``make bench`` runs ``bench.pages``.

``bench.common`` holds what every benchmark needs (free ports, gunicorn,
wrk); the other modules are one benchmark or one helper each.
"""

"""microblog with routes that fail on purpose, for fault tests under gunicorn
(``tests.support.faulty_app:app``)."""
from __future__ import annotations

from app import create_app

app = create_app()


@app.route("/test/boom/<int:kind>")
def boom(kind: int) -> str:
    # A distinct exception type per kind: distinct fingerprints, so each one
    # is a first occurrence that must be mailed.
    raise type(f"ProofError{kind}", (RuntimeError,), {})(f"failure number {kind}")

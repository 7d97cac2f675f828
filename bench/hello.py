"""A bare Flask app: what this machine serves with no database, templates or
extensions, the ceiling every page benchmark is compared with."""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"

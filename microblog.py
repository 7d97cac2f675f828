"""Entry point for ``flask run`` and gunicorn (``microblog:app``)."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import create_app, db
from app.models import Message, Notification, Post, User

app = create_app()


@app.shell_context_processor
def make_shell_context() -> dict[str, object]:
    return {"sa": sa, "so": so, "db": db, "User": User, "Post": Post, "Message": Message,
            "Notification": Notification}

"""Migration 0002 (the API token columns) also undoes cleanly."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade

from app import create_app, db
from tests.conftest import config
from tests.test_migrations import empty_urls, schema  # noqa: F401  (empty_urls is a fixture)


def test_downgrade_to_0001_restores_its_schema(empty_urls):  # noqa: F811
    """On SQLite, dropping a column rebuilds the table: the case-insensitive
    unique indexes on username and email must survive that."""
    before_url, after_url = empty_urls
    before = create_app(config(before_url))
    with before.app_context():
        upgrade(revision="0001")
        expected = schema(db.engine)
        db.engine.dispose()

    after = create_app(config(after_url))
    with after.app_context():
        upgrade()
        assert "ix_user_token_hash" in schema(db.engine)["indexes"]
        downgrade(revision="0001")
        assert schema(db.engine) == expected
        db.engine.dispose()

"""`flask db upgrade` on an empty database builds exactly the models' schema."""
from __future__ import annotations

import re
import uuid
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app, db
from app.search.schema import include_object
from tests.conftest import config


@pytest.fixture
def empty_urls(backend, request, tmp_path: Path):
    """Two empty databases: one for `flask db upgrade`, one for create_all()."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'created.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    names = [f"mig_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    yield tuple(cluster.create_database(name) for name in names)
    for name in names:
        cluster.drop_database(name)


def index_definitions(engine: sa.Engine) -> dict[str, str]:
    """Every index, expression indexes included (which reflection skips on
    SQLite), as the database itself describes it."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        else:
            rows = conn.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
        return {name: re.sub(r'[\s"]+', " ", sql).strip().lower() for name, sql in rows
                if "alembic_version" not in sql}


def trigger_definitions(engine: sa.Engine) -> dict[str, str]:
    """The triggers (the SQLite search index's), which reflection skips."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(sa.text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"))
        return {name: re.sub(r'[\s"]+', " ", sql).strip().lower() for name, sql in rows}


def schema(engine: sa.Engine) -> dict[str, object]:
    inspector = sa.inspect(engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "skipped unsupported reflection of expression-based index"
        tables = {
            name: {
                # Sorted: PostgreSQL adds a column at the end, so a migrated
                # table's order depends on when each column came.
                "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)),
                "pk": inspector.get_pk_constraint(name),
                "fks": sorted(inspector.get_foreign_keys(name), key=lambda fk: fk["name"] or ""),
                "unique": inspector.get_unique_constraints(name),
            }
            for name in inspector.get_table_names() if name != "alembic_version"
        }
    return {"tables": tables, "indexes": index_definitions(engine), "triggers": trigger_definitions(engine)}


def test_upgrade_builds_the_models_schema(empty_urls):
    migrated_url, created_url = empty_urls
    migrated = create_app(config(migrated_url))
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        migrated_schema = schema(db.engine)
        db.engine.dispose()

    created = create_app(config(created_url))
    with created.app_context():
        db.create_all()
        created_schema = schema(db.engine)
        db.engine.dispose()

    assert migrated_schema == created_schema
    assert {"ix_user_username_lower", "ix_user_email_lower"} <= set(migrated_schema["indexes"])
    # The search index is outside the models: check it is there at all.
    if migrated_url.startswith("sqlite"):
        assert {f"{table}_{event}" for table in ("post_search", "user_search") for event in
                ("insert", "update", "delete")} == set(migrated_schema["triggers"])
        assert {"post_search", "user_search"} <= set(migrated_schema["tables"])
    else:
        assert {"ix_post_search_vector", "ix_user_username_trgm"} <= set(migrated_schema["indexes"])


def test_downgrade_to_base_removes_everything(empty_urls):
    migrated_url, _ = empty_urls
    app = create_app(config(migrated_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()

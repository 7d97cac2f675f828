"""full-text index of posts (FTS5 on SQLite, a tsvector with GIN on PostgreSQL) and a trigram index of usernames

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00

The same statements as app/search/schema.py, copied so that this migration
keeps meaning what it meant when written; tests/test_migrations.py checks
that both build the same schema. Creating the index also fills it from the
posts already there.
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE post_search USING fts5(body, content='post', content_rowid='id',"
    " tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN"
    " INSERT INTO post_search(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN"
    " INSERT INTO post_search(post_search, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER post_search_update AFTER UPDATE OF body ON post BEGIN"
    " INSERT INTO post_search(post_search, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO post_search(rowid, body) VALUES (new.id, new.body); END",
    "CREATE VIRTUAL TABLE user_search USING fts5(username, content='user', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER user_search_insert AFTER INSERT ON user BEGIN"
    " INSERT INTO user_search(rowid, username) VALUES (new.id, new.username); END",
    "CREATE TRIGGER user_search_delete AFTER DELETE ON user BEGIN"
    " INSERT INTO user_search(user_search, rowid, username) VALUES ('delete', old.id, old.username); END",
    "CREATE TRIGGER user_search_update AFTER UPDATE OF username ON user BEGIN"
    " INSERT INTO user_search(user_search, rowid, username) VALUES ('delete', old.id, old.username);"
    " INSERT INTO user_search(rowid, username) VALUES (new.id, new.username); END",
    "INSERT INTO post_search(post_search) VALUES ('rebuild')",
    "INSERT INTO user_search(user_search) VALUES ('rebuild')",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS user_search_update",
    "DROP TRIGGER IF EXISTS user_search_delete",
    "DROP TRIGGER IF EXISTS user_search_insert",
    "DROP TABLE IF EXISTS user_search",
    "DROP TRIGGER IF EXISTS post_search_update",
    "DROP TRIGGER IF EXISTS post_search_delete",
    "DROP TRIGGER IF EXISTS post_search_insert",
    "DROP TABLE IF EXISTS post_search",
)
POSTGRES_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH DICTIONARY microblog_stem (TEMPLATE = snowball, LANGUAGE = english)",
    "CREATE TEXT SEARCH CONFIGURATION microblog (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION microblog ALTER MAPPING FOR"
    " asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, microblog_stem",
    "ALTER TABLE post ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('microblog'::regconfig, body)) STORED",
    "CREATE INDEX ix_post_search_vector ON post USING gin (search_vector) WITH (fastupdate = off)",
    'CREATE INDEX ix_user_username_trgm ON "user" USING gin (lower(username) gin_trgm_ops)',
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_user_username_trgm",
    "DROP INDEX IF EXISTS ix_post_search_vector",
    "ALTER TABLE post DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS microblog",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS microblog_stem",
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    _run(SQLITE_CREATE if op.get_bind().dialect.name == "sqlite" else POSTGRES_CREATE)


def downgrade():
    _run(SQLITE_DROP if op.get_bind().dialect.name == "sqlite" else POSTGRES_DROP)

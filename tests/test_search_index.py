"""The search index's upkeep: the migration fills it from existing posts,
``flask search check`` finds drift, ``flask search reindex`` repairs it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, db
from app.models import Post
from app.search.engine import search_posts
from app.search.highlight import unmarked
from app.search.query import parse
from tests.conftest import config, make_user


def bodies(q: str) -> list[str]:
    return sorted(unmarked(hit.marked) for hit in search_posts(parse(q), 1).items)


@contextmanager
def drift(backend: str) -> Iterator[None]:
    """Make the index disagree with the posts behind the database's back,
    as a partial restore or a change of accent rules would."""
    with db.engine.begin() as conn:
        if backend == "sqlite":
            # Edit a post with the trigger gone, then put the trigger back.
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'post_search_update'").scalar_one()
            conn.exec_driver_sql("DROP TRIGGER post_search_update")
            conn.exec_driver_sql("UPDATE post SET body = 'quince changed behind its back' WHERE body LIKE 'quince%'")
            conn.exec_driver_sql(sql)
        else:
            # New rules for plain ASCII words: the stored vectors are now stale.
            conn.exec_driver_sql("ALTER TEXT SEARCH CONFIGURATION microblog ALTER MAPPING FOR asciiword WITH simple")
    try:
        yield
    finally:
        if backend == "postgresql":  # the database is shared by the session's tests
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ALTER TEXT SEARCH CONFIGURATION microblog ALTER MAPPING FOR asciiword"
                                     " WITH unaccent, microblog_stem")


class TestCheckAndReindex:
    @pytest.fixture
    def posts(self, app):
        author = make_user("writer")
        db.session.add_all([Post(body=body, author=author) for body in (
            "quince jam recipe", "running shoes", "plain words only", *[f"filler post {i}" for i in range(30)])])
        db.session.commit()

    def test_check_reports_an_index_in_step(self, runner, posts):
        result = runner.invoke(args=["search", "check"])
        assert result.exit_code == 0, result.output
        assert "in step with the posts: 33 indexed" in result.output

    def test_check_finds_drift_and_reindex_repairs_it(self, runner, posts, backend):
        with drift(backend):
            result = runner.invoke(args=["search", "check"])
            assert result.exit_code == 1, result.output
            assert "The index has drifted from the posts" in result.output
            assert "flask search reindex" in result.output
            if backend == "postgresql":
                # only the posts whose words the stemmer changes: recipe, running shoes, words
                assert "3 with an out-of-date entry" in result.output

            result = runner.invoke(args=["search", "reindex"])
            assert result.exit_code == 0, result.output
            assert "Indexed 33 posts." in result.output and "Indexing posts" in result.output

            result = runner.invoke(args=["search", "check"])
            assert result.exit_code == 0, result.output
            db.session.remove()
            if backend == "sqlite":
                assert bodies("changed") == ["quince changed behind its back"]
                assert bodies("jam") == []
            else:  # the new rules are in force: no stemming for ASCII words
                assert bodies("running") == ["running shoes"] and bodies("run") == []

    # On PostgreSQL a generated column cannot miss a row.
    @pytest.mark.parametrize("backend", ["sqlite"])
    def test_check_finds_posts_missing_from_the_index(self, runner, posts, backend):
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO post_search(post_search) VALUES ('delete-all')")
        result = runner.invoke(args=["search", "check"])
        assert result.exit_code == 1 and "33 posts, 0 indexed" in result.output
        assert bodies("quince") == []
        assert runner.invoke(args=["search", "reindex"]).exit_code == 0
        db.session.remove()
        assert bodies("quince") == ["quince jam recipe"]

    @pytest.mark.parametrize("backend", ["sqlite"])
    def test_check_finds_a_stale_name_index_and_reindex_repairs_it(self, runner, posts, backend):
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO user_search(user_search) VALUES ('delete-all')")
        result = runner.invoke(args=["search", "check"])
        assert result.exit_code == 1 and "does not match the usernames" in result.output
        assert runner.invoke(args=["search", "reindex"]).exit_code == 0
        assert runner.invoke(args=["search", "check"]).exit_code == 0

    def test_reindex_of_an_empty_site(self, runner, app):
        result = runner.invoke(args=["search", "reindex"])
        assert result.exit_code == 0 and "Indexed 0 posts." in result.output


def test_the_migration_fills_the_index_from_existing_posts(empty_url):
    app = create_app(config(empty_url))
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO \"user\" (username, email, unread_message_count)"
                                 " VALUES ('old', 'old@example.com', 0)"))
            conn.execute(sa.text("INSERT INTO post (body, timestamp, user_id) VALUES"
                                 " ('written before search existed', CURRENT_TIMESTAMP, 1),"
                                 " ('Crème brûlée', CURRENT_TIMESTAMP, 1)"))
        upgrade()
        assert bodies("existed") == ["written before search existed"]
        assert bodies("creme brulee") == ["Crème brûlée"]
        db.session.remove()
        db.engine.dispose()

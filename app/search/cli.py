"""``flask search reindex`` and ``flask search check``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.search import maintenance

search_cli = AppGroup("search", help="Maintain the full-text index of posts.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the index from every post, in one transaction."""
    with db.engine.begin() as conn:
        total = maintenance.count_posts(conn)
        with click.progressbar(length=total, label="Indexing posts") as bar:
            done = maintenance.reindex(conn, bar.update)
    click.echo(f"Indexed {done:,} post{'' if done == 1 else 's'}.")


@search_cli.command("check")
def check() -> None:
    """Compare the index with the posts; exit 1 when they differ."""
    with db.engine.begin() as conn:
        report = maintenance.check(conn)
    if report.in_step:
        click.echo(f"The index is in step with the posts: {report.posts:,} indexed.")
        return
    lines = [f"The index has drifted from the posts: {report.posts:,} posts, {report.indexed:,} indexed"
             + (f", {report.stale:,} with an out-of-date entry" if report.stale else "") + "."]
    if report.problem:
        lines.append(f"Problem: {report.problem}.")
    lines.append("Run `flask search reindex` to rebuild it.")
    raise click.ClickException("\n".join(lines))

"""``flask posts render``: the rendered HTML, tags and mentions of posts
written before posts were rendered (or of every post, with ``--all``)."""
from __future__ import annotations

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask.cli import AppGroup

from app.extensions import db
from app.models import Post
from app.posts import content

posts_cli = AppGroup("posts", help="Maintain posts.")
BATCH = 500  # posts per transaction: a crash loses at most one batch's work, which a rerun redoes


@posts_cli.command("render")
@click.option("--all", "every", is_flag=True,
              help="Render every post again, not only those never rendered (after a change to the renderer).")
def render_posts(every: bool) -> None:
    """Render the posts that have no HTML yet: links, mentions and tags.
    Nobody is notified of an old mention. Safe to stop and run again."""
    wanted = sa.true() if every else Post.body_html.is_(None)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Post).where(wanted)) or 0
    done, after = 0, 0
    with click.progressbar(length=total, label="Rendering posts") as bar:
        while True:
            batch = db.session.scalars(
                sa.select(Post).where(wanted, Post.id > after).order_by(Post.id).limit(BATCH)
                .options(so.joinedload(Post.author))).all()
            if not batch:
                break
            for post in batch:
                content.apply(post, post.author, new=False, notify_mentions=False)
            after = batch[-1].id
            db.session.commit()
            done += len(batch)
            bar.update(len(batch))
    click.echo(f"Rendered {done:,} post{'' if done == 1 else 's'}.")

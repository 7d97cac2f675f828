"""``flask posts render``: the rendered HTML, tags, mentions and language of
posts written before posts were rendered (or of every post, with ``--all``:
after a change to the renderer or the language detector)."""
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
              help="Render every post again and detect its language, not only those never rendered (after a "
                   "change to the renderer or the language detector, or to fill in the language of posts "
                   "older than detection).")
def render_posts(every: bool) -> None:
    """Render the posts that have no HTML yet: links, mentions and tags,
    and detect their language. Nobody is notified of an old mention, and
    cached translations stay (the bodies are unchanged). Safe to stop and
    run again."""
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
                content.apply(post, post.author, new=False, notify_mentions=False, keep_translations=True)
            after = batch[-1].id
            db.session.commit()
            done += len(batch)
            bar.update(len(batch))
    click.echo(f"Rendered {done:,} post{'' if done == 1 else 's'}.")

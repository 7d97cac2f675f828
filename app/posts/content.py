"""What a post's text means at write time: its rendered HTML, the users it
mentions (told, at most MAX_MENTION_NOTICES of them), its tags (stored) and
its language, in the transaction that saves the body."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Post, PostMention, PostTag, PostTranslation, Tag, User
from app.notifications import notify
from app.observability.metrics import MENTIONS_NOTIFIED
from app.posts.language import detect
from app.posts.render import Rendered, mentioned_names, render

MENTION = "new_mention"
MAX_MENTION_NOTICES = 10
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _known(body: str) -> dict[str, tuple[int, str]]:
    """The users ``body`` may mention that exist: lower-cased name -> (id, name). One query."""
    names = mentioned_names(body)
    if not names:
        return {}
    rows = db.session.execute(sa.select(User.id, User.username).where(sa.func.lower(User.username).in_(names)))
    return {name.lower(): (uid, name) for uid, name in rows}


def apply(post: Post, author: User, *, new: bool = True, told: frozenset[int] = frozenset(),
          notify_mentions: bool = True, keep_translations: bool = False) -> Rendered:
    """Render ``post.body`` into ``post.body_html``, detect its language,
    set its tags and mentions, and notify the users it newly mentions, at most MAX_MENTION_NOTICES of
    them: on an edit (``new`` false) only those the old text did not
    mention, and never the author or a user in ``told`` (the answered author,
    who has a reply notice already); nobody when ``notify_mentions`` is
    false (``flask posts render``). On an edit its translations go too,
    unless ``keep_translations`` (a re-render of an unchanged body: they
    still translate it, and each cost a call to a provider). ``post`` must
    be flushed (it needs its id); the caller commits."""
    known = _known(post.body)
    rendered = render(post.body, {key: name for key, (_, name) in known.items()})
    post.body_html = rendered.html
    # Set beside body_html, after the flush that gave the post its id: both
    # go out in the one UPDATE the commit sends, so a create costs no
    # statement more than before.
    post.language = detect(post.body)
    mentioned = [known[name.lower()][0] for name in rendered.mentions]
    before: set[int] = set()
    if not new:
        before = set(db.session.scalars(sa.select(PostMention.user_id).where(PostMention.post_id == post.id)))
        db.session.execute(sa.delete(PostTag).where(PostTag.post_id == post.id))
        db.session.execute(sa.delete(PostMention).where(PostMention.post_id == post.id))
        if not keep_translations:
            # They translate the old text. One DELETE, even for a post with none.
            db.session.execute(sa.delete(PostTranslation).where(PostTranslation.post_id == post.id))
    if rendered.tags:
        insert = _INSERTS[db.engine.dialect.name](Tag).values([{"name": tag} for tag in rendered.tags])
        db.session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        ids = db.session.scalars(sa.select(Tag.id).where(Tag.name.in_(rendered.tags))).all()
        db.session.execute(sa.insert(PostTag), [{"post_id": post.id, "tag_id": tag_id} for tag_id in ids])
    if mentioned:
        db.session.execute(sa.insert(PostMention), [{"post_id": post.id, "user_id": uid} for uid in mentioned])
    skip = before | told | {author.id}
    for uid in [uid for uid in mentioned if uid not in skip and notify_mentions][:MAX_MENTION_NOTICES]:
        notify(uid, MENTION, {"post_id": post.id, "from": author.username})
        MENTIONS_NOTIFIED.inc()
    return rendered


RENAME_BATCH = 500


def rename_mentions(user_id: int) -> int:
    """Render again the posts that mention user ``user_id``, after a change of
    their username: a stored link to the old name would lead to nobody, or to
    whoever takes that name next. The old "@name" stays text; a change of
    letter case only re-spells the links. Nobody is notified. Returns how
    many posts were rendered; commits every RENAME_BATCH."""
    done, after = 0, 0
    while True:
        ids = db.session.scalars(sa.select(PostMention.post_id).where(
            PostMention.user_id == user_id, PostMention.post_id > after)
            .order_by(PostMention.post_id).limit(RENAME_BATCH)).all()
        if not ids:
            return done
        for post in db.session.scalars(sa.select(Post).where(Post.id.in_(ids)).options(so.joinedload(Post.author))):
            apply(post, post.author, new=False, notify_mentions=False, keep_translations=True)
        db.session.commit()
        done, after = done + len(ids), ids[-1]

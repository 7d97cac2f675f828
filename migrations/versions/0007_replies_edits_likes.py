"""replies, edit times and like counts on posts; the post_like table

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:30:00

SQLite cannot add a named foreign key to a table in place, so the post
table is rebuilt (Alembic's batch mode), now with AUTOINCREMENT: a deleted
post's id is never given to a new post (app/models/posts.py says why).
Copying the rows keeps their ids and sets the sequence past the highest.
Rebuilding drops the table's triggers, the ones that keep the search index
in step: they are read before and created again after, exactly as they were.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NEW_INDEXES = (
    ("ix_post_in_reply_to_id_timestamp", ["in_reply_to_id", "timestamp"]),
    ("ix_post_reply_to_user_id", ["reply_to_user_id"]),
)


def _post_triggers() -> list[str]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return []  # PostgreSQL alters the table in place: nothing is lost
    rows = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'post'"))
    return [row[0] for row in rows]


def _rebuild(autoincrement: bool) -> dict[str, object]:
    """Batch options: on SQLite, always rebuild (and set AUTOINCREMENT or
    not); PostgreSQL alters the table in place."""
    if op.get_bind().dialect.name != "sqlite":
        return {}
    options: dict[str, object] = {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": autoincrement}}
    if not autoincrement:
        # An AUTOINCREMENT key is written inline, without its constraint's
        # name: name it again as 0001 did.
        options["naming_convention"] = {"pk": "pk_%(table_name)s"}
    return options


def _restore(triggers: list[str]) -> None:
    for sql in triggers:
        op.execute(sql)


def upgrade():
    triggers = _post_triggers()
    with op.batch_alter_table("post", **_rebuild(autoincrement=True)) as batch_op:
        batch_op.add_column(sa.Column("edited", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reply_to_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("like_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_post_in_reply_to_id_post"), "post", ["in_reply_to_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_post_reply_to_user_id_user"), "user", ["reply_to_user_id"],
                                    ["id"], ondelete="SET NULL")
        for name, columns in NEW_INDEXES:
            batch_op.create_index(name, columns, unique=False)
    _restore(triggers)
    op.create_table(
        "post_like",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_post_like_post_id_post"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_post_like_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_post_like")),
    )
    op.create_index("ix_post_like_post_id_timestamp", "post_like", ["post_id", "timestamp"], unique=False)


def downgrade():
    op.drop_index("ix_post_like_post_id_timestamp", table_name="post_like")
    op.drop_table("post_like")
    triggers = _post_triggers()
    with op.batch_alter_table("post", **_rebuild(autoincrement=False)) as batch_op:
        for name, _ in reversed(NEW_INDEXES):
            batch_op.drop_index(name)
        batch_op.drop_constraint(batch_op.f("fk_post_reply_to_user_id_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_post_in_reply_to_id_post"), type_="foreignkey")
        batch_op.drop_column("like_count")
        batch_op.drop_column("reply_to_user_id")
        batch_op.drop_column("in_reply_to_id")
        batch_op.drop_column("edited")
    _restore(triggers)

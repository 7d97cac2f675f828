"""rendered post bodies; hashtags and mentions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:20:00

body_html is added empty: posts written before it are shown escaped until
they are rendered again (an edit, or `flask posts render`).
On PostgreSQL the column is added in place; SQLite adds a nullable column
without rebuilding the table, so the search triggers stay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("post", sa.Column("body_html", sa.Text(), nullable=True))
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_name")),
    )
    op.create_table(
        "post_tag",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_post_tag_post_id_post"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_post_tag_tag_id_tag"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "tag_id", name=op.f("pk_post_tag")),
    )
    op.create_index("ix_post_tag_tag_id_post_id", "post_tag", ["tag_id", "post_id"], unique=False)
    op.create_table(
        "post_mention",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_post_mention_post_id_post"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_post_mention_user_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_post_mention")),
    )
    op.create_index("ix_post_mention_post_id", "post_mention", ["post_id"], unique=False)


def downgrade():
    op.drop_index("ix_post_mention_post_id", table_name="post_mention")
    op.drop_table("post_mention")
    op.drop_index("ix_post_tag_tag_id_post_id", table_name="post_tag")
    op.drop_table("post_tag")
    op.drop_table("tag")
    triggers = []
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # dropping a column rebuilds the table, and loses its triggers
        triggers = [row[0] for row in bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'post'"))]
    with op.batch_alter_table("post", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("body_html")
    for sql in triggers:
        op.execute(sql)

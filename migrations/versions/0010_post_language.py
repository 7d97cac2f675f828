"""the language of each post; translations kept per post and language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:20:00

language is added as "" (unknown): posts written before detection show no
"Translate" link until they are edited or `flask posts render --all` runs.
SQLite adds the column in place, so the post search triggers stay.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("post", sa.Column("language", sa.String(length=5), server_default="", nullable=False))
    op.create_table(
        "post_translation",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_post_translation_post_id_post"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "language", name=op.f("pk_post_translation")),
    )


def downgrade():
    op.drop_table("post_translation")
    # In place, as 0009 does for user: a batch rebuild of post would drop
    # the search triggers and is locked by the FTS5 content table.
    op.execute("ALTER TABLE post DROP COLUMN language")

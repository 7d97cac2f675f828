"""users, posts and followers

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:41:22

"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("about_me", sa.String(length=140), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
    )
    # Case-insensitive uniqueness. These are expression indexes, which
    # autogenerate cannot compare: keep them in step with app/models.py by hand.
    op.create_index("ix_user_username_lower", "user", [sa.text("lower(username)")], unique=True)
    op.create_index("ix_user_email_lower", "user", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "followers",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followed_id"], ["user.id"], name=op.f("fk_followers_followed_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["user.id"], name=op.f("fk_followers_follower_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("follower_id", "followed_id", name=op.f("pk_followers")),
    )
    op.create_index("ix_followers_followed_id", "followers", ["followed_id"], unique=False)

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=140), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_post_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    op.create_index("ix_post_timestamp", "post", ["timestamp"], unique=False)
    op.create_index("ix_post_user_id_timestamp", "post", ["user_id", "timestamp"], unique=False)


def downgrade():
    op.drop_index("ix_post_user_id_timestamp", table_name="post")
    op.drop_index("ix_post_timestamp", table_name="post")
    op.drop_table("post")
    op.drop_index("ix_followers_followed_id", table_name="followers")
    op.drop_table("followers")
    op.drop_index("ix_user_email_lower", table_name="user")
    op.drop_index("ix_user_username_lower", table_name="user")
    op.drop_table("user")

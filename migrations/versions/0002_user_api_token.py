"""user API token

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Adding columns and an index needs no table rebuild, even on SQLite.
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("token_expiration", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_token_hash"), ["token_hash"], unique=True)


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_token_hash"))
    # Dropping a column rebuilds the table on SQLite, and the rebuilt copy would
    # lose the expression indexes (reflection cannot see them): set them aside
    # and create them again afterwards.
    op.drop_index("ix_user_email_lower", table_name="user")
    op.drop_index("ix_user_username_lower", table_name="user")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("token_expiration")
        batch_op.drop_column("token_hash")
    op.create_index("ix_user_username_lower", "user", [sa.text("lower(username)")], unique=True)
    op.create_index("ix_user_email_lower", "user", [sa.text("lower(email)")], unique=True)

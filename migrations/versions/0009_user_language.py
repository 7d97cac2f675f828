"""the interface language a user chose

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00

A nullable column: every existing user keeps being served by their cookie
or browser until they choose. SQLite adds it without rebuilding the table.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user", sa.Column("language", sa.String(length=10), nullable=True))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_column("user", "language")
        return
    # Dropping a column rebuilds the table on SQLite: the rebuilt copy would
    # lose the expression indexes (reflection cannot see them) and the search
    # triggers. Set them aside and make them again (as 0002, 0004 and 0008 do).
    triggers = [row[0] for row in bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'user'"))]
    op.drop_index("ix_user_email_lower", table_name="user")
    op.drop_index("ix_user_username_lower", table_name="user")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("language")
    op.create_index("ix_user_username_lower", "user", [sa.text("lower(username)")], unique=True)
    op.create_index("ix_user_email_lower", "user", [sa.text("lower(email)")], unique=True)
    for sql in triggers:
        op.execute(sql)

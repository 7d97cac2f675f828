"""the interface language a user chose

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00

A nullable column: every existing user keeps being served by their cookie
or browser until they choose. SQLite adds and drops it without rebuilding
the table (dropping needs SQLite 3.35 or newer; Debian 12 has 3.40).
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
    # Not a batch rebuild on SQLite: "user" is the content table of the FTS5
    # username index, which keeps statements open on it, so DROP TABLE user
    # fails as locked. SQLite 3.35+ drops an unindexed column in place, and
    # its indexes and triggers stay.
    op.execute('ALTER TABLE "user" DROP COLUMN language')

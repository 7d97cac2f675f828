"""private messages and notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=140), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["user.id"], name=op.f("fk_message_recipient_id_user"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sender_id"], ["user.id"], name=op.f("fk_message_sender_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    op.create_index("ix_message_recipient_id_timestamp", "message", ["recipient_id", "timestamp"], unique=False)
    op.create_index(op.f("ix_message_sender_id"), "message", ["sender_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("timestamp", sa.Float(precision=53), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "name", name="uq_notification_user_id_name"),
    )
    op.create_index("ix_notification_user_id_timestamp", "notification", ["user_id", "timestamp"], unique=False)
    # Adding columns needs no table rebuild, even on SQLite.
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("last_message_read_time", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("unread_message_count", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    # Dropping columns rebuilds the table on SQLite, and reflection cannot see
    # the expression indexes: set them aside and make them again (as 0002 does).
    op.drop_index("ix_user_email_lower", table_name="user")
    op.drop_index("ix_user_username_lower", table_name="user")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("unread_message_count")
        batch_op.drop_column("last_message_read_time")
    op.create_index("ix_user_username_lower", "user", [sa.text("lower(username)")], unique=True)
    op.create_index("ix_user_email_lower", "user", [sa.text("lower(email)")], unique=True)
    op.drop_index("ix_notification_user_id_timestamp", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_message_sender_id"), table_name="message")
    op.drop_index("ix_message_recipient_id_timestamp", table_name="message")
    op.drop_table("message")

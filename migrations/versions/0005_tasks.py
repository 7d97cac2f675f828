"""background tasks and the exports they produce

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade():
    op.create_table(
        "task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("heartbeat", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("result_size", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_task_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    op.create_index(op.f("ix_task_user_id"), "task", ["user_id"], unique=False)
    op.create_index("ix_task_state_heartbeat", "task", ["state", "heartbeat"], unique=False)
    op.create_index("ix_task_one_active", "task", ["user_id", "name"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_table(
        "export_chunk",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_export_chunk_task_id_task"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "seq", name=op.f("pk_export_chunk")),
    )


def downgrade():
    op.drop_table("export_chunk")
    op.drop_index("ix_task_one_active", table_name="task")
    op.drop_index("ix_task_state_heartbeat", table_name="task")
    op.drop_index(op.f("ix_task_user_id"), table_name="task")
    op.drop_table("task")

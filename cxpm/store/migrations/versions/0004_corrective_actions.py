"""Corrective actions and their tasks.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("problem", sa.Text),
        sa.Column("metric", sa.String(80), nullable=False, index=True),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("origin_ref", sa.String(200)),
        sa.Column("owner", sa.String(120)),
        sa.Column("due_date", sa.Date),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("root_cause_method", sa.String(40)),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("cause_category", sa.String(40)),
        sa.Column("implemented_on", sa.Date),
        sa.Column("verification", sa.JSON),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
    )
    op.create_table(
        "corrective_action_tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.Integer,
                  sa.ForeignKey("corrective_actions.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner", sa.String(120)),
        sa.Column("due_date", sa.Date),
        sa.Column("done_date", sa.Date),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("action_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("corrective_action_tasks")
    op.drop_table("corrective_actions")

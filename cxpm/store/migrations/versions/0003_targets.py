"""Targets: a metric's target per scope and validity period, with its benchmark.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("metric", sa.String(80), nullable=False, index=True),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("scope_key", sa.String(400), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("warning", sa.Float),
        sa.Column("benchmark_source", sa.String(200)),
        sa.Column("benchmark_date", sa.Date),
        sa.Column("benchmark_statistic", sa.String(80)),
        sa.Column("benchmark_value", sa.Float),
        sa.Column("owner", sa.String(120)),
        sa.Column("rationale", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("targets")

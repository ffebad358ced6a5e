"""Technology governance registry: technologies, their verifications and change log.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "technologies",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(120)),
        sa.Column("purpose", sa.Text),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("vendor", sa.String(120)),
        sa.Column("model", sa.String(120)),
        sa.Column("version", sa.String(80)),
        sa.Column("agent_id", sa.String(120), index=True),
        sa.Column("live_from", sa.Date),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("ethics", sa.JSON),
        sa.Column("security_review", sa.JSON),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    for table, columns in (
        ("technology_verifications", [
            sa.Column("verified_on", sa.Date, nullable=False),
            sa.Column("method", sa.String(20), nullable=False),
            sa.Column("verified_version", sa.String(80)),
            sa.Column("result", sa.String(10), nullable=False),
            sa.Column("verifier", sa.String(120), nullable=False),
            sa.Column("details", sa.JSON, nullable=False),
        ]),
        ("technology_changes", [
            sa.Column("changed_on", sa.Date, nullable=False),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("actor", sa.String(120), nullable=False),
            sa.Column("before", sa.JSON, nullable=False),
            sa.Column("after", sa.JSON, nullable=False),
            sa.Column("material", sa.Boolean, nullable=False),
        ]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("technology_id", sa.String(80),
                      sa.ForeignKey("technologies.id", ondelete="CASCADE"), nullable=False,
                      index=True),
            sa.Column("number", sa.Integer, nullable=False),
            *columns,
            sa.Column("recorded_at", sa.DateTime, nullable=False),
            sa.UniqueConstraint("technology_id", "number"),
        )


def downgrade() -> None:
    op.drop_table("technology_changes")
    op.drop_table("technology_verifications")
    op.drop_table("technologies")

"""Quality: evaluation forms (versioned), evaluations with item answers, calibration sessions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_forms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.String(80), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("imported_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("form_id", "version"),
    )
    op.create_table(
        "qa_evaluations",
        sa.Column("evaluation_id", sa.String(120), primary_key=True),
        sa.Column("form_id", sa.String(80), nullable=False, index=True),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.String(120), index=True),
        sa.Column("agent_id", sa.String(120), nullable=False, index=True),
        sa.Column("evaluator_id", sa.String(120)),
        sa.Column("evaluated_at", sa.DateTime, nullable=False, index=True),
        sa.Column("calibration_session_id", sa.String(120), index=True),
        sa.Column("score", sa.Float),
        sa.Column("customer_critical_error", sa.Boolean, nullable=False),
        sa.Column("business_critical_error", sa.Boolean, nullable=False),
        sa.Column("compliance_critical_error", sa.Boolean, nullable=False),
        sa.Column("noncritical_errors", sa.Integer, nullable=False),
        sa.Column("noncritical_opportunities", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "qa_answers",
        sa.Column("evaluation_id", sa.String(120),
                  sa.ForeignKey("qa_evaluations.evaluation_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("item_id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("section_id", sa.String(80), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("answer", sa.String(200)),
        sa.Column("applicable", sa.Boolean, nullable=False),
        sa.Column("points", sa.Float),
        sa.Column("max_points", sa.Float),
        sa.Column("error", sa.Boolean, nullable=False),
        sa.Column("opportunities", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
    )
    op.create_table(
        "qa_calibration_sessions",
        sa.Column("session_id", sa.String(120), primary_key=True),
        sa.Column("title", sa.String(200)),
        sa.Column("expert_id", sa.String(120)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("qa_calibration_sessions")
    op.drop_table("qa_answers")
    op.drop_table("qa_evaluations")
    op.drop_table("qa_forms")

"""Target ids are never reused: the audit log names targets by id, so a new target must not
take the id of a deleted one (SQLite reuses the largest id unless AUTOINCREMENT is set;
PostgreSQL's sequences never reuse, so nothing changes there).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("targets", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)

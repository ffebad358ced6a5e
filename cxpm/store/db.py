"""Opening and migrating the application database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.orm import Session

from cxpm.store.models import AuditLog

MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_url(url: str, workspace: Path) -> str:
    """Make an embedded SQLite URL (`sqlite:///app.db`) relative to the workspace."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.removeprefix(prefix).startswith("/"):
        return prefix + str(workspace / url.removeprefix(prefix))
    return url


def open_engine(url: str, workspace: Path) -> Engine:
    return create_engine(resolve_url(url, workspace))


def migrate(engine: Engine) -> None:
    """Bring the app database to the newest schema through the Alembic migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def audit_values(*, actor: str, action: str, entity: str, entity_id: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None,
                 note: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The columns of an audit-log row (for bulk inserts of many changes at once)."""
    return {"at": at or datetime.now(UTC).replace(tzinfo=None), "actor": actor,
            "action": action, "entity": entity, "entity_id": entity_id, "before": before,
            "after": after, "note": note}


def record_audit(session: Session, *, actor: str, action: str, entity: str, entity_id: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None,
                 note: str | None = None) -> AuditLog:
    """Add an audit-log row for a change to a workflow record (caller commits)."""
    row = AuditLog(**audit_values(actor=actor, action=action, entity=entity,
                                  entity_id=entity_id, before=before, after=after, note=note))
    session.add(row)
    return row

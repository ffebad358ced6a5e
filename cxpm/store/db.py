"""Opening and migrating the application database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL is reached through psycopg 3; a bare postgresql:// would ask for psycopg2.
_POSTGRES_DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
# Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
_MIGRATION_LOCK = 0x63787066_6D696772


def mask_url(url: str | URL) -> str:
    """`url` with its password replaced by ***, for messages."""
    if not isinstance(url, URL):
        try:
            url = make_url(url)
        except ArgumentError:
            # Unparsable: whatever stands before an @ may be a secret.
            return "***@" + url.rsplit("@", 1)[1] if "@" in url else url
    return url.render_as_string(hide_password=True)


def resolve_url(url: str, workspace: Path) -> str:
    """Make an embedded SQLite URL (`sqlite:///app.db`) relative to the workspace."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.removeprefix(prefix).startswith("/"):
        return prefix + str(workspace / url.removeprefix(prefix))
    return url


def database_url(url: str, workspace: Path) -> URL:
    """The app database's URL, checked: SQLite (embedded) or PostgreSQL through psycopg."""
    try:
        parsed = make_url(resolve_url(url, workspace))
    except ArgumentError:
        raise CxpmError(f"app database URL {mask_url(url)!r} is not a database URL, e.g. "
                        "sqlite:///app.db or postgresql+psycopg://user@host/db") from None
    if parsed.drivername in _POSTGRES_DRIVERS:
        parsed = parsed.set(drivername=_POSTGRES_DRIVERS[parsed.drivername])
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise CxpmError(f"app database URL {mask_url(parsed)!r}: cxpm supports sqlite and "
                        "postgresql")
    return parsed


def open_engine(url: str, workspace: Path) -> Engine:
    parsed = database_url(url, workspace)
    options = {} if parsed.get_backend_name() == "sqlite" else {"pool_pre_ping": True}
    try:
        return create_engine(parsed, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise CxpmError(f"cannot use app database {mask_url(parsed)!r}: {exc}") from None


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _connection_problem(engine: Engine, exc: DBAPIError) -> CxpmError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return CxpmError(f"cannot open app database {mask_url(engine.url)!r}: {reason}")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the app database to the newest schema (or `revision`) through the Alembic
    migrations, in one transaction."""
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise _connection_problem(engine, exc) from None
    with connection, connection.begin():
        # Several processes may open a new database at once (server workers, the CLI):
        # one migrates, the others wait and then find it up to date.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _MIGRATION_LOCK})
        else:
            # pysqlite starts no transaction before DDL: take SQLite's write lock now, which
            # also makes the migration one transaction.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config = _alembic_config(connection)
        current = MigrationContext.configure(connection).get_current_revision()
        known = {script.revision for script in
                 ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise CxpmError(f"app database {mask_url(engine.url)!r} was migrated by a newer "
                            f"cxpm (revision {current}); upgrade cxpm to open it")
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to `revision` (base: no tables), in one transaction."""
    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def utc_now() -> datetime:
    """Now as naive UTC, the way every stored timestamp is kept."""
    return datetime.now(UTC).replace(tzinfo=None)


def audit_values(*, actor: str, action: str, entity: str, entity_id: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None,
                 note: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The columns of an audit-log row (for bulk inserts of many changes at once)."""
    return {"at": at or utc_now(), "actor": actor,
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

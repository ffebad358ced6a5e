"""The Alembic migrations upgrade, downgrade and upgrade again on SQLite and PostgreSQL, and
the models match the migrated schema on both."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from cxpm.errors import CxpmError
from cxpm.store.db import downgrade, migrate
from cxpm.store.models import Base

MODEL_TABLES = set(Base.metadata.tables)


def differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def version(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_downgrade_upgrade(app_engine: Engine) -> None:
    migrate(app_engine)
    assert tables(app_engine) == MODEL_TABLES
    assert version(app_engine) == "0007"
    assert differences(app_engine) == []

    downgrade(app_engine, "base")
    assert tables(app_engine) == set()
    assert version(app_engine) is None

    migrate(app_engine)
    assert tables(app_engine) == MODEL_TABLES
    assert differences(app_engine) == []


def test_each_step_down_and_up(app_engine: Engine) -> None:
    """Every migration's downgrade undoes exactly its upgrade: stepping down one revision at
    a time and back up leaves the same schema."""
    migrate(app_engine)
    downgrade(app_engine, "0006")
    assert differences(app_engine) == []  # 0007 changes how SQLite numbers rows only
    downgrade(app_engine, "0005")
    # The comparison sees what 0006 adds: the models are ahead of this schema.
    missing = {d[1].name for d in differences(app_engine) if d[0] == "add_table"}
    assert missing == {"auth_tokens", "login_failures"}
    for below in ("0004", "0003", "0002", "0001"):
        downgrade(app_engine, below)
        assert version(app_engine) == below
    assert tables(app_engine) == {"users", "audit_log"}
    migrate(app_engine)
    assert differences(app_engine) == []


def test_users_of_an_older_schema_gain_the_boolean_default(app_engine: Engine) -> None:
    """Rows written before 0006 get disabled = false from the server default."""
    migrate(app_engine, "0005")
    with app_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (username, role, scope_kind, created_at) "
            "VALUES ('ann', 'admin', 'all', :at)"), {"at": datetime(2026, 1, 2, 3, 4)})
    migrate(app_engine)
    with app_engine.connect() as connection:
        row = connection.execute(text(
            "SELECT username, disabled, password_hash FROM users")).one()
    assert (row.username, bool(row.disabled), row.password_hash) == ("ann", False, None)
    assert row.disabled is False or row.disabled == 0


def test_a_database_from_a_newer_cxpm_is_refused(app_engine: Engine) -> None:
    migrate(app_engine)
    with app_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(CxpmError, match=r"migrated by a newer cxpm \(revision 0999\)"):
        migrate(app_engine)


def test_concurrent_opens_migrate_once(app_engine: Engine) -> None:
    """Processes opening a new database together (server workers) do not collide."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: migrate(app_engine), range(3)))
    assert version(app_engine) == "0007" and differences(app_engine) == []


def test_a_deleted_targets_id_is_never_reused(app_engine: Engine) -> None:
    """The audit log names targets by id: a new target never takes a deleted one's."""
    migrate(app_engine, "0006")
    insert = text("INSERT INTO targets (metric, scope, scope_key, valid_from, value, "
                  "created_at, updated_at) VALUES ('asa', '{}', '', :day, 20, :at, :at)")
    stamp = {"day": datetime(2026, 1, 1).date(), "at": datetime(2026, 1, 2, 3, 4)}
    with app_engine.begin() as connection:
        connection.execute(insert, stamp)
        connection.execute(insert, stamp)
    migrate(app_engine)  # 0007 keeps the rows
    with app_engine.begin() as connection:
        ids = connection.execute(text("SELECT id FROM targets ORDER BY id")).scalars().all()
        assert len(ids) == 2
        connection.execute(text("DELETE FROM targets WHERE id = :id"), {"id": ids[-1]})
        connection.execute(insert, stamp)
        newest = connection.execute(text("SELECT max(id) FROM targets")).scalar_one()
    assert newest > ids[-1]

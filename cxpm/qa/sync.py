"""Copying saved evaluations from the app database into the warehouse tables `evaluations`
and `evaluation_items`, where the metric engine reads them. Rows written here carry the
source `cxpm qa`; rows loaded from files (cxpm ingest) are never touched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.ingest.staging import lit, q
from cxpm.schema import BATCH_COLUMN, LOCAL_TIME_COLUMN, SOURCE_COLUMN, get_table
from cxpm.store.models import QaAnswer, QaEvaluation
from cxpm.warehouse import arrow_schema
from cxpm.workspace import Workspace

QA_SOURCE = "cxpm qa"
QA_BATCH = "qa"
_CHUNK = 500


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def foreign_evaluation_ids(workspace: Workspace, ids: Sequence[str]) -> set[str]:
    """Ids among `ids` that the warehouse holds from a file load, not from cxpm qa."""
    table = workspace.warehouse.table("evaluations")
    wanted = ibis.memtable({"evaluation_id": list(ids)}, schema={"evaluation_id": "string"})
    query = table.filter(table.evaluation_id.isin(wanted.evaluation_id),
                         table[SOURCE_COLUMN] != QA_SOURCE).select("evaluation_id")
    return set(query.to_pyarrow()["evaluation_id"].to_pylist())


def _local_time(utc: pa.Array, timezone: str) -> pa.Array:
    aware = pc.cast(utc, pa.timestamp("us", tz="UTC"))
    return pc.local_timestamp(pc.cast(aware, pa.timestamp("us", tz=timezone)))


def _as_table(name: str, rows: dict[str, list], timezone: str) -> pa.Table:
    schema = arrow_schema(get_table(name))
    count = len(rows["evaluation_id"])
    rows[LOCAL_TIME_COLUMN] = _local_time(pa.array(rows["evaluated_at"],
                                                   pa.timestamp("us")), timezone)
    rows[SOURCE_COLUMN] = [QA_SOURCE] * count
    rows[BATCH_COLUMN] = [QA_BATCH] * count
    return pa.table({f.name: pa.array(rows[f.name], f.type) if not isinstance(
        rows[f.name], pa.Array) else rows[f.name].cast(f.type) for f in schema}, schema=schema)


_EVALUATION_COLUMNS = ("evaluation_id", "contact_id", "agent_id", "evaluator_id", "form_id",
                       "form_version", "evaluated_at", "score", "customer_critical_error",
                       "business_critical_error", "compliance_critical_error",
                       "noncritical_errors", "noncritical_opportunities",
                       "calibration_session_id")
_ITEM_COLUMNS = ("item_id", "section_id", "category", "answer", "applicable", "points",
                 "max_points", "error", "opportunities", "errors")
_ITEM_EVALUATION_COLUMNS = ("evaluation_id", "form_id", "form_version", "contact_id",
                            "agent_id", "evaluator_id", "evaluated_at",
                            "calibration_session_id")


def _read_app_rows(session: Session, ids: Sequence[str] | None) -> tuple[dict, dict]:
    evaluations: dict[str, list] = {c: [] for c in _EVALUATION_COLUMNS}
    items: dict[str, list] = {c: [] for c in (*_ITEM_EVALUATION_COLUMNS, *_ITEM_COLUMNS)}
    columns = [getattr(QaEvaluation, c) for c in _EVALUATION_COLUMNS]
    item_columns = [getattr(QaAnswer, c) for c in _ITEM_COLUMNS]
    for chunk in ([None] if ids is None else _chunks(list(ids))):
        query = select(*columns)
        item_query = (select(*[getattr(QaEvaluation, c) for c in _ITEM_EVALUATION_COLUMNS],
                             *item_columns)
                      .join(QaAnswer, QaAnswer.evaluation_id == QaEvaluation.evaluation_id)
                      .order_by(QaAnswer.evaluation_id, QaAnswer.position))
        if chunk is not None:
            query = query.where(QaEvaluation.evaluation_id.in_(chunk))
            item_query = item_query.where(QaEvaluation.evaluation_id.in_(chunk))
        for row in session.execute(query):
            for name, value in zip(_EVALUATION_COLUMNS, row, strict=True):
                evaluations[name].append(value)
        for row in session.execute(item_query):
            for name, value in zip((*_ITEM_EVALUATION_COLUMNS, *_ITEM_COLUMNS), row,
                                   strict=True):
                items[name].append(value)
    return evaluations, items


def sync_evaluations(workspace: Workspace, ids: Sequence[str] | None = None, *,
                     session: Session | None = None) -> int:
    """Replace the warehouse copies of evaluations `ids` (all of cxpm qa's when None) with
    what the app database holds; ids no longer there are removed. With `session`, its
    uncommitted changes are what is copied, so a caller can commit the app database only
    once the warehouse has them. Returns the number of evaluations written."""
    if session is None:
        with Session(workspace.app_db) as own:
            evaluations, items = _read_app_rows(own, ids)
    else:
        session.flush()
        evaluations, items = _read_app_rows(session, ids)
    warehouse = workspace.warehouse
    tz = workspace.timezone
    evaluation_rows = _as_table("evaluations", evaluations, tz)
    item_rows = _as_table("evaluation_items", items, tz)
    try:
        with warehouse.transaction():
            for name, rows in (("evaluations", evaluation_rows),
                               ("evaluation_items", item_rows)):
                _delete_qa_rows(workspace, name, ids)
                if rows.num_rows:
                    warehouse.con.insert(name, rows)
    except Exception as exc:  # the backend's own errors; the user needs one line
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CxpmError(f"copying evaluations to the warehouse failed: {message}") from exc
    return evaluation_rows.num_rows


def _delete_qa_rows(workspace: Workspace, name: str, ids: Sequence[str] | None) -> None:
    con = workspace.warehouse.con
    source = f"{q(SOURCE_COLUMN)} = {lit(QA_SOURCE)}"
    if ids is None:
        con.raw_sql(f"DELETE FROM {q(name)} WHERE {source}")
        return
    for chunk in _chunks(list(ids)):
        # lit() escapes quotes; ids are data, never SQL.
        listed = ", ".join(lit(i) for i in chunk)
        con.raw_sql(f"DELETE FROM {q(name)} WHERE {source} AND {q('evaluation_id')} IN "
                    f"({listed})")

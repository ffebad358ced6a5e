from __future__ import annotations

from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.schema import TABLES, get_table
from cxpm.schema.describe import data_model_markdown
from cxpm.warehouse import arrow_schema, ibis_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_docs_data_model_is_generated_from_the_schema() -> None:
    assert DOCS.read_text(encoding="utf-8") == data_model_markdown(), (
        "docs/data-model.md is stale: python -m cxpm.schema.describe > docs/data-model.md"
    )


def test_every_architecture_table_exists_with_keys_and_time_columns() -> None:
    assert set(TABLES) == {"contacts", "agent_states", "schedules", "forecasts", "evaluations",
                           "evaluation_items", "surveys", "roster", "training", "costs"}
    for table in TABLES.values():
        names = table.column_names
        assert set(table.key) <= set(names), table.name
        assert table.time_column in names
        assert all({o.earlier, o.later} <= set(names) for o in table.orders)
        assert list(ibis_schema(table)) == arrow_schema(table).names


def test_unknown_table_names_the_valid_ones() -> None:
    with pytest.raises(CxpmError, match="canonical tables are: contacts"):
        get_table("calls")

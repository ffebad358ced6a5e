"""Target files: CSV (scope written `dim=value;dim=value`) or JSON (scope as an object).
Export writes what import reads, so targets move between workspaces unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cxpm.errors import CxpmError
from cxpm.files import read_user_text
from cxpm.metrics.catalog import Catalog
from cxpm.targets.model import (
    TargetInfo,
    TargetSpec,
    checked_definition,
    parse_month_or_date,
    parse_scope,
    scope_key,
)

COLUMNS = ("metric", "scope", "valid_from", "valid_to", "value", "warning",
           "benchmark_source", "benchmark_date", "benchmark_statistic", "benchmark_value",
           "owner", "rationale")
_DATES = ("valid_from", "valid_to", "benchmark_date")
_NUMBERS = ("value", "warning", "benchmark_value")


def _spec(raw: dict[str, Any], where: str) -> TargetSpec:
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name == "scope":
            values[name] = _scope(value, where)
        elif name in _DATES:
            values[name] = parse_month_or_date(str(value), f"{where}: {name}")
        elif name in _NUMBERS:
            try:
                if isinstance(value, bool):
                    raise TypeError
                values[name] = float(value)
            except (TypeError, ValueError):
                raise CxpmError(f"{where}: {name} {value!r} is not a number") from None
        else:
            values[name] = str(value).strip()
    for required in ("metric", "valid_from", "value"):
        if required not in values:
            raise CxpmError(f"{where}: missing {required}")
    try:
        return TargetSpec(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CxpmError(f"{where}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def _scope(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        try:
            return parse_scope(value)
        except CxpmError as exc:
            raise CxpmError(f"{where}: {exc}") from None
    if not isinstance(value, dict):
        raise CxpmError(f"{where}: scope must be an object of dimension values or "
                        f"DIM=VALUE text, got {value!r}")
    return {str(k): str(v) for k, v in value.items()}


def read_targets(path: Path, catalog: Catalog | None = None) -> list[TargetSpec]:
    """Targets from a .csv or .json file; errors name the file and the line or entry. With
    a `catalog`, each target is also checked against its metric (checked_definition)."""
    if path.suffix.lower() not in (".csv", ".json"):
        raise CxpmError(f"{path.name}: target files are .csv or .json")
    text = read_user_text(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CxpmError(f"{path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") \
                from None
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise CxpmError(f"{path.name}: expected a list of target objects")
        entries = [(entry, f"{path.name} target #{i}") for i, entry in enumerate(data, 1)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            raise CxpmError(f"{path.name} line 1: unknown column(s) {', '.join(unknown)}; "
                            f"columns are {', '.join(COLUMNS)}")
        reader.fieldnames = header
        # line_num, not a count of rows: blank lines and quoted line breaks take lines too.
        entries = [(row, f"{path.name} line {reader.line_num}") for row in reader]
    for entry, where in entries:
        if None in entry:
            raise CxpmError(f"{where}: more cells than the header has columns")
        unknown = [k for k in entry if k not in COLUMNS]
        if unknown:
            raise CxpmError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    specs = [_spec(entry, where) for entry, where in entries]
    if not specs:
        raise CxpmError(f"{path.name}: no targets in the file")
    first_seen: dict[tuple, str] = {}
    for spec, (_, where) in zip(specs, entries, strict=True):
        key = (spec.metric, scope_key(spec.scope), spec.valid_from)
        if key in first_seen:
            raise CxpmError(f"{where}: same metric, scope and valid_from as "
                            f"{first_seen[key]}")
        first_seen[key] = where.removeprefix(f"{path.name} ")
        if catalog is not None:
            try:
                checked_definition(spec, catalog)
            except CxpmError as exc:
                raise CxpmError(f"{where}: {exc}") from None
    return specs


def _cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def targets_text(targets: list[TargetInfo], fmt: str) -> str:
    """Targets as CSV or JSON text in the import format."""
    if fmt == "json":
        rows = [{c: _cell(getattr(t, c)) for c in COLUMNS} for t in targets]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in targets:
        writer.writerow([scope_key(t.scope) if c == "scope" else
                         "" if getattr(t, c) is None else _cell(getattr(t, c))
                         for c in COLUMNS])
    return out.getvalue()

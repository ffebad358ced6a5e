"""The metric catalog: definitions as data (built-ins from builtin_metrics.toml plus the
workspace's [[metrics]]), checked when loaded so a bad definition never reaches a query."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal

import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxpm.errors import CxpmError
from cxpm.metrics import formula
from cxpm.metrics.params import DEFAULT_PARAMS, SPECS_BY_KEY
from cxpm.metrics.sources import SOURCES, get_source, schema_table

Family = Literal["experience", "service", "quality", "cost", "revenue", "efficiency", "people",
                 "automation", "forecasting"]
FAMILIES: tuple[str, ...] = Family.__args__
Unit = Literal["count", "ratio", "seconds", "currency", "score", "points", "contacts"]
Direction = Literal["higher", "lower", "neutral"]


class MetricDefinition(BaseModel):
    """One metric. value = sum(numerator) for aggregation "sum"; sum(numerator) /
    sum(denominator) for "ratio"; 1 - sum(numerator) / sum(denominator) for
    "one_minus_ratio" (accuracy = 1 - error rate); each summed over the rows of its source
    that pass `filter` (booleans count as 1/0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    title: str = Field(min_length=1)
    family: Family
    unit: Unit
    direction: Direction
    source: str
    aggregation: Literal["sum", "ratio", "one_minus_ratio"] = "ratio"
    filter: str | None = None
    numerator: str
    denominator: str | None = None
    # The denominator's source when it is another table (e.g. costs / contacts). The filter
    # then applies to the numerator side only.
    denominator_source: str | None = None
    # Across sources, a group with denominator rows but no numerator rows has a null
    # numerator (no cost rows is not a cost of 0); "zero" counts it as 0 instead (no worked
    # time against scheduled time is a conformance of 0).
    missing_numerator: Literal["null", "zero"] = "null"
    description: str = Field(min_length=1)

    @property
    def is_ratio(self) -> bool:
        """Has a denominator (ratio or one_minus_ratio)."""
        return self.aggregation != "sum"

    @property
    def is_one_minus_ratio(self) -> bool:
        return self.aggregation == "one_minus_ratio"

    @property
    def denominator_table(self) -> str:
        return self.denominator_source or self.source

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys([self.source, self.denominator_table] if self.is_ratio
                                  else [self.source]))

    @property
    def parameters(self) -> list[str]:
        """Parameter keys the formulas read (`k_by_col.*` for per-value families)."""
        texts = [t for t in (self.filter, self.numerator, self.denominator) if t]
        keys = [k for s in self.sources for k in get_source(s).params]
        keys += [k for t in texts for k in formula.parameters(t)]
        return list(dict.fromkeys(keys))

    @property
    def dimensions(self) -> list[str]:
        """Dimensions every side of the metric has, in the numerator source's order."""
        common = [d for d in get_source(self.source).dimensions
                  if all(d in get_source(s).dimensions for s in self.sources)]
        return common

    @property
    def formula_text(self) -> str:
        """Human-readable formula."""
        where = f" where {self.filter}" if self.filter else ""
        if not self.is_ratio:
            return f"sum({self.numerator}) over {self.source}{where}"
        one = "1 - " if self.is_one_minus_ratio else ""
        if self.denominator_source and self.denominator_source != self.source:
            return (f"{one}sum({self.numerator}) over {self.source}{where} / "
                    f"sum({self.denominator}) over {self.denominator_source}")
        return (f"{one}sum({self.numerator}) / sum({self.denominator}) over "
                f"{self.source}{where}")


class Catalog:
    """Metric definitions by id, in catalog order."""

    def __init__(self, definitions: Sequence[MetricDefinition]) -> None:
        self._by_id = {d.id: d for d in definitions}

    def get(self, metric_id: str) -> MetricDefinition:
        try:
            return self._by_id[metric_id]
        except KeyError:
            close = difflib.get_close_matches(metric_id, list(self._by_id), n=3)
            hint = (f"; did you mean {', '.join(close)}?" if close
                    else "; `cxpm metrics list` shows the catalog")
            raise CxpmError(f"unknown metric {metric_id!r}{hint}") from None

    def ids(self) -> list[str]:
        return list(self._by_id)

    def __iter__(self) -> Iterator[MetricDefinition]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self._by_id


@cache
def builtin_definitions() -> tuple[MetricDefinition, ...]:
    """The built-in metrics, checked."""
    text = resources.files("cxpm.metrics").joinpath("builtin_metrics.toml").read_text("utf-8")
    return tuple(_definition(raw, f"built-in #{i + 1}")
                 for i, raw in enumerate(tomllib.loads(text)["metrics"]))


def load_catalog(custom: Sequence[Mapping[str, Any]] = ()) -> Catalog:
    """Built-in metrics plus workspace [[metrics]]. An entry whose id is a built-in's
    overrides only the fields it gives; other entries must be complete definitions."""
    definitions = {d.id: d for d in builtin_definitions()}
    for index, raw in enumerate(custom):
        label = f"[[metrics]] #{index + 1}"
        if not isinstance(raw, Mapping):
            raise CxpmError(f"{label}: expected a table of fields, got {raw!r}")
        metric_id = raw.get("id")
        if isinstance(metric_id, str) and metric_id in definitions:
            raw = {**definitions[metric_id].model_dump(), **raw}
        definition = _definition(raw, label)
        definitions[definition.id] = definition
    return Catalog(list(definitions.values()))


def _definition(raw: Mapping[str, Any], label: str) -> MetricDefinition:
    name = f"metric {raw['id']!r}" if isinstance(raw.get("id"), str) else label
    try:
        definition = MetricDefinition(**raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise CxpmError(f"{name}: {problems}") from None
    check_definition(definition)
    return definition


def _problem(err: Mapping[str, Any]) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "definition"
    if err["type"] == "missing":
        return f"missing field {field!r}"
    if err["type"] == "extra_forbidden":
        return f"unknown field {field!r}"
    return f"field {field!r}: {err['msg']}"


def check_definition(definition: MetricDefinition) -> None:
    """Compile every formula against its source's columns; CxpmError naming the metric and
    the problem otherwise."""
    name = f"metric {definition.id!r}"
    for field, value in (("source", definition.source),
                         ("denominator_source", definition.denominator_source)):
        if value is not None and value not in SOURCES:
            raise CxpmError(f"{name}: unknown {field} {value!r}; sources are "
                            f"{', '.join(SOURCES)}")
    if definition.is_ratio and not definition.denominator:
        raise CxpmError(f"{name}: a ratio metric needs a denominator")
    if not definition.is_ratio and (definition.denominator or definition.denominator_source):
        raise CxpmError(f"{name}: a sum metric has no denominator")
    sides = [("filter", definition.filter, definition.source, "boolean"),
             ("numerator", definition.numerator, definition.source, "number"),
             ("denominator", definition.denominator, definition.denominator_table, "number")]
    for field, text, source, kind in sides:
        if text is None:
            continue
        try:
            values = [formula.compile_formula(text, schema_table(source), params)
                      for params in _param_choices(text)]
        except CxpmError as exc:
            raise CxpmError(f"{name}: {field}: {exc}") from None
        except Exception as exc:  # Ibis type errors: the formula mixes incompatible values
            raise CxpmError(f"{name}: {field}: invalid expression ({exc})") from None
        for value in values:
            _check_kind(name, field, value, kind)


def _param_choices(text: str) -> list[dict[str, Any]]:
    """Default parameters, plus one set per other value of each choice parameter the formula
    reads, so every `choose` branch is checked, not only the default one."""
    variants = [dict(DEFAULT_PARAMS)]
    for key in formula.parameters(text):
        spec = SPECS_BY_KEY.get(key)
        if spec is not None and spec.choices:
            variants += [{**DEFAULT_PARAMS, key: choice} for choice in spec.choices
                         if choice != spec.default]
    return variants


def _check_kind(name: str, field: str, value: Any, kind: str) -> None:
    if isinstance(value, ir.Expr):
        dtype = value.type()
        ok = dtype.is_boolean() if kind == "boolean" else (dtype.is_numeric()
                                                          or dtype.is_boolean())
        shown = str(dtype)
    else:
        ok = isinstance(value, bool) if kind == "boolean" else isinstance(value, int | float)
        shown = repr(value)
    if not ok:
        expected = "true/false" if kind == "boolean" else "a number or true/false"
        raise CxpmError(f"{name}: {field} must be {expected}, got {shown}")

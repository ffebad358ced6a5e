"""Evaluation forms as versioned data: one TOML file per form version, validated into
pydantic models. See docs/qa-forms.md for the file format and the rules it enforces."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from cxpm.errors import CxpmError
from cxpm.files import read_user_text

ItemType = Literal["yes_no", "scale", "choice"]
Category = Literal["customer_critical", "business_critical", "compliance_critical", "non_critical"]
CriticalFailure = Literal["zero_score", "zero_section", "no_effect"]
Subject = Literal["agent", "bot"]
# The same vocabularies as the warehouse columns (cxpm.schema.tables); a test keeps them equal.
Channel = Literal["voice", "chat", "email", "messaging", "social", "self_service"]

CRITICAL_CATEGORIES: tuple[str, ...] = (
    "customer_critical",
    "business_critical",
    "compliance_critical",
)
# Answers that mean "not applicable"; no option may be spelled like them.
NA_SPELLINGS = frozenset({"na", "n/a"})
_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
# Beyond this, integral floats are left as floats (they are no longer exact integers).
_EXACT_INT_LIMIT = 2**53

def _tidy_number(value: float) -> int | float:
    """20.0 and 20 mean the same weight: store integral values as int, so the definition
    and its hash do not depend on how the file spelled the number."""
    if float(value).is_integer() and abs(value) < _EXACT_INT_LIMIT:
        return int(value)
    return value


Number = Annotated[float, AfterValidator(_tidy_number)]
# Ids are stored in 80-character columns (qa_forms, qa_answers) on every database.
Identifier = Annotated[str, StringConstraints(pattern=_ID_PATTERN, max_length=80)]
Text = Annotated[str, StringConstraints(pattern=r"\S")]


class _Strict(BaseModel):
    # Strict: a form file says `weight = 2`, not `weight = "2"`; true is not 1.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Option(_Strict):
    """One answer of a choice item."""

    value: str = Field(max_length=200)  # stored with each answer (200 characters)
    points: Number = Field(ge=0)
    # None only while parsing: the item resolves it (lower than the best option = error).
    error: bool | None = None

    @field_validator("value")
    @classmethod
    def _plain_value(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise ValueError("option value must be non-blank text without surrounding spaces")
        if value.casefold() in NA_SPELLINGS:
            raise ValueError(f"option value {value!r} is reserved for 'not applicable'")
        return value


class Item(_Strict):
    """One question of the form."""

    id: Identifier
    text: Text
    type: ItemType
    category: Category
    weight: Number = Field(default=1, gt=0)
    required: bool = True
    allow_na: bool = False
    opportunities: int = Field(default=1, ge=1)
    min: Number | None = None
    max: Number | None = None
    error_below: Number | None = None
    options: list[Option] | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_error_below(cls, data: Any) -> Any:
        # Only a usable max is copied, so a bad max is reported once, not twice.
        if (isinstance(data, Mapping) and data.get("type") == "scale"
                and "error_below" not in data and isinstance(data.get("max"), int | float)
                and not isinstance(data.get("max"), bool)):
            return {**data, "error_below": data["max"]}
        return data

    @field_validator("options")
    @classmethod
    def _resolve_options(cls, options: list[Option] | None) -> list[Option] | None:
        if options is None:
            return None
        if not options:
            raise ValueError("a choice item needs at least one option")
        seen: set[str] = set()
        for option in options:
            key = option.value.casefold()
            if key in seen:
                raise ValueError(f"duplicate option value {option.value!r} (case-insensitive)")
            seen.add(key)
        best = max(option.points for option in options)
        if best <= 0:
            raise ValueError("the best option must be worth more than 0 points")
        return [
            option if option.error is not None
            else option.model_copy(update={"error": option.points < best})
            for option in options
        ]

    @model_validator(mode="after")
    def _type_rules(self) -> Item:
        if self.category in CRITICAL_CATEGORIES and self.opportunities != 1:
            raise ValueError(
                f"opportunities must be 1 on a {self.category} item (got {self.opportunities}); "
                "only non_critical items stand for several opportunities"
            )
        scale_keys = [key for key in ("min", "max", "error_below")
                      if getattr(self, key) is not None]
        if self.type != "scale" and scale_keys:
            raise ValueError(f"{', '.join(scale_keys)} apply to scale items only")
        if self.type != "choice" and self.options is not None:
            raise ValueError("options apply to choice items only")
        if self.type == "choice" and self.options is None:
            raise ValueError("a choice item needs at least one option")
        if self.type == "scale":
            if self.min is None or self.max is None:
                raise ValueError("a scale item needs min and max")
            if self.min >= self.max:
                raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
            assert self.error_below is not None  # defaulted to max before validation
            if not self.min <= self.error_below <= self.max:
                raise ValueError(
                    f"error_below ({self.error_below}) must lie within "
                    f"[{self.min}, {self.max}]"
                )
        return self

    @property
    def is_critical(self) -> bool:
        return self.category in CRITICAL_CATEGORIES

    @property
    def max_points(self) -> float:
        """Points of a perfect answer."""
        if self.type == "scale":
            return float(self.max - self.min)  # type: ignore[operator]
        if self.type == "choice":
            return float(max(option.points for option in self.options or ()))
        return 1.0


class Section(_Strict):
    """A weighted group of items."""

    id: Identifier
    title: Text
    weight: Number = Field(gt=0)
    items: list[Item] = Field(min_length=1)


class Form(_Strict):
    """One version of an evaluation form."""

    id: Identifier
    version: int = Field(ge=1)
    title: Text
    applies_to: list[Subject] = Field(default_factory=lambda: ["agent", "bot"], min_length=1)
    channels: list[Channel] | None = Field(default=None, min_length=1)
    critical_failure: CriticalFailure
    description: str | None = None
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Form:
        for name, values in (("applies_to", self.applies_to), ("channels", self.channels or [])):
            repeated = _repeated(values)
            if repeated:
                raise ValueError(f"{name} lists {', '.join(repeated)} more than once")
        repeated = _repeated([section.id for section in self.sections])
        if repeated:
            raise ValueError(f"duplicate section id(s): {', '.join(repeated)}")
        repeated = _repeated([item.id for _, item in self.iter_items()])
        if repeated:
            raise ValueError(f"duplicate item id(s): {', '.join(repeated)}")
        return self

    @property
    def label(self) -> str:
        """`id vVERSION`, how messages name a form version."""
        return f"{self.id} v{self.version}"

    def iter_items(self) -> Iterator[tuple[Section, Item]]:
        """Every item with its section, in form order."""
        for section in self.sections:
            for item in section.items:
                yield section, item

    def item(self, item_id: str) -> Item:
        """The item with this id; CxpmError when the form has none."""
        for _, item in self.iter_items():
            if item.id == item_id:
                return item
        raise CxpmError(f"form {self.label} has no item {item_id!r}")

    def definition(self) -> dict[str, Any]:
        """The form as plain JSON-ready data with every default spelled out;
        `parse_form(form.definition(), ...)` gives back an equal form."""
        return self.model_dump(exclude_none=True)

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of the definition: equal for files that mean the
        same form, different after any change (wording included)."""
        return hashlib.sha256(canonical_json(self.definition()).encode("utf-8")).hexdigest()


def canonical_json(data: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the bytes the content hash is taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _repeated(values: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def load_form(path: Path) -> Form:
    """Read and validate one form version from a TOML file."""
    return parse_form_toml(read_user_text(path), str(path))


def parse_form_toml(text: str, origin: str) -> Form:
    """Validate one form version given as TOML text; `origin` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message carries the line and column.
        raise CxpmError(f"{origin}: invalid TOML: {exc}") from None
    return parse_form(data, origin)


def parse_form(data: Mapping[str, Any], origin: str) -> Form:
    """Validate one form version given as data (parsed TOML or a stored definition).
    All problems found are reported together in one CxpmError naming `origin`."""
    if not isinstance(data, Mapping):
        raise CxpmError(f"{origin}: a form must be a table of keys, not {type(data).__name__}")
    try:
        return Form.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_describe(error, data) for error in exc.errors()]
        raise CxpmError(f"{origin}: {'; '.join(problems)}") from None


def _describe(error: Any, data: Mapping[str, Any]) -> str:
    """One pydantic error as `section X, item Y: problem`, naming parts by their ids."""
    place, field = _place(tuple(error["loc"]), data)
    kind = error["type"]
    given = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        problem = f"missing key {field}"
    elif kind == "extra_forbidden":
        problem = f"unknown key {field}"
    elif kind == "literal_error":
        problem = f"{field}: unknown value {given!r}; expected {ctx.get('expected')}"
    elif kind == "string_pattern_mismatch" and field.endswith("id"):
        problem = (f"{field} {given!r} must start with a lowercase letter or digit and use "
                   "only a-z, 0-9, _ and -")
    elif kind == "string_pattern_mismatch":
        problem = f"{field} must not be blank"
    elif kind == "string_too_long":
        problem = f"{field} is longer than {ctx.get('max_length')} characters"
    elif kind == "too_short" and field == "items":
        problem = "section has no items"
    elif kind == "too_short" and field == "sections":
        problem = "form has no sections"
    elif kind == "too_short":
        problem = f"{field} must not be empty"
    elif kind in {"greater_than", "greater_than_equal"}:
        sign = ">" if kind == "greater_than" else ">="
        bound = ctx.get("gt", ctx.get("ge"))
        bound = _tidy_number(bound) if isinstance(bound, float) else bound
        problem = f"{field} must be {sign} {bound} (got {given!r})"
    elif kind == "finite_number":
        problem = f"{field} must be a finite number (got {given!r})"
    elif kind == "value_error":
        problem = str(ctx.get("error", error["msg"]))
        problem = f"{field}: {problem}" if field and field != "options" else problem
    elif kind.endswith("_type"):
        expected = _TYPE_NAMES.get(kind, kind.removesuffix("_type"))
        problem = f"{field} must be {expected} (got {given!r})"
    else:
        problem = f"{field}: {error['msg']}" if field else error["msg"]
    return f"{place}: {problem}" if place else problem


_TYPE_NAMES = {
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "model_type": "a table",
    "dict_type": "a table",
    "model_attributes_type": "a table",
}


def _place(loc: tuple[Any, ...], data: Any) -> tuple[str, str]:
    """Split a pydantic location into the form part it is in ("section opening, item x")
    and the key within that part ("weight")."""
    names: list[str] = []
    field: list[str] = []
    node = data
    index = 0
    while index < len(loc):
        key = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if key in {"sections", "items", "options"} and isinstance(following, int):
            container = node.get(key) if isinstance(node, Mapping) else None
            node = container[following] if isinstance(container, list) else None
            names.append(_part_name(key, following, node))
            field = []
            index += 2
            continue
        field.append(f"[{key}]" if isinstance(key, int) else str(key))
        node = node.get(key) if isinstance(node, Mapping) and isinstance(key, str) else None
        index += 1
    return ", ".join(names), "".join(
        part if part.startswith("[") or not position else f".{part}"
        for position, part in enumerate(field)
    )


def _part_name(kind: str, position: int, node: Any) -> str:
    singular = {"sections": "section", "items": "item", "options": "option"}[kind]
    key = "value" if kind == "options" else "id"
    name = node.get(key) if isinstance(node, Mapping) else None
    if isinstance(name, str) and name:
        return f"{singular} {name}"
    return f"{singular} #{position + 1}"

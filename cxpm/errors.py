"""Errors a user can act on. The CLI prints their message on one line and exits 1."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class CxpmError(Exception):
    """An error caused by input or configuration, with a message meant for the user."""


def model_from_user(schema: type[M], /, **values: Any) -> M:
    """A model from values a user typed (command-line options, form fields); a bad value is
    a one-line CxpmError naming the field."""
    try:
        return schema(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or schema.__name__
        message = str(first["msg"]).removeprefix("Value error, ")
        raise CxpmError(f"{field}: {message}") from None


def date_from_user(text: str | None, what: str) -> date | None:
    """A YYYY-MM-DD a user typed (None when not given); else a one-line CxpmError naming
    `what`."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CxpmError(f"{what} expects YYYY-MM-DD, got {text!r}") from None

"""The role → permission matrix is complete and docs/security.md shows it as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxpm.users.permissions import (
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLE_SCOPES,
    ROLES,
    SCOPE_DIMENSIONS,
    has_permission,
)

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def test_matrix_shape() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES) == set(ROLE_SCOPES)
    for granted in ROLE_PERMISSIONS.values():
        assert granted <= set(PERMISSIONS)
    assert ROLE_PERMISSIONS["admin"] == set(PERMISSIONS)
    assert [r for r in ROLES if has_permission(r, "users:manage")] == ["admin"]
    assert all(has_permission(r, "metrics:read") for r in ROLES)
    for scopes in ROLE_SCOPES.values():
        assert set(scopes) <= {"all", *SCOPE_DIMENSIONS}
    with pytest.raises(KeyError):
        has_permission("admin", "metrics:write")


def test_docs_table_matches() -> None:
    """The table in docs/security.md: one row per permission, an x per role that has it."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| permission |"))
    roles = [c.strip() for c in lines[header].strip("|").split("|")[1:-1]]
    assert roles == list(ROLES)
    documented = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        permission = re.sub(r"`", "", cells[0])
        documented[permission] = {r for r, c in zip(roles, cells[1:-1], strict=True)
                                  if c == "x"}
    assert documented == {p: {r for r in ROLES if p in ROLE_PERMISSIONS[r]}
                          for p in PERMISSIONS}

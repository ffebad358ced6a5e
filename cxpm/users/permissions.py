"""Roles, permissions and scopes as data: the one place that says who may do what.

docs/security.md renders this matrix; the web layer only asks `has_permission`.
"""

from __future__ import annotations

ROLES = ("admin", "analyst", "supervisor", "qa", "agent", "vendor")

PERMISSIONS: dict[str, str] = {
    "metrics:read": "compute metrics, scorecards and drill-downs (within the user's scope)",
    "export": "download metric results and lists as CSV or Parquet (within scope)",
    "wfm:read": "see forecasts, staffing, intraday and adherence (within scope)",
    "qa:read": "see evaluations and QA reports (within scope)",
    "qa:evaluate": "enter and edit evaluations",
    "qa:manage": "import evaluation forms and run calibration sessions",
    "targets:read": "see targets and achievement",
    "targets:write": "create, change and delete targets",
    "actions:read": "see corrective actions (within scope)",
    "actions:write": "create and advance corrective actions",
    "technology:read": "see the technology registry",
    "technology:write": "change the technology registry",
    "audit:read": "read the audit log",
    "users:manage": "add, disable and reset users; see every user",
}

_EVERYONE_READS = ("metrics:read", "targets:read")
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset({*_EVERYONE_READS, "export", "wfm:read", "qa:read", "targets:write",
                          "actions:read", "actions:write", "technology:read",
                          "technology:write", "audit:read"}),
    "supervisor": frozenset({*_EVERYONE_READS, "export", "wfm:read", "qa:read",
                             "qa:evaluate", "actions:read", "actions:write",
                             "technology:read"}),
    "qa": frozenset({*_EVERYONE_READS, "export", "qa:read", "qa:evaluate", "qa:manage",
                     "actions:read", "technology:read"}),
    "agent": frozenset({*_EVERYONE_READS, "qa:read"}),
    "vendor": frozenset({*_EVERYONE_READS, "export", "wfm:read", "qa:read", "actions:read"}),
}

# Scope kind -> the dimension every query of a scoped user is filtered on.
SCOPE_DIMENSIONS: dict[str, str] = {"vendor": "vendor", "site": "site", "program": "program",
                                    "agent": "agent_id"}

# Scope kinds each role may hold ("all" = no restriction). A vendor user always sees one
# vendor and an agent only itself; an administrator's reach cannot be narrowed.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "admin": ("all",),
    "analyst": ("all", "vendor", "site", "program"),
    "supervisor": ("all", "vendor", "site", "program"),
    "qa": ("all", "vendor", "site", "program"),
    "agent": ("agent",),
    "vendor": ("vendor",),
}


def has_permission(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(role, frozenset())

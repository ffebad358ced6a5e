"""Login rate limiting: too many failures for one username from one client -> wait.

Failures are rows in the app database, so the limit holds across server processes and
restarts. Rows older than the window are deleted as new failures arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxpm.store.models import LoginFailure
from cxpm.users.accounts import now

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
_FIELD_MAX = 120


def _key(username: str, client: str) -> tuple[str, str]:
    return username[:_FIELD_MAX], client[:_FIELD_MAX]


def retry_after(session: Session, username: str, client: str,
                at: datetime | None = None) -> int | None:
    """Seconds to wait before this username may try again from this client, or None."""
    at = at or now()
    username, client = _key(username, client)
    count, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.username == username, LoginFailure.client == client,
            LoginFailure.at > at - WINDOW)).one()
    if count < MAX_FAILURES:
        return None
    return max(1, int((oldest + WINDOW - at).total_seconds()) + 1)


def record_failure(session: Session, username: str, client: str,
                   at: datetime | None = None) -> None:
    at = at or now()
    username, client = _key(username, client)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= at - WINDOW))
    session.add(LoginFailure(username=username, client=client, at=at))


def clear_failures(session: Session, username: str, client: str) -> None:
    username, client = _key(username, client)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                               LoginFailure.client == client))

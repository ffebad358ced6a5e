"""Late corrective actions: not closed, and their own due date or an unfinished task's due
date is before today."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel

from cxpm.review.actions.model import CLOSED_STATES, ActionInfo, TaskInfo
from cxpm.review.actions.store import list_actions
from cxpm.workspace import Workspace


class OverdueAction(BaseModel):
    action: ActionInfo
    action_overdue: bool  # the action's own due date has passed
    overdue_tasks: list[TaskInfo]  # unfinished tasks past their due date
    days_late: int  # the most late of the action and its tasks


def is_past_due(due: date | None, today: date) -> bool:
    """Due on a day means done by the end of that day: late from the next day."""
    return due is not None and due < today


def find_overdue(actions: Iterable[ActionInfo], today: date) -> list[OverdueAction]:
    """The late ones among `actions`, most late first."""
    out = []
    for action in actions:
        if action.state in CLOSED_STATES:
            continue
        tasks = [t for t in action.tasks
                 if t.done_date is None and is_past_due(t.due_date, today)]
        own = is_past_due(action.due_date, today)
        if not tasks and not own:
            continue
        dues = [t.due_date for t in tasks] + ([action.due_date] if own else [])
        out.append(OverdueAction(action=action, action_overdue=own, overdue_tasks=tasks,
                                 days_late=max((today - d).days for d in dues if d)))
    return sorted(out, key=lambda o: (-o.days_late, o.action.id))


def overdue_actions(workspace: Workspace, *, today: date | None = None) -> list[OverdueAction]:
    return find_overdue(list_actions(workspace), today or workspace.today())

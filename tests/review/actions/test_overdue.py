"""The overdue list with fixed dates: unfinished tasks past due, or the action's own due
date past, for actions not closed."""

from __future__ import annotations

from datetime import date, datetime

from cxpm.review.actions.model import ActionInfo, ActionSpec, ActionUpdate, TaskInfo, TaskSpec
from cxpm.review.actions.overdue import find_overdue, overdue_actions
from cxpm.review.actions.store import create_action, update_action
from cxpm.workspace import Workspace

TODAY = date(2026, 6, 15)


def action(action_id: int, *, state: str = "acting", due: date | None = None,
           tasks: list[TaskInfo] = ()) -> ActionInfo:
    stamp = datetime(2026, 1, 1)
    return ActionInfo(id=action_id, title=f"a{action_id}", problem=None,
                      metric="abandonment_rate", scope={}, origin="manual", origin_ref=None,
                      owner=None, due_date=due, state=state, root_cause_method=None,
                      findings=[], cause_category=None, tasks=list(tasks),
                      implemented_on=None, verification=None, created_at=stamp,
                      updated_at=stamp, closed_at=None)


def task(number: int, due: date | None, done: date | None = None) -> TaskInfo:
    return TaskInfo(number=number, description=f"t{number}", due_date=due, done_date=done)


def test_which_actions_are_late_and_by_how_much() -> None:
    actions = [
        action(1, tasks=[task(1, date(2026, 6, 14))]),  # due yesterday, open: 1 day late
        action(2, tasks=[task(1, TODAY)]),  # due today: not late yet
        action(3, tasks=[task(1, date(2026, 6, 1), done=date(2026, 6, 2))]),  # done
        action(4, state="closed-effective", due=date(2026, 5, 1),
               tasks=[task(1, date(2026, 5, 1))]),  # closed: never late
        action(5, due=date(2026, 6, 5)),  # own due date passed: 10 days late
        action(6, state="open", due=date(2026, 6, 10),
               tasks=[task(1, date(2026, 6, 1)), task(2, None), task(3, date(2026, 6, 13),
                                                                    done=TODAY)]),
        action(7, state="closed-ineffective", tasks=[task(1, date(2026, 1, 1))]),
    ]
    late = find_overdue(actions, TODAY)
    assert [(o.action.id, o.action_overdue, [t.number for t in o.overdue_tasks], o.days_late)
            for o in late] == [(6, True, [1], (TODAY - date(2026, 6, 1)).days),
                               (5, True, [], (TODAY - date(2026, 6, 5)).days),
                               (1, False, [1], 1)]


def test_overdue_from_the_workspace(workspace: Workspace) -> None:
    first = create_action(workspace, ActionSpec(title="late task", metric="aht"),
                          actor="t")
    update_action(workspace, first.id, ActionUpdate(add_tasks=[
        TaskSpec(description="coach", due_date=date(2026, 6, 1)),
        TaskSpec(description="retrain", due_date=date(2026, 7, 1))]), actor="t")
    create_action(workspace, ActionSpec(title="on time", metric="aht",
                                        due_date=date(2026, 7, 1)), actor="t")
    assert [o.action.id for o in overdue_actions(workspace, today=TODAY)] == [first.id]
    update_action(workspace, first.id, ActionUpdate(done_tasks=[1]), actor="t", today=TODAY)
    assert overdue_actions(workspace, today=TODAY) == []
    later = overdue_actions(workspace, today=date(2026, 7, 2))
    assert [(o.action.title, [t.number for t in o.overdue_tasks]) for o in later] == [
        ("late task", [2]), ("on time", [])]

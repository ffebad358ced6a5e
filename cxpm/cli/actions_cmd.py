"""`cxpm actions new | list | show | update | verify`: corrective actions (docs/actions.md)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    format_value,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.cli.qa_cmd import ActorOption, actor_name
from cxpm.errors import CxpmError, date_from_user, model_from_user
from cxpm.store.db import utc_now

if TYPE_CHECKING:
    from cxpm.review.actions.effectiveness import EffectivenessCheck
    from cxpm.review.actions.model import ActionInfo, Finding

actions_app = typer.Typer(help="Corrective actions: root cause, tasks, effectiveness check.",
                          no_args_is_help=True)

FINDING_SEPARATOR = "=>"

IdArgument = Annotated[int, typer.Argument(metavar="ID", help="Action id (see list).")]
TodayOption = Annotated[str | None, typer.Option(
    "--today", help="Take this day (YYYY-MM-DD) as today (default: today).",
    show_default=False)]


def _finding(text: str) -> Finding:
    """'WHY => ANSWER', or just the finding."""
    from cxpm.review.actions.model import Finding

    why, sep, answer = text.partition(FINDING_SEPARATOR)
    if not sep:
        why, answer = "", why
    if not answer.strip():
        raise CxpmError(f"--finding {text!r} has no answer (write 'WHY {FINDING_SEPARATOR} "
                        f"ANSWER' or the finding alone)")
    return model_from_user(Finding, why=why.strip() or None, answer=answer.strip())


def _scope_text(scope: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(scope.items())) or "(all)"


def _summary(action: ActionInfo, today: date) -> dict[str, Any]:
    from cxpm.review.actions.overdue import find_overdue

    open_tasks = [t for t in action.tasks if t.done_date is None]
    return {"id": action.id, "title": action.title, "metric": action.metric,
            "scope": _scope_text(action.scope), "state": action.state,
            "owner": action.owner, "due": action.due_date,
            "tasks": f"{len(action.tasks) - len(open_tasks)}/{len(action.tasks)} done",
            "overdue": bool(find_overdue([action], today))}


def _print_action(action: ActionInfo) -> None:
    for label, value in (
            ("action", f"{action.id}: {action.title}"), ("state", action.state),
            ("metric", f"{action.metric} ({_scope_text(action.scope)})"),
            ("origin", action.origin + (f" ({action.origin_ref})" if action.origin_ref
                                        else "")),
            ("problem", action.problem), ("owner", action.owner), ("due", action.due_date),
            ("root cause", action.root_cause_method), ("cause category",
                                                       action.cause_category),
            ("implemented", action.implemented_on)):
        console.print(f"[bold]{label}:[/bold] {format_value(value)}", highlight=False)
    for number, finding in enumerate(action.findings, 1):
        console.print(f"  {number}. " + (f"{finding.why} → " if finding.why else "")
                      + finding.answer, highlight=False)
    if action.tasks:
        console.print(render_rows([{"task": t.number, "description": t.description,
                                    "owner": t.owner, "due": t.due_date, "done": t.done_date}
                                   for t in action.tasks], title="Tasks"))
    if action.verification:
        v = action.verification
        console.print(f"[bold]verification:[/bold] {v.result} ({v.method}, {v.verified_by}, "
                      f"{format_value(v.verified_at)})" + (f": {v.note}" if v.note else ""),
                      highlight=False)


def _print_check(check: EffectivenessCheck, unit: str) -> None:
    console.print(f"action {check.action_id}, {check.metric} ({_scope_text(check.scope)}), "
                  f"implemented {format_value(check.implemented_on)}: "
                  f"[bold]{check.proposal}[/bold] — {check.reason}", highlight=False)
    if check.chart:
        console.print(f"{check.chart} chart, centre {format_value(check.center, unit)} from "
                      f"{check.baseline_periods} month(s) before implementation")
    if check.evidence:
        console.print(render_rows([{
            "period": e.period, "phase": e.phase, "value": format_value(e.value, unit),
            "target": format_value(e.target, unit), "status": e.status,
            "signals": ", ".join(e.signals), "adverse": ", ".join(e.adverse_signals)}
            for e in check.evidence]))


@actions_app.command("new")
def new_cmd(
    title: Annotated[str, typer.Option("--title", help="Short title.")],
    metric: Annotated[str, typer.Option("--metric", help="Metric id.")],
    scope: Annotated[list[str], typer.Option(
        "--scope", help="DIM=VALUE the action is about (repeatable; none = everywhere).")]
    = [],  # noqa: B006
    problem: Annotated[str | None, typer.Option("--problem", help="Problem statement.")]
    = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns the action.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    origin: Annotated[str, typer.Option(
        "--origin", help="signal, missed_target or manual.")] = "manual",
    origin_ref: Annotated[str | None, typer.Option(
        "--origin-ref", help="What it came from, e.g. 'we1 2026-05' or 'target 7 "
        "2026-05'.")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Open a corrective action. Audited."""
    from cxpm.review.actions.model import ORIGINS, ActionSpec
    from cxpm.review.actions.store import create_action
    from cxpm.targets.model import parse_scope

    if origin not in ORIGINS:
        raise CxpmError(f"unknown origin {origin!r}; origins are {', '.join(ORIGINS)}")
    spec = model_from_user(ActionSpec, title=title, metric=metric,
                    scope=parse_scope(";".join(scope)), problem=problem, owner=owner,
                    due_date=date_from_user(due, "--due"), origin=origin, origin_ref=origin_ref)
    action = create_action(workspace_from(workspace), spec, actor=actor_name(actor))
    if format is SummaryFormat.json:
        print_json(action.model_dump(mode="json"))
        return
    console.print(f"action {action.id} opened: {action.title}", highlight=False)


@actions_app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only actions not closed with a task or due date past.")] = False,
    today: TodayOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """List corrective actions."""
    from cxpm.review.actions.overdue import find_overdue
    from cxpm.review.actions.store import list_actions

    ws = workspace_from(workspace)
    day = date_from_user(today, "--today") or ws.today()
    actions = list_actions(ws, state=state)
    if overdue:
        late = find_overdue(actions, day)
        if format is SummaryFormat.json:
            print_json([o.model_dump(mode="json") for o in late])
            return
        rows = [{"id": o.action.id, "title": o.action.title, "state": o.action.state,
                 "owner": o.action.owner, "due": o.action.due_date,
                 "late tasks": ", ".join(f"{t.number} ({t.owner or '—'}, {t.due_date})"
                                         for t in o.overdue_tasks),
                 "days late": o.days_late} for o in late]
    else:
        if format is SummaryFormat.json:
            print_json([a.model_dump(mode="json") for a in actions])
            return
        rows = [_summary(a, day) for a in actions]
    if not rows:
        console.print("no overdue actions" if overdue else "no corrective actions")
        return
    console.print(render_rows(rows))


@actions_app.command("show")
def show_cmd(
    action_id: IdArgument,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one action: fields, findings, tasks, verification."""
    from cxpm.review.actions.store import get_action

    action = get_action(workspace_from(workspace), action_id)
    if format is SummaryFormat.json:
        print_json(action.model_dump(mode="json"))
        return
    _print_action(action)


@actions_app.command("update")
def update_cmd(
    action_id: IdArgument,
    state: Annotated[str | None, typer.Option("--state", help="New state.")] = None,
    problem: Annotated[str | None, typer.Option("--problem")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    root_cause_method: Annotated[str | None, typer.Option(
        "--root-cause-method", help="5-whys, fishbone, pareto or other.")] = None,
    finding: Annotated[list[str], typer.Option(
        "--finding", help=f"'WHY {FINDING_SEPARATOR} ANSWER' or a finding; repeat in order "
        "(5 whys: first why first). Replaces the findings.")] = [],  # noqa: B006
    cause_category: Annotated[str | None, typer.Option(
        "--cause-category", help="people, process, technology, forecast/staffing, "
        "customer/demand, vendor or other.")] = None,
    add_task: Annotated[str | None, typer.Option("--add-task", help="Task description.")]
    = None,
    task_owner: Annotated[str | None, typer.Option("--task-owner")] = None,
    task_due: Annotated[str | None, typer.Option("--task-due", help="YYYY-MM-DD.")] = None,
    task_done: Annotated[list[int], typer.Option(
        "--task-done", help="Mark task N done (repeatable).")] = [],  # noqa: B006
    implemented: Annotated[str | None, typer.Option(
        "--implemented", help="When the fix went live, YYYY-MM-DD.")] = None,
    verification: Annotated[str | None, typer.Option(
        "--verification", help="Record a manual verification result: effective or "
        "ineffective (closing needs one).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Note for the audit log.")]
    = None,
    today: TodayOption = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Change an action: fields first, then the state. Audited."""

    from cxpm.review.actions.model import STATES, ActionUpdate, TaskSpec, Verification
    from cxpm.review.actions.store import update_action

    if state is not None and state not in STATES:
        raise CxpmError(f"unknown state {state!r}; states are {', '.join(STATES)}")
    if (task_owner or task_due) and not add_task:
        raise CxpmError("--task-owner and --task-due describe a task: give --add-task too")
    if verification is not None and verification not in ("effective", "ineffective"):
        raise CxpmError(f"--verification is effective or ineffective, got {verification!r}")
    who = actor_name(actor)
    change = model_from_user(
        ActionUpdate, state=state, problem=problem, owner=owner,
        due_date=date_from_user(due, "--due"),
        root_cause_method=root_cause_method,
        findings=[_finding(f) for f in finding] if finding else None,
        cause_category=cause_category,
        add_tasks=[model_from_user(TaskSpec, description=add_task, owner=task_owner,
                            due_date=date_from_user(task_due, "--task-due"))] if add_task else [],
        done_tasks=task_done, implemented_on=date_from_user(implemented, "--implemented"),
        verification=Verification(
            result=verification, method="manual", verified_by=who, note=note,
            verified_at=utc_now()) if verification else None,
        note=note)
    action = update_action(workspace_from(workspace), action_id, change, actor=who,
                           today=date_from_user(today, "--today"))
    if format is SummaryFormat.json:
        print_json(action.model_dump(mode="json"))
        return
    console.print(f"action {action.id} updated: {action.state}", highlight=False)


@actions_app.command("verify")
def verify_cmd(
    action_id: IdArgument,
    apply: Annotated[bool, typer.Option(
        "--apply", help="Perform the proposal: close-effective closes the action, reopen "
        "sends it back to acting.")] = False,
    periods: Annotated[int | None, typer.Option(
        "--periods", help="K: complete months after implementation to judge (default: "
        "parameter actions.verify_periods).")] = None,
    today: TodayOption = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Effectiveness check: target met and no adverse signal (limits from the months before
    implementation) in each of the first K complete months after the fix went live."""
    from cxpm.review.actions.effectiveness import apply_check, verify

    ws = workspace_from(workspace)
    check = verify(ws, action_id, periods=periods, today=date_from_user(today, "--today"))
    applied = apply_check(ws, check, actor=actor_name(actor)) if apply else None
    if format is SummaryFormat.json:
        print_json({**check.model_dump(mode="json"),
                    "applied": applied is not None,
                    "state": applied.state if applied else None})
        return
    _print_check(check, ws.metric_catalog().get(check.metric).unit)
    if applied is not None:
        console.print(f"applied: action {applied.id} is now {applied.state}")


def register(app: typer.Typer) -> None:
    app.add_typer(actions_app, name="actions")

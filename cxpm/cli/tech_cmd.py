"""`cxpm tech add | list | show | verify | change | attest | security-review`: the
technology governance registry (docs/technology.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

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

if TYPE_CHECKING:
    from cxpm.technology.model import TechnologyInfo

tech_app = typer.Typer(help="Technology governance: bots, AI assistants, IVR and agent assist "
                       "with their verifications, ethics attestation, security review and "
                       "change log.", no_args_is_help=True)


IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Technology id (see list).")]
TodayOption = Annotated[str | None, typer.Option(
    "--today", help="Judge flags as of this day, YYYY-MM-DD (default: today).",
    show_default=False)]
ChannelOption = Annotated[list[str], typer.Option(
    "--channel", help="Channel it serves (repeatable): voice, chat, email, messaging, social, "
    "self_service.")]


class Method(StrEnum):
    qa_form = "qa_form"
    test_set = "test_set"


def _summary(tech: TechnologyInfo, today: date) -> dict[str, Any]:
    from cxpm.technology.flags import current_verification, technology_flags

    current = current_verification(tech)
    # Few columns, so that the flags stay readable on a narrow terminal (show has the rest).
    return {"id": tech.id, "kind": tech.kind,
            "status": tech.status + (f" {tech.live_from}" if tech.live_from else ""),
            "version": tech.version,
            "verified": current.verified_on if current else None,
            "flags": "; ".join(technology_flags(tech, today))}


def _output(tech: TechnologyInfo, format: SummaryFormat, message: str) -> None:
    if format is SummaryFormat.json:
        print_json(tech.model_dump(mode="json"))
    else:
        console.print(escape(message), highlight=False)


@tech_app.command("add")
def add_cmd(
    technology_id: IdArgument,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    kind: Annotated[str, typer.Option(
        "--kind", help="bot, ai_assistant, ivr, agent_assist or other.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Accountable owner.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="What it is for.")] = None,
    channel: ChannelOption = [],  # noqa: B006
    vendor: Annotated[str | None, typer.Option("--vendor")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model it runs on.")] = None,
    version: Annotated[str | None, typer.Option("--version")] = None,
    agent_id: Annotated[str | None, typer.Option(
        "--agent-id", help="Its id in contacts and QA evaluations.")] = None,
    live_from: Annotated[str | None, typer.Option(
        "--live-from", help="Go-live date YYYY-MM-DD (registers it as live).")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Register a technology serving customers. Audited."""
    from cxpm.technology.model import TechnologySpec
    from cxpm.technology.store import add_technology

    spec = model_from_user(TechnologySpec, id=technology_id, name=name, kind=kind, owner=owner,
                    purpose=purpose, channels=channel, vendor=vendor, model=model,
                    version=version, agent_id=agent_id,
                    live_from=date_from_user(live_from, "--live-from"))
    tech = add_technology(workspace_from(workspace), spec, actor=actor_name(actor))
    _output(tech, format, f"technology {tech.id} added ({tech.status})")


@tech_app.command("list")
def list_cmd(
    flagged: Annotated[bool, typer.Option(
        "--flagged", help="Only live technologies that need attention.")] = False,
    today: TodayOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Every technology with its current verification and its flags."""
    from cxpm.technology.flags import technology_flags
    from cxpm.technology.store import list_technologies

    ws = workspace_from(workspace)
    day = date_from_user(today, "--today") or ws.today()
    techs = list_technologies(ws)
    if flagged:
        techs = [t for t in techs if technology_flags(t, day)]
    if format is SummaryFormat.json:
        print_json([{**t.model_dump(mode="json"), "flags": technology_flags(t, day)}
                    for t in techs])
        return
    if not techs:
        console.print("no flagged technologies" if flagged else "no technologies")
        return
    console.print(render_rows([_summary(t, day) for t in techs]))


@tech_app.command("show")
def show_cmd(
    technology_id: IdArgument,
    today: TodayOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """A technology with its verifications and change log."""
    from cxpm.technology.flags import current_verification, technology_flags
    from cxpm.technology.store import get_technology

    ws = workspace_from(workspace)
    day = date_from_user(today, "--today") or ws.today()
    tech = get_technology(ws, technology_id)
    flags = technology_flags(tech, day)
    if format is SummaryFormat.json:
        current = current_verification(tech)
        print_json({**tech.model_dump(mode="json"), "flags": flags,
                    "current_verification": current.number if current else None})
        return
    ethics, review = tech.ethics, tech.security_review
    for label, value in (
            ("technology", f"{tech.id}: {tech.name} ({tech.kind})"),
            ("status", tech.status + (f" from {tech.live_from}" if tech.live_from else "")),
            ("owner", tech.owner), ("purpose", tech.purpose),
            ("channels", ", ".join(tech.channels) or None), ("vendor", tech.vendor),
            ("model", tech.model), ("version", tech.version), ("agent id", tech.agent_id),
            ("ethics", f"policy {ethics.policy_version}, attested by {ethics.attested_by} on "
                       f"{ethics.attested_on}, next review due {ethics.next_review_due}"
             if ethics else None),
            ("security review", f"{review.result} ({review.reviewed_on}, {review.reviewer})"
             + (f": {review.notes}" if review.notes else "") if review else None),
            ("flags", "; ".join(flags) or "none")):
        console.print(f"[bold]{label}:[/bold] {escape(format_value(value))}", highlight=False)
    if tech.verifications:
        console.print(render_rows([{
            "#": v.number, "date": v.verified_on, "method": v.method,
            "version": v.verified_version, "result": v.result, "verifier": v.verifier,
            "detail": v.details.get("reason")} for v in tech.verifications],
            title="Verifications"))
    if tech.changes:
        console.print(render_rows([{
            "#": c.number, "date": c.changed_on, "description": c.description,
            "actor": c.actor, "changed": ", ".join(
                f"{k}: {format_value(c.before.get(k))} → {format_value(v)}"
                for k, v in c.after.items()),
            "re-verify": "yes" if c.material else "no"} for c in tech.changes],
            title="Change log"))


@tech_app.command("verify")
def verify_cmd(
    technology_id: IdArgument,
    method: Annotated[Method, typer.Option("--method", help="qa_form or test_set.")],
    form: Annotated[str | None, typer.Option(
        "--form", help="qa_form: bot form id, or FORM@VERSION.")] = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="qa_form: first day of evaluations, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="qa_form: last day of evaluations, YYYY-MM-DD.")] = None,
    evaluation: Annotated[list[str], typer.Option(
        "--evaluation", help="qa_form: evaluation id (repeatable), instead of a date range.")]
    = [],  # noqa: B006
    min_evaluations: Annotated[int | None, typer.Option(
        "--min-evaluations", help="qa_form: evaluations needed (default 20).")] = None,
    min_accuracy: Annotated[float | None, typer.Option(
        "--min-accuracy", help="qa_form: critical accuracy needed (default 0.95).")] = None,
    cases: Annotated[int | None, typer.Option("--cases", help="test_set: cases.")] = None,
    correct: Annotated[int | None, typer.Option(
        "--correct", help="test_set: cases answered correctly.")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="test_set: accuracy needed (default 0.95).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="Version verified (default: the current one).")] = None,
    verifier: Annotated[str | None, typer.Option(
        "--verifier", help="Who verified (default: the actor).")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="Verification date YYYY-MM-DD (default: today).")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a knowledge/skills verification, pass or fail: from saved QA evaluations of
    the technology's agent id on a bot form, or from a test-set result. Audited."""
    from cxpm.technology.model import QaFormRequest, TestSetRequest
    from cxpm.technology.verification import verify_technology

    if method is Method.qa_form:
        if form is None:
            raise CxpmError("--method qa_form needs --form")
        if cases is not None or correct is not None or threshold is not None:
            raise CxpmError("--cases, --correct and --threshold are for --method test_set")
        optional = {k: v for k, v in (("min_evaluations", min_evaluations),
                                      ("min_accuracy", min_accuracy)) if v is not None}
        request: QaFormRequest | TestSetRequest = model_from_user(
            QaFormRequest, form=form, evaluation_ids=evaluation,
            date_from=date_from_user(date_from, "--from"),
            date_to=date_from_user(date_to, "--to"), **optional)
    else:
        if cases is None or correct is None:
            raise CxpmError("--method test_set needs --cases and --correct")
        if form or evaluation or date_from or date_to or min_evaluations or min_accuracy:
            raise CxpmError("--form, --evaluation, --from, --to, --min-evaluations and "
                            "--min-accuracy are for --method qa_form")
        request = model_from_user(TestSetRequest, cases=cases, correct=correct,
                           **({"threshold": threshold} if threshold is not None else {}))
    who = actor_name(actor)
    tech = verify_technology(workspace_from(workspace), technology_id, request,
                             verifier=verifier or who, actor=who,
                             verified_on=date_from_user(on, "--date"), version=version)
    record = tech.verifications[-1]
    _output(tech, format, f"technology {tech.id} version {record.verified_version}: "
            f"verification {record.number} {record.result.upper()} — "
            f"{record.details.get('reason')}")


@tech_app.command("change")
def change_cmd(
    technology_id: IdArgument,
    description: Annotated[str, typer.Option("--description", help="What changed and why.")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor")] = None,
    channel: ChannelOption = [],  # noqa: B006
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    agent_id: Annotated[str | None, typer.Option("--agent-id")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="planned, live or retired.")] = None,
    live_from: Annotated[str | None, typer.Option(
        "--live-from", help="Go-live date YYYY-MM-DD.")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="Date of the change YYYY-MM-DD (default: today).")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a change in the change log (version, model, channels, owner, status...).
    A change of version, model, vendor or channels, or one with only a description, needs
    a new verification. Audited."""
    from cxpm.technology.model import TechnologyChange
    from cxpm.technology.store import change_technology

    change = model_from_user(TechnologyChange, description=description, version=version,
                      model=model, vendor=vendor, channels=channel or None, owner=owner,
                      purpose=purpose, name=name, agent_id=agent_id, status=status,
                      live_from=date_from_user(live_from, "--live-from"),
                      changed_on=date_from_user(on, "--date"))
    tech = change_technology(workspace_from(workspace), technology_id, change,
                             actor=actor_name(actor))
    entry = tech.changes[-1]
    _output(tech, format, f"technology {tech.id}: change {entry.number} recorded"
            + (" (needs a new verification)" if entry.material else ""))


@tech_app.command("attest")
def attest_cmd(
    technology_id: IdArgument,
    policy_version: Annotated[str, typer.Option(
        "--policy-version", help="Version of the ethics policy attested.")],
    review_due: Annotated[str, typer.Option(
        "--review-due", help="Next ethics review due, YYYY-MM-DD.")],
    attested_by: Annotated[str | None, typer.Option(
        "--attested-by", help="Who attests (default: the actor).")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="Review date YYYY-MM-DD (default: today).")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Record the ethics-policy attestation and when it must be reviewed next. Audited."""
    from cxpm.technology.model import EthicsAttestation
    from cxpm.technology.store import attest_ethics

    who = actor_name(actor)
    ws = workspace_from(workspace)
    attestation = model_from_user(EthicsAttestation, policy_version=policy_version,
                                  attested_by=attested_by or who,
                                  attested_on=date_from_user(on, "--date") or ws.today(),
                                  next_review_due=date_from_user(review_due, "--review-due"))
    tech = attest_ethics(ws, technology_id, attestation, actor=who)
    _output(tech, format, f"technology {tech.id}: ethics policy {policy_version} attested; "
            f"next review due {attestation.next_review_due}")


@tech_app.command("security-review")
def security_review_cmd(
    technology_id: IdArgument,
    result: Annotated[str, typer.Option("--result", help="pass or fail.")],
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Who reviewed (default: the actor).")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="Review date YYYY-MM-DD (default: today).")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a data-security review. Audited."""
    from cxpm.technology.model import SecurityReview
    from cxpm.technology.store import record_security_review

    who = actor_name(actor)
    ws = workspace_from(workspace)
    review = model_from_user(SecurityReview, reviewed_on=date_from_user(on, "--date") or ws.today(),
                             result=result, reviewer=reviewer or who, notes=notes)
    tech = record_security_review(ws, technology_id, review,
                                  actor=who)
    _output(tech, format, f"technology {tech.id}: data-security review {result}")


def register(app: typer.Typer) -> None:
    app.add_typer(tech_app, name="tech")

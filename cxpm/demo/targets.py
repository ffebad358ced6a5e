"""Targets and corrective actions of the demo operation: what a team would have set up, so
the scorecard shows status and consistency and the review has something to follow up."""

from __future__ import annotations

from datetime import date, timedelta

from cxpm.review.actions.model import ActionSpec, ActionUpdate, Finding, TaskSpec
from cxpm.review.actions.store import create_action, update_action
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import set_targets
from cxpm.workspace import Workspace

DEMO_ACTOR = "cxpm demo"

_BENCHMARK = "Illustrative contact-center benchmark (demo data)"
_FROM = date(2000, 1, 1)

# metric, scope, target, warning, benchmark statistic, benchmark value, owner
_TARGETS: tuple[tuple[str, dict[str, str], float, float | None, str | None, float | None,
                      str], ...] = (
    ("service_level", {}, 0.80, 0.75, "median", 0.80, "head of operations"),
    ("service_level", {"program": "banking"}, 0.85, 0.80, "top quartile", 0.86,
     "banking program manager"),
    ("abandonment_rate", {}, 0.05, 0.07, "median", 0.05, "head of operations"),
    ("first_contact_resolution", {}, 0.85, 0.82, "top quartile", 0.86, "head of quality"),
    ("repeat_contact_rate", {}, 0.15, 0.18, None, None, "head of quality"),
    ("customer_critical_accuracy", {}, 0.97, 0.95, "top quartile", 0.97, "head of quality"),
    ("business_critical_accuracy", {}, 0.97, 0.95, "top quartile", 0.97, "head of quality"),
    ("compliance_critical_accuracy", {}, 0.98, 0.96, "top quartile", 0.99,
     "compliance officer"),
    ("noncritical_accuracy", {}, 0.95, 0.93, None, None, "head of quality"),
    ("csat", {}, 0.80, 0.75, "median", 0.78, "customer experience lead"),
    ("nps", {}, 30.0, 20.0, "median", 28.0, "customer experience lead"),
    ("cost_per_contact", {}, 4.5, 5.0, "median", 4.6, "finance partner"),
    ("bot_containment_rate", {}, 0.55, 0.50, "top quartile", 0.60, "automation lead"),
    ("schedule_adherence", {}, 0.90, 0.85, "median", 0.88, "workforce manager"),
)


def demo_targets() -> list[TargetSpec]:
    return [TargetSpec(metric=metric, scope=scope, valid_from=_FROM, value=value,
                       warning=warning, benchmark_source=_BENCHMARK if statistic else None,
                       benchmark_date=date(2026, 6, 30) if statistic else None,
                       benchmark_statistic=statistic, benchmark_value=benchmark, owner=owner,
                       rationale="Set from the benchmark at the start of the year"
                       if statistic else "Set from our own history")
            for metric, scope, value, warning, statistic, benchmark, owner in _TARGETS]


def seed_targets_and_actions(workspace: Workspace, last_day: date) -> tuple[int, int]:
    """Save the demo targets and two corrective actions: one being acted on (telecom's
    service level) and one fixed and waiting for its effectiveness check. Returns how many
    targets and actions were saved."""
    targets = set_targets(workspace, demo_targets(), actor=DEMO_ACTOR)
    month_start = last_day.replace(day=1)
    acting = create_action(workspace, ActionSpec(
        title="Telecom voice misses its service level", metric="service_level",
        scope={"program": "telecom"}, origin="missed_target",
        origin_ref=f"service_level target, {month_start:%Y-%m}",
        problem="Telecom answers about 80% of calls within 20 seconds against a target "
                "of 80-85%; the voice queue carries the gap (cxpm review drill).",
        owner="telecom program manager", due_date=last_day + timedelta(days=45)),
        actor=DEMO_ACTOR)
    update_action(workspace, acting.id, ActionUpdate(
        state="analysing", root_cause_method="5-whys", cause_category="forecast/staffing",
        findings=[Finding(why="Why are calls waiting?", answer="Too few agents on the "
                          "phones in the morning peak"),
                  Finding(why="Why too few?", answer="The schedule follows last year's "
                          "intraday pattern"),
                  Finding(why="Why last year's?", answer="The forecast is not refreshed "
                          "after the new product launch")],
        add_tasks=[TaskSpec(description="Refresh the telecom voice forecast weekly",
                            owner="workforce manager", due_date=last_day + timedelta(days=7)),
                   TaskSpec(description="Move two agents' shifts to the morning peak",
                            owner="telecom team leader", due_date=last_day - timedelta(days=3))]),
        actor=DEMO_ACTOR, today=last_day)
    update_action(workspace, acting.id, ActionUpdate(state="acting"), actor=DEMO_ACTOR,
                  today=last_day)
    fixed = create_action(workspace, ActionSpec(
        title="Travel abandonment rising", metric="abandonment_rate",
        scope={"program": "travel"}, origin="signal",
        origin_ref=f"trend, week of {month_start:%Y-%m-%d}",
        problem="Travel abandonment rose week after week.", owner="travel team leader"),
        actor=DEMO_ACTOR)
    update_action(workspace, fixed.id, ActionUpdate(
        state="analysing", root_cause_method="pareto", cause_category="process",
        findings=[Finding(why="Where do customers give up?", answer="In the booking-change "
                          "queue, after the IVR menu change")]), actor=DEMO_ACTOR,
        today=last_day)
    for state in ("acting", "verifying"):
        update_action(workspace, fixed.id, ActionUpdate(
            state=state, implemented_on=month_start if state == "verifying" else None),
            actor=DEMO_ACTOR, today=last_day)
    return len(targets), 2
